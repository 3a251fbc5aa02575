// Nonconformity and corrective action (10.2): given events, when a command, then events or a rejection.

#include "isms/domain/nonconformity.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"
#include "isms/domain/internal_audit.hpp"

namespace isms::domain::nonconformity_test {
namespace {

using namespace clause_testing;
namespace nc = nonconformity;

json raise_data() {
  return {{"nc_id", "NC-7"},
          {"source", "incident"},
          {"reference", "A.8.8"},
          {"severity", "major"},
          {"description", "Critical patch not applied for 60 days on the billing servers"}};
}

new_event raised(nc::severity level = nc::severity::major) {
  return nc::encode(nc::raised{"NC-7", nc::source::incident, "A.8.8", level,
                               "Critical patch not applied for 60 days on the billing servers", day(today), "mia",
                               "", "", ""});
}
new_event contained() { return nc::encode(nc::containment_recorded{"Patched by hand", day(today), "mia"}); }
new_event root_cause() { return nc::encode(nc::root_cause_recorded{"No owner for the billing servers", day(today), "mia"}); }
new_event similar_checked() {
  return nc::encode(nc::similar_check_recorded{false, "Checked the other 14 server groups", {}, day(today), "mia"});
}
new_event planned(std::string id = "CA-1", std::string owner = "carl") {
  return nc::encode(nc::action_planned{id, "Assign owners to every server group", owner, day("2026-04-30")});
}
new_event completed(std::string id = "CA-1", std::string by = "carl") {
  return nc::encode(nc::action_completed{id, "Owner list v3 in the CMDB", day(today), by});
}
new_event verified(std::string id = "CA-1", bool effective = true) {
  return nc::encode(nc::action_verified{id, effective, "Sampled 5 groups", day(today), "mia"});
}

events evaluated() { return {raised(), contained(), root_cause(), similar_checked()}; }

decision when(std::string_view type, const json& data, const events& given, const command_context& ctx = manager(),
              const stream_reads& related = no_streams) {
  const auto h = history_of("nc-NC-7", given);
  return decide_command(type, "nc-NC-7", data, h, ctx, related);
}

nc::state fold(const events& given) { return fold_of(given, nc::initial_state, nc::decode, nc::evolve); }

events with(events given, std::initializer_list<new_event> more) {
  for (const auto& e : more) given.push_back(e);
  return given;
}

TEST(nonconformity, raising_records_source_reference_severity_and_who) {
  expect_events(when("nc.raise", raise_data(), {}), {raised()});
  expect_rejected(when("nc.raise", raise_data(), {raised()}), rejection_kind::rule, "", "already raised");
  expect_rejected(when("nc.record_containment", {{"description", "x"}}, {}), rejection_kind::not_found);
}

// What the state admits is the rule decide applies: the nonconformity's and
// each action's lists follow 10.2 a–d, and what is not listed decide refuses
// with the same reason.
// Who may verify an action is one rule: the actor limit the views carry is the
// one decide applies (never its implementer, anyone else the table admits).
TEST(nonconformity, the_verifier_limit_is_the_one_decide_applies) {
  const auto acting = with(evaluated(), {planned()});
  const auto given = with(acting, {completed("CA-1", "carl")});
  const auto limits = nc::action_actor_limits(fold(given), "CA-1");
  ASSERT_EQ(limits.size(), 1u);
  EXPECT_EQ(limits[0].command_type, "nc.verify_action");
  EXPECT_TRUE(limits[0].only.empty());
  EXPECT_EQ(limits[0].never, std::vector<std::string>{"carl"});
  const json v{{"action_id", "CA-1"}, {"effective", true}, {"notes", "n"}};
  for (const auto& ctx : {manager("carl"), manager("mia"), auditor("ada")}) {
    const auto d = when("nc.verify_action", v, given, ctx);
    EXPECT_EQ(d.has_value(), limits[0].admits(ctx.by.user_id)) << ctx.by.user_id;
  }
  EXPECT_TRUE(nc::action_actor_limits(fold(acting), "CA-1").empty()) << "nobody is barred before completion";
}

TEST(nonconformity, the_commands_the_state_admits_follow_10_2_as_decide_does) {
  using list = std::vector<std::string>;
  EXPECT_EQ(nc::admitted_commands(fold({})), list{"nc.raise"});
  EXPECT_EQ(nc::admitted_commands(fold({raised()})), list{"nc.record_containment"});
  EXPECT_EQ(nc::admitted_commands(fold({raised(), contained()})),
            (list{"nc.record_containment", "nc.record_root_cause"}));
  EXPECT_EQ(nc::admitted_commands(fold(evaluated())),
            (list{"nc.record_containment", "nc.record_root_cause", "nc.record_similar_check", "nc.plan_action"}));
  EXPECT_EQ(nc::admitted_commands(fold({raised(nc::severity::observation)})),
            (list{"nc.record_containment", "nc.close"}));
  const auto acting = with(evaluated(), {planned()});
  EXPECT_EQ(nc::admitted_action_commands(fold(acting), "CA-1"), list{"nc.complete_action"});
  EXPECT_EQ(nc::admitted_action_commands(fold(with(acting, {completed()})), "CA-1"), list{"nc.verify_action"});
  const auto done = with(acting, {completed(), verified()});
  EXPECT_TRUE(nc::admitted_action_commands(fold(done), "CA-1").empty());
  EXPECT_EQ(nc::admitted_commands(fold(done)).back(), "nc.close");
  EXPECT_TRUE(nc::admitted_action_commands(fold(done), "CA-9").empty()) << "no such action";

  const std::vector<std::pair<std::string, json>> commands{
      {"nc.record_root_cause", {{"description", "why"}}},
      {"nc.close", {{"comment", "done"}}},
      {"nc.complete_action", {{"action_id", "CA-1"}, {"evidence", "e"}}},
      {"nc.verify_action", {{"action_id", "CA-1"}, {"effective", true}, {"notes", "n"}}},
  };
  for (const events& given : {events{raised()}, acting, with(acting, {completed()}), done}) {
    const auto s = fold(given);
    for (const auto& [type, data] : commands) {
      const auto refusal = nc::state_refusal(type, s, "CA-1");
      if (!refusal) continue;
      const auto d = when(type, data, given);
      ASSERT_FALSE(d.has_value()) << type << " after " << given.size() << " events";
      EXPECT_EQ(d.error().message, refusal->message) << type;
    }
  }
}

TEST(nonconformity, the_reference_is_a_clause_or_an_annex_a_control) {
  json d = raise_data();
  d["reference"] = "A.8.35";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.reference", "Annex A");
  d["reference"] = "A.9.1";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.reference");
  d["reference"] = "11.1";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.reference", "clause");
  for (const char* ok : {"10.2", "6.1.3", "A.5.37", "A.6.8", "A.7.14", "A.8.1"}) {
    d["reference"] = ok;
    EXPECT_TRUE(when("nc.raise", d, {}).has_value()) << ok;
  }
}

TEST(nonconformity, source_and_severity_are_known_values) {
  json d = raise_data();
  d["source"] = "rumour";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.source");
  d = raise_data();
  d["severity"] = "critical";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.severity", "major, minor, observation");
}

TEST(nonconformity, an_origin_agrees_with_the_source) {
  json d = raise_data();
  d["audit_id"] = "IA-2026-1";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.finding_id");
  d["finding_id"] = "F-1";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.source", "internal_audit");
  d = raise_data();
  d["review_id"] = "MR-2026-1";
  expect_rejected(when("nc.raise", d, {}), rejection_kind::invalid, "data.source", "management_review");
  d["source"] = "management_review";
  EXPECT_TRUE(when("nc.raise", d, {}).has_value());
}

TEST(nonconformity, a_raise_from_an_audit_finding_needs_the_finding_on_record) {
  json d = raise_data();
  d["source"] = "internal_audit";
  d["audit_id"] = "IA-2026-1";
  d["finding_id"] = "F-1";
  // The audit's stream read and empty: no such audit.
  given_streams audits;
  audits.with("audit-IA-2026-1", {});
  expect_rejected(when("nc.raise", d, {}, manager(), audits), rejection_kind::not_found, "data.audit_id");

  const auto planned_audit = internal_audit::encode(internal_audit::planned{
      "IA-2026-1", "Operations", "ISO/IEC 27001:2022 Annex A 8", "ada", "IT operations", "oscar", day("2026-03-01"),
      day("2026-03-02")});
  const auto performed = internal_audit::encode(internal_audit::performed{day("2026-03-01"), {"ada"}, ""});
  audits.with("audit-IA-2026-1", {planned_audit, performed});
  expect_rejected(when("nc.raise", d, {}, manager(), audits), rejection_kind::not_found, "data.finding_id");

  audits.with("audit-IA-2026-1",
              {planned_audit, performed,
               internal_audit::encode(internal_audit::finding_recorded{
                   "F-1", internal_audit::finding_type::nonconformity_major, "A.8.8", "Patches late", "ada"})});
  const auto ok = when("nc.raise", d, {}, manager(), audits);
  ASSERT_TRUE(ok) << describe(ok);
  EXPECT_EQ(ok->front().data.at("audit_id"), "IA-2026-1");
  EXPECT_EQ(ok->front().data.at("finding_id"), "F-1");
}

TEST(nonconformity, containment_comes_before_the_root_cause_and_the_root_cause_before_the_similar_check) {
  expect_rejected(when("nc.record_root_cause", {{"description", "x"}}, {raised()}), rejection_kind::rule, "", "10.2 a");
  expect_events(when("nc.record_containment", {{"description", "Patched by hand"}}, {raised()}), {contained()});
  expect_events(when("nc.record_root_cause", {{"description", "No owner for the billing servers"}},
                     {raised(), contained()}),
                {root_cause()});
  expect_rejected(when("nc.record_similar_check", {{"similar_found", false}, {"details", "x"}}, {raised(), contained()}),
                  rejection_kind::rule, "", "10.2 b 3");
  expect_events(when("nc.record_similar_check",
                     {{"similar_found", false}, {"details", "Checked the other 14 server groups"}},
                     {raised(), contained(), root_cause()}),
                {similar_checked()});
  expect_rejected(when("nc.record_similar_check", {{"similar_found", "no"}, {"details", "x"}},
                       {raised(), contained(), root_cause()}),
                  rejection_kind::invalid, "data.similar_found");
}

TEST(nonconformity, corrective_actions_are_planned_after_the_evaluation_with_unique_ids_and_future_dates) {
  const json a = {{"action_id", "CA-1"}, {"description", "Assign owners to every server group"}, {"owner", "carl"},
                  {"due_date", "2026-04-30"}};
  expect_rejected(when("nc.plan_action", a, {raised(), contained(), root_cause()}), rejection_kind::rule, "", "10.2 b, c");
  expect_events(when("nc.plan_action", a, evaluated()), {planned()});
  expect_rejected(when("nc.plan_action", a, with(evaluated(), {planned()})), rejection_kind::rule, "data.action_id");
  json past = a;
  past["due_date"] = "2026-03-01";
  expect_rejected(when("nc.plan_action", past, evaluated()), rejection_kind::rule, "data.due_date");
}

TEST(nonconformity, an_action_is_completed_by_its_owner_or_the_manager_with_evidence) {
  const auto given = with(evaluated(), {planned()});
  const json done = {{"action_id", "CA-1"}, {"evidence", "Owner list v3 in the CMDB"}};
  expect_events(when("nc.complete_action", done, given, contributor("carl")), {completed()});
  expect_rejected(when("nc.complete_action", done, given, contributor("cora")), rejection_kind::forbidden);
  expect_rejected(when("nc.complete_action", {{"action_id", "CA-9"}, {"evidence", "x"}}, given),
                  rejection_kind::not_found, "data.action_id");
  expect_rejected(when("nc.complete_action", {{"action_id", "CA-1"}}, given), rejection_kind::invalid, "data.evidence");
  expect_rejected(when("nc.complete_action", done, with(given, {completed()})), rejection_kind::rule, "", "already done");
}

TEST(nonconformity, the_implementer_does_not_verify_their_own_action) {
  const auto given = with(evaluated(), {planned(), completed("CA-1", "carl")});
  const json v = {{"action_id", "CA-1"}, {"effective", true}, {"notes", "Sampled 5 groups"}};
  expect_rejected(when("nc.verify_action", v, given, as("carl", {role::isms_manager})), rejection_kind::forbidden, "",
                  "implementer");
  expect_events(when("nc.verify_action", v, given, manager()), {verified()});
  EXPECT_TRUE(when("nc.verify_action", v, given, auditor()).has_value());
  expect_rejected(when("nc.verify_action", v, with(evaluated(), {planned()})), rejection_kind::rule, "",
                  "only a completed action");
}

TEST(nonconformity, an_ineffective_action_goes_back_to_planned) {
  const auto given = with(evaluated(), {planned(), completed(), verified("CA-1", false)});
  const auto s = fold(given);
  EXPECT_EQ(s.actions.at(0).status, nc::action_status::planned);
  EXPECT_EQ(s.actions.at(0).ineffective_verifications, 1);
  EXPECT_TRUE(when("nc.complete_action", {{"action_id", "CA-1"}, {"evidence", "v4"}}, given, contributor()).has_value());
}

TEST(nonconformity, closing_with_an_open_or_unverified_action_is_rejected) {
  const json c = {{"comment", "done"}};
  expect_rejected(when("nc.close", c, with(evaluated(), {planned()})), rejection_kind::rule, "", "CA-1 is planned");
  expect_rejected(when("nc.close", c, with(evaluated(), {planned(), completed()})), rejection_kind::rule, "",
                  "CA-1 is done");
  expect_rejected(when("nc.close", c, with(evaluated(), {planned(), completed(), verified(), planned("CA-2")})),
                  rejection_kind::rule, "", "CA-2");
  const auto given = with(evaluated(), {planned(), completed(), verified()});
  expect_events(when("nc.close", c, given), {nc::encode(nc::closed{"done", day(today), "mia"})});
  const auto closed = with(given, {nc::encode(nc::closed{"done", day(today), "mia"})});
  EXPECT_TRUE(fold(closed).closed);
  expect_rejected(when("nc.record_containment", {{"description", "x"}}, closed), rejection_kind::rule, "", "closed");
}

TEST(nonconformity, a_major_or_minor_nonconformity_closes_only_after_evaluation_and_corrective_action) {
  const json c = {{"comment", "done"}};
  expect_rejected(when("nc.close", c, {raised()}), rejection_kind::rule, "", "containment");
  expect_rejected(when("nc.close", c, {raised(), contained()}), rejection_kind::rule, "", "root cause");
  expect_rejected(when("nc.close", c, {raised(), contained(), root_cause()}), rejection_kind::rule, "", "similar");
  expect_rejected(when("nc.close", c, evaluated()), rejection_kind::rule, "", "only an observation");
  expect_rejected(when("nc.close", c, {raised(nc::severity::minor), contained(), root_cause(), similar_checked()}),
                  rejection_kind::rule, "", "corrective action");
}

TEST(nonconformity, an_observation_may_close_without_actions_but_not_with_an_open_one) {
  EXPECT_TRUE(when("nc.close", {{"comment", "noted"}}, {raised(nc::severity::observation)}).has_value());
  expect_rejected(when("nc.close", {{"comment", "noted"}},
                       {raised(nc::severity::observation), contained(), root_cause(), similar_checked(), planned()}),
                  rejection_kind::rule, "", "CA-1");
}

TEST(nonconformity, actions_past_their_due_date_and_not_done_are_overdue) {
  const auto s = fold(with(evaluated(), {planned("CA-1"), planned("CA-2"), completed("CA-2")}));
  EXPECT_TRUE(nc::overdue_actions(s, day("2026-04-30")).empty());
  const auto late = nc::overdue_actions(s, day("2026-05-01"));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].action_id, "CA-1");
}

