// Evidence files: given events, when a command, then events or a rejection;
// the subject must be on record; who may review and withdraw; the review
// day's time rule; the evidence view with time travel and its snapshot.

#include "isms/domain/evidence.hpp"
#include "isms/domain/nonconformity.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "given.hpp"
#include "in_memory_log.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/views/views.hpp"
#include "stream_testing.hpp"

namespace isms::domain::evidence_test {
namespace {

using namespace clause_testing;
namespace ev = evidence;

const std::string digest(64, 'a');

command_context owner(std::string user = "olga") { return as(std::move(user), {role::risk_owner}); }

json attach_data(std::string kind = "risk", std::string subject = "R-1") {
  return {{"evidence_id", "EV-1"},     {"subject_kind", kind},       {"subject_id", subject},
          {"purpose", "MFA enforced"}, {"digest", digest},           {"name", "mfa-report.pdf"},
          {"media_type", "application/pdf"}, {"size", 48213},          {"review_by", "2026-09-01"}};
}

new_event attached(std::string by = "olga") {
  return ev::encode(ev::attached{"EV-1", ev::subject_kind::risk, "R-1", "MFA enforced",
                                 {digest, "mfa-report.pdf", "application/pdf", 48213}, by,
                                 *parse_date("2026-09-01"), day(today), by});
}

json identify_data() {
  return {{"title", "Ransomware on file servers"}, {"asset", "file servers"}, {"threat", "ransomware"},
          {"vulnerability", "unpatched SMB"},     {"owner", "olga"},        {"category", "operations"}};
}

// A risk R-1 on record (an attach reads only whether its stream has events).
events risk_on_record() { return {new_event{"risk.identified.v1", identify_data()}}; }

decision when(std::string_view type, const json& data, const events& given, const command_context& ctx = owner(),
              const events& subject = risk_on_record()) {
  given_streams read;
  read.with("risk-R-1", subject);
  return decide_command(type, "evidence-EV-1", data, history_of("evidence-EV-1", given), ctx, read);
}

ev::state fold(const events& given) { return fold_of(given, ev::initial_state, ev::decode, ev::evolve); }

TEST(evidence, a_file_is_attached_to_a_subject_on_record_with_what_the_server_measured) {
  expect_events(when("evidence.attach", attach_data(), {}), {attached()});
  // The subject must be on record.
  expect_rejected(when("evidence.attach", attach_data(), {}, owner(), {}), rejection_kind::not_found,
                  "data.subject_id", "no risk R-1");
  // An SoA control is named by its Annex A id; no stream is read for it.
  const auto contributor = as("olga", {role::contributor});
  expect_events(when("evidence.attach", attach_data("control", "5.15"), {}, contributor),
                {ev::encode(ev::attached{"EV-1", ev::subject_kind::control, "5.15", "MFA enforced",
                                         {digest, "mfa-report.pdf", "application/pdf", 48213}, "olga",
                                         *parse_date("2026-09-01"), day(today), "olga"})});
  expect_rejected(when("evidence.attach", attach_data("control", "5.99"), {}, contributor), rejection_kind::invalid,
                  "data.subject_id");
  EXPECT_EQ(ev::subject_stream(ev::subject_kind::nonconformity, "NC-4"), "nc-NC-4");
  EXPECT_EQ(ev::subject_stream(ev::subject_kind::control, "5.15"), "");
  // Once only.
  expect_rejected(when("evidence.attach", attach_data(), {attached()}), rejection_kind::rule, "", "already attached");
  // Not the external auditor, not the administrator.
  expect_rejected(when("evidence.attach", attach_data(), {}, as("eve", {role::external_auditor})),
                  rejection_kind::forbidden);
  expect_rejected(when("evidence.attach", attach_data(), {}, as("adam", {role::admin})), rejection_kind::forbidden);
}

TEST(evidence, a_risk_owner_attaches_evidence_only_to_the_risks_and_assets_they_own) {
  // R-1 belongs to olga: otto, a risk owner only, may not add to it, nor to
  // subjects no risk owner owns (a control).
  expect_rejected(when("evidence.attach", attach_data(), {}, owner("otto")), rejection_kind::forbidden, "",
                  "risks and assets they own");
  expect_rejected(when("evidence.attach", attach_data("control", "5.15"), {}, owner("olga")),
                  rejection_kind::forbidden);
  // A change of owner moves the right with the risk.
  events handed = risk_on_record();
  handed.push_back(new_event{"risk.owner_changed.v1", {{"previous_owner", "olga"}, {"owner", "otto"}, {"reason", "reorganisation"}, {"acceptance_withdrawn", false}}});
  const auto taken = when("evidence.attach", attach_data(), {}, owner("otto"), handed);
  ASSERT_TRUE(taken) << describe(taken);
  expect_rejected(when("evidence.attach", attach_data(), {}, owner("olga"), handed), rejection_kind::forbidden);
  // A risk owner who also contributes attaches to anything on record.
  EXPECT_TRUE(when("evidence.attach", attach_data(), {}, as("otto", {role::risk_owner, role::contributor})));
  EXPECT_TRUE(when("evidence.attach", attach_data(), {}, manager()));
}

// A file may evidence one part of its subject: here corrective action A1 of
// NC-1. The part must be on record; subjects without parts take none.
TEST(evidence, a_file_evidences_a_part_of_its_subject_that_is_on_record) {
  namespace nc = nonconformity;
  nc::raised r;
  r.nc_id = "NC-1";
  r.reference = "A.5.15";
  r.description = "Leavers keep TMS accounts";
  r.raised_on = day(today);
  r.raised_by = "mia";
  const events nc_1{nc::encode(r), nc::encode(nc::action_planned{"A1", "Leaver feed", "olga", day(today)})};
  const auto on_nc = [&](json data) {
    given_streams read;
    read.with("nc-NC-1", nc_1);
    return decide_command("evidence.attach", "evidence-EV-1", data, history_of("evidence-EV-1", {}), manager(), read);
  };
  json d = attach_data("nonconformity", "NC-1");
  d["part"] = "A1";
  const auto done = on_nc(d);
  ASSERT_TRUE(done) << describe(done);
  const auto e = ev::decode(done->front().type, done->front().data);
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<ev::attached>(*e).part, "A1");
  EXPECT_EQ(fold({done->front()}).part, "A1");
  d["part"] = "A9";
  expect_rejected(on_nc(d), rejection_kind::not_found, "data.part", "no action A9 of nonconformity NC-1");
  // A risk, an asset, a control, an incident or a supplier is evidenced whole.
  json whole = attach_data();
  whole["part"] = "A1";
  expect_rejected(when("evidence.attach", whole, {}), rejection_kind::invalid, "data.part", "has no parts");
  EXPECT_EQ(ev::part_name(ev::subject_kind::audit), "finding");
  EXPECT_EQ(ev::part_name(ev::subject_kind::document), "version");
  EXPECT_EQ(ev::part_name(ev::subject_kind::objective), "measurement");
  EXPECT_EQ(ev::part_name(ev::subject_kind::review), "action");
  EXPECT_EQ(ev::part_name(ev::subject_kind::control), "");
  // Events written without a part read as evidence for the whole subject.
  EXPECT_EQ(fold({attached()}).part, "");
}

TEST(evidence, what_is_recorded_of_the_file_is_checked) {
  const auto bad = [](const char* key, json value) {
    json d = attach_data();
    d[key] = std::move(value);
    return d;
  };
  expect_rejected(when("evidence.attach", bad("digest", "ABC"), {}), rejection_kind::invalid, "data.digest");
  expect_rejected(when("evidence.attach", bad("name", "../../etc/passwd"), {}), rejection_kind::invalid, "data.name");
  expect_rejected(when("evidence.attach", bad("name", "a\nb.pdf"), {}), rejection_kind::invalid, "data.name");
  expect_rejected(when("evidence.attach", bad("media_type", "text/html<script>"), {}), rejection_kind::invalid,
                  "data.media_type");
  expect_rejected(when("evidence.attach", bad("size", -1), {}), rejection_kind::invalid, "data.size");
  expect_rejected(when("evidence.attach", bad("subject_kind", "server"), {}), rejection_kind::invalid,
                  "data.subject_kind");
  expect_rejected(when("evidence.attach", bad("review_by", std::string(today)), {}), rejection_kind::rule,
                  "data.review_by");
}

TEST(evidence, its_owner_who_attached_it_or_an_isms_manager_reviews_and_withdraws_it) {
  const events given{attached()};
  expect_rejected(when("evidence.review", {{"review_by", "2027-03-01"}}, given, owner("otto")),
                  rejection_kind::forbidden);
  const auto reviewed = when("evidence.review", {{"review_by", "2027-03-01"}, {"note", "still valid"}}, given);
  ASSERT_TRUE(reviewed) << describe(reviewed);
  events after = given;
  after.push_back(reviewed->front());
  EXPECT_EQ(fold(after).review_by, parse_date("2027-03-01"));
  // A new owner takes it over; the manager acts on any evidence.
  const auto handed = when("evidence.review", {{"owner", "otto"}}, given, manager());
  ASSERT_TRUE(handed) << describe(handed);
  events handed_over = given;
  handed_over.push_back(handed->front());
  EXPECT_EQ(fold(handed_over).owner, "otto");
  EXPECT_FALSE(fold(handed_over).review_by) << "a review without a day leaves none";
  expect_rejected(when("evidence.withdraw", {{"reason", "superseded"}}, given, owner("otto")), rejection_kind::forbidden);
  const auto w = when("evidence.withdraw", {{"reason", "superseded by the Q3 report"}}, given);
  ASSERT_TRUE(w) << describe(w);
  events gone = given;
  gone.push_back(w->front());
  EXPECT_TRUE(fold(gone).withdrawn);
  expect_rejected(when("evidence.review", {{"note", "x"}}, gone), rejection_kind::rule, "", "withdrawn");
  EXPECT_TRUE(ev::admitted_commands(fold(gone)).empty());
}

TEST(evidence, what_the_state_admits_is_what_decide_accepts) {
  const auto w = when("evidence.withdraw", {{"reason", "r"}}, {attached()});
  ASSERT_TRUE(w);
  const std::vector<events> states{{}, {attached()}, {attached(), w->front()}};
  const std::map<std::string, json> data{
      {"evidence.review", {{"review_by", "2027-01-01"}}},
      {"evidence.withdraw", {{"reason", "r"}}},
  };
  for (const auto& given : states) {
    const auto admitted = ev::admitted_commands(fold(given));
    for (const auto& [type, d] : data) {
      const bool listed = std::find(admitted.begin(), admitted.end(), type) != admitted.end();
      EXPECT_EQ(listed, when(type, d, given).has_value()) << type << " after " << given.size() << " events";
    }
  }
}

TEST(evidence, falls_due_for_review_two_weeks_before_its_day_and_is_stale_after_it) {
  const ev::state s = fold({attached()});
  const date review_by = *parse_date("2026-09-01");
  EXPECT_FALSE(ev::review_due(s, review_by - std::chrono::days{15}));
  EXPECT_TRUE(ev::review_due(s, review_by - std::chrono::days{14}));
  EXPECT_FALSE(ev::stale(s, review_by));
  EXPECT_TRUE(ev::stale(s, review_by + std::chrono::days{1}));
  ev::state none = s;
  none.review_by.reset();
  EXPECT_FALSE(ev::review_due(none, review_by + std::chrono::days{400}));
  ev::state gone = s;
  gone.withdrawn = true;
  EXPECT_FALSE(ev::stale(gone, review_by + std::chrono::days{1}));
}

// Through the pipeline: evidence on a risk, listed by subject, due for
// review in the `due` view, stale after its day, withdrawn; the register as
// of before the withdrawal; the snapshot round trip.
TEST(evidence, the_evidence_view_lists_it_by_subject_and_status_as_of_any_point) {
  testing::in_memory_log log;
  testing::register_users(log);
  const command_context mia{actor{"mia", {role::isms_manager}}, at(now), "c1"};
  ASSERT_TRUE(log.run("risk.identify", "risk-R-1", identify_data(), mia));
  json d = attach_data();
  d["owner"] = "olga";
  ASSERT_TRUE(log.run("evidence.attach", "evidence-EV-1", d, mia));
  d["evidence_id"] = "EV-2";
  d["subject_kind"] = "control";
  d["subject_id"] = "8.5";
  d.erase("review_by");
  ASSERT_TRUE(log.run("evidence.attach", "evidence-EV-2", d, mia));
  views::all_views v = views::initial_views();
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const std::uint64_t before_withdrawal = v.position;
  const auto on_risk = views::query(v, "evidence", json{{"subject_kind", "risk"}, {"subject_id", "R-1"}}, mia.by,
                                    day(today));
  ASSERT_TRUE(on_risk) << on_risk.error().message;
  ASSERT_EQ(on_risk->at("count"), 1);
  const json& row = on_risk->at("evidence")[0];
  EXPECT_EQ(row.at("digest"), digest);
  EXPECT_EQ(row.at("owner"), "olga");
  EXPECT_EQ(row.at("attached_by"), "mia");
  EXPECT_EQ(row.at("status"), "current");
  EXPECT_EQ(row.at("download"), "/api/evidence-files/EV-1");
  // Two weeks before its day it is due, for its owner; after, stale.
  const date review_by = *parse_date("2026-09-01");
  const auto due = views::query(v, "due", json::object(), mia.by, review_by - std::chrono::days{3});
  ASSERT_TRUE(due);
  ASSERT_EQ(due->at("evidence_review_due").size(), 1u) << due->dump();
  EXPECT_EQ(due->at("evidence_review_due")[0].at("owner"), "olga");
  const auto later = views::query(v, "evidence", json{{"status", "stale"}}, mia.by, review_by + std::chrono::days{1});
  ASSERT_TRUE(later);
  EXPECT_EQ(later->at("count"), 1);
  EXPECT_EQ(later->at("by_status").at("current"), 1) << "the control's evidence has no review day";
  EXPECT_EQ(views::query(v, "evidence", json{{"status", "gone"}}, mia.by, day(today)).error().kind,
            rejection_kind::invalid);

  ASSERT_TRUE(log.run("evidence.withdraw", "evidence-EV-1", {{"reason", "superseded"}}, mia));
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const auto now_ = views::query(v, "evidence", json{{"subject_id", "R-1"}}, mia.by, day(today));
  EXPECT_EQ(now_->at("evidence")[0].at("status"), "withdrawn");
  EXPECT_EQ(now_->at("evidence")[0].at("withdrawn_reason"), "superseded");
  views::all_views then = views::initial_views();
  for (const auto& e : log.all())
    if (e.position <= before_withdrawal) then = views::evolve(std::move(then), e);
  EXPECT_EQ(views::query(then, "evidence", json{{"subject_id", "R-1"}}, mia.by, day(today))->at("evidence")[0].at("status"),
            "current");
  const auto back = views::decode_snapshot(views::encode_snapshot(v));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->evidence, v.evidence);
  const auto only = views::decode_snapshot(views::encode_snapshot(v), views::views_read_by("evidence"));
  ASSERT_TRUE(only);
  EXPECT_EQ(only->evidence, v.evidence);
}

}  // namespace
}  // namespace isms::domain::evidence_test
