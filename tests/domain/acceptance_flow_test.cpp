// The whole risk acceptance flow through the dispatcher and the reactions on an
// in-memory log: identify → assess → plan treatment → request acceptance →
// (reaction) approval opened → owner approves → top management approves →
// (reaction) risk accepted; and the ways it must not go.

#include <gtest/gtest.h>

#include "given.hpp"
#include "isms/domain/approval.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/annex_a.hpp"

namespace isms::domain::acceptance_flow_test {
namespace {

using namespace isms::domain::testing;

const std::string risk_stream = "risk-R-7";

struct flow : log_flow {

  risk::state risk_state() { return *risk::fold(log.history(risk_stream)); }
  approval::state approval_state(const std::string& id) {
    return *approval::fold(log.history(approval_stream_for(id)));
  }

  // identify, assess at 4 × 4 (high), plan down to `tl` × `ti`, request acceptance.
  std::string request_acceptance(int tl, int ti) {
    ok("risk.identify", risk_stream,
       {{"title", "Customer data leaves via e-mail"}, {"asset", "CRM"}, {"threat", "insider"},
        {"vulnerability", "no DLP"}, {"owner", "olga"}, {"category", "privacy"}},
       manager());
    ok("risk.assess", risk_stream, {{"likelihood", 4}, {"impact", 4}, {"rationale", "two incidents in 2025"}},
       manager());
    ok("risk.plan_treatment", risk_stream,
       {{"option", "modify"}, {"controls", {"8.12", "5.14"}}, {"actions", "DLP on the mail gateway"},
        {"target_likelihood", tl}, {"target_impact", ti}, {"due", "2026-09-30"}},
       owner());
    const std::size_t from = log.size() + 1;
    ok("risk.request_acceptance", risk_stream, {{"review_date", "2027-03-01"}, {"comment", "DLP in place"}},
       manager());
    const auto opened = settle(from);
    EXPECT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened.at(0).command_type, "approval.open");
    return risk_state().pending->approval.approval_id;
  }
};

TEST_F(flow, AboveAppetiteTheOwnerThenTopManagementAcceptTheRisk) {
  const auto id = request_acceptance(3, 4);  // 12: high, above appetite
  EXPECT_EQ(id, "risk-R-7.v4");
  const auto stream = approval_stream_for(id);
  EXPECT_EQ(approval_state(id).status_, approval::status::open);
  EXPECT_EQ(approval_state(id).request.requested_by, "mia");

  // The requester never approves their own request, even holding the role.
  const auto mia_top = as("mia", {role::isms_manager, role::top_management});
  EXPECT_REJECTED(log.run("approval.approve", stream, json::object(), mia_top), rejection_kind::rule, "");
  // Ordered: top management waits for the owner.
  EXPECT_REJECTED(log.run("approval.approve", stream, json::object(), top()), rejection_kind::rule, "");

  std::size_t from = log.size() + 1;
  ok("approval.approve", stream, {{"comment", "residual risk is acceptable to me"}}, owner());
  EXPECT_TRUE(settle(from).empty());
  EXPECT_EQ(risk_state().status_, risk::status::acceptance_requested);
  EXPECT_EQ(approval::who_must_act(approval_state(id)).roles, std::vector<role>{role::top_management});

  from = log.size() + 1;
  ok("approval.approve", stream, {{"comment", "accepted for one year"}}, top());
  const auto concluded = settle(from);
  ASSERT_EQ(concluded.size(), 1u);
  EXPECT_EQ(concluded[0].command_type, "risk.accept");
  EXPECT_EQ(concluded[0].stream, risk_stream);

  const auto r = risk_state();
  EXPECT_EQ(r.status_, risk::status::accepted);
  EXPECT_EQ(r.accepted_by, (std::vector<std::string>{"olga", "tom"}));
  EXPECT_EQ(r.accepted_until, day("2027-03-01"));
  EXPECT_EQ(approval_state(id).status_, approval::status::approved);

  // The accepted event names the approval and the approvers; the system issued it.
  const auto last = log.history(risk_stream).back();
  EXPECT_EQ(last.type, "risk.accepted.v1");
  EXPECT_EQ(last.meta.actor, "system");
  EXPECT_EQ(last.data.at("approval_id"), id);

  // Running the reactions again writes nothing twice.
  const auto before = log.size();
  EXPECT_TRUE(log.settle(1, at(now)).empty());
  EXPECT_EQ(log.size(), before);
}

TEST_F(flow, WithinAppetiteTheOwnerAloneAccepts) {
  const auto id = request_acceptance(2, 4);  // 8: medium, within appetite
  const std::size_t from = log.size() + 1;
  ok("approval.approve", approval_stream_for(id), json::object(), owner());
  ASSERT_EQ(settle(from).size(), 1u);
  EXPECT_EQ(risk_state().status_, risk::status::accepted);
  EXPECT_EQ(risk_state().accepted_by, std::vector<std::string>{"olga"});
}

TEST_F(flow, AChangeToTheRiskBeforeCompletionVoidsTheApproval) {
  const auto id = request_acceptance(3, 4);
  const auto stream = approval_stream_for(id);
  ok("approval.approve", stream, json::object(), owner());

  std::size_t from = log.size() + 1;
  ok("risk.plan_treatment", risk_stream,
     {{"option", "modify"}, {"controls", {"8.12"}}, {"actions", "DLP and training"}, {"target_likelihood", 2},
      {"target_impact", 4}, {"due", "2026-09-30"}},
     manager());
  const auto voided = settle(from);
  ASSERT_EQ(voided.size(), 1u);
  EXPECT_EQ(voided[0].command_type, "approval.void");
  EXPECT_EQ(approval_state(id).status_, approval::status::voided);
  EXPECT_NE(approval_state(id).void_reason.find("risk.treatment_planned.v1"), std::string::npos);

  // Top management can no longer approve the stale request …
  EXPECT_REJECTED(log.run("approval.approve", stream, json::object(), top()), rejection_kind::rule, "");
  // … and the risk does not take an outcome for it.
  EXPECT_REJECTED(log.run("risk.accept", risk_stream, to_json(approval_outcome{id, {"olga", "tom"}, "", {}}),
                          system_actor()),
                  rejection_kind::rule, "data.approval_id");

  // A new request opens a new approval bound to the new version.
  from = log.size() + 1;
  ok("risk.request_acceptance", risk_stream, json::object(), manager());
  ASSERT_EQ(settle(from).size(), 1u);
  EXPECT_EQ(risk_state().pending->approval.approval_id, "risk-R-7.v6");
}

TEST_F(flow, RejectionSendsTheRiskBackToTreatmentPlanning) {
  const auto id = request_acceptance(3, 4);
  ok("approval.approve", approval_stream_for(id), json::object(), owner());
  const std::size_t from = log.size() + 1;
  ok("approval.reject", approval_stream_for(id), {{"comment", "reduce it further first"}}, top());
  const auto concluded = settle(from);
  ASSERT_EQ(concluded.size(), 1u);
  EXPECT_EQ(concluded[0].command_type, "risk.reject_acceptance");
  EXPECT_EQ(risk_state().status_, risk::status::treatment_planned);
  const auto last = log.history(risk_stream).back();
  EXPECT_EQ(last.type, "risk.acceptance_rejected.v1");
  EXPECT_EQ(last.data.at("rejected_by"), "tom");
  EXPECT_EQ(last.data.at("comment"), "reduce it further first");
}

TEST_F(flow, AtTheReviewDateTheSchedulerExpiresTheAcceptance) {
  const auto id = request_acceptance(2, 4);
  ok("approval.approve", approval_stream_for(id), json::object(), owner());
  settle(1);
  ASSERT_EQ(risk_state().status_, risk::status::accepted);
  // The owner records the treatment as implemented (else it would be overdue too).
  ok("risk.record_treatment_implemented", risk_stream, {{"evidence", "EDR on every server"}}, owner());

  const std::vector<risk::state> register_now{risk_state()};
  const auto due = risk::due_on(register_now, day("2027-03-01"));
  ASSERT_EQ(due.size(), 1u);
  ASSERT_TRUE(due[0].command);
  const auto& cmd = *due[0].command;
  const command_context scheduler{actor{"system", {role::system}}, at("2027-03-01T00:05:00.000Z"), cmd.command_id};
  ok(cmd.command_type, cmd.stream, cmd.data, scheduler);
  EXPECT_EQ(risk_state().status_, risk::status::acceptance_expired);
  EXPECT_EQ(log.history(risk_stream).back().type, "risk.acceptance_expired.v1");
  EXPECT_TRUE(risk::due_on(std::vector<risk::state>{risk_state()}, day("2027-03-02")).empty());
}

TEST_F(flow, SoaPublicationThroughTopManagementApproval) {
  const std::string soa(soa::stream_id);
  for (const auto& c : annex_a::catalogue())
    ok("soa.decide_control", soa,
       {{"control_id", c.id}, {"applicable", true}, {"justification", "baseline for a SaaS provider"}}, manager());
  std::size_t from = log.size() + 1;
  ok("soa.request_publication", soa, {{"comment", "initial SoA"}}, manager());
  ASSERT_EQ(settle(from).size(), 1u);
  const std::string id = "soa-main.v94";
  EXPECT_REJECTED(log.run("approval.approve", approval_stream_for(id), json::object(), owner()),
                  rejection_kind::forbidden, "");
  from = log.size() + 1;
  ok("approval.approve", approval_stream_for(id), json::object(), top());
  ASSERT_EQ(settle(from).size(), 1u);
  const auto s = soa::fold(log.history(soa));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->published_version, 1);
  EXPECT_EQ(s->published_hash, soa::content_hash(*s));
}

}  // namespace
}  // namespace isms::domain::acceptance_flow_test
