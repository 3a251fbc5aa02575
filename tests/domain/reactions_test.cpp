#include "isms/domain/reactions.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "in_memory_log.hpp"

namespace isms::domain::reactions_test {
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

// Risk R-1 identified, assessed and planned by `by`, then its acceptance
// requested (at version 4): the request as recorded.
recorded_event acceptance_requested_on_r1(testing::in_memory_log& log, const command_context& by) {
  for (const char* type : {"risk.identified.v1", "risk.assessed.v1", "risk.treatment_planned.v1"})
    log.append("risk-R-1", {new_event{type, json::object()}}, by);
  return log.append("risk-R-1", {new_event{"risk.acceptance_requested.v1", json{{"approval", request_json()}}}}, by)
      .back();
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
  const auto first = log.react_to(e);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].command_type, "approval.open");
  EXPECT_EQ(first[0].stream, "approval-risk-R-1.v4");
  EXPECT_EQ(first[0].command_id, "react:17:approval.open:approval-risk-R-1.v4");
  EXPECT_EQ(first[0].data.at("subject_stream"), "risk-R-1");
  EXPECT_EQ(first[0].data.at("subject_version"), 4);
  EXPECT_EQ(first[0].data.at("requested_by"), "mia");
  EXPECT_EQ(first[0].data.at("content_hash"), hash64);
  EXPECT_EQ(log.react_to(e), first);
}

TEST(Reactions, MalformedApprovalObjectYieldsNothing) {
  testing::in_memory_log log;
  auto bad = request_json();
  bad.erase("policy");
  EXPECT_TRUE(log.react_to(subject_event(3, 2, json{{"approval", bad}})).empty());
  EXPECT_TRUE(log.react_to(subject_event(3, 2, json{{"approval", 7}})).empty());
  EXPECT_TRUE(log.react_to(subject_event(3, 2, json("not an object"))).empty());
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
  const auto out = log.react_to(e);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command_type, "risk.reject_acceptance");
  EXPECT_EQ(out[0].stream, "risk-R-1");
  EXPECT_EQ(out[0].data, (json{{"approval_id", "risk-R-1.v4"}, {"approvers", {"olga"}},
                               {"comment", "residual too high"}, {"rejected_by", "tom"}}));
  EXPECT_EQ(out[0].command_id, "react:30:risk.reject_acceptance:risk-R-1");
}

TEST(Reactions, ALaterSubjectEventVoidsOnlyAnOpenApproval) {
  testing::in_memory_log log;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  const command_context system{actor{"system", {role::system}}, instant{}, "s"};
  acceptance_requested_on_r1(log, mia);
  // Not opened yet: nothing to void (approval.open will refuse the stale request).
  auto later = log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia).back();
  EXPECT_TRUE(void_approval_on_subject_change(later, log.reads_for(later)).empty());
  log.append("approval-risk-R-1.v4", {new_event{"approval.opened.v1", json::object()}}, system);
  const auto out = void_approval_on_subject_change(later, log.reads_for(later));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command_type, "approval.void");
  EXPECT_EQ(out[0].stream, "approval-risk-R-1.v4");
  EXPECT_EQ(out[0].data.at("approval_id"), "risk-R-1.v4");
  EXPECT_NE(out[0].data.at("reason").get<std::string>().find("risk.assessed.v1 at version 5"), std::string::npos);
  // The request event itself voids nothing.
  EXPECT_TRUE(void_approval_on_subject_change(log.history("risk-R-1")[3], log.reads_for(log.history("risk-R-1")[3])).empty());
  log.append("approval-risk-R-1.v4", {new_event{"approval.approved.v1", json::object()}}, system);
  EXPECT_TRUE(void_approval_on_subject_change(later, log.reads_for(later)).empty());
}

