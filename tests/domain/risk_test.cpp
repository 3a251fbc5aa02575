#include "isms/domain/risk.hpp"

#include "isms/domain/asset.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "given.hpp"

namespace isms::domain::risk::risk_test {
namespace {

using namespace isms::domain::testing;

const std::string stream = "risk-R-1";

json identify_data(std::string owner_id = "olga") {
  return {{"title", "Ransomware on file servers"},
          {"asset", "file servers"},
          {"threat", "ransomware"},
          {"vulnerability", "unpatched SMB"},
          {"owner", owner_id},
          {"category", "operations"}};
}

identified details() {
  return identified{"Ransomware on file servers", "", "file servers", "ransomware", "unpatched SMB",
                    "olga", "operations"};
}

assessed high_assessment() { return assessed{4, 4, 16, "high", false, "seen twice last year", 0, false}; }

treatment_planned plan(int tl = 3, int ti = 4) {
  const int score = tl * ti;
  const std::string level = score <= 4 ? "low" : score <= 9 ? "medium" : score <= 16 ? "high" : "critical";
  return treatment_planned{treatment_option::modify, {"8.7", "8.8"}, "EDR and monthly patching", tl, ti,
                           score, level, score <= 9, day("2026-06-30")};
}

json plan_data(int tl = 3, int ti = 4) {
  return {{"option", "modify"},        {"controls", {"8.7", "8.8"}}, {"actions", "EDR and monthly patching"},
          {"target_likelihood", tl}, {"target_impact", ti},        {"due", "2026-06-30"}};
}

struct world {
  in_memory_log log;
  world() { register_users(log); }

  decision when(std::string_view type, const json& data, const events& given,
                const command_context& ctx = manager()) {
    const auto h = history_of(stream, given);
    return log.decide(type, stream, data, h, ctx);
  }
};

events planned() { return {encode(details()), encode(high_assessment()), encode(plan())}; }

acceptance_requested request_event(const events& given) {
  // Decide the request on `given` to get the exact event.
  world w;
  auto d = w.when("risk.request_acceptance", {{"review_date", "2027-03-01"}}, given);
  EXPECT_TRUE(d.has_value());
  auto e = decode((*d)[0].type, (*d)[0].data);
  return std::get<acceptance_requested>(*e);
}

events requested() {
  auto e = planned();
  e.push_back(encode(request_event(planned())));
  return e;
}

events accepted_until(std::string_view review) {
  auto e = requested();
  e.push_back(encode(accepted{"risk-R-1.v4", {"olga", "tom"}, "ok", day(review)}));
  return e;
}

approval_outcome outcome(std::string id = "risk-R-1.v4") { return {std::move(id), {"olga", "tom"}, "fine", {}}; }

// ---- identify ------------------------------------------------------------------

TEST(RiskIdentify, RecordsEveryDetailAnAuditorNeeds) {
  world w;
  const auto d = w.when("risk.identify", identify_data(), {});
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].type, "risk.identified.v2");
  EXPECT_EQ((*d)[0], encode(details()));
}

// ---- assets by id ------------------------------------------------------------

// The inventory: in use, A-9 retired.
void register_assets(in_memory_log& log) {
  for (const std::string id : {"A-1", "A-2", "A-9"}) {
    asset::registered r;
    r.asset_id = id;
    r.recorded.name = "asset " + id;
    r.recorded.type = asset::kind::hardware;
    r.recorded.owner = "olga";
    r.recorded.location = "DC1";
    r.level = "internal";
    r.registered_on = day("2026-01-05");
    r.registered_by = "mia";
    log.append("asset-" + id, {asset::encode(r)}, manager());
  }
  log.append("asset-A-9", {asset::encode(asset::retired{"shredded", "ticket 77", day("2026-02-01"), "mia"})}, manager());
}

TEST(RiskAssets, ARiskNamesRegisteredAssetsInUseOrTheAssetInWords) {
  world w;
  register_assets(w.log);
  json d = identify_data();
  d["asset_ids"] = {"A-1", "A-2"};
  const auto named = w.when("risk.identify", d, {});
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(std::get<identified>(*decode((*named)[0].type, (*named)[0].data)).asset_ids,
            (std::vector<std::string>{"A-1", "A-2"}));
  // Ids alone, without words, are enough; neither is refused.
  d.erase("asset");
  EXPECT_TRUE(w.when("risk.identify", d, {}));
  d["asset_ids"] = json::array();
  EXPECT_REJECTED(w.when("risk.identify", d, {}), rejection_kind::invalid, "data.asset");
  // Every id is in the inventory and in use, and named once.
  d["asset_ids"] = {"A-1", "A-7"};
  EXPECT_REJECTED(w.when("risk.identify", d, {}), rejection_kind::not_found, "data.asset_ids[1]");
  d["asset_ids"] = {"A-9"};
  EXPECT_REJECTED(w.when("risk.identify", d, {}), rejection_kind::rule, "data.asset_ids[0]");
  d["asset_ids"] = {"A-1", "A-1"};
  EXPECT_REJECTED(w.when("risk.identify", d, {}), rejection_kind::invalid, "data.asset_ids[1]");
  d["asset_ids"] = {"../A-1"};
  EXPECT_REJECTED(w.when("risk.identify", d, {}), rejection_kind::invalid, "data.asset_ids[0]");
}

