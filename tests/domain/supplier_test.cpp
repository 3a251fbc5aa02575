// Suppliers (A.5.19–5.23): given events, when a command, then events or a
// rejection; acceptance through the approval pattern, periodic assessment
// and its time rule, the register.

#include "isms/domain/supplier.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "given.hpp"
#include "in_memory_log.hpp"
#include "stream_testing.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::supplier_test {
namespace {

using namespace clause_testing;
namespace sp = supplier;

command_context owner(std::string user = "rob") { return as(std::move(user), {role::risk_owner}); }

json register_data() {
  return {{"supplier_id", "S-3"},
          {"name", "CloudHaul GmbH"},
          {"services", "Hosting of the transport management system"},
          {"data_handled", "Customer and shipment data"},
          {"criticality", "critical"},
          {"security_requirements", "ISO/IEC 27001 certificate; breach notice within 24 h; EU data centres"},
          {"agreement", "MSA-2025-07"},
          {"owner", "rob"},
          {"linked_risks", {"R-2"}}};
}

sp::terms recorded_terms() {
  return {"CloudHaul GmbH", "Hosting of the transport management system", "Customer and shipment data",
          sp::criticality::critical, "ISO/IEC 27001 certificate; breach notice within 24 h; EU data centres",
          "MSA-2025-07", "rob", {"R-2"}};
}

new_event registered() { return sp::encode(sp::registered{"S-3", recorded_terms(), day(today), "mia"}); }

decision when(std::string_view type, const json& data, const events& given, const command_context& ctx = manager()) {
  const auto h = history_of("supplier-S-3", given);
  return decide_command(type, "supplier-S-3", data, h, ctx, no_streams);
}

sp::state fold(const events& given) { return fold_of(given, sp::initial_state, sp::decode, sp::evolve); }

// The events of an acceptance asked and granted, as the approval pattern
// records them (the outcome comes from the system).
events accepted_history() {
  events given{registered()};
  const auto asked = when("supplier.request_acceptance", json::object(), given);
  EXPECT_TRUE(asked) << describe(asked);
  given.push_back(asked->front());
  const std::string approval_id = asked->front().data.at("approval").at("approval_id");
  const auto granted = when("supplier.accept",
                            {{"approval_id", approval_id}, {"approvers", {"tom"}}, {"comment", "ok"}}, given,
                            system_actor());
  EXPECT_TRUE(granted) << describe(granted);
  given.push_back(granted->front());
  return given;
}

TEST(supplier, an_isms_manager_registers_a_supplier_with_the_terms_of_its_agreement) {
  expect_events(when("supplier.register", register_data(), {}), {registered()});
  expect_rejected(when("supplier.register", register_data(), {}, owner()), rejection_kind::forbidden);
  expect_rejected(when("supplier.register", register_data(), {registered()}), rejection_kind::rule, "",
                  "already registered");
  json bad = register_data();
  bad["criticality"] = "vital";
  expect_rejected(when("supplier.register", bad, {}), rejection_kind::invalid, "data.criticality");
  bad = register_data();
  bad.erase("security_requirements");
  expect_rejected(when("supplier.register", bad, {}), rejection_kind::invalid, "data.security_requirements");
  expect_rejected(decide_command("supplier.register", "supplier-S-4", register_data(), {}, manager(), no_streams),
                  rejection_kind::invalid);
}

TEST(supplier, top_management_accepts_what_was_recorded_and_a_change_asks_again) {
  const events given{registered()};
  expect_rejected(when("supplier.record_assessment",
                       {{"result", "satisfactory"}, {"findings", "x"}, {"next_due", "2027-03-01"}}, given),
                  rejection_kind::rule, "", "once it is accepted");
  const auto asked = when("supplier.request_acceptance", json::object(), given);
  ASSERT_TRUE(asked) << describe(asked);
  const json& approval = asked->front().data.at("approval");
  EXPECT_EQ(approval.at("subject_kind"), "supplier.acceptance");
  EXPECT_EQ(approval.at("policy").at("required_roles"), json::array({"top_management"}));
  EXPECT_EQ(approval.at("on_approved"), "supplier.accept");
  EXPECT_EQ(asked->front().data.at("content_hash"), canonical_hash(sp::approval_content(fold(given))));
  // Only the system concludes it, and only for the pending request.
  expect_rejected(when("supplier.accept", {{"approval_id", "x"}, {"approvers", {"tom"}}, {"comment", ""}},
                       {registered(), asked->front()}, manager()),
                  rejection_kind::forbidden);

  const events accepted = accepted_history();
  const auto s = fold(accepted);
  EXPECT_EQ(s.current, sp::status::accepted);
  EXPECT_TRUE(s.accepted_as_recorded());
  expect_rejected(when("supplier.request_acceptance", json::object(), accepted), rejection_kind::rule, "",
                  "accepted as recorded");
  // A change of the terms: still in use, but changed since its acceptance.
  const auto changed = when("supplier.change", {{"criticality", "high"}, {"reason", "Backups moved in-house"}}, accepted);
  ASSERT_TRUE(changed) << describe(changed);
  events after = accepted;
  after.push_back(changed->front());
  EXPECT_EQ(fold(after).current, sp::status::accepted);
  EXPECT_FALSE(fold(after).accepted_as_recorded());
  EXPECT_TRUE(when("supplier.request_acceptance", json::object(), after));
  expect_rejected(when("supplier.change", {{"criticality", "high"}, {"reason", "again"}}, after), rejection_kind::rule,
                  "", "changes none");
}

TEST(supplier, its_owner_assesses_it_periodically_and_the_time_rule_says_when) {
  const events accepted = accepted_history();
  const json assessment{{"result", "conditional"}, {"findings", "Certificate renewed late"}, {"next_due", "2026-09-01"}};
  expect_rejected(when("supplier.record_assessment", assessment, accepted, owner("ria")), rejection_kind::forbidden);
  const auto d = when("supplier.record_assessment", assessment, accepted, owner("rob"));
  ASSERT_TRUE(d) << describe(d);
  json past = assessment;
  past["next_due"] = std::string(today);
  expect_rejected(when("supplier.record_assessment", past, accepted), rejection_kind::rule, "data.next_due");
  events after = accepted;
  after.push_back(d->front());
  const auto s = fold(after);
  EXPECT_FALSE(sp::assessment_due(s, day("2026-08-31")));
  EXPECT_TRUE(sp::assessment_due(s, day("2026-09-01")));
  // A terminated relationship is assessed no more.
  after.push_back(sp::encode(sp::terminated{"Contract ended", day(today), "mia"}));
  EXPECT_FALSE(sp::assessment_due(fold(after), day("2026-09-02")));
  expect_rejected(when("supplier.record_assessment", assessment, after), rejection_kind::rule, "", "terminated");
  EXPECT_TRUE(sp::admitted_commands(fold(after)).empty());
}

TEST(supplier, what_the_state_admits_is_what_decide_accepts) {
  const events accepted = accepted_history();
  const std::vector<events> states{{}, {registered()}, accepted};
  const std::map<std::string, json> data{
      {"supplier.register", register_data()},
      {"supplier.change", {{"name", "CloudHaul SE"}, {"reason", "renamed"}}},
      {"supplier.request_acceptance", json::object()},
      {"supplier.record_assessment", {{"result", "satisfactory"}, {"findings", "f"}, {"next_due", "2027-01-01"}}},
      {"supplier.terminate", {{"reason", "r"}}},
  };
  for (const auto& given : states) {
    const auto admitted = sp::admitted_commands(fold(given));
    for (const auto& [type, d] : data) {
      const bool listed = std::find(admitted.begin(), admitted.end(), type) != admitted.end();
      EXPECT_EQ(listed, when(type, d, given).has_value()) << type << " after " << given.size() << " events";
    }
  }
}

// Through the whole pipeline: the approval opened by the reaction, decided
// by top management, concluded by the system; the register, the approvals'
// content, the due list and the review pack see it.
TEST(supplier, acceptance_through_the_approval_and_the_register_as_of_any_point) {
  testing::in_memory_log log;
  testing::register_users(log);
  const command_context mia{actor{"mia", {role::isms_manager}}, at(now), "c1"};
  ASSERT_TRUE(log.run("supplier.register", "supplier-S-3", register_data(), mia));
  ASSERT_TRUE(log.run("supplier.request_acceptance", "supplier-S-3", json::object(), mia));
  log.settle(1, at(now));
  views::all_views v = views::initial_views();
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const std::uint64_t requested_at = v.position;
  const auto approvals = views::query(v, "approvals", json{{"state", "open"}}, mia.by, day(today));
  ASSERT_TRUE(approvals);
  ASSERT_EQ(approvals->at("approvals").size(), 1u) << approvals->dump();
  const json approval = approvals->at("approvals")[0];
  EXPECT_EQ(approval.at("subject_stream"), "supplier-S-3");
  const command_context tom{actor{"tom", {role::top_management}}, at(now), "c2"};
  // What top management is asked to accept: the terms as recorded.
  const json inbox = views::inbox_of(v, tom.by, day(today));
  ASSERT_EQ(inbox.at("approvals").size(), 1u) << inbox.dump();
  EXPECT_EQ(inbox.at("approvals")[0].at("content").at("name"), "CloudHaul GmbH");
  EXPECT_EQ(inbox.at("approvals")[0].at("content").at("criticality"), "critical");
  ASSERT_TRUE(log.run("approval.approve", approval.at("stream").get<std::string>(), {{"comment", "fine"}}, tom));
  log.settle(1, at(now));
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const auto one = views::query(v, "supplier", json{{"id", "S-3"}}, mia.by, day(today));
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->at("state"), "accepted");
  EXPECT_EQ(one->at("accepted_by"), json::array({"tom"}));
  EXPECT_EQ(one->at("changed_since_acceptance"), false);
  EXPECT_EQ(one->at("allowed_commands"),
            (json{"supplier.change", "supplier.record_assessment", "supplier.terminate"}));

