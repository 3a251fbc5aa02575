// Approvals, the reviewers' inbox, notifications and the management review
// pack, driven end to end: commands decided through the dispatcher, reactions
// settled on an in-memory log, the views folded from its events.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "diff_testing.hpp"
#include "in_memory_log.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::views::views_approvals_test {
namespace {

using testing::in_memory_log;

instant at(std::string_view s) { return parse_instant(s).value(); }
date day(std::string_view s) { return parse_date(s).value(); }

const date today = day("2026-03-02");

command_context as(std::string user, std::vector<role> roles) {
  static int n = 0;
  return command_context{actor{std::move(user), std::move(roles)}, at("2026-03-02T09:00:00.000Z"),
                         "cmd-" + std::to_string(++n)};
}

const actor mia{"mia", {role::isms_manager}};
const actor olga{"olga", {role::risk_owner}};
const actor tom{"tom", {role::top_management}};
const actor tess{"tess", {role::top_management}};

json must(const std::expected<json, rejection>& r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().field + ": " + r.error().message);
  return r.value_or(json::object());
}

// An ISMS with its users, where commands run and reactions settle.
struct isms {
  in_memory_log log;
  std::size_t settled = 1;

  isms() {
    reg("mia", {"isms_manager"});
    reg("olga", {"risk_owner"});
    reg("tom", {"top_management"});
    reg("tess", {"top_management"});
  }
  void reg(const std::string& id, std::vector<std::string> roles) {
    run("user.register", "user-" + id, {{"name", id}, {"roles", roles}}, as("root", {role::admin}));
  }
  void run(std::string_view type, const std::string& stream, const json& data, const command_context& ctx) {
    const auto d = log.run(type, stream, data.is_null() ? json::object() : data, ctx);
    ASSERT_TRUE(d.has_value()) << type << ": " << d.error().message;
    settle();
  }
  void run_as(const actor& who, std::string_view type, const std::string& stream, const json& data) {
    run(type, stream, data, as(who.user_id, who.roles));
  }
  void settle() {
    for (const auto& [fu, d] : log.settle(settled, at("2026-03-02T09:00:00.000Z")))
      EXPECT_TRUE(d.has_value()) << fu.command_type << ": " << (d ? "" : d.error().message);
    settled = log.size() + 1;
  }
  [[nodiscard]] all_views views() const {
    all_views v = initial_views();
    for (const auto& e : log.all()) v = evolve(std::move(v), e);
    return v;
  }
  // The risk R-1 of olga, treated to a residual 3×4 = 12 (high, above the appetite).
  void planned_risk() {
    run_as(mia, "risk.identify", "risk-R-1",
           {{"title", "Ransomware"}, {"asset", "file servers"}, {"threat", "ransomware"},
            {"vulnerability", "unpatched SMB"}, {"owner", "olga"}, {"category", "operations"}});
    run_as(mia, "risk.assess", "risk-R-1", {{"likelihood", 4}, {"impact", 5}, {"rationale", "seen twice"}});
    plan(3, 4);
  }
  void plan(int l, int i) {
    run_as(mia, "risk.plan_treatment", "risk-R-1",
           {{"option", "modify"}, {"controls", {"8.7", "8.8"}}, {"actions", "EDR and patching"},
            {"target_likelihood", l}, {"target_impact", i}, {"due", "2026-06-30"}});
  }
  const recorded_event* last(std::string_view type) const {
    for (auto it = log.all().rbegin(); it != log.all().rend(); ++it)
      if (it->type == type) return &*it;
    return nullptr;
  }
};

TEST(InboxView, AnAcceptanceWithinAppetiteNeedsNoConfirmation) {
  isms w;
  w.run_as(mia, "risk.identify", "risk-R-1",
           {{"title", "Ransomware"}, {"asset", "file servers"}, {"threat", "ransomware"},
            {"vulnerability", "unpatched SMB"}, {"owner", "olga"}, {"category", "operations"}});
  w.run_as(mia, "risk.assess", "risk-R-1", {{"likelihood", 4}, {"impact", 5}, {"rationale", "seen twice"}});
  w.plan(1, 2);
  w.run_as(mia, "risk.request_acceptance", "risk-R-1", {{"review_date", "2027-03-01"}});
  const json inbox = must(query(w.views(), "inbox", json::object(), olga, today));
  ASSERT_EQ(inbox.at("approvals").size(), 1u);
  EXPECT_EQ(inbox.at("approvals")[0].at("needs_confirmation"), false);
}