TEST(RiskAssets, ARiskIdentifiedInWordsIsLinkedToTheInventoryLater) {
  world w;
  register_assets(w.log);
  const events given{encode(details())};
  const json link{{"asset_ids", {"A-2"}}, {"reason", "the file servers are A-2 in the inventory"}};
  const auto linked = w.when("risk.link_assets", link, given);
  ASSERT_TRUE(linked) << linked.error().message;
  EXPECT_EQ((*linked)[0], encode(assets_linked{{"A-2"}, {}, "the file servers are A-2 in the inventory"}));
  events after = given;
  after.push_back((*linked)[0]);
  const auto s = fold(history_of(stream, after));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->details.asset_ids, (std::vector<std::string>{"A-2"}));
  EXPECT_EQ(s->details.asset, "file servers") << "the words stay as identified";
  // The same set again says nothing new.
  EXPECT_REJECTED(w.when("risk.link_assets", link, after), rejection_kind::rule, "data.asset_ids");
  // A retired asset may stay linked but is not newly linked.
  EXPECT_REJECTED(w.when("risk.link_assets", {{"asset_ids", {"A-2", "A-9"}}, {"reason", "x"}}, after),
                  rejection_kind::rule, "data.asset_ids[1]");
  EXPECT_REJECTED(w.when("risk.link_assets", {{"asset_ids", {"A-3"}}, {"reason", "x"}}, after),
                  rejection_kind::not_found, "data.asset_ids[0]");
  // Unlinking everything leaves the words.
  EXPECT_TRUE(w.when("risk.link_assets", {{"asset_ids", json::array()}, {"reason", "wrong asset"}}, after));
  // Its owner may link; another owner may not; nor while acceptance is decided; nor once retired.
  EXPECT_TRUE(w.when("risk.link_assets", link, given, owner()));
  EXPECT_REJECTED(w.when("risk.link_assets", link, given, other_owner()), rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("risk.link_assets", link, requested()), rejection_kind::rule, "");
  events gone = given;
  gone.push_back(encode(retired{"merged"}));
  EXPECT_REJECTED(w.when("risk.link_assets", link, gone), rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("risk.link_assets", link, {}), rejection_kind::not_found, "");
}

TEST(RiskAssets, ARiskIdentifiedBeforeAssetIdsIsReadThroughItsUpcaster) {
  // As written by earlier releases: risk.identified.v1, the asset in words only.
  const json v1 = identify_data();
  const auto e = decode("risk.identified.v1", v1);
  ASSERT_TRUE(e) << e.error();
  const auto& x = std::get<identified>(*e);
  EXPECT_EQ(x, details()) << "every field as written, and no asset ids";
  EXPECT_TRUE(x.asset_ids.empty());
  // The upcaster adds the list and changes nothing else.
  json expected = v1;
  expected["asset_ids"] = json::array();
  EXPECT_EQ(upcast_identified_v1(v1), expected);
  // A stream begun in v1 folds, and takes links and further commands.
  world w;
  register_assets(w.log);
  const events given{new_event{"risk.identified.v1", v1}, encode(high_assessment())};
  const auto s = fold(history_of(stream, given));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->details.asset, "file servers");
  EXPECT_EQ(s->status_, status::assessed);
  EXPECT_TRUE(w.when("risk.link_assets", {{"asset_ids", {"A-1"}}, {"reason", "inventory built"}}, given));
  // A malformed v1 is refused as before, not upcast into something valid.
  EXPECT_FALSE(decode("risk.identified.v1", json::array()));
  EXPECT_FALSE(decode("risk.identified.v1", json{{"title", 3}}));
}

TEST(RiskIdentify, OnlyOnAnEmptyStream) {
  world w;
  EXPECT_REJECTED(w.when("risk.identify", identify_data(), {encode(details())}), rejection_kind::rule, "");
}

TEST(RiskIdentify, ARiskOwnerIdentifiesOnlyRisksTheyOwn) {
  world w;
  EXPECT_REJECTED(w.when("risk.identify", identify_data("olga"), {}, other_owner()),
                  rejection_kind::forbidden, "");
  EXPECT_TRUE(w.when("risk.identify", identify_data("otto"), {}, other_owner()));
}

TEST(RiskIdentify, OwnerMustBeARegisteredEnabledUser) {
  world w;
  EXPECT_REJECTED(w.when("risk.identify", identify_data("nobody"), {}), rejection_kind::not_found, "data.owner");
  EXPECT_REJECTED(w.when("risk.identify", identify_data("dora"), {}), rejection_kind::rule, "data.owner");
}

TEST(RiskIdentify, ContributorMayNotIdentify) {
  world w;
  EXPECT_REJECTED(w.when("risk.identify", identify_data(), {}, contributor()), rejection_kind::forbidden, "");
}

