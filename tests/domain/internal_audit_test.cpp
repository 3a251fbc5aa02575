// Internal audit (9.2): given events, when a command, then events or a rejection; the
// reaction that raises a nonconformity from a finding.

#include "isms/domain/internal_audit.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"
#include "isms/domain/nonconformity.hpp"

namespace isms::domain::internal_audit_test {
namespace {

using namespace clause_testing;
namespace ia = internal_audit;

json plan_data() {
  return {{"audit_id", "IA-2026-1"},
          {"scope", "IT operations: patching, backups, logging"},
          {"criteria", "ISO/IEC 27001:2022 8.1 and Annex A 8.8, 8.13, 8.15; procedure PRO-004"},
          {"lead_auditor", "ada"},
          {"area", "IT operations"},
          {"process_owner", "oscar"},
          {"planned_start", "2026-03-01"},
          {"planned_end", "2026-03-02"}};
}

ia::planned the_entry() {
  return ia::planned{"IA-2026-1",
                     "IT operations: patching, backups, logging",
                     "ISO/IEC 27001:2022 8.1 and Annex A 8.8, 8.13, 8.15; procedure PRO-004",
                     "ada",
                     "IT operations",
                     "oscar",
                     day("2026-03-01"),
                     day("2026-03-02")};
}

new_event planned() { return ia::encode(the_entry()); }
new_event performed() { return ia::encode(ia::performed{day("2026-03-02"), {"ada", "ben"}, "Two days on site"}); }
new_event finding(std::string id = "F-1", ia::finding_type type = ia::finding_type::nonconformity_major) {
  return ia::encode(ia::finding_recorded{id, type, "A.8.8", "Critical patches applied after 60 days", "ada"});
}

const one_stream<ia::state, ia::event> subject{"audit-IA-2026-1", ia::initial_state, ia::decode, ia::evolve, auditor()};

const json finding_data = {{"finding_id", "F-1"},
                           {"type", "nonconformity_major"},
                           {"reference", "A.8.8"},
                           {"text", "Critical patches applied after 60 days"}};

TEST(internal_audit, the_isms_manager_plans_an_audit_in_the_programme) {
  expect_events(subject.when("audit.plan", plan_data(), {}, manager()), {planned()});
  expect_rejected(subject.when("audit.plan", plan_data(), {planned()}, manager()), rejection_kind::rule, "",
                  "already in the programme");
  expect_rejected(subject.when("audit.plan", plan_data(), {}, auditor()), rejection_kind::forbidden);
  expect_rejected(subject.when("audit.record_performed", {{"performed_on", "2026-03-02"}, {"auditors", {"ada"}}}, {}),
                  rejection_kind::not_found);
}

TEST(internal_audit, the_plan_is_validated) {
  json d = plan_data();
  d["planned_end"] = "2026-02-28";
  expect_rejected(subject.when("audit.plan", d, {}, manager()), rejection_kind::invalid, "data.planned_end");
  d = plan_data();
  d.erase("criteria");
  expect_rejected(subject.when("audit.plan", d, {}, manager()), rejection_kind::invalid, "data.criteria");
  d = plan_data();
  d["lead_auditor"] = 7;
  expect_rejected(subject.when("audit.plan", d, {}, manager()), rejection_kind::invalid, "data.lead_auditor");
}

TEST(internal_audit, the_lead_auditor_may_not_own_the_audited_process) {
  json d = plan_data();
  d["lead_auditor"] = "oscar";
  expect_rejected(subject.when("audit.plan", d, {}, manager()), rejection_kind::rule, "data.lead_auditor",
                  "does not audit their own work");
}

TEST(internal_audit, the_audit_team_records_the_performance_and_excludes_the_process_owner) {
  const json p = {{"performed_on", "2026-03-02"}, {"auditors", {"ben"}}, {"summary", "Two days on site"}};
  // The lead auditor is always part of the recorded team.
  expect_events(subject.when("audit.record_performed", p, {planned()}),
                {ia::encode(ia::performed{day("2026-03-02"), {"ada", "ben"}, "Two days on site"})});
  EXPECT_TRUE(subject.when("audit.record_performed", p, {planned()}, auditor("ben")).has_value());
  expect_rejected(subject.when("audit.record_performed", p, {planned()}, auditor("zoe")), rejection_kind::forbidden);
  json own = p;
  own["auditors"] = {"ben", "oscar"};
  expect_rejected(subject.when("audit.record_performed", own, {planned()}), rejection_kind::rule, "data.auditors",
                  "own work");
  json future = p;
  future["performed_on"] = "2026-03-03";
  expect_rejected(subject.when("audit.record_performed", future, {planned()}), rejection_kind::rule, "data.performed_on");
  expect_rejected(subject.when("audit.record_performed", p, {planned(), performed()}), rejection_kind::rule, "",
                  "already performed");
  json none = p;
  none["auditors"] = json::array();
  expect_rejected(subject.when("audit.record_performed", none, {planned()}), rejection_kind::invalid, "data.auditors");
}

TEST(internal_audit, findings_are_recorded_by_the_team_after_the_audit_and_before_the_report) {
  expect_rejected(subject.when("audit.record_finding", finding_data, {planned()}), rejection_kind::rule, "",
                  "performed before");
  expect_events(subject.when("audit.record_finding", finding_data, {planned(), performed()}), {finding()});
  expect_rejected(subject.when("audit.record_finding", finding_data, {planned(), performed()}, auditor("zoe")),
                  rejection_kind::forbidden);
  expect_rejected(subject.when("audit.record_finding", finding_data, {planned(), performed(), finding()}), rejection_kind::rule,
                  "data.finding_id");
  const auto reported = ia::encode(ia::report_issued{"s", "c", day(today), "ada"});
  json second = finding_data;
  second["finding_id"] = "F-2";
  expect_rejected(subject.when("audit.record_finding", second, {planned(), performed(), reported}), rejection_kind::rule, "",
                  "final");
}

// Who may act on an audit is one rule: the actor limits the audits view
// carries are the ones decide applies — the team records findings, the lead
// auditor issues the report.
TEST(internal_audit, the_team_limits_are_the_ones_decide_applies) {
  const events given{planned(), performed()};
  const auto limits = ia::actor_limits(subject.fold(given));
  const auto limit_of = [&](std::string_view type) {
    for (const auto& l : limits)
      if (l.command_type == type) return l;
    ADD_FAILURE() << "no limit for " << type;
    return actor_limit{};
  };
  EXPECT_EQ(limit_of("audit.record_finding").only, (std::vector<std::string>{"ada", "ben"}));
  EXPECT_EQ(limit_of("audit.issue_report").only, std::vector<std::string>{"ada"});
  for (const std::string user : {"ada", "ben", "zoe"}) {
    EXPECT_EQ(subject.when("audit.record_finding", finding_data, given, auditor(user)).has_value(),
              limit_of("audit.record_finding").admits(user))
        << user;
    EXPECT_EQ(subject.when("audit.issue_report", {{"summary", "s"}, {"conclusion", "c"}}, given, auditor(user)).has_value(),
              limit_of("audit.issue_report").admits(user))
        << user;
  }
  EXPECT_TRUE(ia::actor_limits(subject.fold({})).empty()) << "no audit, no limits";
}

TEST(internal_audit, a_finding_names_a_known_type_and_requirement) {
  json d = finding_data;
  d["type"] = "nonconformity_critical";
  expect_rejected(subject.when("audit.record_finding", d, {planned(), performed()}), rejection_kind::invalid, "data.type");
  d = finding_data;
  d["reference"] = "A.8.99";
  expect_rejected(subject.when("audit.record_finding", d, {planned(), performed()}), rejection_kind::invalid, "data.reference");
}

TEST(internal_audit, the_lead_auditor_issues_the_report_after_the_audit) {
  const json r = {{"summary", "One major nonconformity"}, {"conclusion", "Patching process not effective"}};
  expect_rejected(subject.when("audit.issue_report", r, {planned()}), rejection_kind::rule, "", "after it has been performed");
  expect_rejected(subject.when("audit.issue_report", r, {planned(), performed()}, auditor("ben")), rejection_kind::forbidden);
  const auto report = ia::encode(
      ia::report_issued{"One major nonconformity", "Patching process not effective", day(today), "ada"});
  expect_events(subject.when("audit.issue_report", r, {planned(), performed(), finding()}), {report});
  expect_rejected(subject.when("audit.issue_report", r, {planned(), performed(), report}), rejection_kind::rule, "",
                  "already issued");
  const auto s = subject.fold({planned(), performed(), finding(), report});
  EXPECT_EQ(s.current, ia::status::reported);
  EXPECT_EQ(s.findings.size(), 1u);
}

recorded_event recorded(const new_event& e, std::uint64_t position = 42) {
  recorded_event r;
  r.position = position;
  r.stream = "audit-IA-2026-1";
  r.version = 3;
  r.type = e.type;
  r.data = e.data;
  r.meta.actor = "ada";
  return r;
}

TEST(internal_audit, a_nonconformity_finding_raises_a_nonconformity_through_a_reaction) {
  const auto out = ia::raise_nonconformity_from_finding(recorded(finding()), no_streams);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].command_type, "nc.raise");
  EXPECT_EQ(out[0].stream, "nc-IA-2026-1-F-1");
  EXPECT_EQ(out[0].data.at("nc_id"), "IA-2026-1-F-1");
  EXPECT_EQ(out[0].data.at("source"), "internal_audit");
  EXPECT_EQ(out[0].data.at("severity"), "major");
  EXPECT_EQ(out[0].data.at("reference"), "A.8.8");
  EXPECT_EQ(out[0].data.at("audit_id"), "IA-2026-1");
  EXPECT_EQ(out[0].data.at("finding_id"), "F-1");
  // The command it issues is one the nonconformity accepts from the system.
  given_streams audit;
  audit.with("audit-IA-2026-1", {planned(), performed(), finding()});
  const auto d = decide_command(out[0].command_type, out[0].stream, out[0].data, {}, system_actor(), audit);
  ASSERT_TRUE(d) << describe(d);
  EXPECT_EQ(d->front().type, "nc.raised.v1");

