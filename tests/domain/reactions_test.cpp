#include "isms/domain/reactions.hpp"

#include <gtest/gtest.h>

#include "in_memory_log.hpp"

namespace isms::domain {
namespace {

const std::string hash64(64, 'a');

json request_json() {
  return json{{"approval_id", "risk-R-1.v4"},
              {"subject_kind", "risk.acceptance"},
              {"policy",
               {{"required_roles", {"top_management"}},
                {"required_users", {"olga"}},
                {"min_approvals", 2},
                {"ordered", true},
                {"version", 1}}},
              {"on_approved", "risk.accept"},
              {"on_rejected", "risk.reject_acceptance"},
              {"summary", "accept residual risk of R-1"},
              {"content_hash", hash64}};
}

TEST(ApprovalPattern, ApprovalIdIsDerivedFromSubjectStreamAndVersion) {
  EXPECT_EQ(approval_id_for("risk-R-12", 5), "risk-R-12.v5");
  EXPECT_EQ(approval_stream_for("risk-R-12.v5"), "approval-risk-R-12.v5");
  const auto long_id = approval_id_for("risk-" + std::string(60, 'x'), 3);
  EXPECT_LE(long_id.size(), 64u);
  EXPECT_TRUE(valid_stream_id(long_id));
  EXPECT_EQ(long_id, approval_id_for("risk-" + std::string(60, 'x'), 3));
  EXPECT_NE(long_id, approval_id_for("risk-" + std::string(60, 'x'), 4));
}

TEST(ApprovalPattern, RequestRoundTrips) {
  const auto r = parse_approval_request(request_json(), "approval");
  ASSERT_TRUE(r) << r.error().field << " " << r.error().message;
  EXPECT_EQ(r->policy.required_roles, std::vector<role>{role::top_management});
  EXPECT_EQ(r->policy.required_users, std::vector<std::string>{"olga"});
  EXPECT_EQ(r->policy.min_approvals, 2);
  EXPECT_TRUE(r->policy.ordered);
  EXPECT_EQ(to_json(*r), request_json());
}

struct bad_policy_case {
  const char* name;
  json policy;
  const char* field;
};

TEST(ApprovalPattern, PolicyValidationNamesTheField) {
  const bad_policy_case cases[] = {
      {"unknown role", {{"required_roles", {"boss"}}, {"min_approvals", 1}, {"version", 1}},
       "policy.required_roles[0]"},
      {"system cannot approve", {{"required_roles", {"system"}}, {"min_approvals", 1}, {"version", 1}},
       "policy.required_roles[0]"},
      {"nobody required", {{"min_approvals", 1}, {"version", 1}}, "policy.required_roles"},
      {"min 0", {{"required_users", {"u"}}, {"min_approvals", 0}, {"version", 1}},
       "policy.min_approvals"},
      {"min missing", {{"required_users", {"u"}}, {"version", 1}}, "policy.min_approvals"},
      {"version 0", {{"required_users", {"u"}}, {"min_approvals", 1}, {"version", 0}},
       "policy.version"},
      {"duplicate user", {{"required_users", {"u", "u"}}, {"min_approvals", 1}, {"version", 1}},
       "policy.required_users[1]"},
      {"duplicate role",
       {{"required_roles", {"risk_owner", "risk_owner"}}, {"min_approvals", 1}, {"version", 1}},
       "policy.required_roles[1]"},
      {"admin cannot approve", {{"required_roles", {"admin"}}, {"min_approvals", 1}, {"version", 1}},
       "policy.required_roles[0]"},
      {"min above 20", {{"required_users", {"u"}}, {"min_approvals", 21}, {"version", 1}},
       "policy.min_approvals"},
      {"ordered not bool",
       {{"required_users", {"u"}}, {"min_approvals", 1}, {"version", 1}, {"ordered", "yes"}},
       "policy.ordered"},
  };
  for (const auto& c : cases) {
    const auto r = parse_approval_policy(c.policy, "policy");
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().kind, rejection_kind::invalid) << c.name;
    EXPECT_EQ(r.error().field, c.field) << c.name;
  }
}

TEST(ApprovalPattern, RequestNeedsASha256ContentHash) {
  auto j = request_json();
  j["content_hash"] = "abc";
  const auto r = parse_approval_request(j, "approval");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "approval.content_hash");
}