TEST(RiskParse, NamesTheFieldAndTheRule) {
  struct bad {
    const char* type;
    json data;
    const char* field;
  };
  auto without = [](json j, const char* k) {
    j.erase(k);
    return j;
  };
  auto with = [](json j, const char* k, json v) {
    j[k] = std::move(v);
    return j;
  };
  const bad cases[] = {
      {"risk.identify", without(identify_data(), "title"), "data.title"},
      {"risk.identify", with(identify_data(), "title", 7), "data.title"},
      {"risk.identify", with(identify_data(), "title", "   "), "data.title"},
      {"risk.identify", with(identify_data(), "title", std::string(301, 'x')), "data.title"},
      {"risk.identify", without(identify_data(), "asset"), "data.asset"},
      {"risk.identify", without(identify_data(), "threat"), "data.threat"},
      {"risk.identify", without(identify_data(), "vulnerability"), "data.vulnerability"},
      {"risk.identify", with(identify_data(), "owner", "olga smith"), "data.owner"},
      {"risk.identify", without(identify_data(), "category"), "data.category"},
      {"risk.assess", {{"impact", 3}, {"rationale", "r"}}, "data.likelihood"},
      {"risk.assess", {{"likelihood", "3"}, {"impact", 3}, {"rationale", "r"}}, "data.likelihood"},
      {"risk.assess", {{"likelihood", 2.5}, {"impact", 3}, {"rationale", "r"}}, "data.likelihood"},
      {"risk.assess", {{"likelihood", 0}, {"impact", 3}, {"rationale", "r"}}, "data.likelihood"},
      {"risk.assess", {{"likelihood", 3}, {"impact", 11}, {"rationale", "r"}}, "data.impact"},
      {"risk.assess", {{"likelihood", 3}, {"impact", 3}}, "data.rationale"},
      {"risk.plan_treatment", with(plan_data(), "option", "transfer"), "data.option"},
      {"risk.plan_treatment", with(plan_data(), "controls", {"8.7", "5.38"}), "data.controls[1]"},
      {"risk.plan_treatment", with(plan_data(), "controls", {"8.7", "8.7"}), "data.controls[1]"},
      {"risk.plan_treatment", with(plan_data(), "controls", "8.7"), "data.controls"},
      {"risk.plan_treatment", with(plan_data(), "due", "2026-02-30"), "data.due"},
      {"risk.plan_treatment", with(plan_data(), "due", "30/06/2026"), "data.due"},
      {"risk.plan_treatment", without(plan_data(), "target_impact"), "data.target_impact"},
      {"risk.request_acceptance", {{"review_date", "next year"}}, "data.review_date"},
      {"risk.accept", {{"approvers", {"olga"}}}, "data.approval_id"},
      {"risk.accept", {{"approval_id", "x"}, {"approvers", "olga"}}, "data.approvers"},
      {"risk.retire", json::object(), "data.reason"},
      {"risk.delete", json::object(), "type"},
  };
  for (const auto& c : cases) {
    const auto r = parse_command(c.type, c.data);
    ASSERT_FALSE(r) << c.type << " " << c.data.dump();
    EXPECT_EQ(r.error().kind, rejection_kind::invalid) << c.data.dump();
    EXPECT_EQ(r.error().field, c.field) << c.data.dump();
  }
  EXPECT_EQ(parse_command("risk.assess", json::array()).error().field, "data");
}

// ---- assess ----------------------------------------------------------------------

TEST(RiskAssess, ScoresLikelihoodTimesImpactOnTheDefaultMatrix) {
  world w;
  const auto d = w.when("risk.assess", {{"likelihood", 4}, {"impact", 4}, {"rationale", "seen twice last year"}},
                        {encode(details())});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(high_assessment()));
  const auto m = w.when("risk.assess", {{"likelihood", 2}, {"impact", 3}, {"rationale", "r"}}, {encode(details())});
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[0].data.at("level"), "medium");
  EXPECT_EQ((*m)[0].data.at("within_appetite"), true);
}

TEST(RiskAssess, ReadsTheConfiguredMatrixAndRecordsItsVersion) {
  world w;
  risk_matrix::matrix three{{"low", "mid", "high"}, {"low", "mid", "high"},
                            {{"green", 1, 2}, {"amber", 3, 4}, {"red", 5, 9}}, "green", 0};
  w.log.append(std::string(risk_matrix::stream_id),
               {risk_matrix::encode(risk_matrix::configured{three, "mia", "smaller scale"})}, manager());
  const auto d = w.when("risk.assess", {{"likelihood", 2}, {"impact", 2}, {"rationale", "r"}}, {encode(details())});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].data.at("level"), "amber");
  EXPECT_EQ((*d)[0].data.at("within_appetite"), false);
  EXPECT_EQ((*d)[0].data.at("matrix_version"), 1);
  EXPECT_REJECTED(w.when("risk.assess", {{"likelihood", 4}, {"impact", 1}, {"rationale", "r"}}, {encode(details())}),
                  rejection_kind::invalid, "data.likelihood");
  EXPECT_REJECTED(w.when("risk.assess", {{"likelihood", 1}, {"impact", 4}, {"rationale", "r"}}, {encode(details())}),
                  rejection_kind::invalid, "data.impact");
}

TEST(RiskAssess, SecondAssessmentIsAReassessment) {
  world w;
  const auto d = w.when("risk.assess", {{"likelihood", 2}, {"impact", 2}, {"rationale", "r"}},
                        {encode(details()), encode(high_assessment())});
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[0].data.at("reassessment"), true);
}

TEST(RiskAssess, RiskMustExistAndNotBeRetired) {
  world w;
  const json a{{"likelihood", 2}, {"impact", 2}, {"rationale", "r"}};
  EXPECT_REJECTED(w.when("risk.assess", a, {}), rejection_kind::not_found, "");
  EXPECT_REJECTED(w.when("risk.assess", a, {encode(details()), encode(retired{"asset gone"})}),
                  rejection_kind::rule, "");
}

TEST(RiskAssess, ARiskOwnerAssessesOnlyTheirOwnRisks) {
  world w;
  const json a{{"likelihood", 2}, {"impact", 2}, {"rationale", "r"}};
  EXPECT_REJECTED(w.when("risk.assess", a, {encode(details())}, other_owner()), rejection_kind::forbidden, "");
  EXPECT_TRUE(w.when("risk.assess", a, {encode(details())}, owner()));
}