  const auto minor = ia::raise_nonconformity_from_finding(
      recorded(finding("F-2", ia::finding_type::nonconformity_minor)), no_streams);
  ASSERT_EQ(minor.size(), 1u);
  EXPECT_EQ(minor[0].data.at("severity"), "minor");
}

TEST(internal_audit, observations_opportunities_and_other_events_raise_nothing) {
  EXPECT_TRUE(ia::raise_nonconformity_from_finding(recorded(finding("F-3", ia::finding_type::observation)), no_streams)
                  .empty());
  EXPECT_TRUE(ia::raise_nonconformity_from_finding(recorded(finding("F-4", ia::finding_type::opportunity)), no_streams)
                  .empty());
  EXPECT_TRUE(ia::raise_nonconformity_from_finding(recorded(planned()), no_streams).empty());
  auto broken = recorded(finding());
  broken.data.erase("reference");
  EXPECT_TRUE(ia::raise_nonconformity_from_finding(broken, no_streams).empty());
}

TEST(internal_audit, the_reaction_runs_through_react_with_a_command_id_from_the_causing_event) {
  const auto first = react(recorded(finding(), 42), no_streams);
  const auto again = react(recorded(finding(), 42), no_streams);
  const auto raise = std::find_if(first.begin(), first.end(), [](const follow_up& f) { return f.command_type == "nc.raise"; });
  ASSERT_NE(raise, first.end()) << "the reaction is not in reactions.cpp's list";
  EXPECT_TRUE(raise->command_id.starts_with("react:42:nc.raise:"));
  EXPECT_EQ(first, again);
}