TEST(InboxView, AnOrderedApprovalWaitsForEachReviewerInTurn) {
  isms w;
  w.planned_risk();
  w.run_as(mia, "risk.request_acceptance", "risk-R-1", {{"review_date", "2027-03-01"}});
  auto v = w.views();
  json olga_inbox = must(query(v, "inbox", json::object(), olga, today));
  ASSERT_EQ(olga_inbox.at("approvals").size(), 1u);
  const json& item = olga_inbox.at("approvals")[0];
  EXPECT_EQ(item.at("subject_stream"), "risk-R-1");
  EXPECT_EQ(item.at("subject_kind"), "risk.acceptance");
  EXPECT_EQ(item.at("subject_version"), 4);
  EXPECT_EQ(item.at("content").at("residual").at("level"), "high");
  EXPECT_TRUE(item.at("difference").is_null());  // never approved before
  EXPECT_EQ(item.at("content_hash").get<std::string>().size(), 64u);
  // Above appetite: approving it is confirmed with a second factor.
  EXPECT_EQ(item.at("needs_confirmation"), true);
  // Top management's turn comes after the risk owner's; the requester never sees it.
  EXPECT_TRUE(must(query(v, "inbox", json::object(), tom, today)).at("approvals").empty());
  EXPECT_TRUE(must(query(v, "inbox", json::object(), mia, today)).at("approvals").empty());
  EXPECT_EQ(must(query(v, "inbox", json::object(), mia, today)).at("my_open_requests").size(), 1u);

  const std::string approval_stream = "approval-" + item.at("approval_id").get<std::string>();
  w.run_as(olga, "approval.approve", approval_stream, {{"comment", "agreed"}});
  v = w.views();
  EXPECT_TRUE(must(query(v, "inbox", json::object(), olga, today)).at("approvals").empty());
  EXPECT_EQ(must(query(v, "inbox", json::object(), tom, today)).at("approvals").size(), 1u);
  EXPECT_EQ(must(query(v, "inbox", json::object(), tess, today)).at("approvals").size(), 1u);

  w.run_as(tom, "approval.approve", approval_stream, {{"comment", "accepted"}});
  v = w.views();
  EXPECT_TRUE(must(query(v, "inbox", json::object(), tess, today)).at("approvals").empty());
  const json risk = must(query(v, "risk", {{"id", "R-1"}}, mia, today));
  EXPECT_EQ(risk.at("state"), "accepted");
  EXPECT_EQ(risk.at("acceptance").at("accepted_by"), json({"olga", "tom"}));
  EXPECT_EQ(risk.at("review_date"), "2027-03-01");
  const json approvals = must(query(v, "approvals", json::object(), mia, today));
  ASSERT_EQ(approvals.at("count"), 1);
  EXPECT_EQ(approvals.at("approvals")[0].at("state"), "approved");
  ASSERT_EQ(approvals.at("approvals")[0].at("decisions").size(), 2u);
  EXPECT_EQ(approvals.at("approvals")[0].at("decisions")[1].at("reviewer"), "tom");
  EXPECT_EQ(approvals.at("approvals")[0].at("decisions")[1].at("comment"), "accepted");
}

TEST(InboxView, ShowsTheDifferenceFromThePreviouslyApprovedVersion) {
  isms w;
  w.planned_risk();
  w.run_as(mia, "risk.request_acceptance", "risk-R-1", {{"review_date", "2027-03-01"}});
  std::string id = must(query(w.views(), "inbox", json::object(), olga, today)).at("approvals")[0].at("approval_id");
  w.run_as(olga, "approval.approve", "approval-" + id, {});
  w.run_as(tom, "approval.approve", "approval-" + id, {});
  // A new plan, put to acceptance again: the reviewers see what changed.
  w.run_as(mia, "risk.assess", "risk-R-1", {{"likelihood", 4}, {"impact", 5}, {"rationale", "again"}});
  w.plan(2, 2);
  w.run_as(mia, "risk.request_acceptance", "risk-R-1", {{"review_date", "2027-06-01"}});
  const json inbox = must(query(w.views(), "inbox", json::object(), olga, today));
  ASSERT_EQ(inbox.at("approvals").size(), 1u);
  const json& d = inbox.at("approvals")[0].at("difference");
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d.at("equal"), false);
  diff_testing::expect_change(d, "/residual/level", "high", "low");
  EXPECT_EQ(inbox.at("approvals")[0].at("previously_approved").at("review_date"), "2027-03-01");
}

TEST(InboxView, ListsTheViewersOverdueActions) {
  isms w;
  w.log.append("nc-NC-1",
               {nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::other, "8.1",
                                                            nonconformity::severity::minor, "x", day("2026-02-01"),
                                                            "mia", "", "", ""}),
                nonconformity::encode(nonconformity::action_planned{"A1", "fix", "olga", day("2026-03-01")}),
                nonconformity::encode(nonconformity::action_planned{"A2", "fix", "tom", day("2026-03-01")})},
               as("mia", {role::isms_manager}));
  const json inbox = must(query(w.views(), "inbox", json::object(), olga, today));
  ASSERT_EQ(inbox.at("overdue_actions").size(), 1u);
  EXPECT_EQ(inbox.at("overdue_actions")[0].at("action_id"), "A1");
  EXPECT_EQ(inbox.at("count"), 1);
}