TEST(nonconformity, the_nc_id_of_a_finding_is_deterministic_and_a_valid_id) {
  EXPECT_EQ(nc::nc_id_for_finding("IA-2026-1", "F-1"), "IA-2026-1-F-1");
  const std::string long_id(60, 'a');
  const auto id = nc::nc_id_for_finding(long_id, "F-12");
  EXPECT_EQ(id, nc::nc_id_for_finding(long_id, "F-12"));
  EXPECT_LE(id.size(), 64u);
  EXPECT_TRUE(id.starts_with("F-"));
  EXPECT_NE(id, nc::nc_id_for_finding(long_id, "F-13"));
}

TEST(nonconformity, roles_outside_the_table_are_forbidden) {
  expect_rejected(when("nc.raise", raise_data(), {}, external()), rejection_kind::forbidden);
  expect_rejected(when("nc.close", {{"comment", "x"}}, {raised(nc::severity::observation)}, contributor()),
                  rejection_kind::forbidden);
  expect_rejected(when("nc.plan_action",
                       {{"action_id", "CA-1"}, {"description", "x"}, {"owner", "carl"}, {"due_date", "2026-04-30"}},
                       evaluated(), auditor()),
                  rejection_kind::forbidden);
}

TEST(nonconformity, an_unreadable_history_is_a_rule_rejection_naming_the_position) {
  auto h = history_of("nc-NC-7", {raised(), contained()});
  h[1].data = "garbage";
  expect_rejected(decide_command("nc.record_root_cause", "nc-NC-7", {{"description", "x"}}, h, manager(), no_streams),
                  rejection_kind::rule, "history", "position 101");
}