// ---- plan treatment -------------------------------------------------------------

TEST(RiskPlan, RecordsTheTargetResidualLevel) {
  world w;
  const auto d = w.when("risk.plan_treatment", plan_data(), {encode(details()), encode(high_assessment())});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(plan()));
}

TEST(RiskPlan, OnlyAfterAssessmentAndBeforeAcceptance) {
  world w;
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(), {encode(details())}), rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(), accepted_until("2027-03-01")), rejection_kind::rule, "");
}

TEST(RiskPlan, ModifyNeedsAControl) {
  world w;
  auto data = plan_data();
  data["controls"] = json::array();
  EXPECT_REJECTED(w.when("risk.plan_treatment", data, {encode(details()), encode(high_assessment())}),
                  rejection_kind::rule, "data.controls");
}

TEST(RiskPlan, TreatmentOtherThanRetainDescribesItsActions) {
  world w;
  auto data = plan_data();
  data.erase("actions");
  EXPECT_REJECTED(w.when("risk.plan_treatment", data, {encode(details()), encode(high_assessment())}),
                  rejection_kind::rule, "data.actions");
}

TEST(RiskPlan, RetainKeepsTheAssessedRisk) {
  world w;
  json data{{"option", "retain"}, {"target_likelihood", 3}, {"target_impact", 4}, {"due", "2026-06-30"}};
  EXPECT_REJECTED(w.when("risk.plan_treatment", data, {encode(details()), encode(high_assessment())}),
                  rejection_kind::rule, "data.target_likelihood");
  data["target_likelihood"] = 4;
  EXPECT_TRUE(w.when("risk.plan_treatment", data, {encode(details()), encode(high_assessment())}));
}

TEST(RiskPlan, TargetCannotExceedTheAssessedRisk) {
  world w;
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(5, 4), {encode(details()), encode(high_assessment())}),
                  rejection_kind::rule, "data.target_likelihood");
}

TEST(RiskPlan, TargetMustFitTheMatrix) {
  world w;
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(1, 6), {encode(details()), encode(high_assessment())}),
                  rejection_kind::invalid, "data.target_impact");
}

TEST(RiskPlan, DueDateIsNotInThePast) {
  world w;
  auto data = plan_data();
  data["due"] = "2026-03-01";
  EXPECT_REJECTED(w.when("risk.plan_treatment", data, {encode(details()), encode(high_assessment())}),
                  rejection_kind::rule, "data.due");
  data["due"] = "2026-03-02";
  EXPECT_TRUE(w.when("risk.plan_treatment", data, {encode(details()), encode(high_assessment())}));
}

TEST(RiskPlan, ARiskOwnerPlansOnlyTheirOwnRisks) {
  world w;
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(), {encode(details()), encode(high_assessment())},
                         other_owner()),
                  rejection_kind::forbidden, "");
}

// ---- request acceptance -----------------------------------------------------------

TEST(RiskRequestAcceptance, AboveAppetiteNeedsTheOwnerThenTopManagement) {
  world w;
  const auto d = w.when("risk.request_acceptance", {{"review_date", "2027-03-01"}, {"comment", "as planned"}},
                        planned());
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  const auto& data = (*d)[0].data;
  EXPECT_EQ((*d)[0].type, "risk.acceptance_requested.v1");
  EXPECT_EQ(data.at("residual_level"), "high");
  EXPECT_EQ(data.at("above_appetite"), true);
  EXPECT_EQ(data.at("review_date"), "2027-03-01");
  const auto& a = data.at("approval");
  EXPECT_EQ(a.at("approval_id"), "risk-R-1.v4");
  EXPECT_EQ(a.at("subject_kind"), "risk.acceptance");
  EXPECT_EQ(a.at("on_approved"), "risk.accept");
  EXPECT_EQ(a.at("on_rejected"), "risk.reject_acceptance");
  EXPECT_EQ(a.at("policy"), (json{{"required_roles", {"top_management"}}, {"required_users", {"olga"}},
                                  {"min_approvals", 2}, {"ordered", true}, {"version", 1}}));
  auto s = fold(history_of(stream, planned()));
  ASSERT_TRUE(s);
  const auto e = std::get<acceptance_requested>(*decode((*d)[0].type, data));
  EXPECT_EQ(a.at("content_hash"), canonical_hash(acceptance_content(*s, e)));
}

TEST(RiskRequestAcceptance, WithinAppetiteNeedsOnlyTheOwner) {
  world w;
  events given{encode(details()), encode(high_assessment()), encode(plan(3, 3))};
  const auto d = w.when("risk.request_acceptance", json::object(), given);
  ASSERT_TRUE(d) << d.error().message;
  const auto& data = (*d)[0].data;
  EXPECT_EQ(data.at("above_appetite"), false);
  EXPECT_EQ(data.at("review_date"), "2027-03-02");  // one year by default
  EXPECT_EQ(data.at("approval").at("policy").at("required_roles"), json::array());
  EXPECT_EQ(data.at("approval").at("policy").at("min_approvals"), 1);
}

TEST(RiskRequestAcceptance, ContentHashChangesWithTheTreatment) {
  world w;
  const auto a = w.when("risk.request_acceptance", json::object(), planned());
  events other{encode(details()), encode(high_assessment()), encode(plan(2, 4))};
  const auto b = w.when("risk.request_acceptance", json::object(), other);
  ASSERT_TRUE(a && b);
  EXPECT_NE((*a)[0].data.at("approval").at("content_hash"), (*b)[0].data.at("approval").at("content_hash"));
}

