// Information security incidents (A.5.24–5.28, 6.8): given events, when a command, then events or a rejection.

#include "isms/domain/incident.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::incident_test {
namespace {

using namespace clause_testing;
namespace in = incident;

command_context owner(std::string user = "rob") { return as(std::move(user), {role::risk_owner}); }

json follow_up_data_with_review(json data) {
  data["review_id"] = "MR-1";
  return data;
}

json report_data() {
  return {{"incident_id", "INC-3"},
          {"title", "Phishing mail opened in accounts payable"},
          {"description", "A clerk entered their password on a fake invoice portal"},
          {"occurred_on", "2026-03-01"}};
}
json triage_data(std::string classification = "incident", std::string handler = "rob") {
  return {{"classification", classification}, {"severity", "high"}, {"category", "phishing"},
          {"handler", handler}, {"notes", "Credentials exposed"}, {"related_risks", {"R-4"}}};
}

new_event reported(std::string by = "carl") {
  return in::encode(in::reported{"INC-3", "Phishing mail opened in accounts payable",
                                 "A clerk entered their password on a fake invoice portal", day("2026-03-01"), "",
                                 day(today), std::move(by)});
}
new_event triaged(in::classification as = in::classification::incident, std::string handler = "rob") {
  return in::encode(in::triaged{as, in::severity::high, "phishing", std::move(handler), "Credentials exposed",
                                {"R-4"}, day(today), "mia"});
}
new_event contained() { return in::encode(in::contained{"Password reset, sessions revoked", day(today), "rob"}); }
new_event resolved() { return in::encode(in::resolved{"No data left the company", day(today), "rob"}); }

decision when(std::string_view type, const json& data, const events& given, const command_context& ctx = manager()) {
  const auto h = history_of("incident-INC-3", given);
  return decide_command(type, "incident-INC-3", data, h, ctx, no_streams);
}

in::state fold(const events& given) { return fold_of(given, in::initial_state, in::decode, in::evolve); }

// The closing event as the log records it, for the reactions to read.
recorded_event closed_at(const new_event& closing) {
  recorded_event e;
  e.position = 41;
  e.stream = "incident-INC-3";
  e.version = 5;
  e.type = closing.type;
  e.data = closing.data;
  return e;
}

TEST(incident, anyone_signed_in_reports_an_incident_but_an_external_auditor_does_not) {
  expect_events(when("incident.report", report_data(), {}, contributor("carl")), {reported("carl")});
  for (const auto& ctx : {owner(), top(), auditor(), admin(), manager()})
    EXPECT_TRUE(when("incident.report", report_data(), {}, ctx)) << ctx.by.user_id;
  expect_rejected(when("incident.report", report_data(), {}, external()), rejection_kind::forbidden);
  expect_rejected(when("incident.report", report_data(), {reported()}), rejection_kind::rule, "", "already reported");
  // The simplest form: a title and what happened.
  const json minimal{{"incident_id", "INC-3"}, {"title", "Lost phone"}, {"description", "Left on a train"}};
  EXPECT_TRUE(when("incident.report", minimal, {}, contributor()));
  json future = report_data();
  future["occurred_on"] = "2026-03-05";
  expect_rejected(when("incident.report", future, {}), rejection_kind::rule, "data.occurred_on", "future");
  json untitled = report_data();
  untitled.erase("title");
  expect_rejected(when("incident.report", untitled, {}), rejection_kind::invalid, "data.title");
  // The stream names the incident it reports.
  expect_rejected(decide_command("incident.report", "incident-INC-4", report_data(), {}, manager(), no_streams),
                  rejection_kind::invalid);
}

TEST(incident, follows_triage_containment_resolution_and_lessons_in_order) {
  expect_rejected(when("incident.record_containment", {{"description", "x"}}, {reported()}), rejection_kind::rule, "",
                  "triage the report first");
  expect_rejected(when("incident.triage", triage_data(), {reported()}, owner()), rejection_kind::forbidden);
  expect_events(when("incident.triage", triage_data(), {reported()}), {triaged()});
  expect_rejected(when("incident.resolve", {{"description", "x"}}, {reported(), triaged()}), rejection_kind::rule, "",
                  "contained");
  expect_rejected(when("incident.close", {{"lessons", "x"}}, {reported(), triaged()}), rejection_kind::rule, "",
                  "resolved");
  // The handler records containment and resolution.
  expect_events(when("incident.record_containment", {{"description", "Password reset, sessions revoked"}},
                     {reported(), triaged()}, owner("rob")),
                {contained()});
  expect_events(when("incident.resolve", {{"description", "No data left the company"}},
                     {reported(), triaged(), contained()}, owner("rob")),
                {resolved()});
  const events done{reported(), triaged(), contained(), resolved()};
  // Triage is over once it is resolved; the lessons close it.
  expect_rejected(when("incident.triage", triage_data(), done), rejection_kind::rule, "", "resolved");
  const json lessons{{"lessons", "MFA on the invoice portal"}};
  expect_events(when("incident.close", lessons, done),
                {in::encode(in::closed{"MFA on the invoice portal", false, "", "", day(today), "mia"})});
  auto closed_state = fold({reported(), triaged(), contained(), resolved(),
                            in::encode(in::closed{"x", false, "", "", day(today), "mia"})});
  EXPECT_EQ(closed_state.current, in::status::closed);
  EXPECT_TRUE(in::admitted_commands(closed_state).empty());
}

TEST(incident, risk_owners_and_contributors_act_only_on_the_incidents_they_handle) {
  const events given{reported(), triaged(in::classification::incident, "rob")};
  expect_rejected(when("incident.record_containment", {{"description", "x"}}, given, owner("ria")),
                  rejection_kind::forbidden, "", "handler");
  expect_rejected(when("incident.record_evidence", {{"description", "x"}}, given, contributor("carl")),
                  rejection_kind::forbidden);
  EXPECT_TRUE(when("incident.record_evidence", {{"description", "Mail headers saved"}}, given, owner("rob")));
  EXPECT_TRUE(when("incident.record_containment", {{"description", "x"}}, given, manager("max")));
  // Before triage there is no handler: only an ISMS manager records evidence.
  expect_rejected(when("incident.record_evidence", {{"description", "x"}}, {reported()}, owner("rob")),
                  rejection_kind::forbidden);
  EXPECT_TRUE(when("incident.record_evidence", {{"description", "Screenshot kept"}}, {reported()}));
  expect_rejected(when("incident.close", {{"lessons", "x"}}, given, owner("rob")), rejection_kind::forbidden);
}

TEST(incident, an_event_that_is_not_an_incident_closes_after_triage_without_containment) {
  const events given{reported(), triaged(in::classification::event)};
  expect_rejected(when("incident.record_containment", {{"description", "x"}}, given), rejection_kind::rule, "",
                  "not an incident");
  EXPECT_TRUE(when("incident.close", {{"lessons", "Spam, no click"}}, given));
  const auto admitted = in::admitted_commands(fold(given));
  EXPECT_EQ(admitted, (std::vector<std::string>{"incident.triage", "incident.record_evidence", "incident.close"}));
}

// What the state admits is the rule decide applies.
TEST(incident, what_the_state_admits_is_what_decide_accepts) {
  const std::vector<events> states{{},
                                   {reported()},
                                   {reported(), triaged()},
                                   {reported(), triaged(in::classification::event)},
                                   {reported(), triaged(), contained()},
                                   {reported(), triaged(), contained(), resolved()}};
  const std::map<std::string, json> data{
      {"incident.report", report_data()},
      {"incident.triage", triage_data()},
      {"incident.record_containment", {{"description", "d"}}},
      {"incident.record_evidence", {{"description", "d"}}},
      {"incident.resolve", {{"description", "d"}}},
      {"incident.close", {{"lessons", "l"}}},
  };
  for (const auto& given : states) {
    const auto admitted = in::admitted_commands(fold(given));
    for (const auto& [type, d] : data) {
      const bool listed = std::find(admitted.begin(), admitted.end(), type) != admitted.end();
      EXPECT_EQ(listed, when(type, d, given).has_value()) << type << " after " << given.size() << " events";
    }
  }
}

TEST(incident, lessons_that_raise_a_nonconformity_name_its_reference_and_severity) {
  const events done{reported(), triaged(), contained(), resolved()};
  expect_rejected(when("incident.close", {{"lessons", "x"}, {"raise_nonconformity", true}}, done),
                  rejection_kind::invalid, "data.nc_reference");
  expect_rejected(when("incident.close",
                       {{"lessons", "x"}, {"raise_nonconformity", true}, {"nc_reference", "A.5.17"},
                        {"nc_severity", "huge"}},
                       done),
                  rejection_kind::invalid, "data.nc_severity");
  const json close{{"lessons", "Password reuse allowed on the invoice portal"},
                   {"raise_nonconformity", true},
                   {"nc_reference", "A.5.17"},
                   {"nc_severity", "minor"}};
  const auto d = when("incident.close", close, done);
  ASSERT_TRUE(d) << describe(d);

  // The reaction raises the nonconformity, once, with the incident named.
  recorded_event e = closed_at(d->front());
  const auto follow = react(e, no_streams);
  ASSERT_EQ(follow.size(), 1u);
  EXPECT_EQ(follow[0].command_type, "nc.raise");
  EXPECT_EQ(follow[0].stream, "nc-INC-3-NC");
  EXPECT_EQ(follow[0].data.at("source"), "incident");
  EXPECT_EQ(follow[0].data.at("incident_id"), "INC-3");
  EXPECT_EQ(follow[0].data.at("reference"), "A.5.17");
  EXPECT_EQ(follow[0].command_id, react(e, no_streams)[0].command_id);
  // The system may send it, and the nonconformity records where it came from.
  const auto raised = decide_command("nc.raise", follow[0].stream, follow[0].data, {}, system_actor(), no_streams);
  ASSERT_TRUE(raised) << describe(raised);
  EXPECT_EQ(raised->front().data.at("incident_id"), "INC-3");
  // An incident id must come with source incident.
  json wrong = follow[0].data;
  wrong["source"] = "other";
  expect_rejected(decide_command("nc.raise", follow[0].stream, wrong, {}, manager(), no_streams),
                  rejection_kind::invalid, "data.source");

  // A nonconformity comes from one origin: an incident and a review at once is refused.
  json both = follow_up_data_with_review(follow[0].data);
  expect_rejected(decide_command("nc.raise", follow[0].stream, both, {}, manager(), no_streams),
                  rejection_kind::invalid, "data.source", "management_review");

  // Lessons without a nonconformity raise nothing.
  e.data = in::encode(in::closed{"x", false, "", "", day(today), "mia"}).data;
  EXPECT_TRUE(react(e, no_streams).empty());
  // A long incident id gives a nonconformity id that still fits.
  EXPECT_LE(in::nc_id_for_incident(std::string(64, 'A')).size(), 64u);
}

// 6.1.2: the lessons may show a risk; closing names it, and a reaction
// identifies it as "<incident>-R" with its owner, once, as the system.
TEST(incident, lessons_that_show_a_risk_identify_it_by_a_reaction) {
  const events done{reported(), triaged(), contained(), resolved()};
  const json risk{{"title", "Invoice portal accepts reused passwords"}, {"asset", "Invoice portal"},
                  {"threat", "Credential stuffing"},                 {"vulnerability", "No MFA, no breach check"},
                  {"owner", "olga"},                                 {"category", "Cyber"}};
  json close{{"lessons", "Passwords leak in phishing; the portal has no second factor"}, {"new_risk", risk}};
  const auto with_users = [&](const events& olga) {
    given_streams read;
    read.with("user-olga", olga);
    return decide_command("incident.close", "incident-INC-3", close, history_of("incident-INC-3", done), manager(),
                          read);
  };
  const new_event olga{"user.registered.v1", {{"name", "Olga"}, {"email", "olga@example.com"}, {"roles", {"risk_owner"}}}};
  // The owner must be a registered user.
  expect_rejected(with_users({}), rejection_kind::not_found, "data.new_risk.owner", "not a registered user");
  json missing = close;
  missing["new_risk"].erase("threat");
  expect_rejected(when("incident.close", missing, done), rejection_kind::invalid, "data.new_risk.threat");
  const auto d = with_users({olga});
  ASSERT_TRUE(d) << describe(d);
  EXPECT_EQ(d->front().data.at("new_risk").at("owner"), "olga");

  const recorded_event e = closed_at(d->front());
  const auto follow = react(e, no_streams);
  ASSERT_EQ(follow.size(), 1u);
  EXPECT_EQ(follow[0].command_type, "risk.identify");
  EXPECT_EQ(follow[0].stream, "risk-INC-3-R");
  EXPECT_EQ(follow[0].data.at("owner"), "olga");
  EXPECT_NE(follow[0].data.at("description").get<std::string>().find("incident INC-3"), std::string::npos);
  EXPECT_EQ(follow[0].command_id, react(e, no_streams)[0].command_id);
  // The system may identify it; the risk owner is checked again there.
  given_streams read;
  read.with("user-olga", {olga});
  const auto identified = decide_command("risk.identify", follow[0].stream, follow[0].data, {}, system_actor(), read);
  ASSERT_TRUE(identified) << describe(identified);
  EXPECT_EQ(identified->front().data.at("title"), "Invoice portal accepts reused passwords");
  EXPECT_EQ(in::risk_id_for_incident(std::string(70, 'x')).size(), 42u);
}

TEST(incident, events_round_trip) {
  const std::vector<in::event> all{
      in::reported{"INC-3", "t", "d", std::nullopt, "", day(today), "carl"},
      in::reported{"INC-3", "t", "d", day("2026-02-01"), "ERP", day(today), "carl"},
      in::triaged{in::classification::event, in::severity::critical, "", "rob", "", {}, day(today), "mia"},
      in::contained{"c", day(today), "rob"},
      in::evidence_recorded{"e", day(today), "rob"},
      in::resolved{"r", day(today), "rob"},
      in::closed{"l", true, "A.5.17", "major", day(today), "mia"},
      in::closed{"l", false, "", "", day(today), "mia", in::new_risk{"t", "a", "th", "v", "olga", "Cyber"}},
  };
  for (const auto& e : all) {
    const auto encoded = in::encode(e);
    const auto back = in::decode(encoded.type, encoded.data);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(in::encode(*back), encoded);
  }
}

// The register: states and counts, the handler's inbox, time travel through
// the fold, and who is told.
TEST(incident, the_register_inbox_and_notifications_follow_the_events) {
  views::all_views v = views::initial_views();
  std::uint64_t position = 0;
  const auto fold_in = [&](std::string stream, const new_event& e, std::string actor) {
    recorded_event r;
    r.position = ++position;
    r.stream = std::move(stream);
    r.version = 1;
    r.type = e.type;
    r.data = e.data;
    r.meta.actor = std::move(actor);
    r.meta.recorded_at = at(now);
    v = views::evolve(std::move(v), r);
    return views::notifications_for(v, r);
  };
  const auto user = [](const std::string& id, const std::string& role_name) {
    return new_event{"user.registered.v1",
                     {{"name", id}, {"email", id + "@example.com"}, {"roles", {role_name}}}};
  };
  fold_in("user-mia", user("mia", "isms_manager"), "root");
  fold_in("user-max", user("max", "isms_manager"), "root");
  ASSERT_EQ(v.skipped, 0u) << (v.skipped_recent.empty() ? "" : v.skipped_recent.back().reason);

  auto told = fold_in("incident-INC-3", reported("carl"), "carl");
  ASSERT_EQ(told.size(), 2u);
  for (const auto& n : told) {
    EXPECT_EQ(n.kind, "incident_reported");
    EXPECT_NE(n.title.find("Phishing"), std::string::npos);
  }
  const actor mia{"mia", {role::isms_manager}};
  auto inbox = views::inbox_of(v, mia, day(today));
  ASSERT_EQ(inbox.at("incidents").size(), 1u) << inbox.dump();
  EXPECT_EQ(inbox.at("incidents")[0].at("waits_for"), "triage");

  told = fold_in("incident-INC-3", triaged(), "mia");
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].user_id, "rob");
  EXPECT_EQ(told[0].kind, "incident_assigned");
  EXPECT_TRUE(views::inbox_of(v, mia, day(today)).at("incidents").empty());
  const actor rob{"rob", {role::risk_owner}};
  EXPECT_EQ(views::inbox_of(v, rob, day(today)).at("incidents")[0].at("waits_for"), "handling");

  const auto list = views::query(v, "incidents", json{{"state", "open"}}, mia, day(today));
  ASSERT_TRUE(list);
  EXPECT_EQ(list->at("count"), 1);
  EXPECT_EQ(list->at("by_severity").at("high"), 1);
  EXPECT_EQ(list->at("incidents")[0].at("state"), "triaged");
  EXPECT_EQ(list->at("incidents")[0].at("allowed_commands"),
            (json{"incident.triage", "incident.record_containment", "incident.record_evidence"}));
  const auto one = views::query(v, "incident", json{{"id", "INC-3"}}, mia, day(today));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->at("history").size(), 2u);
  EXPECT_EQ(views::views_read_by("incidents"), views::view_set{views::stored_view::incidents});

  fold_in("incident-INC-3", contained(), "rob");
  fold_in("incident-INC-3", resolved(), "rob");
  told = fold_in("incident-INC-3", in::encode(in::closed{"MFA", false, "", "", day(today), "mia"}), "mia");
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].user_id, "carl");
  EXPECT_EQ(told[0].kind, "incident_closed");
  EXPECT_TRUE(views::query(v, "incidents", json{{"state", "open"}}, mia, day(today))->at("incidents").empty());
  EXPECT_EQ(views::subject_title(v, "incident-INC-3"), "Phishing mail opened in accounts payable");

  // The binary snapshot holds the register.
  const auto back = views::decode_snapshot(views::encode_snapshot(v));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->incidents, v.incidents);
}

}  // namespace
}  // namespace isms::domain::incident_test