  // As it stood when the acceptance was requested.
  views::all_views then = views::initial_views();
  for (const auto& e : log.all())
    if (e.position <= requested_at) then = views::evolve(std::move(then), e);
  const auto before = views::query(then, "suppliers", json::object(), mia.by, day(today));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->at("suppliers")[0].at("state"), "registered");
  EXPECT_EQ(before->at("suppliers")[0].at("awaiting_acceptance"), true);

  // Assessed, then due: in the due list for its owner.
  const command_context rob{actor{"rob", {role::risk_owner}}, at(now), "c3"};
  ASSERT_TRUE(log.run("supplier.record_assessment", "supplier-S-3",
                      {{"result", "unsatisfactory"}, {"findings", "No breach notice clause"}, {"next_due", "2026-06-01"}},
                      rob));
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const json due = views::due_at(v, day("2026-06-02"));
  ASSERT_EQ(due.at("supplier_assessments_due").size(), 1u) << due.dump();
  EXPECT_EQ(due.at("supplier_assessments_due")[0].at("owner"), "rob");
  EXPECT_TRUE(views::due_at(v, day("2026-05-31")).at("supplier_assessments_due").empty());
  const json pack = views::review_pack(json(nullptr), "", v, "MR-1", day(today));
  EXPECT_EQ(pack.at("interested_party_feedback").at("supplier_performance").at("not_satisfactory_since_previous_review").size(),
            1u);
  const auto back = views::decode_snapshot(views::encode_snapshot(v));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->suppliers, v.suppliers);
}

}  // namespace
}  // namespace isms::domain::supplier_test
