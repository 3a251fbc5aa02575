// Information security objectives (6.2): given events, when a command, then events or a rejection.

#include "isms/domain/objective.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"

namespace isms::domain::objective_test {
namespace {

using namespace clause_testing;
namespace obj = objective;

obj::terms the_terms() {
  return obj::terms{"Patch critical vulnerabilities quickly",
                    "Share of critical vulnerabilities patched within 14 days",
                    95,
                    "%",
                    "carl",
                    day("2026-12-31"),
                    "One engineer, 2 days a month",
                    "Monthly report from the vulnerability scanner, reviewed by the ISMS manager",
                    "POL-001"};
}

json propose_data() {
  return {{"objective_id", "O-3"},
          {"statement", "Patch critical vulnerabilities quickly"},
          {"measure", "Share of critical vulnerabilities patched within 14 days"},
          {"target_value", 95},
          {"unit", "%"},
          {"owner", "carl"},
          {"due_date", "2026-12-31"},
          {"resources", "One engineer, 2 days a month"},
          {"evaluation", "Monthly report from the vulnerability scanner, reviewed by the ISMS manager"},
          {"related_policy", "POL-001"}};
}

new_event proposed() { return obj::encode(obj::proposed{"O-3", the_terms()}); }

const one_stream<obj::state, obj::event> subject{"objective-O-3", obj::initial_state, obj::decode, obj::evolve, manager()};

json outcome(const events& given) { return approved_by_tom(subject.fold(given).pending_approval_id, "agreed"); }

events set_objective() {
  events given{proposed()};
  subject.then_record(given, "objective.request_approval", json::object());
  subject.then_record(given, "objective.set", outcome(given), system_actor());
  return given;
}

TEST(objective, proposing_records_every_term_of_6_2) {
  expect_events(subject.when("objective.propose", propose_data(), {}), {proposed()});
  const auto s = subject.fold({proposed()});
  EXPECT_EQ(s.current, obj::status::proposed);
  EXPECT_FALSE(s.in_force.has_value());
  EXPECT_EQ(s.proposal, the_terms());
}

TEST(objective, an_objective_is_proposed_once) {
  expect_rejected(subject.when("objective.propose", propose_data(), {proposed()}), rejection_kind::rule, "", "already exists");
  expect_rejected(subject.when("objective.request_approval", json::object(), {}), rejection_kind::not_found);
}

TEST(objective, the_proposal_payload_is_validated) {
  for (const char* field : {"statement", "measure", "target_value", "unit", "owner", "due_date", "resources",
                            "evaluation"}) {
    json d = propose_data();
    d.erase(field);
    expect_rejected(subject.when("objective.propose", d, {}), rejection_kind::invalid, std::string("data.") + field);
  }
  json d = propose_data();
  d["target_value"] = "95";
  expect_rejected(subject.when("objective.propose", d, {}), rejection_kind::invalid, "data.target_value");
  d = propose_data();
  d["due_date"] = "31.12.2026";
  expect_rejected(subject.when("objective.propose", d, {}), rejection_kind::invalid, "data.due_date");
  d = propose_data();
  d.erase("related_policy");
  const auto without = subject.when("objective.propose", d, {});
  ASSERT_TRUE(without.has_value()) << describe(without);
  // The recorded event reads back without a related policy.
  EXPECT_TRUE(obj::decode(without->front().type, without->front().data).has_value());
  d["related_policy"] = "no such id!";
  expect_rejected(subject.when("objective.propose", d, {}), rejection_kind::invalid, "data.related_policy");
}

TEST(objective, the_due_date_of_a_proposal_has_not_passed) {
  json d = propose_data();
  d["due_date"] = "2026-03-01";
  expect_rejected(subject.when("objective.propose", d, {}), rejection_kind::rule, "data.due_date", "already passed");
}

TEST(objective, top_management_sets_the_objective_through_an_approval) {
  events given{proposed()};
  const auto d = subject.when("objective.request_approval", json::object(), given);
  ASSERT_TRUE(d) << describe(d);
  const json& a = d->front().data.at("approval");
  EXPECT_EQ(a.at("approval_id"), "objective-O-3.v2");
  EXPECT_EQ(a.at("subject_kind"), "objective.setting");
  EXPECT_EQ(a.at("policy").at("required_roles"), json({"top_management"}));
  EXPECT_EQ(a.at("on_approved"), "objective.set");
  EXPECT_EQ(a.at("on_rejected"), "objective.reject");
  EXPECT_EQ(a.at("content_hash"), canonical_hash(obj::approval_content(subject.fold(given))));
  given.push_back(d->front());
  const auto hash = a.at("content_hash").get<std::string>();
  expect_events(subject.when("objective.set", outcome(given), given, system_actor()),
                {obj::encode(obj::objective_set{"objective-O-3.v2", {"tom"}, "agreed", hash})});
  const auto s = subject.fold(set_objective());
  EXPECT_EQ(s.current, obj::status::set);
  ASSERT_TRUE(s.in_force.has_value());
  EXPECT_EQ(*s.in_force, the_terms());
}

TEST(objective, approval_needs_open_terms_and_is_asked_once) {
  events given{proposed()};
  subject.then_record(given, "objective.request_approval", json::object());
  expect_rejected(subject.when("objective.request_approval", json::object(), given), rejection_kind::rule, "",
                  "already awaits approval");
  expect_rejected(subject.when("objective.request_approval", json::object(), set_objective()), rejection_kind::rule, "",
                  "nothing to approve");
}

TEST(objective, only_the_system_sets_or_rejects_and_only_the_pending_approval) {
  events given{proposed()};
  subject.then_record(given, "objective.request_approval", json::object());
  expect_rejected(subject.when("objective.set", outcome(given), given, top()), rejection_kind::forbidden);
  json wrong = outcome(given);
  wrong["approval_id"] = "objective-O-3.v7";
  expect_rejected(subject.when("objective.set", wrong, given, system_actor()), rejection_kind::rule, "data.approval_id");
  json r = outcome(given);
  r["rejected_by"] = "tom";
  subject.then_record(given, "objective.reject", r, system_actor());
  EXPECT_EQ(given.back().type, "objective.rejected.v1");
  EXPECT_EQ(subject.fold(given).current, obj::status::proposed);
  EXPECT_TRUE(subject.when("objective.request_approval", json::object(), given).has_value());
}

TEST(objective, progress_is_recorded_against_a_set_objective_by_its_owner_or_the_manager) {
  json p = {{"measured_value", 91.5}, {"measured_on", "2026-03-01"}, {"note", "February report"}};
  expect_rejected(subject.when("objective.record_progress", p, {proposed()}), rejection_kind::rule, "", "has set");
  const auto given = set_objective();
  expect_events(subject.when("objective.record_progress", p, given, contributor("carl")),
                {obj::encode(obj::progress_recorded{91.5, day("2026-03-01"), "February report", "carl"})});
  expect_rejected(subject.when("objective.record_progress", p, given, contributor("cora")), rejection_kind::forbidden);
  EXPECT_TRUE(subject.when("objective.record_progress", p, given, manager()).has_value());
  p["measured_on"] = "2026-03-03";
  expect_rejected(subject.when("objective.record_progress", p, given), rejection_kind::rule, "data.measured_on", "future");
  p["measured_on"] = "yesterday";
  expect_rejected(subject.when("objective.record_progress", p, given), rejection_kind::invalid, "data.measured_on");
}

TEST(objective, achievement_is_shown_by_a_measurement) {
  events given = set_objective();
  expect_rejected(subject.when("objective.mark_achieved", {{"note", "done"}}, given), rejection_kind::rule, "", "measurement");
  subject.then_record(given, "objective.record_progress", {{"measured_value", 97}, {"measured_on", "2026-03-02"}});
  expect_events(subject.when("objective.mark_achieved", {{"note", "97% in February"}}, given),
                {obj::encode(obj::achieved{"97% in February", day(today)})});
  expect_rejected(subject.when("objective.mark_achieved", {{"note", "x"}}, {proposed()}), rejection_kind::rule, "",
                  "only a set objective");
}

// What the state admits is the rule decide applies, and what is not listed
// decide refuses with the same reason.
TEST(objective, the_commands_an_objective_admits_follow_its_status_as_decide_does) {
  using list = std::vector<std::string>;
  EXPECT_EQ(obj::admitted_commands(subject.fold({})), list{"objective.propose"});
  EXPECT_EQ(obj::admitted_commands(subject.fold({proposed()})), (list{"objective.revise", "objective.request_approval"}));
  events pending{proposed()};
  subject.then_record(pending, "objective.request_approval", json::object());
  EXPECT_EQ(obj::admitted_commands(subject.fold(pending)), list{"objective.revise"});
  events set = set_objective();
  EXPECT_EQ(obj::admitted_commands(subject.fold(set)),
            (list{"objective.revise", "objective.record_progress", "objective.mark_missed"}));
  subject.then_record(set, "objective.record_progress", {{"measured_value", 97}, {"measured_on", "2026-03-02"}});
  EXPECT_EQ(obj::admitted_commands(subject.fold(set)),
            (list{"objective.revise", "objective.record_progress", "objective.mark_achieved", "objective.mark_missed"}));
  events done = set;
  subject.then_record(done, "objective.mark_achieved", {{"note", "97%"}});
  EXPECT_TRUE(obj::admitted_commands(subject.fold(done)).empty());

  for (const events& given : {events{proposed()}, pending, set_objective(), done}) {
    const auto s = subject.fold(given);
    for (const auto& [type, data] : std::vector<std::pair<std::string, json>>{
             {"objective.request_approval", json::object()},
             {"objective.record_progress", {{"measured_value", 90}, {"measured_on", "2026-03-02"}}},
             {"objective.mark_achieved", {{"note", "n"}}},
             {"objective.mark_missed", {{"reason", "r"}}}}) {
      const auto refusal = obj::state_refusal(type, s);
      const auto d = subject.when(type, data, given);
      if (refusal) {
        ASSERT_FALSE(d.has_value()) << type;
        EXPECT_EQ(d.error().message, refusal->message) << type;
      } else {
        EXPECT_TRUE(d.has_value()) << type << ": " << describe(d);
      }
    }
  }
}

TEST(objective, a_missed_or_achieved_objective_is_final) {
  events given = set_objective();
  subject.then_record(given, "objective.mark_missed", {{"reason", "scanner licence lapsed"}});
  EXPECT_EQ(given.back(), obj::encode(obj::missed{"scanner licence lapsed", day(today)}));
  EXPECT_EQ(subject.fold(given).current, obj::status::missed);
  expect_rejected(subject.when("objective.revise", {{"target_value", 90}, {"reason", "x"}}, given), rejection_kind::rule, "",
                  "missed");
  expect_rejected(subject.when("objective.mark_missed", {{"reason", "x"}}, {proposed()}), rejection_kind::rule, "",
                  "only a set objective");
}

TEST(objective, a_revision_needs_approval_again_and_the_terms_in_force_stay_until_then) {
  events given = set_objective();
  const auto d = subject.when("objective.revise", {{"target_value", 90}, {"reason", "new scanner finds more"}}, given);
  obj::terms changed = the_terms();
  changed.target_value = 90;
  expect_events(d, {obj::encode(obj::revised{changed, "new scanner finds more"})});
  given.push_back(d->front());
  auto s = subject.fold(given);
  EXPECT_EQ(s.in_force->target_value, 95);
  EXPECT_TRUE(s.proposal_open);
  subject.then_record(given, "objective.request_approval", json::object());
  EXPECT_NE(given.back().data.at("approval").at("summary").get<std::string>().find("revised"), std::string::npos);
  subject.then_record(given, "objective.set", outcome(given), system_actor());
  s = subject.fold(given);
  EXPECT_EQ(s.in_force->target_value, 90);
  EXPECT_EQ(s.current, obj::status::set);
}

TEST(objective, a_revision_changes_something_and_keeps_a_future_due_date) {
  expect_rejected(subject.when("objective.revise", {{"target_value", 95}, {"reason", "x"}}, set_objective()),
                  rejection_kind::rule, "", "changes none");
  expect_rejected(subject.when("objective.revise", {{"due_date", "2026-01-01"}, {"reason", "x"}}, set_objective()),
                  rejection_kind::rule, "data.due_date");
  expect_rejected(subject.when("objective.revise", {{"target_value", 90}}, set_objective()), rejection_kind::invalid,
                  "data.reason");
}

TEST(objective, a_revision_while_approval_is_pending_voids_it) {
  events given{proposed()};
  subject.then_record(given, "objective.request_approval", json::object());
  const json pending = outcome(given);
  subject.then_record(given, "objective.revise", {{"unit", "percent"}, {"reason", "spelling"}});
  expect_rejected(subject.when("objective.set", pending, given, system_actor()), rejection_kind::rule, "data.approval_id");
}

TEST(objective, a_set_objective_past_its_due_date_is_overdue) {
  const auto s = subject.fold(set_objective());
  EXPECT_FALSE(obj::overdue(s, day("2026-12-31")));
  EXPECT_TRUE(obj::overdue(s, day("2027-01-01")));
  EXPECT_FALSE(obj::overdue(subject.fold({proposed()}), day("2027-01-01")));
}

TEST(objective, roles_outside_the_table_are_forbidden) {
  expect_rejected(subject.when("objective.propose", propose_data(), {}, contributor()), rejection_kind::forbidden);
  expect_rejected(subject.when("objective.mark_missed", {{"reason", "x"}}, set_objective(), top()), rejection_kind::forbidden);
}

TEST(objective, an_unreadable_history_is_a_rule_rejection_naming_the_position) {
  auto h = history_of("objective-O-3", {proposed()});
  h[0].type = "objective.proposed.v9";
  expect_rejected(decide_command("objective.request_approval", "objective-O-3", json::object(), h, manager(), no_streams),
                  rejection_kind::rule, "history", "position 100");
}

TEST(objective, every_event_type_survives_encode_and_decode) {
  events given{proposed()};
  subject.then_record(given, "objective.request_approval", json::object());
  const std::vector<obj::event> all{
      obj::proposed{"O-3", the_terms()},
      obj::revised{the_terms(), "why"},
      *obj::decode(given[1].type, given[1].data),
      obj::objective_set{"objective-O-3.v2", {"tom"}, "ok", std::string(64, 'f')},
      obj::rejected{"objective-O-3.v2", "tom", "no"},
      obj::progress_recorded{0.125, day("2026-02-01"), "", "carl"},
      obj::achieved{"done", day("2026-03-02")},
      obj::missed{"late", day("2026-03-02")},
  };
  expect_round_trip(all, "objective.", obj::encode, obj::decode);
}

TEST(objective, malformed_events_decode_to_errors) {
  EXPECT_FALSE(obj::decode("objective.forgotten.v1", json::object()).has_value());
  EXPECT_FALSE(obj::decode("objective.proposed.v1", nullptr).has_value());
  json d = proposed().data;
  d["target_value"] = true;
  EXPECT_FALSE(obj::decode("objective.proposed.v1", d).has_value());
  EXPECT_FALSE(obj::decode("objective.progress_recorded.v1", {{"measured_value", 1}}).has_value());
  EXPECT_FALSE(obj::decode("objective.approval_requested.v1", {{"content_hash", std::string(64, 'a')}}).has_value());
}

}  // namespace
}  // namespace isms::domain::objective_test
