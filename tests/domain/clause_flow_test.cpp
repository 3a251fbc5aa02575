// The clause aggregates end to end through the dispatcher, the reactions and the
// approval engine on an in-memory log: a policy approved by top management and
// published; the scope approved; a management review's minutes approved; an
// audit finding raising a nonconformity; and the stream bindings of the
// creating commands.

#include <gtest/gtest.h>

#include "given.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/scope.hpp"

namespace isms::domain::clause_flow_test {
namespace {

using namespace isms::domain::testing;

struct clause_flow : log_flow {

  // The state of `stream` folded with an aggregate's decode and evolve.
  template <class State, class Decode, class Evolve>
  State fold(const std::string& stream, State s, Decode decode, Evolve evolve) {
    for (const auto& r : log.history(stream)) {
      auto e = decode(r.type, r.data);
      EXPECT_TRUE(e.has_value()) << r.type;
      if (e) s = evolve(std::move(s), *e);
    }
    return s;
  }
};

const std::string text = "# Information security policy\n\nWe protect what customers entrust to us.\n";

TEST_F(clause_flow, a_policy_approved_by_top_management_is_published_byte_for_byte) {
  const std::string stream = "document-POL-001";
  ok("document.draft", stream,
     {{"document_id", "POL-001"}, {"kind", "policy"}, {"title", "Information security policy"}, {"owner", "mia"},
      {"classification", "internal"}, {"review_interval_months", 12}, {"text", text}},
     manager());
  const std::size_t from = log.size() + 1;
  ok("document.request_approval", stream, json::object(), manager());
  const auto opened = settle(from);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].command_type, "approval.open");
  EXPECT_EQ(opened[0].stream, "approval-document-POL-001.v2");

  // The ISMS manager holds no top-management role: a policy is not theirs to approve.
  EXPECT_FALSE(log.run("approval.approve", opened[0].stream, json::object(), manager()).has_value());
  const std::size_t decided = log.size() + 1;
  ok("approval.approve", opened[0].stream, {{"comment", "fits our strategy"}}, top());
  const auto concluded = settle(decided);
  ASSERT_EQ(concluded.size(), 1u);
  EXPECT_EQ(concluded[0].command_type, "document.approve");
  EXPECT_EQ(fold(stream, document::initial_state(), document::decode, document::evolve).working, document::stage::approved);

  EXPECT_FALSE(log.run("document.publish", stream, {{"content_sha256", sha256_hex(text + " ")}}, manager()).has_value());
  ok("document.publish", stream, {{"content_sha256", sha256_hex(text)}}, manager());
  const auto s = fold(stream, document::initial_state(), document::decode, document::evolve);
  ASSERT_TRUE(s.in_force.has_value());
  EXPECT_EQ(s.in_force->text, text);
}

TEST_F(clause_flow, a_revision_while_the_approval_is_open_voids_it) {
  const std::string stream = "document-PRO-004";
  ok("document.draft", stream,
     {{"document_id", "PRO-004"}, {"kind", "procedure"}, {"title", "Patch management"}, {"owner", "mia"},
      {"classification", "internal"}, {"review_interval_months", 12}, {"text", "v1"}},
     manager());
  std::size_t from = log.size() + 1;
  ok("document.request_approval", stream, json::object(), manager());
  const auto opened = settle(from);
  ASSERT_EQ(opened.size(), 1u);
  from = log.size() + 1;
  ok("document.revise", stream, {{"text", "v1 with fixes"}, {"change_note", "typos"}}, manager());
  const auto voided = settle(from);
  ASSERT_EQ(voided.size(), 1u);
  EXPECT_EQ(voided[0].command_type, "approval.void");
  EXPECT_EQ(voided[0].stream, opened[0].stream);
}

TEST_F(clause_flow, the_scope_becomes_effective_once_top_management_approves) {
  ok("scope.set_statement", "scope-main",
     {{"boundaries", "Berlin office and cloud tenancy"}, {"inclusions", {"Ledger SaaS"}}, {"exclusions", json::array()}},
     manager());
  const std::size_t from = log.size() + 1;
  ok("scope.request_approval", "scope-main", json::object(), manager());
  const auto opened = settle(from);
  ASSERT_EQ(opened.size(), 1u);
  const std::size_t decided = log.size() + 1;
  ok("approval.approve", opened[0].stream, json::object(), top());
  const auto concluded = settle(decided);
  ASSERT_EQ(concluded.size(), 1u);
  EXPECT_EQ(concluded[0].command_type, "scope.approve");
  const auto s = fold("scope-main", scope::initial_state(), scope::decode, scope::evolve);
  ASSERT_TRUE(s.effective.has_value());
  EXPECT_EQ(*s.effective, s.draft);
}

TEST_F(clause_flow, an_objective_rejected_by_top_management_stays_proposed) {
  const std::string stream = "objective-O-1";
  ok("objective.propose", stream,
     {{"objective_id", "O-1"}, {"statement", "Phishing click rate below 5%"}, {"measure", "click rate"},
      {"target_value", 5}, {"unit", "%"}, {"owner", "carl"}, {"due_date", "2026-12-31"},
      {"resources", "awareness budget"}, {"evaluation", "quarterly simulation"}},
     manager());
  const std::size_t from = log.size() + 1;
  ok("objective.request_approval", stream, json::object(), manager());
  const auto opened = settle(from);
  ASSERT_EQ(opened.size(), 1u);
  const std::size_t decided = log.size() + 1;
  ok("approval.reject", opened[0].stream, {{"comment", "aim for 3%"}}, top());
  const auto concluded = settle(decided);
  ASSERT_EQ(concluded.size(), 1u);
  EXPECT_EQ(concluded[0].command_type, "objective.reject");
  EXPECT_EQ(fold(stream, objective::initial_state(), objective::decode, objective::evolve).current, objective::status::proposed);
}