TEST(Reactions, AReactionNamesTheStreamsItReadsRoundByRound) {
  testing::in_memory_log log;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  log.append("risk-R-1", {new_event{"risk.identified.v1", json::object()}}, mia);
  log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia);
  log.append("risk-R-1", {new_event{"risk.treatment_planned.v1", json::object()}}, mia);
  log.append("risk-R-1", {new_event{"risk.acceptance_requested.v1", json{{"approval", request_json()}}}}, mia);
  const auto later = log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia).back();
  // First the subject's own stream; then, from the request it holds, its approval.
  stream_reads read;
  EXPECT_EQ(reaction_reads(later, read), std::vector<std::string>{"risk-R-1"});
  read.put("risk-R-1", log.history("risk-R-1"));
  EXPECT_EQ(reaction_reads(later, read), std::vector<std::string>{"approval-risk-R-1.v4"});
  read.put("approval-risk-R-1.v4", log.history("approval-risk-R-1.v4"));
  EXPECT_TRUE(reaction_reads(later, read).empty());
  // An event that opens no workflow across streams names nothing beyond its own stream.
  const auto first = log.history("risk-R-1").front();
  stream_reads own;
  own.put("risk-R-1", log.history("risk-R-1"));
  EXPECT_TRUE(reaction_reads(first, own).empty());
}

// ---- follow-up ids and what a re-run sees -----------------------------------------------

TEST(ReactionIds, NameWhatTheFollowUpIsWithADiscriminatorOnlyForARepeat) {
  EXPECT_EQ(follow_up_command_id(9, "approval.void", "approval-risk-R-1.v4", 1), "react:9:approval.void:approval-risk-R-1.v4");
  EXPECT_EQ(follow_up_command_id(9, "approval.void", "approval-risk-R-1.v4", 2),
            "react:9:approval.void:approval-risk-R-1.v4#2");
  EXPECT_NE(follow_up_command_id(9, "nc.raise", "nc-A", 1), follow_up_command_id(9, "nc.raise", "nc-B", 1));
  EXPECT_NE(follow_up_command_id(9, "nc.raise", "nc-A", 1), follow_up_command_id(10, "nc.raise", "nc-A", 1));
  // Too long to read: a digest of the same parts, still within the store's 200 bytes.
  const std::string stream(150, 's');
  const auto id = follow_up_command_id(9, "nc.raise", stream, 1);
  EXPECT_TRUE(id.starts_with("react:9:h")) << id;
  EXPECT_LE(id.size(), 200u);
  EXPECT_EQ(id, follow_up_command_id(9, "nc.raise", stream, 1));
  EXPECT_NE(id, follow_up_command_id(9, "nc.raise", stream, 2));
}

// An audit stream that (in this made-up history) also carries an approval
// request: one finding then has two follow-ups, the void and the nonconformity.
struct two_follow_ups {
  testing::in_memory_log log;
  recorded_event finding;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  const command_context system{actor{"system", {role::system}}, instant{}, "s"};

  two_follow_ups() {
    json request = request_json();
    request["approval_id"] = "audit-A1.v1";
    log.append("audit-A1", {new_event{"audit.planned.v1", json{{"approval", request}}}}, mia);
    log.append("approval-audit-A1.v1", {new_event{"approval.opened.v1", json::object()}}, system);
    finding = log.append("audit-A1", {new_event{"audit.finding_recorded.v1",
                                                json{{"finding_id", "F-1"},
                                                     {"type", "nonconformity_major"},
                                                     {"reference", "9.2"},
                                                     {"text", "no audit programme"}}}},
                         mia)
                  .back();
  }
};

TEST(ReactionIds, ARerunAfterItsFirstFollowUpWasWrittenNamesTheOthersTheSame) {
  two_follow_ups t;
  const auto first = t.log.react_to(t.finding);
  ASSERT_EQ(first.size(), 2u);
  // The first run's void is written; then the process dies before the checkpoint.
  t.log.append("approval-audit-A1.v1", {new_event{"approval.voided.v1", json::object()}}, t.system);
  const auto again = t.log.react_to(t.finding);
  // The re-run decides on what the first run saw: the same follow-ups, the same ids.
  EXPECT_EQ(again, first);
  std::set<std::string> ids;
  for (const auto& f : first) ids.insert(f.command_id);
  EXPECT_EQ(ids.size(), first.size());
  const auto nc = std::find_if(first.begin(), first.end(), [](const follow_up& f) { return f.command_type == "nc.raise"; });
  ASSERT_NE(nc, first.end());
  EXPECT_EQ(nc->command_id, follow_up_command_id(t.finding.position, "nc.raise", nc->stream, 1));
}