TEST(Notifications, TellReviewersInTurnAndTheRequesterOfTheOutcome) {
  isms w;
  w.planned_risk();
  w.run_as(mia, "risk.request_acceptance", "risk-R-1", {{"review_date", "2027-03-01"}});
  const recorded_event* opened = w.last("approval.opened.v1");
  ASSERT_NE(opened, nullptr);
  auto v = w.views();
  auto n = notifications_for(v, *opened);
  ASSERT_EQ(n.size(), 3u);  // the named risk owner and every holder of top_management, not the requester
  EXPECT_EQ(n[0].user_id, "olga");
  EXPECT_EQ(n[1].user_id, "tess");
  EXPECT_EQ(n[2].user_id, "tom");
  EXPECT_EQ(n[0].kind, "approval_requested");
  EXPECT_EQ(n[0].subject_stream, "risk-R-1");
  EXPECT_EQ(n[0].approval_id, "risk-R-1.v4");
  EXPECT_EQ(n[0].id, "n-" + std::to_string(opened->position) + "-olga");
  EXPECT_EQ(n[0].position, opened->position);

  w.run_as(olga, "approval.approve", "approval-risk-R-1.v4", {});
  v = w.views();
  n = notifications_for(v, *w.last("approval.reviewer_approved.v1"));
  ASSERT_EQ(n.size(), 2u);  // ordered: now it is top management's turn
  EXPECT_EQ(n[0].user_id, "tess");
  EXPECT_EQ(n[1].user_id, "tom");
  EXPECT_EQ(n[1].kind, "approval_your_turn");

  w.run_as(tess, "approval.reject", "approval-risk-R-1.v4", {{"comment", "too risky"}});
  v = w.views();
  n = notifications_for(v, *w.last("approval.rejected.v1"));
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].user_id, "mia");
  EXPECT_EQ(n[0].kind, "approval_rejected");
  EXPECT_EQ(to_json(n[0]).at("approval_id"), "risk-R-1.v4");
  // The same event gives the same notifications (deterministic ids).
  EXPECT_EQ(notifications_for(v, *w.last("approval.rejected.v1")), n);
}

TEST(Notifications, AVoidedApprovalTellsItsReviewersWhy) {
  isms w;
  w.planned_risk();
  w.run_as(mia, "risk.request_acceptance", "risk-R-1", {{"review_date", "2027-03-01"}});
  w.plan(2, 3);  // the subject changes: the reaction voids the approval
  const recorded_event* voided = w.last("approval.voided.v1");
  ASSERT_NE(voided, nullptr);
  const auto v = w.views();
  EXPECT_EQ(v.approvals.approvals.at("risk-R-1.v4").state, "voided");
  const auto n = notifications_for(v, *voided);
  // Everyone the policy named: the risk owner, and top management (above the appetite).
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].user_id, "olga");
  EXPECT_EQ(n[1].user_id, "tess");
  EXPECT_EQ(n[2].user_id, "tom");
  EXPECT_EQ(n[0].kind, "approval_voided");
  EXPECT_NE(n[0].title.find("changed"), std::string::npos) << n[0].title;
}

TEST(Notifications, ACorrectiveActionIsAnnouncedToItsOwner) {
  isms w;
  const auto recorded = w.log.append(
      "nc-NC-1",
      {nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::other, "8.1",
                                                   nonconformity::severity::minor, "x", day("2026-02-01"), "tom", "",
                                                   "", ""}),
       nonconformity::encode(nonconformity::action_planned{"A1", "fix", "olga", day("2026-04-01")})},
      as("mia", {role::isms_manager}));
  const auto v = w.views();
  const auto raised = notifications_for(v, recorded[0]);
  EXPECT_TRUE(raised.empty());  // the only ISMS manager raised it
  const auto n = notifications_for(v, recorded[1]);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].user_id, "olga");
  EXPECT_EQ(n[0].kind, "corrective_action_assigned");
  EXPECT_EQ(n[0].subject_stream, "nc-NC-1");
  EXPECT_TRUE(n[0].approval_id.empty());
}

// ---- the management review pack --------------------------------------------------