TEST(RiskRequestAcceptance, TheOwnerCannotRequestWhatTheyApprove) {
  world w;
  const auto both = as("olga", {role::isms_manager, role::risk_owner});
  EXPECT_REJECTED(w.when("risk.request_acceptance", json::object(), planned(), both), rejection_kind::rule, "");
}

TEST(RiskRequestAcceptance, OnlyOnceTheTreatmentIsPlannedAndNotTwice) {
  world w;
  EXPECT_REJECTED(w.when("risk.request_acceptance", json::object(), {encode(details()), encode(high_assessment())}),
                  rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("risk.request_acceptance", json::object(), requested()), rejection_kind::rule, "");
}

TEST(RiskRequestAcceptance, ReviewDateIsAfterTodayAndWithinThreeYears) {
  world w;
  EXPECT_REJECTED(w.when("risk.request_acceptance", {{"review_date", "2026-03-02"}}, planned()),
                  rejection_kind::rule, "data.review_date");
  EXPECT_REJECTED(w.when("risk.request_acceptance", {{"review_date", "2029-12-31"}}, planned()),
                  rejection_kind::rule, "data.review_date");
  EXPECT_TRUE(w.when("risk.request_acceptance", {{"review_date", "2026-03-03"}}, planned()));
}

TEST(RiskRequestAcceptance, ALongTitleStillGivesAnOpenableRequest) {
  world w;
  identified long_title = details();
  long_title.title = std::string(290, 'T');
  const events given{encode(long_title), encode(high_assessment()), encode(plan())};
  const auto d = w.when("risk.request_acceptance", json::object(), given);
  ASSERT_TRUE(d.has_value());
  const std::string summary = (*d)[0].data.at("approval").at("summary");
  EXPECT_LE(summary.size(), 300u);  // the approval request accepts one-line summaries only (docs/domain.md)
  EXPECT_TRUE(summary.starts_with("Accept the residual risk of risk-R-1"));
}

TEST(RiskRequestAcceptance, OnlyTheIsmsManagerRequests) {
  world w;
  EXPECT_REJECTED(w.when("risk.request_acceptance", json::object(), planned(), other_owner()),
                  rejection_kind::forbidden, "");
}

// ---- accept / reject -----------------------------------------------------------------

TEST(RiskAccept, SystemAcceptsThePendingApprovalUntilTheReviewDate) {
  world w;
  const auto d = w.when("risk.accept", to_json(outcome()), requested(), system_actor());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(accepted{"risk-R-1.v4", {"olga", "tom"}, "fine", day("2027-03-01")}));
}

TEST(RiskAccept, OnlyFromSystemAndOnlyForThePendingApproval) {
  world w;
  EXPECT_REJECTED(w.when("risk.accept", to_json(outcome()), requested(), manager()), rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("risk.accept", to_json(outcome("risk-R-1.v2")), requested(), system_actor()),
                  rejection_kind::rule, "data.approval_id");
  EXPECT_REJECTED(w.when("risk.accept", to_json(outcome()), planned(), system_actor()), rejection_kind::rule,
                  "data.approval_id");
}

TEST(RiskRejectAcceptance, ReturnsToTreatmentPlanning) {
  world w;
  auto o = outcome();
  o.rejected_by = "tom";
  o.comment = "too high";
  const auto d = w.when("risk.reject_acceptance", to_json(o), requested(), system_actor());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(acceptance_rejected{"risk-R-1.v4", {"olga", "tom"}, "tom", "too high"}));
  auto given = requested();
  given.push_back((*d)[0]);
  auto s = fold(history_of(stream, given));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status_, status::treatment_planned);
  EXPECT_FALSE(s->pending);
  const auto again = w.when("risk.request_acceptance", json::object(), given);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].data.at("approval").at("approval_id"), "risk-R-1.v6");
}

TEST(RiskRejectAcceptance, NamesWhoRejected) {
  world w;
  EXPECT_REJECTED(w.when("risk.reject_acceptance", to_json(outcome()), requested(), system_actor()),
                  rejection_kind::invalid, "data.rejected_by");
}

TEST(RiskChangeWhilePending, WithdrawsTheRequest) {
  world w;
  const auto d = w.when("risk.plan_treatment", plan_data(2, 4), requested());
  ASSERT_TRUE(d) << d.error().message;
  auto given = requested();
  given.push_back((*d)[0]);
  EXPECT_REJECTED(w.when("risk.accept", to_json(outcome()), given, system_actor()), rejection_kind::rule,
                  "data.approval_id");
}

// ---- expiry and reassessment -------------------------------------------------------