TEST_F(clause_flow, an_audit_finding_of_nonconformity_raises_exactly_one_nonconformity) {
  const std::string audit = "audit-IA-2026-1";
  ok("audit.plan", audit,
     {{"audit_id", "IA-2026-1"}, {"scope", "IT operations"}, {"criteria", "Annex A 8"}, {"lead_auditor", "ada"},
      {"area", "IT operations"}, {"process_owner", "oscar"}, {"planned_start", "2026-03-01"},
      {"planned_end", "2026-03-02"}},
     manager());
  const auto ada = as("ada", {role::internal_auditor});
  ok("audit.record_performed", audit, {{"performed_on", "2026-03-02"}, {"auditors", {"ada"}}}, ada);
  const std::size_t from = log.size() + 1;
  ok("audit.record_finding", audit,
     {{"finding_id", "F-1"}, {"type", "nonconformity_minor"}, {"reference", "A.8.8"}, {"text", "Patches late"}}, ada);
  ok("audit.record_finding", audit,
     {{"finding_id", "F-2"}, {"type", "observation"}, {"reference", "7.3"}, {"text", "Awareness posters old"}}, ada);
  const auto raised = settle(from);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].command_type, "nc.raise");
  EXPECT_EQ(raised[0].stream, "nc-IA-2026-1-F-1");
  const auto nc = fold("nc-IA-2026-1-F-1", nonconformity::initial_state(), nonconformity::decode, nonconformity::evolve);
  EXPECT_EQ(nc.nc.from, nonconformity::source::internal_audit);
  EXPECT_EQ(nc.nc.level, nonconformity::severity::minor);
  EXPECT_EQ(nc.nc.finding_id, "F-1");
  // Settling the same events again writes nothing twice.
  EXPECT_TRUE(log.settle(from, at(now)).empty());
}

TEST_F(clause_flow, management_review_minutes_are_approved_by_top_management_and_the_review_closes) {
  const std::string stream = "review-MR-2026-1";
  ok("review.schedule", stream,
     {{"review_id", "MR-2026-1"}, {"planned_on", "2026-03-02"}, {"chair", "tom"}, {"interval_months", 12}}, manager());
  json pack = json::object();
  for (const char* k : {"previous_actions", "issue_changes", "interested_party_changes", "security_performance",
                        "interested_party_feedback", "risk_assessment", "improvement_opportunities"})
    pack[k] = json::array();
  ok("review.assemble_inputs", stream, {{"pack", pack}, {"as_of_position", log.size()}}, system_actor());
  ok("review.open", stream, json::object(), manager());
  ok("review.record_attendance", stream, {{"attendees", {"tom", "mia"}}}, manager());
  int n = 0;
  for (const auto& [k, _] : pack.items())
    ok("review.record_item", stream, {{"item_id", "I-" + std::to_string(++n)}, {"input", k}, {"discussion", "ok"}},
       top());
  ok("review.record_action", stream,
     {{"action_id", "MA-1"}, {"description", "Renew scanner"}, {"owner", "carl"}, {"due_date", "2026-04-30"}}, top());
  const std::size_t from = log.size() + 1;
  ok("review.request_minutes_approval", stream, json::object(), manager());
  const auto opened = settle(from);
  ASSERT_EQ(opened.size(), 1u);
  const std::size_t decided = log.size() + 1;
  ok("approval.approve", opened[0].stream, json::object(), top());
  ASSERT_EQ(settle(decided).size(), 1u);
  ok("review.close", stream, json::object(), manager());
  ok("review.complete_action", stream, {{"action_id", "MA-1"}, {"evidence", "renewed"}}, contributor());
  EXPECT_EQ(fold(stream, management_review::initial_state(), management_review::decode, management_review::evolve).current, management_review::status::closed);
}

TEST_F(clause_flow, a_creating_command_names_the_id_of_its_stream) {
  const auto d = log.run("document.draft", "document-POL-002",
                         {{"document_id", "POL-001"}, {"kind", "policy"}, {"title", "t"}, {"owner", "mia"},
                          {"classification", "internal"}, {"review_interval_months", 12}, {"text", "x"}},
                         manager());
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().kind, rejection_kind::invalid);
  EXPECT_EQ(d.error().field, "stream");
  EXPECT_FALSE(log.run("nc.raise", "nc-NC-8",
                       {{"nc_id", "NC-7"}, {"source", "other"}, {"reference", "10.2"}, {"severity", "minor"},
                        {"description", "x"}},
                       manager())
                   .has_value());
  EXPECT_FALSE(log.run("audit.plan", "audit-IA-9", {{"audit_id", "IA-1"}}, manager()).has_value());
  EXPECT_FALSE(log.run("scope.add_issue", "scope-other",
                       {{"issue_id", "I-1"}, {"kind", "internal"}, {"description", "x"}}, manager())
                   .has_value());
}

}  // namespace
}  // namespace isms::domain::clause_flow_test
