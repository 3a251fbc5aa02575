// Context and scope (4.1–4.4): given events, when a command, then events or a rejection.

#include "isms/domain/scope.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "stream_testing.hpp"

namespace isms::domain::scope_test {
namespace {

using namespace clause_testing;
namespace sc = scope;

const json statement_data = {
    {"boundaries", "Head office Berlin and the production cloud tenancy"},
    {"inclusions", {"Ledger SaaS platform", "Customer support"}},
    {"exclusions", {{{"item", "Canteen"}, {"justification", "Run by the landlord, no ISMS data"}}}},
    {"interfaces", "Cloud provider operates the physical data centres"},
};

sc::statement the_statement() {
  return sc::statement{"Head office Berlin and the production cloud tenancy",
                       {"Ledger SaaS platform", "Customer support"},
                       {{"Canteen", "Run by the landlord, no ISMS data"}},
                       "Cloud provider operates the physical data centres"};
}

new_event statement_set() { return sc::encode(sc::statement_set{the_statement()}); }
new_event issue_added(std::string id = "I-1") {
  return sc::encode(sc::issue_added{{id, sc::issue_kind::external, "NIS2 transposition"}});
}
new_event party_added() {
  return sc::encode(sc::interested_party_added{{"P-1", "Customers", {"Contractual confidentiality"}}});
}

const one_stream<sc::state, sc::event> subject{"scope-main", sc::initial_state, sc::decode, sc::evolve, manager()};

// The approval request recorded after `given` (its version is given.size() + 1).
new_event approval_requested(const events& given) {
  const auto s = subject.fold(given);
  approval_request req;
  req.approval_id = "scope-main.v" + std::to_string(given.size() + 1);
  req.subject_kind = "scope.change";
  req.policy.required_roles = {role::top_management};
  req.on_approved = "scope.approve";
  req.on_rejected = "scope.reject";
  req.summary = "Approve the ISMS context and scope (4.1-4.4)";
  req.content_hash = sc::content_hash(s.draft);
  return sc::encode(sc::approval_requested{req.content_hash, req});
}

json outcome(std::string id) { return approved_by_tom(std::move(id), "agreed"); }

TEST(scope, setting_the_statement_records_it_in_the_draft) {
  expect_events(subject.when("scope.set_statement", statement_data, {}), {statement_set()});
  EXPECT_EQ(subject.fold({statement_set()}).draft.scope_statement, the_statement());
}

TEST(scope, setting_the_same_statement_again_changes_nothing_and_is_rejected) {
  expect_rejected(subject.when("scope.set_statement", statement_data, {statement_set()}), rejection_kind::rule,
                  "", "nothing changes");
}

TEST(scope, the_statement_needs_boundaries_inclusions_and_justified_exclusions) {
  json d = statement_data;
  d.erase("boundaries");
  expect_rejected(subject.when("scope.set_statement", d, {}), rejection_kind::invalid, "data.boundaries");
  d = statement_data;
  d["inclusions"] = json::array();
  expect_rejected(subject.when("scope.set_statement", d, {}), rejection_kind::invalid, "data.inclusions");
  d = statement_data;
  d["exclusions"][0].erase("justification");
  expect_rejected(subject.when("scope.set_statement", d, {}), rejection_kind::invalid,
                  "data.exclusions[0].justification");
  d = statement_data;
  d["exclusions"][0]["justification"] = "   ";
  expect_rejected(subject.when("scope.set_statement", d, {}), rejection_kind::invalid,
                  "data.exclusions[0].justification", "must not be empty");
  d = statement_data;
  d["exclusions"] = {"Canteen"};
  expect_rejected(subject.when("scope.set_statement", d, {}), rejection_kind::invalid, "data.exclusions");
  d = statement_data;
  d["boundaries"] = 42;
  expect_rejected(subject.when("scope.set_statement", d, {}), rejection_kind::invalid, "data.boundaries",
                  "must be a string");
}

TEST(scope, an_issue_is_internal_or_external_with_a_unique_id) {
  const json d = {{"issue_id", "I-1"}, {"kind", "external"}, {"description", "NIS2 transposition"}};
  expect_events(subject.when("scope.add_issue", d, {}), {issue_added()});
  expect_rejected(subject.when("scope.add_issue", d, {issue_added()}), rejection_kind::rule, "data.issue_id",
                  "already recorded");
  json bad = d;
  bad["kind"] = "global";
  expect_rejected(subject.when("scope.add_issue", bad, {}), rejection_kind::invalid, "data.kind",
                  "internal, external");
  bad = d;
  bad["issue_id"] = "-bad id";
  expect_rejected(subject.when("scope.add_issue", bad, {}), rejection_kind::invalid, "data.issue_id");
}

TEST(scope, an_issue_whose_circumstances_changed_is_revised_in_place) {
  const json revised{{"issue_id", "I-1"}, {"kind", "internal"}, {"description", "the new regulation now applies to us"}};
  expect_events(subject.when("scope.update_issue", revised, {issue_added()}),
                {sc::encode(sc::issue_updated{{"I-1", sc::issue_kind::internal, "the new regulation now applies to us"}})});
  const auto s = subject.fold({issue_added(), *subject.when("scope.update_issue", revised, {issue_added()})->begin()});
  EXPECT_EQ(s.draft.issues.at("I-1").kind, sc::issue_kind::internal);
  EXPECT_EQ(s.draft.issues.at("I-1").description, "the new regulation now applies to us");
  json unknown = revised;
  unknown["issue_id"] = "I-9";
  expect_rejected(subject.when("scope.update_issue", unknown, {issue_added()}), rejection_kind::not_found,
                  "data.issue_id");
  const json same{{"issue_id", "I-1"}, {"kind", "external"}, {"description", "NIS2 transposition"}};
  expect_rejected(subject.when("scope.update_issue", same, {issue_added()}), rejection_kind::rule, "",
                  "already reads exactly so");
  expect_rejected(subject.when("scope.update_issue", revised, {issue_added()}, contributor()), rejection_kind::forbidden);
}

TEST(scope, removing_an_issue_needs_the_issue) {
  expect_rejected(subject.when("scope.remove_issue", {{"issue_id", "I-9"}}, {issue_added()}),
                  rejection_kind::not_found, "data.issue_id");
  expect_events(subject.when("scope.remove_issue", {{"issue_id", "I-1"}, {"reason", "resolved"}}, {issue_added()}),
                {sc::encode(sc::issue_removed{"I-1", "resolved"})});
  EXPECT_TRUE(subject.fold({issue_added(), sc::encode(sc::issue_removed{"I-1", ""})}).draft.issues.empty());
}

TEST(scope, an_interested_party_no_longer_relevant_is_removed_with_its_reason) {
  const json remove = {{"party_id", "P-1"}, {"reason", "contract ended; no customer data held any more"}};
  expect_rejected(subject.when("scope.remove_interested_party", remove, {}), rejection_kind::not_found, "data.party_id");
  expect_rejected(subject.when("scope.remove_interested_party", {{"party_id", "P-1"}}, {party_added()}),
                  rejection_kind::invalid, "data.reason");
  expect_events(subject.when("scope.remove_interested_party", remove, {party_added()}),
                {sc::encode(sc::interested_party_removed{"P-1", "contract ended; no customer data held any more"})});
  EXPECT_TRUE(subject.fold({party_added(), sc::encode(sc::interested_party_removed{"P-1", "gone"})}).draft.parties.empty());
  expect_rejected(subject.when("scope.remove_interested_party", remove, {party_added()}, contributor()),
                  rejection_kind::forbidden);
}

TEST(scope, interested_parties_are_added_once_and_updated_when_they_exist) {
  const json p = {{"party_id", "P-1"}, {"name", "Customers"}, {"requirements", {"Contractual confidentiality"}}};
  expect_events(subject.when("scope.add_interested_party", p, {}), {party_added()});
  expect_rejected(subject.when("scope.add_interested_party", p, {party_added()}), rejection_kind::rule,
                  "data.party_id");
  expect_rejected(subject.when("scope.update_interested_party", p, {}), rejection_kind::not_found, "data.party_id");
  expect_rejected(subject.when("scope.update_interested_party", p, {party_added()}), rejection_kind::rule, "",
                  "already reads exactly so");
  json changed = p;
  changed["requirements"] = {"Contractual confidentiality", "GDPR art. 28"};
  expect_events(subject.when("scope.update_interested_party", changed, {party_added()}),
                {sc::encode(sc::interested_party_updated{
                    {"P-1", "Customers", {"Contractual confidentiality", "GDPR art. 28"}}})});
}

TEST(scope, approval_is_requested_from_top_management_bound_to_the_draft) {
  const events given{statement_set(), issue_added(), party_added()};
  expect_events(subject.when("scope.request_approval", json::object(), given), {approval_requested(given)});
  const auto d = subject.when("scope.request_approval", json::object(), given);
  ASSERT_TRUE(d);
  const json& a = d->front().data.at("approval");
  EXPECT_EQ(a.at("approval_id"), "scope-main.v4");
  EXPECT_EQ(a.at("policy").at("required_roles"), json({"top_management"}));
  EXPECT_EQ(a.at("on_approved"), "scope.approve");
  EXPECT_EQ(a.at("content_hash"), sc::content_hash(subject.fold(given).draft));
}

TEST(scope, approval_needs_a_scope_statement) {
  expect_rejected(subject.when("scope.request_approval", json::object(), {issue_added()}), rejection_kind::rule, "",
                  "4.3");
}

// What the scope's state admits is one rule: the view's list comes from the
// function decide refuses with.
TEST(scope, the_state_rule_is_the_one_decide_applies) {
  using list = std::vector<std::string>;
  const list edits{"scope.set_statement",          "scope.add_issue",
                   "scope.update_issue",           "scope.remove_issue",
                   "scope.add_interested_party",   "scope.update_interested_party",
                   "scope.remove_interested_party"};
  events pending{statement_set()};
  pending.push_back(approval_requested(pending));
  for (const events& given : {events{}, events{issue_added()}, events{statement_set()}, pending}) {
    const auto s = subject.fold(given);
    const auto refusal = sc::state_refusal("scope.request_approval", s);
    const auto d = subject.when("scope.request_approval", json::object(), given);
    EXPECT_EQ(d.has_value(), !refusal) << given.size() << " events";
    if (refusal && !d) {
      EXPECT_EQ(d.error().message, refusal->message);
    }
    list expected = edits;
    if (!refusal) expected.push_back("scope.request_approval");
    EXPECT_EQ(sc::admitted_commands(s), expected);
  }
}

TEST(scope, approval_is_not_requested_twice) {
  events given{statement_set()};
  given.push_back(approval_requested(given));
  expect_rejected(subject.when("scope.request_approval", json::object(), given), rejection_kind::rule, "",
                  "already awaits approval");
}

TEST(scope, the_approved_draft_becomes_the_effective_scope) {
  events given{statement_set(), issue_added()};
  given.push_back(approval_requested(given));
  const auto hash = sc::content_hash(subject.fold(given).draft);
  const auto d = subject.when("scope.approve", outcome("scope-main.v3"), given, system_actor());
  expect_events(d, {sc::encode(sc::approved{"scope-main.v3", {"tom"}, "agreed", hash})});
  given.push_back(d->front());
  auto s = subject.fold(given);
  ASSERT_TRUE(s.effective.has_value());
  EXPECT_EQ(*s.effective, s.draft);
  EXPECT_EQ(s.effective_hash, hash);
  EXPECT_TRUE(s.pending_approval_id.empty());

  // The draft moves on; the effective scope stays what was approved.
  given.push_back(issue_added("I-2"));
  s = subject.fold(given);
  EXPECT_EQ(s.draft.issues.size(), 2u);
  EXPECT_EQ(s.effective->issues.size(), 1u);
  // Approving the unchanged effective scope again is pointless.
  given.pop_back();
  expect_rejected(subject.when("scope.request_approval", json::object(), given), rejection_kind::rule, "",
                  "nothing to approve");
}

TEST(scope, only_the_system_concludes_an_approval_and_only_the_pending_one) {
  events given{statement_set()};
  given.push_back(approval_requested(given));
  expect_rejected(subject.when("scope.approve", outcome("scope-main.v2"), given, top()), rejection_kind::forbidden);
  expect_rejected(subject.when("scope.approve", outcome("scope-main.v9"), given, system_actor()),
                  rejection_kind::rule, "data.approval_id");
  expect_rejected(subject.when("scope.approve", outcome("scope-main.v2"), {statement_set()}, system_actor()),
                  rejection_kind::rule, "data.approval_id", "no approval is pending");
}

TEST(scope, a_change_after_the_request_voids_the_pending_approval) {
  events given{statement_set()};
  given.push_back(approval_requested(given));
  given.push_back(issue_added());
  expect_rejected(subject.when("scope.approve", outcome("scope-main.v2"), given, system_actor()),
                  rejection_kind::rule, "data.approval_id", "no approval is pending");
  EXPECT_FALSE(subject.fold(given).effective.has_value());
}

TEST(scope, a_rejected_draft_stays_a_draft_and_can_be_put_again) {
  events given{statement_set()};
  given.push_back(approval_requested(given));
  json r = outcome("scope-main.v2");
  r["rejected_by"] = "tom";
  r["comment"] = "exclusion of the canteen needs a better reason";
  const auto d = subject.when("scope.reject", r, given, system_actor());
  expect_events(d, {sc::encode(sc::rejected{"scope-main.v2", "tom",
                                            "exclusion of the canteen needs a better reason"})});
  given.push_back(d->front());
  const auto s = subject.fold(given);
  EXPECT_FALSE(s.effective.has_value());
  EXPECT_TRUE(s.pending_approval_id.empty());
  EXPECT_TRUE(subject.when("scope.request_approval", json::object(), given).has_value());
}

TEST(scope, only_the_isms_manager_edits_the_context) {
  expect_rejected(subject.when("scope.set_statement", statement_data, {}, contributor()), rejection_kind::forbidden);
  expect_rejected(subject.when("scope.add_issue", {{"issue_id", "I-1"}, {"kind", "internal"}, {"description", "x"}},
                       {}, external()),
                  rejection_kind::forbidden);
  expect_rejected(subject.when("scope.request_approval", json::object(), {statement_set()}, admin()),
                  rejection_kind::forbidden);
}

TEST(scope, an_unknown_command_type_is_invalid) {
  expect_rejected(subject.when("scope.delete_everything", json::object(), {}), rejection_kind::invalid, "type");
  expect_rejected(subject.when("scope.add_issue", json::array(), {}), rejection_kind::invalid, "data");
}

TEST(scope, an_unreadable_history_is_a_rule_rejection_naming_the_position) {
  auto h = history_of("scope-main", {statement_set(), issue_added()});
  h[1].data.erase("kind");
  const auto d = decide_command("scope.add_issue", "scope-main", {{"issue_id", "I-2"}, {"kind", "internal"}, {"description", "x"}}, h, manager(), no_streams);
  expect_rejected(d, rejection_kind::rule, "history", "position 101");
}

TEST(scope, every_event_type_survives_encode_and_decode) {
  events given{statement_set()};
  const std::vector<sc::event> all{
      sc::statement_set{the_statement()},
      sc::issue_added{{"I-1", sc::issue_kind::internal, "Staff turnover"}},
      sc::issue_removed{"I-1", "resolved"},
      sc::interested_party_added{{"P-1", "Regulator", {"Breach notification in 72h"}}},
      sc::interested_party_updated{{"P-1", "Regulator", {}}},
      std::get<sc::approval_requested>(*sc::decode(approval_requested(given).type, approval_requested(given).data)),
      sc::approved{"scope-main.v2", {"tom", "tina"}, "ok", std::string(64, 'a')},
      sc::rejected{"scope-main.v2", "tom", "no"},
  };
  expect_round_trip(all, "scope.", sc::encode, sc::decode);
}

TEST(scope, malformed_events_decode_to_errors) {
  EXPECT_FALSE(sc::decode("scope.exploded.v1", json::object()).has_value());
  EXPECT_FALSE(sc::decode("scope.issue_added.v1", json::array()).has_value());
  EXPECT_FALSE(sc::decode("scope.issue_added.v1", {{"issue_id", "I-1"}, {"description", "x"}}).has_value());
  EXPECT_FALSE(
      sc::decode("scope.issue_added.v1", {{"issue_id", "I-1"}, {"kind", "cosmic"}, {"description", "x"}}).has_value());
  EXPECT_FALSE(sc::decode("scope.statement_set.v1", {{"boundaries", 7}}).has_value());
  EXPECT_FALSE(sc::decode("scope.approved.v1", {{"approval_id", "x"}, {"approvers", "tom"}}).has_value());
  auto req = approval_requested({statement_set()});
  req.data["approval"].erase("policy");
  const auto e = sc::decode(req.type, req.data);
  ASSERT_FALSE(e.has_value());
  EXPECT_NE(e.error().find("policy"), std::string::npos) << e.error();
}

}  // namespace
}  // namespace isms::domain::scope_test