TEST(ReviewPack, AssemblesThe9_3_2InputsAsChangesSinceThePreviousReview) {
  isms w;
  const auto ctx = as("mia", {role::isms_manager});
  namespace mr = management_review;
  w.log.append("scope-main", {scope::encode(scope::issue_added{{"I-1", scope::issue_kind::external, "new law"}})}, ctx);
  w.planned_risk();
  // Review MR-1: its inputs are assembled now, it decides an action.
  w.log.append("review-MR-1",
               {mr::encode(mr::scheduled{"MR-1", day("2026-03-01"), "tom", 12}),
                mr::encode(mr::inputs_assembled{json{{"x", 1}}, sha256_hex("{\"x\":1}"), 0, day("2026-03-01")}),
                mr::encode(mr::opened{day("2026-03-01"), "mia"}),
                mr::encode(mr::decision_recorded{"D1", mr::decision_kind::improvement_opportunity, "automate", ""}),
                mr::encode(mr::action_recorded{"A1", "automate patching", "olga", day("2026-02-15"), "D1"})},
               ctx);
  // Since then: a new issue, a nonconformity raised, a new risk, an opportunity found in an audit.
  w.log.append("scope-main", {scope::encode(scope::issue_added{{"I-2", scope::issue_kind::internal, "turnover"}})}, ctx);
  w.log.append("nc-NC-1",
               {nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::external_audit, "8.1",
                                                            nonconformity::severity::major, "x", day("2026-03-01"),
                                                            "mia", "", "", ""})},
               ctx);
  w.log.append("audit-IA-1",
               {internal_audit::encode(internal_audit::planned{"IA-1", "s", "c", "ada", "IT", "olga", day("2026-02-01"),
                                                               day("2026-02-02")}),
                internal_audit::encode(internal_audit::finding_recorded{
                    "F1", internal_audit::finding_type::opportunity, "A.8.8", "automate scanning", "ada"})},
               ctx);
  w.log.append("review-MR-2", {mr::encode(mr::scheduled{"MR-2", day("2027-03-01"), "tom", 12})}, ctx);
  const auto v = w.views();

  const json reviews = must(query(v, "reviews", json::object(), mia, today));
  ASSERT_EQ(reviews.at("count"), 2);
  EXPECT_EQ(reviews.at("reviews")[1].at("previous_review_id"), "MR-1");
  EXPECT_GT(v.reviews.reviews.at("MR-1").baseline_position, 0u);

  const json r = must(query(v, "review_pack", {{"id", "MR-2"}}, mia, today));
  const json& pack = r.at("pack");
  EXPECT_EQ(pack.at("previous_review_id"), "MR-1");
  for (std::size_t i = 0; i < mr::input_count; ++i)
    EXPECT_TRUE(pack.contains(std::string(mr::to_string(static_cast<mr::input>(i))))) << i;
  // a) the action of MR-1, overdue.
  EXPECT_EQ(pack.at("previous_actions").at("overdue"), 1);
  EXPECT_EQ(pack.at("previous_actions").at("actions")[0].at("id"), "MR-1/A1");
  // b) the issue added since.
  ASSERT_EQ(pack.at("issue_changes").at("changes").at("added").size(), 1u);
  EXPECT_EQ(pack.at("issue_changes").at("changes").at("added")[0].at("id"), "I-2");
  // d) the nonconformity raised since, and the trend.
  const json& ncs = pack.at("security_performance").at("nonconformities");
  ASSERT_EQ(ncs.at("raised_since_previous_review").size(), 1u);
  EXPECT_EQ(ncs.at("trend").at("open_at_previous_review"), 0);
  EXPECT_EQ(ncs.at("trend").at("open_now"), 1);
  // e) feedback through the external audit.
  EXPECT_EQ(pack.at("interested_party_feedback").at("external_audit_nonconformities_since_previous_review").size(), 1u);
  // f) R-1 was already there: not identified since; above the appetite.
  EXPECT_TRUE(pack.at("risk_assessment").at("identified_since_previous_review").empty());
  EXPECT_EQ(pack.at("risk_assessment").at("above_appetite")[0].at("id"), "R-1");
  // g) the audit's opportunity, and MR-1's improvement decision.
  EXPECT_EQ(pack.at("improvement_opportunities").at("audit_opportunities_since_previous_review").size(), 1u);
  EXPECT_EQ(pack.at("improvement_opportunities").at("previous_review_improvement_decisions")[0].at("id"), "D1");

  // The pack is accepted as it is by review.assemble_inputs.
  const auto d = w.log.decide("review.assemble_inputs", "review-MR-2", {{"pack", pack}}, w.log.history("review-MR-2"), as("mia", {role::isms_manager}));
  if (route_for_command("review.assemble_inputs") != nullptr) {
    EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().message);
  }

  // The same pack from the views at MR-1's baseline (the server's time travel).
  all_views then = initial_views();
  for (const auto& e : w.log.all())
    if (e.position <= v.reviews.reviews.at("MR-1").baseline_position) then = evolve(std::move(then), e);
  json again = review_pack(then, "MR-1", v, "MR-2", today);
  EXPECT_EQ(again, pack);
}

}  // namespace
}  // namespace isms::domain::views::views_approvals_test
