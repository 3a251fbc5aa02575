// Management review (9.3): given events, when a command, then events or a rejection.

#include "isms/domain/management_review.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"

namespace isms::domain::management_review_test {
namespace {

using namespace clause_testing;
namespace mr = management_review;

const std::vector<std::string> all_inputs{"previous_actions",          "issue_changes",
                                          "interested_party_changes",  "security_performance",
                                          "interested_party_feedback", "risk_assessment",
                                          "improvement_opportunities"};

json the_pack() {
  json pack = json::object();
  for (const auto& name : all_inputs) pack[name] = {{"summary", "view of " + name}};
  pack["security_performance"]["open_nonconformities"] = 3;
  return pack;
}

new_event scheduled() { return mr::encode(mr::scheduled{"MR-2026-1", day("2026-03-02"), "tom", 12}); }
new_event assembled() {
  return mr::encode(mr::inputs_assembled{the_pack(), canonical_hash(the_pack()), 900, day(today)});
}
new_event opened() { return mr::encode(mr::opened{day(today), "mia"}); }
new_event attended() { return mr::encode(mr::attendance_recorded{{"tom", "mia"}, {"tina"}}); }
new_event item(std::string id, mr::input about) {
  return mr::encode(mr::item_recorded{std::move(id), about, "discussed"});
}
new_event action(std::string id = "MA-1", std::string owner = "carl") {
  return mr::encode(mr::action_recorded{id, "Renew the scanner licence", owner, day("2026-04-30"), ""});
}

events open_review() { return {scheduled(), assembled(), opened(), attended()}; }

// Every input a–g discussed.
events discussed() {
  events e = open_review();
  const mr::input all[] = {mr::input::previous_actions,          mr::input::issue_changes,
                           mr::input::interested_party_changes,  mr::input::security_performance,
                           mr::input::interested_party_feedback, mr::input::risk_assessment,
                           mr::input::improvement_opportunities};
  int n = 0;
  for (auto i : all) e.push_back(item("I-" + std::to_string(++n), i));
  return e;
}

const one_stream<mr::state, mr::event> subject{"review-MR-2026-1", mr::initial_state, mr::decode, mr::evolve, manager()};

json outcome(const events& given) { return approved_by_tom(subject.fold(given).pending_approval_id, "agreed"); }

events minutes_pending() {
  events given = discussed();
  given.push_back(action());
  subject.then_record(given, "review.request_minutes_approval", json::object());
  return given;
}

events minutes_approved() {
  events given = minutes_pending();
  subject.then_record(given, "review.approve_minutes", outcome(given), system_actor());
  return given;
}

TEST(management_review, scheduling_records_date_chair_and_interval) {
  expect_events(subject.when("review.schedule", {{"review_id", "MR-2026-1"}, {"planned_on", "2026-03-02"}, {"chair", "tom"},
                                         {"interval_months", 12}},
                     {}),
                {scheduled()});
  expect_rejected(subject.when("review.schedule", {{"review_id", "MR-2026-1"}, {"planned_on", "2026-03-02"}, {"chair", "tom"},
                                           {"interval_months", 12}},
                       {scheduled()}),
                  rejection_kind::rule, "", "already scheduled");
  expect_rejected(subject.when("review.schedule", {{"review_id", "MR-2026-1"}, {"planned_on", "2026-03-01"}, {"chair", "tom"},
                                           {"interval_months", 12}},
                       {}),
                  rejection_kind::rule, "data.planned_on");
  expect_rejected(subject.when("review.schedule", {{"review_id", "MR-2026-1"}, {"planned_on", "2026-03-02"}, {"chair", "tom"},
                                           {"interval_months", 37}},
                       {}),
                  rejection_kind::invalid, "data.interval_months");
  expect_rejected(subject.when("review.open", json::object(), {}), rejection_kind::not_found);
}

TEST(management_review, the_inputs_pack_is_recorded_with_its_hash_and_must_cover_9_3_2_a_to_g) {
  expect_events(subject.when("review.assemble_inputs", {{"pack", the_pack()}, {"as_of_position", 900}}, {scheduled()},
                     system_actor()),
                {assembled()});
  for (const auto& name : all_inputs) {
    json pack = the_pack();
    pack.erase(name);
    expect_rejected(subject.when("review.assemble_inputs", {{"pack", pack}}, {scheduled()}), rejection_kind::invalid,
                    "data.pack", name);
  }
  expect_rejected(subject.when("review.assemble_inputs", {{"pack", "all fine"}}, {scheduled()}), rejection_kind::invalid,
                  "data.pack");
  // Reassembled before opening: the latest pack counts.
  EXPECT_TRUE(subject.when("review.assemble_inputs", {{"pack", the_pack()}}, {scheduled(), assembled()}).has_value());
  expect_rejected(subject.when("review.assemble_inputs", {{"pack", the_pack()}}, open_review()), rejection_kind::rule, "",
                  "before the review opens");
}

TEST(management_review, the_review_opens_once_its_inputs_are_assembled) {
  expect_rejected(subject.when("review.open", json::object(), {scheduled()}), rejection_kind::rule, "", "9.3.2");
  expect_events(subject.when("review.open", json::object(), {scheduled(), assembled()}), {opened()});
  expect_rejected(subject.when("review.open", json::object(), {scheduled(), assembled(), opened()}), rejection_kind::rule, "",
                  "already opened");
}

TEST(management_review, the_chair_attends) {
  expect_rejected(subject.when("review.record_attendance", {{"attendees", {"mia"}}}, {scheduled(), assembled(), opened()}),
                  rejection_kind::rule, "data.attendees", "9.3.1");
  expect_events(subject.when("review.record_attendance", {{"attendees", {"tom", "mia"}}, {"apologies", {"tina"}}},
                     {scheduled(), assembled(), opened()}),
                {attended()});
  expect_rejected(subject.when("review.record_attendance", {{"attendees", {"tom"}}}, {scheduled(), assembled()}),
                  rejection_kind::rule, "", "while the review is open");
}

TEST(management_review, items_follow_the_attendance_and_name_an_input_of_9_3_2) {
  const json i = {{"item_id", "I-1"}, {"input", "previous_actions"}, {"discussion", "discussed"}};
  expect_rejected(subject.when("review.record_item", i, {scheduled(), assembled(), opened()}), rejection_kind::rule, "",
                  "attendance");
  expect_events(subject.when("review.record_item", i, open_review()), {item("I-1", mr::input::previous_actions)});
  expect_rejected(subject.when("review.record_item", i, discussed()), rejection_kind::rule, "data.item_id");
  json bad = i;
  bad["input"] = "h";
  expect_rejected(subject.when("review.record_item", bad, open_review()), rejection_kind::invalid, "data.input");
  EXPECT_TRUE(subject.when("review.record_item", i, open_review(), top()).has_value());
}

events with_action(events e) {
  e.push_back(mr::encode(mr::action_recorded{"MA-1", "Draft the Lisbon scope", "mia", day("2026-06-30"), "D-1"}));
  return e;
}

TEST(management_review, decisions_and_actions_are_recorded_and_linked) {
  const json d = {{"decision_id", "D-1"}, {"kind", "isms_change"}, {"text", "Extend the scope to Lisbon"},
                  {"item_id", "I-2"}};
  expect_events(subject.when("review.record_decision", d, discussed()),
                {mr::encode(mr::decision_recorded{"D-1", mr::decision_kind::isms_change, "Extend the scope to Lisbon",
                                                  "I-2"})});
  json unknown = d;
  unknown["item_id"] = "I-99";
  expect_rejected(subject.when("review.record_decision", unknown, discussed()), rejection_kind::not_found, "data.item_id");
  json kind = d;
  kind["kind"] = "wish";
  expect_rejected(subject.when("review.record_decision", kind, discussed()), rejection_kind::invalid, "data.kind");

  auto given = discussed();
  subject.then_record(given, "review.record_decision", d);
  expect_rejected(subject.when("review.record_decision", d, given), rejection_kind::rule, "data.decision_id");
  const json a = {{"action_id", "MA-1"}, {"description", "Draft the Lisbon scope"}, {"owner", "mia"},
                  {"due_date", "2026-06-30"}, {"decision_id", "D-1"}};
  expect_events(subject.when("review.record_action", a, given),
                {mr::encode(mr::action_recorded{"MA-1", "Draft the Lisbon scope", "mia", day("2026-06-30"), "D-1"})});
  json dangling = a;
  dangling["decision_id"] = "D-9";
  expect_rejected(subject.when("review.record_action", dangling, given), rejection_kind::not_found, "data.decision_id");
  json past = a;
  past["due_date"] = "2026-03-01";
  expect_rejected(subject.when("review.record_action", past, given), rejection_kind::rule, "data.due_date");
  expect_rejected(subject.when("review.record_action", a, with_action(given)), rejection_kind::rule, "data.action_id");
}

TEST(management_review, minutes_approval_needs_every_input_considered) {
  auto given = open_review();
  given.push_back(item("I-1", mr::input::previous_actions));
  expect_rejected(subject.when("review.request_minutes_approval", json::object(), given), rejection_kind::rule, "",
                  "b) issue_changes");
  expect_rejected(subject.when("review.request_minutes_approval", json::object(), {scheduled(), assembled(), opened()}),
                  rejection_kind::rule, "", "attendance");
  expect_rejected(subject.when("review.request_minutes_approval", json::object(), {scheduled(), assembled()}),
                  rejection_kind::rule, "", "open review");
}

TEST(management_review, top_management_approves_the_minutes_bound_to_their_hash) {
  auto given = discussed();
  given.push_back(action());
  const auto d = subject.when("review.request_minutes_approval", json::object(), given);
  ASSERT_TRUE(d) << describe(d);
  const json& a = d->front().data.at("approval");
  EXPECT_EQ(a.at("approval_id"), "review-MR-2026-1.v" + std::to_string(given.size() + 1));
  EXPECT_EQ(a.at("subject_kind"), "review.minutes");
  EXPECT_EQ(a.at("policy").at("required_roles"), json({"top_management"}));
  EXPECT_EQ(a.at("on_approved"), "review.approve_minutes");
  EXPECT_EQ(a.at("on_rejected"), "review.reject_minutes");
  const auto hash = canonical_hash(mr::minutes(subject.fold(given)));
  EXPECT_EQ(a.at("content_hash"), hash);
  EXPECT_EQ(mr::minutes(subject.fold(given)).at("inputs_sha256"), canonical_hash(the_pack()));

  given.push_back(d->front());
  expect_rejected(subject.when("review.request_minutes_approval", json::object(), given), rejection_kind::rule, "",
                  "already await");
  expect_rejected(subject.when("review.approve_minutes", outcome(given), given, top()), rejection_kind::forbidden);
  expect_events(subject.when("review.approve_minutes", outcome(given), given, system_actor()),
                {mr::encode(mr::minutes_approved{subject.fold(given).pending_approval_id, {"tom"}, "agreed", hash})});
  EXPECT_EQ(subject.fold(minutes_approved()).current, mr::status::minutes_approved);
}

TEST(management_review, the_minutes_are_frozen_while_they_await_approval) {
  const auto given = minutes_pending();
  expect_rejected(subject.when("review.record_item", {{"item_id", "I-9"}, {"input", "risk_assessment"}, {"discussion", "x"}},
                       given),
                  rejection_kind::rule, "", "await top management");
  expect_rejected(subject.when("review.complete_action", {{"action_id", "MA-1"}, {"evidence", "x"}}, given),
                  rejection_kind::rule, "", "await top management");
}

TEST(management_review, rejected_minutes_reopen_the_review) {
  auto given = minutes_pending();
  json r = outcome(given);
  r["rejected_by"] = "tom";
  subject.then_record(given, "review.reject_minutes", r, system_actor());
  EXPECT_EQ(given.back().type, "review.minutes_rejected.v1");
  EXPECT_EQ(subject.fold(given).current, mr::status::open);
  EXPECT_TRUE(subject.when("review.record_item", {{"item_id", "I-9"}, {"input", "risk_assessment"}, {"discussion", "again"}},
                   given)
                  .has_value());
  expect_rejected(subject.when("review.approve_minutes", outcome(minutes_pending()), given, system_actor()),
                  rejection_kind::rule, "data.approval_id");
}

TEST(management_review, it_closes_once_the_minutes_are_approved) {
  expect_rejected(subject.when("review.close", json::object(), minutes_pending()), rejection_kind::rule, "", "9.3.3");
  auto given = minutes_approved();
  subject.then_record(given, "review.close", json::object());
  EXPECT_EQ(given.back(), mr::encode(mr::closed{day(today), "mia"}));
  EXPECT_EQ(subject.fold(given).current, mr::status::closed);
  expect_rejected(subject.when("review.close", json::object(), given), rejection_kind::rule, "", "already closed");
}

TEST(management_review, its_actions_are_tracked_to_done_even_after_closing) {
  auto given = minutes_approved();
  subject.then_record(given, "review.close", json::object());
  const json done = {{"action_id", "MA-1"}, {"evidence", "Licence renewed until 2027"}};
  expect_rejected(subject.when("review.complete_action", done, given, contributor("cora")), rejection_kind::forbidden);
  expect_events(subject.when("review.complete_action", done, given, contributor("carl")),
                {mr::encode(mr::action_completed{"MA-1", "Licence renewed until 2027", day(today), "carl"})});
  subject.then_record(given, "review.complete_action", done, contributor("carl"));
  expect_rejected(subject.when("review.complete_action", done, given), rejection_kind::rule, "", "already done");
  expect_rejected(subject.when("review.complete_action", {{"action_id", "MA-7"}, {"evidence", "x"}}, given),
                  rejection_kind::not_found, "data.action_id");
}

TEST(management_review, time_rules_review_due_by_interval_and_overdue_actions) {
  // Not yet held: due on its planned date.
  EXPECT_EQ(mr::next_review_due_on(subject.fold({scheduled()})), day("2026-03-02"));
  EXPECT_TRUE(mr::review_due(subject.fold({scheduled()}), day("2026-03-02")));
  // Held on 2026-03-02 with a 12-month interval: the next is due 2027-03-02.
  const auto s = subject.fold(minutes_approved());
  EXPECT_EQ(mr::next_review_due_on(s), day("2027-03-02"));
  EXPECT_FALSE(mr::review_due(s, day("2027-03-01")));
  EXPECT_TRUE(mr::review_due(s, day("2027-03-02")));
  EXPECT_TRUE(mr::overdue_actions(s, day("2026-04-30")).empty());
  ASSERT_EQ(mr::overdue_actions(s, day("2026-05-01")).size(), 1u);
  EXPECT_FALSE(mr::next_review_due_on(mr::initial_state()).has_value());
}

TEST(management_review, roles_outside_the_table_are_forbidden) {
  expect_rejected(subject.when("review.open", json::object(), {scheduled(), assembled()}, top()), rejection_kind::forbidden);
  expect_rejected(subject.when("review.assemble_inputs", {{"pack", the_pack()}}, {scheduled()}, contributor()),
                  rejection_kind::forbidden);
  expect_rejected(subject.when("review.close", json::object(), minutes_approved(), external()), rejection_kind::forbidden);
}

TEST(management_review, an_unreadable_history_is_a_rule_rejection_naming_the_position) {
  auto h = history_of("review-MR-2026-1", open_review());
  h[1].data.erase("pack");
  expect_rejected(decide_command("review.record_item", "review-MR-2026-1", {{"item_id", "I-1"}, {"input", "previous_actions"}, {"discussion", "x"}}, h, manager(),
                             no_streams),
                  rejection_kind::rule, "history", "position 101");
}

TEST(management_review, every_event_type_survives_encode_and_decode) {
  const auto pending = minutes_pending();
  const std::vector<mr::event> all{
      mr::scheduled{"MR-1", day("2026-06-01"), "tom", 6},
      mr::inputs_assembled{the_pack(), canonical_hash(the_pack()), 0, day(today)},
      mr::opened{day(today), "mia"},
      mr::attendance_recorded{{"tom"}, {}},
      mr::item_recorded{"I-1", mr::input::improvement_opportunities, "d"},
      mr::decision_recorded{"D-1", mr::decision_kind::improvement_opportunity, "t", ""},
      mr::action_recorded{"MA-1", "d", "carl", day("2026-05-01"), "D-1"},
      mr::action_completed{"MA-1", "e", day(today), "carl"},
      *mr::decode(pending.back().type, pending.back().data),
      mr::minutes_approved{"review-MR-1.v9", {"tom"}, "ok", std::string(64, '0')},
      mr::minutes_rejected{"review-MR-1.v9", "tom", "no"},
      mr::closed{day(today), "mia"},
  };
  expect_round_trip(all, "review.", mr::encode, mr::decode);
}

TEST(management_review, malformed_events_decode_to_errors) {
  EXPECT_FALSE(mr::decode("review.postponed.v1", json::object()).has_value());
  EXPECT_FALSE(mr::decode("review.scheduled.v1", {{"review_id", "MR-1"}, {"planned_on", "2026-06-01"}}).has_value());
  EXPECT_FALSE(mr::decode("review.item_recorded.v1", {{"item_id", "I-1"}, {"input", "z"}, {"discussion", "d"}})
                   .has_value());
  json d = assembled().data;
  d["pack_sha256"] = "nothex";
  EXPECT_FALSE(mr::decode("review.inputs_assembled.v1", d).has_value());
}

}  // namespace
}  // namespace isms::domain::management_review_test