TEST(ReactionIds, AnIdDoesNotDependOnWhichOtherFollowUpsCameWithIt) {
  two_follow_ups t;
  const auto both = t.log.react_to(t.finding);
  // Without the approval request, the same finding has only the nonconformity:
  // its id is the one it had next to the void.
  testing::in_memory_log plain;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  plain.append("audit-A1", {new_event{"audit.planned.v1", json::object()}}, mia);
  plain.append("other", {new_event{"x.y.v1", json::object()}}, mia);
  const auto alone = plain.react_to(t.finding);
  ASSERT_EQ(alone.size(), 1u);
  const auto nc = std::find_if(both.begin(), both.end(), [](const follow_up& f) { return f.command_type == "nc.raise"; });
  ASSERT_NE(nc, both.end());
  EXPECT_EQ(alone[0].command_id, nc->command_id);
}

TEST(ReactionIds, ReactionsReadOtherStreamsAsOfTheTriggeringEvent) {
  testing::in_memory_log log;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  const command_context system{actor{"system", {role::system}}, instant{}, "s"};
  acceptance_requested_on_r1(log, mia);
  // The subject changes before its approval is open (as of this event nothing
  // is open, so there is nothing to void) ...
  const auto change = log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia).back();
  EXPECT_TRUE(log.react_to(change).empty());
  // ... and an approval opened later does not change what this event caused.
  log.append("approval-risk-R-1.v4",
             {new_event{"approval.opened.v1", json{{"approval_id", "risk-R-1.v4"},
                                                   {"subject_stream", "risk-R-1"},
                                                   {"subject_version", 4}}}},
             system);
  EXPECT_TRUE(log.react_to(change).empty());
}

TEST(Reactions, AnApprovalOpenedAfterItsSubjectChangedIsVoided) {
  // approval.open checks the subject and appends in two steps: a change may land
  // in between. The opened event then voids its own approval.
  testing::in_memory_log log;
  const command_context mia{actor{"mia", {role::isms_manager}}, instant{}, "c"};
  const command_context system{actor{"system", {role::system}}, instant{}, "s"};
  const auto request = acceptance_requested_on_r1(log, mia);
  // What approval.open records is what its reaction sent.
  const json opened_data = log.react_to(request).at(0).data;
  // Opened on an unchanged subject: nothing to void.
  {
    testing::in_memory_log copy = log;
    const auto opened = copy.append("approval-risk-R-1.v4", {new_event{"approval.opened.v1", opened_data}}, system).back();
    EXPECT_TRUE(copy.react_to(opened).empty());
  }
  log.append("risk-R-1", {new_event{"risk.assessed.v1", json::object()}}, mia);
  const auto opened = log.append("approval-risk-R-1.v4", {new_event{"approval.opened.v1", opened_data}}, system).back();
  const auto out = log.react_to(opened);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command_type, "approval.void");
  EXPECT_EQ(out[0].stream, "approval-risk-R-1.v4");
  EXPECT_EQ(out[0].data.at("approval_id"), "risk-R-1.v4");
  EXPECT_NE(out[0].data.at("reason").get<std::string>().find("changed after version 4"), std::string::npos);
  // And the void is accepted by the approval aggregate.
  auto d = log.run(out[0].command_type, out[0].stream, out[0].data, command_context{actor{"system", {role::system}}, instant{}, out[0].command_id});
  EXPECT_TRUE(d) << (d ? "" : d.error().message);
}

}  // namespace
}  // namespace isms::domain::reactions_test
