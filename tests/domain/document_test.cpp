// Documented information (5.2, 7.5): given events, when a command, then events or a rejection.

#include "isms/domain/document.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"

namespace isms::domain::document_test {
namespace {

using namespace clause_testing;
namespace doc = document;

const std::string policy_text = "# Information security policy\n\nWe protect what customers entrust to us.\n";
const std::string revised_text = policy_text + "\nSuppliers are bound by the same rules.\n";

doc::profile the_profile() { return doc::profile{"Information security policy", "mia", doc::classification::internal, 12}; }

json draft_data() {
  return {{"document_id", "POL-001"}, {"kind", "policy"}, {"title", "Information security policy"},
          {"owner", "mia"},           {"classification", "internal"},      {"review_interval_months", 12},
          {"text", policy_text}};
}

new_event drafted(doc::document_kind kind = doc::document_kind::policy) {
  return doc::encode(doc::drafted{"POL-001", kind, the_profile(), policy_text, sha256_hex(policy_text), ""});
}

const one_stream<doc::state, doc::event> subject{"document-POL-001", doc::initial_state, doc::decode, doc::evolve, manager()};

json outcome(const events& given) { return approved_by_tom(subject.fold(given).pending_approval_id, "approved"); }

// Drafted, approval requested and approved: version 1 ready to publish.
events approved_policy() {
  events given{drafted()};
  subject.then_record(given, "document.request_approval", json::object());
  subject.then_record(given, "document.approve", outcome(given), system_actor());
  return given;
}

events published_policy() {
  events given = approved_policy();
  subject.then_record(given, "document.publish", {{"content_sha256", sha256_hex(policy_text)}});
  return given;
}

TEST(document, drafting_records_version_1_with_the_sha256_of_its_text) {
  expect_events(subject.when("document.draft", draft_data(), {}), {drafted()});
  const auto s = subject.fold({drafted()});
  EXPECT_EQ(s.document_version, 1u);
  EXPECT_EQ(s.content_sha256, sha256_hex(policy_text));
  EXPECT_EQ(s.working, doc::stage::draft);
}

TEST(document, a_document_is_drafted_once) {
  expect_rejected(subject.when("document.draft", draft_data(), {drafted()}), rejection_kind::rule, "", "already exists");
}

TEST(document, later_commands_need_a_drafted_document) {
  expect_rejected(subject.when("document.request_approval", json::object(), {}), rejection_kind::not_found);
}

TEST(document, the_draft_payload_is_validated_field_by_field) {
  json d = draft_data();
  d["kind"] = "memo";
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.kind");
  d = draft_data();
  d["classification"] = "secret";
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.classification");
  d = draft_data();
  d["review_interval_months"] = 0;
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.review_interval_months");
  d["review_interval_months"] = 61;
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.review_interval_months");
  d["review_interval_months"] = "12";
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.review_interval_months");
  d = draft_data();
  d.erase("text");
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.text");
  d = draft_data();
  d["owner"] = "";
  expect_rejected(subject.when("document.draft", d, {}), rejection_kind::invalid, "data.owner");
}

TEST(document, a_contributor_drafts_and_revises_only_documents_they_own) {
  expect_rejected(subject.when("document.draft", draft_data(), {}, contributor()), rejection_kind::forbidden);
  json mine = draft_data();
  mine["owner"] = "carl";
  EXPECT_TRUE(subject.when("document.draft", mine, {}, contributor()).has_value());
  expect_rejected(subject.when("document.revise", {{"text", revised_text}, {"change_note", "x"}}, {drafted()}, contributor()),
                  rejection_kind::forbidden);
}

TEST(document, approval_of_a_policy_is_asked_of_top_management) {
  const auto d = subject.when("document.request_approval", json::object(), {drafted()});
  ASSERT_TRUE(d) << describe(d);
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ(d->front().type, "document.approval_requested.v1");
  const json& a = d->front().data.at("approval");
  EXPECT_EQ(a.at("approval_id"), "document-POL-001.v2");
  EXPECT_EQ(a.at("subject_kind"), "document.approval");
  EXPECT_EQ(a.at("policy").at("required_roles"), json({"top_management"}));
  EXPECT_EQ(a.at("on_approved"), "document.approve");
  EXPECT_EQ(a.at("on_rejected"), "document.reject");
  EXPECT_EQ(a.at("content_hash"), canonical_hash(doc::approval_content(subject.fold({drafted()}))));
  EXPECT_EQ(d->front().data.at("content_sha256"), sha256_hex(policy_text));
}

TEST(document, approval_of_a_procedure_or_record_is_asked_of_the_isms_manager_role) {
  for (auto kind : {doc::document_kind::procedure, doc::document_kind::record}) {
    const auto d = subject.when("document.request_approval", json::object(), {drafted(kind)});
    ASSERT_TRUE(d) << describe(d);
    EXPECT_EQ(d->front().data.at("approval").at("policy").at("required_roles"), json({"isms_manager"}));
  }
}

TEST(document, approval_is_requested_once_per_draft) {
  events given{drafted()};
  subject.then_record(given, "document.request_approval", json::object());
  expect_rejected(subject.when("document.request_approval", json::object(), given), rejection_kind::rule, "",
                  "already awaits approval");
  expect_rejected(subject.when("document.request_approval", json::object(), approved_policy()), rejection_kind::rule, "",
                  "already approved");
}

TEST(document, the_published_version_is_exactly_the_approved_one) {
  const auto given = approved_policy();
  expect_rejected(subject.when("document.publish", {{"content_sha256", sha256_hex(revised_text)}}, given),
                  rejection_kind::rule, "data.content_sha256", "byte for byte");
  expect_events(subject.when("document.publish", {{"content_sha256", sha256_hex(policy_text)}}, given),
                {doc::encode(doc::published{1, sha256_hex(policy_text), day(today)})});
  const auto s = subject.fold(published_policy());
  ASSERT_TRUE(s.in_force.has_value());
  EXPECT_EQ(s.in_force->text, policy_text);
  EXPECT_EQ(s.in_force->content_sha256, sha256_hex(policy_text));
}

TEST(document, only_an_approved_version_is_published) {
  expect_rejected(subject.when("document.publish", {{"content_sha256", sha256_hex(policy_text)}}, {drafted()}),
                  rejection_kind::rule, "", "only an approved version");
  expect_rejected(subject.when("document.publish", {{"content_sha256", sha256_hex(policy_text)}}, published_policy()),
                  rejection_kind::rule, "", "already published");
  expect_rejected(subject.when("document.publish", {{"content_sha256", "ABC"}}, approved_policy()), rejection_kind::invalid,
                  "data.content_sha256");
}

TEST(document, only_the_system_concludes_the_pending_approval) {
  events given{drafted()};
  subject.then_record(given, "document.request_approval", json::object());
  expect_rejected(subject.when("document.approve", outcome(given), given, top()), rejection_kind::forbidden);
  json wrong = outcome(given);
  wrong["approval_id"] = "document-POL-001.v9";
  expect_rejected(subject.when("document.approve", wrong, given, system_actor()), rejection_kind::rule, "data.approval_id");
}

TEST(document, a_revision_while_approval_is_pending_voids_it) {
  events given{drafted()};
  subject.then_record(given, "document.request_approval", json::object());
  const json pending = outcome(given);
  subject.then_record(given, "document.revise", {{"text", revised_text}, {"change_note", "suppliers"}});
  EXPECT_EQ(subject.fold(given).working, doc::stage::draft);
  EXPECT_EQ(subject.fold(given).document_version, 1u);  // still the draft of version 1
  expect_rejected(subject.when("document.approve", pending, given, system_actor()), rejection_kind::rule, "data.approval_id");
}

TEST(document, a_rejected_version_goes_back_to_draft) {
  events given{drafted()};
  subject.then_record(given, "document.request_approval", json::object());
  json r = outcome(given);
  r["rejected_by"] = "tom";
  subject.then_record(given, "document.reject", r, system_actor());
  EXPECT_EQ(given.back().type, "document.rejected.v1");
  EXPECT_EQ(subject.fold(given).working, doc::stage::draft);
  EXPECT_TRUE(subject.when("document.request_approval", json::object(), given).has_value());
}

TEST(document, revising_after_approval_starts_the_next_version_and_keeps_the_published_one) {
  events given = published_policy();
  const auto d = subject.when("document.revise", {{"text", revised_text}, {"change_note", "suppliers"}}, given);
  expect_events(d, {doc::encode(doc::revised{2, the_profile(), revised_text, sha256_hex(revised_text), "suppliers"})});
  given.push_back(d->front());
  const auto s = subject.fold(given);
  EXPECT_EQ(s.document_version, 2u);
  EXPECT_EQ(s.working, doc::stage::draft);
  ASSERT_TRUE(s.in_force.has_value());
  EXPECT_EQ(s.in_force->document_version, 1u);
  EXPECT_EQ(s.in_force->text, policy_text);
  // Revising the draft of version 2 again stays version 2.
  const auto again = subject.when("document.revise", {{"title", "Security policy"}, {"change_note", "shorter title"}}, given);
  ASSERT_TRUE(again) << describe(again);
  EXPECT_EQ(again->front().data.at("document_version"), 2);
}

TEST(document, a_revision_must_change_something) {
  expect_rejected(subject.when("document.revise", {{"text", policy_text}, {"change_note", "none"}}, {drafted()}),
                  rejection_kind::rule, "", "changes neither");
  expect_rejected(subject.when("document.revise", {{"text", revised_text}}, {drafted()}), rejection_kind::invalid,
                  "data.change_note");
}

TEST(document, a_review_applies_to_the_published_version_and_resets_the_review_date) {
  expect_rejected(subject.when("document.record_review", {{"outcome", "suitable"}, {"notes", "ok"}}, {drafted()}),
                  rejection_kind::rule, "", "nothing is published");
  events given = published_policy();
  EXPECT_EQ(doc::review_due_on(subject.fold(given)), day("2027-03-02"));
  EXPECT_FALSE(doc::review_due(subject.fold(given), day("2027-03-01")));
  EXPECT_TRUE(doc::review_due(subject.fold(given), day("2027-03-02")));

  const auto later = as("mia", {role::isms_manager}, "2027-03-05T10:00:00Z");
  const auto h = history_of("document-POL-001", given);
  const auto d = decide_command("document.record_review", "document-POL-001", {{"outcome", "suitable"}, {"notes", "still fits"}}, h, later,
                             no_streams);
  expect_events(d, {doc::encode(doc::reviewed{1, doc::review_outcome::suitable, "still fits", day("2027-03-05"), "mia"})});
  given.push_back(d->front());
  EXPECT_EQ(doc::review_due_on(subject.fold(given)), day("2028-03-05"));
  expect_rejected(subject.when("document.record_review", {{"outcome", "fine"}, {"notes", "x"}}, given), rejection_kind::invalid,
                  "data.outcome");
}

TEST(document, review_interval_counts_calendar_months_to_the_last_day) {
  doc::state s = subject.fold(published_policy());
  s.in_force->published_on = day("2026-01-31");
  s.about.review_interval_months = 1;
  EXPECT_EQ(doc::review_due_on(s), day("2026-02-28"));
}

TEST(document, a_retired_document_takes_no_further_commands_and_falls_due_no_more) {
  events given = published_policy();
  subject.then_record(given, "document.retire", {{"reason", "superseded by POL-002"}});
  EXPECT_EQ(given.back(), doc::encode(doc::retired{"superseded by POL-002", day(today)}));
  EXPECT_FALSE(doc::review_due_on(subject.fold(given)).has_value());
  expect_rejected(subject.when("document.revise", {{"text", revised_text}, {"change_note", "x"}}, given), rejection_kind::rule,
                  "", "retired");
  expect_rejected(subject.when("document.retire", {{"reason", "again"}}, given), rejection_kind::rule, "", "retired");
}

// What the state admits is the rule decide applies: the list of a document
// follows its stage, and what is not listed decide refuses with the same reason.
TEST(document, the_commands_a_document_admits_follow_its_stage_as_decide_does) {
  using list = std::vector<std::string>;
  EXPECT_EQ(doc::admitted_commands(subject.fold({})), list{"document.draft"});
  EXPECT_EQ(doc::admitted_commands(subject.fold({drafted()})),
            (list{"document.revise", "document.request_approval", "document.retire"}));
  events requested{drafted()};
  subject.then_record(requested, "document.request_approval", json::object());
  EXPECT_EQ(doc::admitted_commands(subject.fold(requested)), (list{"document.revise", "document.retire"}));
  EXPECT_EQ(doc::admitted_commands(subject.fold(approved_policy())),
            (list{"document.revise", "document.publish", "document.retire"}));
  EXPECT_EQ(doc::admitted_commands(subject.fold(published_policy())),
            (list{"document.revise", "document.record_review", "document.retire"}));
  events gone = published_policy();
  subject.then_record(gone, "document.retire", {{"reason", "superseded"}});
  EXPECT_TRUE(doc::admitted_commands(subject.fold(gone)).empty());

  const std::vector<std::pair<std::string, json>> commands{
      {"document.draft", draft_data()},
      {"document.revise", {{"text", revised_text}, {"change_note", "x"}}},
      {"document.request_approval", json::object()},
      {"document.publish", {{"content_sha256", sha256_hex(policy_text)}}},
      {"document.record_review", {{"outcome", "suitable"}, {"notes", "ok"}}},
      {"document.retire", {{"reason", "gone"}}},
  };
  for (const events& given : {events{}, events{drafted()}, requested, approved_policy(), published_policy(), gone}) {
    const auto s = subject.fold(given);
    for (const auto& [type, data] : commands) {
      const auto refusal = doc::state_refusal(type, s);
      const auto d = subject.when(type, data, given);
      if (refusal) {
        ASSERT_FALSE(d.has_value()) << type << " after " << given.size() << " events";
        EXPECT_EQ(d.error().message, refusal->message) << type;
      } else {
        EXPECT_TRUE(d.has_value()) << type << " after " << given.size() << " events: " << describe(d);
      }
    }
  }
}

TEST(document, roles_outside_the_table_are_forbidden) {
  expect_rejected(subject.when("document.publish", {{"content_sha256", sha256_hex(policy_text)}}, approved_policy(), contributor()),
                  rejection_kind::forbidden);
  expect_rejected(subject.when("document.request_approval", json::object(), {drafted()}, auditor()), rejection_kind::forbidden);
}

TEST(document, an_unreadable_history_is_a_rule_rejection_naming_the_position) {
  auto h = history_of("document-POL-001", {drafted()});
  h[0].data["content_sha256"] = 12;
  expect_rejected(decide_command("document.retire", "document-POL-001", {{"reason", "x"}}, h, manager(), no_streams), rejection_kind::rule,
                  "history", "position 100");
}

TEST(document, every_event_type_survives_encode_and_decode) {
  events given{drafted()};
  subject.then_record(given, "document.request_approval", json::object());
  const std::vector<doc::event> all{
      doc::drafted{"POL-001", doc::document_kind::record, the_profile(), "", sha256_hex(""), "empty record"},
      doc::revised{3, the_profile(), revised_text, sha256_hex(revised_text), "note"},
      *doc::decode(given[1].type, given[1].data),
      doc::approved{"document-POL-001.v2", 1, sha256_hex(policy_text), {"tom"}, "ok"},
      doc::rejected{"document-POL-001.v2", 1, "tom", "no"},
      doc::published{1, sha256_hex(policy_text), day("2026-03-02")},
      doc::reviewed{1, doc::review_outcome::retirement_proposed, "obsolete", day("2026-04-01"), "mia"},
      doc::retired{"superseded", day("2026-05-01")},
  };
  expect_round_trip(all, "document.", doc::encode, doc::decode);
}

TEST(document, malformed_events_decode_to_errors) {
  EXPECT_FALSE(doc::decode("document.burned.v1", json::object()).has_value());
  EXPECT_FALSE(doc::decode("document.drafted.v1", "text").has_value());
  json d = drafted().data;
  d["kind"] = "poem";
  EXPECT_FALSE(doc::decode("document.drafted.v1", d).has_value());
  EXPECT_FALSE(doc::decode("document.published.v1", {{"document_version", 1}, {"content_sha256", sha256_hex("")},
                                                     {"published_on", "2026-02-30"}})
                   .has_value());
  EXPECT_FALSE(doc::decode("document.approved.v1", {{"approval_id", "a"}, {"document_version", -1}}).has_value());
}

}  // namespace
}  // namespace isms::domain::document_test