TEST(internal_audit, an_unreadable_history_is_a_rule_rejection_naming_the_position) {
  auto h = history_of("audit-IA-2026-1", {planned(), performed()});
  h[1].data["performed_on"] = "2026-13-01";
  expect_rejected(decide_command("audit.record_finding", "audit-IA-2026-1", finding_data, h, auditor(), no_streams), rejection_kind::rule,
                  "history", "position 101");
}

TEST(internal_audit, every_event_type_survives_encode_and_decode) {
  const std::vector<ia::event> all{
      the_entry(),
      ia::performed{day("2026-03-02"), {"ada"}, ""},
      ia::finding_recorded{"F-9", ia::finding_type::opportunity, "7.2", "Training could be shorter", "ben"},
      ia::report_issued{"s", "c", day(today), "ada"},
  };
  expect_round_trip(all, "audit.", ia::encode, ia::decode);
}

TEST(internal_audit, malformed_events_decode_to_errors) {
  EXPECT_FALSE(ia::decode("audit.cancelled.v1", json::object()).has_value());
  json d = planned().data;
  d["planned_start"] = "2026-03-05";
  EXPECT_FALSE(ia::decode("audit.planned.v1", d).has_value());
  EXPECT_FALSE(ia::decode("audit.performed.v1", {{"performed_on", "2026-03-02"}, {"auditors", "ada"}}).has_value());
  d = finding().data;
  d["type"] = 3;
  EXPECT_FALSE(ia::decode("audit.finding_recorded.v1", d).has_value());
}

}  // namespace
}  // namespace isms::domain::internal_audit_test