TEST(RiskExpire, AtTheReviewDateTheRiskReturnsToAssessment) {
  world w;
  const auto given = accepted_until("2027-03-01");
  EXPECT_REJECTED(w.when("risk.expire_acceptance", json::object(), given, system_actor("2027-02-28T23:59:59.999Z")),
                  rejection_kind::rule, "");
  const auto d = w.when("risk.expire_acceptance", json::object(), given, system_actor("2027-03-01T00:00:00.000Z"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(acceptance_expired{day("2027-03-01"), day("2027-03-01")}));
  auto after = given;
  after.push_back((*d)[0]);
  EXPECT_EQ(fold(history_of(stream, after))->status_, status::acceptance_expired);
  EXPECT_REJECTED(w.when("risk.request_acceptance", json::object(), after, manager("2027-03-02T09:00:00.000Z")),
                  rejection_kind::rule, "");
  const auto re = w.when("risk.assess", {{"likelihood", 3}, {"impact", 4}, {"rationale", "after a year"}}, after,
                         manager("2027-03-02T09:00:00.000Z"));
  ASSERT_TRUE(re);
  EXPECT_EQ((*re)[0].data.at("reassessment"), true);
}

TEST(RiskExpire, OnlyTheSchedulerAndOnlyAnAcceptanceInForce) {
  world w;
  EXPECT_REJECTED(w.when("risk.expire_acceptance", json::object(), accepted_until("2026-03-01"), manager()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("risk.expire_acceptance", json::object(), planned(), system_actor()), rejection_kind::rule, "");
}

// ---- retire ---------------------------------------------------------------------------

TEST(RiskRetire, WithAReasonAndOnlyOnce) {
  world w;
  const auto d = w.when("risk.retire", {{"reason", "server decommissioned"}}, planned());
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[0], encode(retired{"server decommissioned"}));
  auto given = planned();
  given.push_back((*d)[0]);
  EXPECT_REJECTED(w.when("risk.retire", {{"reason", "again"}}, given), rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(), given), rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("risk.retire", {{"reason", "x"}}, planned(), owner()), rejection_kind::forbidden, "");
}

// ---- treatment implemented (8.3) --------------------------------------------------------

TEST(RiskTreatmentImplemented, RecordsTheEvidenceOnceForThePlanInForce) {
  world w;
  const auto d = w.when("risk.record_treatment_implemented", {{"evidence", "EDR on all 40 servers, report TR-7"}},
                        planned(), owner("2026-05-04T10:00:00.000Z"));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(treatment_implemented{"EDR on all 40 servers, report TR-7", day("2026-05-04")}));
  auto given = planned();
  given.push_back((*d)[0]);
  EXPECT_REJECTED(w.when("risk.record_treatment_implemented", {{"evidence", "again"}}, given), rejection_kind::rule, "");
  // A new plan starts over.
  const auto replanned = w.when("risk.plan_treatment", plan_data(2, 4), given);
  ASSERT_TRUE(replanned);
  given.push_back((*replanned)[0]);
  EXPECT_FALSE(fold(history_of(stream, given))->implemented.has_value());
  EXPECT_TRUE(w.when("risk.record_treatment_implemented", {{"evidence", "done"}}, given));
}