TEST(ApprovalPattern, OutcomeIsAcceptedOnlyFromSystemForThePendingApproval) {
  const approval_outcome o{"risk-R-1.v4", {"olga", "tom"}, "ok", {}};
  const command_context system{actor{"system", {role::system}}, instant{}, "c"};
  const command_context manager{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  EXPECT_FALSE(check_approval_outcome(system, o, "risk-R-1.v4"));
  EXPECT_EQ(check_approval_outcome(manager, o, "risk-R-1.v4")->kind, rejection_kind::forbidden);
  EXPECT_EQ(check_approval_outcome(system, o, "risk-R-1.v6")->kind, rejection_kind::rule);
  EXPECT_EQ(check_approval_outcome(system, o, "")->kind, rejection_kind::rule);
  const auto back = parse_approval_outcome(to_json(o));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, o);
}

recorded_event subject_event(std::uint64_t position, std::uint64_t version, json data) {
  recorded_event e;
  e.position = position;
  e.stream = "risk-R-1";
  e.version = version;
  e.type = "risk.acceptance_requested.v1";
  e.data = std::move(data);
  e.meta.actor = "mia";
  return e;
}

TEST(Reactions, RequestEventOpensTheApprovalWithDeterministicCommandIds) {
  testing::in_memory_log log;
  const auto e = subject_event(17, 4, json{{"approval", request_json()}});
  const auto first = react(e, log);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].command_type, "approval.open");
  EXPECT_EQ(first[0].stream, "approval-risk-R-1.v4");
  EXPECT_EQ(first[0].command_id, "react:17:0");
  EXPECT_EQ(first[0].data.at("subject_stream"), "risk-R-1");
  EXPECT_EQ(first[0].data.at("subject_version"), 4);
  EXPECT_EQ(first[0].data.at("requested_by"), "mia");
  EXPECT_EQ(first[0].data.at("content_hash"), hash64);
  EXPECT_EQ(react(e, log), first);
}

TEST(Reactions, MalformedApprovalObjectYieldsNothing) {
  testing::in_memory_log log;
  auto bad = request_json();
  bad.erase("policy");
  EXPECT_TRUE(react(subject_event(3, 2, json{{"approval", bad}}), log).empty());
  EXPECT_TRUE(react(subject_event(3, 2, json{{"approval", 7}}), log).empty());
  EXPECT_TRUE(react(subject_event(3, 2, json("not an object")), log).empty());
}

TEST(Reactions, CompletedApprovalConcludesTheSubject) {
  testing::in_memory_log log;
  recorded_event e;
  e.position = 30;
  e.stream = "approval-risk-R-1.v4";
  e.version = 4;
  e.type = "approval.rejected.v1";
  e.data = json{{"approval_id", "risk-R-1.v4"}, {"subject_stream", "risk-R-1"},
                {"on_approved", "risk.accept"}, {"on_rejected", "risk.reject_acceptance"},
                {"approvers", {"olga"}},        {"comment", "residual too high"},
                {"rejected_by", "tom"}};
  const auto out = react(e, log);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command_type, "risk.reject_acceptance");
  EXPECT_EQ(out[0].stream, "risk-R-1");
  EXPECT_EQ(out[0].data, (json{{"approval_id", "risk-R-1.v4"}, {"approvers", {"olga"}},
                               {"comment", "residual too high"}, {"rejected_by", "tom"}}));
  EXPECT_EQ(out[0].command_id, "react:30:0");
}

TEST(Reactions, ALaterSubjectEventVoidsOnlyAnOpenApproval) {
  testing::in_memory_log log;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  const command_context system{actor{"system", {role::system}}, instant{}, "s"};
  log.append("risk-R-1", {new_event{"risk.identified.v1", json::object()}}, mia);
  log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia);
  log.append("risk-R-1", {new_event{"risk.treatment_planned.v1", json::object()}}, mia);
  log.append("risk-R-1", {new_event{"risk.acceptance_requested.v1", json{{"approval", request_json()}}}}, mia);
  // Not opened yet: nothing to void (approval.open will refuse the stale request).
  auto later = log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia).back();
  EXPECT_TRUE(void_approval_on_subject_change(later, log).empty());
  log.append("approval-risk-R-1.v4", {new_event{"approval.opened.v1", json::object()}}, system);
  const auto out = void_approval_on_subject_change(later, log);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command_type, "approval.void");
  EXPECT_EQ(out[0].stream, "approval-risk-R-1.v4");
  EXPECT_EQ(out[0].data.at("approval_id"), "risk-R-1.v4");
  EXPECT_NE(out[0].data.at("reason").get<std::string>().find("risk.assessed.v1 at version 5"), std::string::npos);
  // The request event itself voids nothing.
  EXPECT_TRUE(void_approval_on_subject_change(log.history("risk-R-1")[3], log).empty());
  log.append("approval-risk-R-1.v4", {new_event{"approval.approved.v1", json::object()}}, system);
  EXPECT_TRUE(void_approval_on_subject_change(later, log).empty());
}

}  // namespace
}  // namespace isms::domain