TEST(nonconformity, every_event_type_survives_encode_and_decode) {
  const std::vector<nc::event> all{
      nc::raised{"NC-8", nc::source::internal_audit, "9.2.2", nc::severity::minor, "x", day(today), "system",
                 "IA-1", "F-2", ""},
      nc::containment_recorded{"c", day(today), "mia"},
      nc::root_cause_recorded{"r", day(today), "mia"},
      nc::similar_check_recorded{true, "two more", {"NC-1", "NC-2"}, day(today), "mia"},
      nc::action_planned{"CA-1", "d", "carl", day("2026-05-01")},
      nc::action_completed{"CA-1", "e", day(today), "carl"},
      nc::action_verified{"CA-1", false, "n", day(today), "mia"},
      nc::closed{"c", day(today), "mia"},
  };
  expect_round_trip(all, "nc.", nc::encode, nc::decode);
}

TEST(nonconformity, malformed_events_decode_to_errors) {
  EXPECT_FALSE(nc::decode("nc.forgiven.v1", json::object()).has_value());
  json d = raised().data;
  d["severity"] = "catastrophic";
  EXPECT_FALSE(nc::decode("nc.raised.v1", d).has_value());
  d = raised().data;
  d["reference"] = "A.5.99";
  EXPECT_FALSE(nc::decode("nc.raised.v1", d).has_value());
  EXPECT_FALSE(nc::decode("nc.action_verified.v1", {{"action_id", "CA-1"}, {"effective", "yes"}}).has_value());
  EXPECT_FALSE(nc::decode("nc.action_planned.v1", json::array()).has_value());
}

}  // namespace
}  // namespace isms::domain::nonconformity_test