TEST(RiskTreatmentImplemented, NeedsAPlanNotBeingDecidedAndTheOwnerOrManager) {
  world w;
  EXPECT_REJECTED(w.when("risk.record_treatment_implemented", {{"evidence", "x"}}, {encode(details())}),
                  rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("risk.record_treatment_implemented", {{"evidence", "x"}}, requested()), rejection_kind::rule, "");
  EXPECT_TRUE(w.when("risk.record_treatment_implemented", {{"evidence", "x"}}, accepted_until("2027-03-01")));
  EXPECT_REJECTED(w.when("risk.record_treatment_implemented", {{"evidence", "x"}}, planned(), other_owner()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("risk.record_treatment_implemented", {{"evidence", "x"}}, planned(), contributor()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("risk.record_treatment_implemented", json::object(), planned()), rejection_kind::invalid,
                  "data.evidence");
}

// ---- what the state admits ---------------------------------------------------

std::vector<std::string> admitted_after(const events& given) {
  auto s = fold(history_of(stream, given));
  EXPECT_TRUE(s.has_value());
  return s ? admitted_commands(*s) : std::vector<std::string>{};
}

TEST(RiskAdmittedCommands, FollowTheLifecycle) {
  using list = std::vector<std::string>;
  EXPECT_EQ(admitted_after({}), list{"risk.identify"});
  EXPECT_EQ(admitted_after({encode(details())}),
            (list{"risk.assess", "risk.change_owner", "risk.link_assets", "risk.retire"}));
  EXPECT_EQ(admitted_after({encode(details()), encode(high_assessment())}),
            (list{"risk.assess", "risk.plan_treatment", "risk.change_owner", "risk.link_assets", "risk.retire"}));
  EXPECT_EQ(admitted_after(planned()),
            (list{"risk.assess", "risk.plan_treatment", "risk.request_acceptance",
                  "risk.record_treatment_implemented", "risk.change_owner", "risk.link_assets", "risk.retire"}));
  // While acceptance is decided, the assets it concerns stay as they are.
  EXPECT_EQ(admitted_after(requested()),
            (list{"risk.assess", "risk.plan_treatment", "risk.change_owner", "risk.retire"}));
  // An accepted risk's plan is not revised: it is reassessed.
  EXPECT_EQ(admitted_after(accepted_until("2027-03-01")),
            (list{"risk.assess", "risk.record_treatment_implemented", "risk.change_owner", "risk.link_assets",
                  "risk.retire"}));
  auto done = planned();
  done.push_back(encode(treatment_implemented{"EDR", day("2026-03-01")}));
  EXPECT_EQ(admitted_after(done), (list{"risk.assess", "risk.plan_treatment", "risk.request_acceptance",
                                        "risk.change_owner", "risk.link_assets", "risk.retire"}));
  auto gone = planned();
  gone.push_back(encode(retired{"asset decommissioned"}));
  EXPECT_TRUE(admitted_after(gone).empty());
}

// The list is the rule decide applies: what the state does not admit, decide
// refuses with the same reason; what it admits, decide does not refuse for
// the state.
TEST(RiskAdmittedCommands, DecideRefusesExactlyWhatTheStateDoesNotAdmit) {
  world w;
  const std::vector<std::pair<std::string, json>> commands{
      {"risk.identify", identify_data()},
      {"risk.assess", {{"likelihood", 3}, {"impact", 3}, {"rationale", "r"}}},
      {"risk.plan_treatment", plan_data(2, 4)},
      {"risk.request_acceptance", {{"review_date", "2027-03-01"}}},
      {"risk.record_treatment_implemented", {{"evidence", "e"}}},
      {"risk.change_owner", {{"owner", "otto"}, {"reason", "moved"}}},
      {"risk.retire", {{"reason", "gone"}}},
  };
  auto done = planned();
  done.push_back(encode(treatment_implemented{"EDR", day("2026-03-01")}));
  auto gone = planned();
  gone.push_back(encode(retired{"asset decommissioned"}));
  for (const events& given : {events{}, events{encode(details())}, events{encode(details()), encode(high_assessment())},
                              planned(), requested(), accepted_until("2027-03-01"), done, gone}) {
    const auto s = fold(history_of(stream, given));
    ASSERT_TRUE(s);
    const auto admitted = admitted_commands(*s);
    for (const auto& [type, data] : commands) {
      const auto d = w.when(type, data, given);
      const auto refusal = state_refusal(type, *s);
      const bool listed = std::ranges::find(admitted, type) != admitted.end();
      EXPECT_EQ(listed, !refusal.has_value()) << type;
      if (refusal) {
        ASSERT_FALSE(d) << type << " after " << given.size() << " events";
        EXPECT_EQ(d.error().message, refusal->message) << type;
      } else {
        if (!d) ADD_FAILURE() << type << " after " << given.size() << " events: " << d.error().message;
      }
    }
  }
}

TEST(RiskTimeRules, AnAcceptedRisksTreatmentIsOverdueUntilRecordedAsImplemented) {
  auto given = accepted_until("2027-03-01");  // treatment due 2026-06-30
  auto s = fold(history_of(stream, given));
  ASSERT_TRUE(s);
  std::vector<state> all{*s};
  auto due = due_on(all, day("2026-07-01"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, due_kind::treatment_overdue);
  given.push_back(encode(treatment_implemented{"done", day("2026-07-02")}));
  all = {*fold(history_of(stream, given))};
  EXPECT_TRUE(due_on(all, day("2026-07-03")).empty());
}

// ---- change of owner ---------------------------------------------------------------------

TEST(RiskChangeOwner, HandsTheRiskToAnotherRegisteredEnabledUser) {
  world w;
  const auto d = w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "olga moved to finance"}}, planned());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0], encode(owner_changed{"olga", "otto", "olga moved to finance", false}));
  auto given = planned();
  given.push_back((*d)[0]);
  const auto s = fold(history_of(stream, given));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->details.owner, "otto");
  EXPECT_EQ(s->status_, status::treatment_planned);
  // The new owner now acts on it as its owner; the previous one no longer does.
  EXPECT_TRUE(w.when("risk.plan_treatment", plan_data(2, 4), given, other_owner()));
  EXPECT_REJECTED(w.when("risk.plan_treatment", plan_data(2, 4), given, owner()), rejection_kind::forbidden, "");

  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "again"}}, given), rejection_kind::rule,
                  "data.owner");
  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "nobody"}, {"reason", "x"}}, planned()),
                  rejection_kind::not_found, "data.owner");
  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "dora"}, {"reason", "x"}}, planned()), rejection_kind::rule,
                  "data.owner");
  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "otto"}}, planned()), rejection_kind::invalid, "data.reason");
  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "x"}}, {}), rejection_kind::not_found, "");
}

TEST(RiskChangeOwner, OnlyTheIsmsManager) {
  world w;
  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "x"}}, planned(), owner()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "x"}}, planned(), contributor()),
                  rejection_kind::forbidden, "");
}

TEST(RiskChangeOwner, WithdrawsAPendingAcceptanceAndKeepsOneInForce) {
  world w;
  const auto d = w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "reorganisation"}}, requested());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].data.at("acceptance_withdrawn"), true);
  auto given = requested();
  given.push_back((*d)[0]);
  const auto s = fold(history_of(stream, given));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status_, status::treatment_planned);
  EXPECT_FALSE(s->pending.has_value());
  // The old request can no longer complete; a new one names the new owner.
  EXPECT_REJECTED(w.when("risk.accept", to_json(outcome()), given, system_actor()), rejection_kind::rule,
                  "data.approval_id");
  const auto again = w.when("risk.request_acceptance", json::object(), given);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)[0].data.at("approval").at("policy").at("required_users"), json::array({"otto"}));

  // An acceptance already in force stays in force.
  const auto kept = w.when("risk.change_owner", {{"owner", "otto"}, {"reason", "x"}}, accepted_until("2027-03-01"));
  ASSERT_TRUE(kept);
  EXPECT_EQ((*kept)[0].data.at("acceptance_withdrawn"), false);
  auto accepted_given = accepted_until("2027-03-01");
  accepted_given.push_back((*kept)[0]);
  EXPECT_EQ(fold(history_of(stream, accepted_given))->status_, status::accepted);
}

// ---- codecs ---------------------------------------------------------------------------

TEST(RiskCodec, EveryEventRoundTrips) {
  identified with_assets = details();
  with_assets.asset_ids = {"A-1", "A-2"};
  const std::vector<event> all{details(),
                               with_assets,
                               high_assessment(),
                               plan(),
                               request_event(planned()),
                               accepted{"risk-R-1.v4", {"olga", "tom"}, "ok", day("2027-03-01")},
                               acceptance_rejected{"risk-R-1.v4", {"olga"}, "tom", "no"},
                               acceptance_expired{day("2027-03-01"), day("2027-03-02")},
                               owner_changed{"olga", "otto", "moved", true},
                               treatment_implemented{"report TR-7", day("2026-05-04")},
                               retired{"gone"},
                               assets_linked{{"A-3"}, {"A-1", "A-2"}, "inventory"}};
  for (const auto& e : all) {
    const auto wire = encode(e);
    const auto back = decode(wire.type, wire.data);
    ASSERT_TRUE(back) << wire.type << ": " << back.error();
    EXPECT_EQ(*back, e) << wire.type;
    // Version 1, but for the event that took an upcaster.
    EXPECT_TRUE(wire.type.ends_with(std::holds_alternative<identified>(e) ? ".v2" : ".v1")) << wire.type;
    EXPECT_TRUE(wire.type.starts_with("risk."));
  }
}

TEST(RiskCodec, MalformedDataIsAnErrorNeverAThrow) {
  EXPECT_FALSE(decode("risk.unknown.v1", json::object()));
  EXPECT_FALSE(decode("risk.identified.v1", json::array()));
  EXPECT_FALSE(decode("risk.identified.v1", json{{"title", 3}}));
  auto a = encode(high_assessment()).data;
  a["likelihood"] = "four";
  EXPECT_FALSE(decode("risk.assessed.v1", a));
  auto p = encode(plan()).data;
  p["option"] = "ignore";
  EXPECT_FALSE(decode("risk.treatment_planned.v1", p));
  p = encode(plan()).data;
  p["due"] = "2026-13-01";
  EXPECT_FALSE(decode("risk.treatment_planned.v1", p));
  auto r = encode(request_event(planned())).data;
  r["approval"].erase("policy");
  EXPECT_FALSE(decode("risk.acceptance_requested.v1", r));
  EXPECT_FALSE(decode("risk.accepted.v1", json{{"approval_id", "x"}, {"approvers", {1}}, {"review_date", "2027-01-01"}}));
  EXPECT_FALSE(decode("risk.retired.v1", json(nullptr)));
}

TEST(RiskHandle, AnUndecodableHistoryEventIsARuleRejectionNamingItsPosition) {
  world w;
  auto h = history_of(stream, {encode(details()), new_event{"risk.assessed.v1", json{{"likelihood", "x"}}}});
  const auto d = w.log.decide("risk.retire", stream, {{"reason", "x"}}, h, manager());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, rejection_kind::rule);
  EXPECT_NE(d.error().message.find("position 101"), std::string::npos) << d.error().message;
  EXPECT_NE(d.error().message.find("version 2"), std::string::npos) << d.error().message;
}

// ---- time rules -----------------------------------------------------------------------

state folded(const events& given) { return *fold(history_of(stream, given)); }

// Accepted, with the treatment in place: only the acceptance's own dates are due.
events accepted_and_implemented(std::string_view review) {
  auto e = accepted_until(review);
  e.push_back(encode(treatment_implemented{"in place", day("2026-05-01")}));
  return e;
}

TEST(RiskTimeRules, AcceptanceExpiringWithinThirtyDaysIsANotification) {
  const std::vector<state> risks{folded(accepted_and_implemented("2027-03-01"))};
  EXPECT_TRUE(due_on(risks, day("2027-01-29")).empty());
  const auto due = due_on(risks, day("2027-01-30"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, due_kind::acceptance_expiring);
  EXPECT_EQ(due[0].stream, stream);
  EXPECT_FALSE(due[0].command);
  EXPECT_EQ(due[0].key, "acceptance_expiring:risk-R-1:2027-03-01");
}

TEST(RiskTimeRules, ExpiredAcceptanceIssuesTheExpireCommandOnce) {
  const std::vector<state> risks{folded(accepted_and_implemented("2027-03-01"))};
  const auto due = due_on(risks, day("2027-03-01"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, due_kind::acceptance_expired);
  ASSERT_TRUE(due[0].command);
  EXPECT_EQ(due[0].command->command_type, "risk.expire_acceptance");
  EXPECT_EQ(due[0].command->stream, stream);
  EXPECT_EQ(due[0].command->command_id, "time:risk.expire_acceptance:risk-R-1:2027-03-01");
  EXPECT_EQ(due_on(risks, day("2027-04-01"))[0].command->command_id, due[0].command->command_id);
}

TEST(RiskTimeRules, TreatmentPastItsDueDateIsOverdueUntilImplemented) {
  // Accepting the residual risk does not put the treatment in place (8.3).
  const std::vector<state> risks{folded(planned()), folded(requested()), folded(accepted_until("2027-03-01"))};
  EXPECT_TRUE(due_on(risks, day("2026-06-30")).empty());
  const auto due = due_on(risks, day("2026-07-01"));
  ASSERT_EQ(due.size(), 3u);
  for (const auto& d : due) EXPECT_EQ(d.kind, due_kind::treatment_overdue);
  EXPECT_EQ(due[0].due, day("2026-06-30"));
}

}  // namespace
}  // namespace isms::domain::risk::risk_test
