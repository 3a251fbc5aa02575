// The registers as views: given events → the view's fields (risk register,
// SoA, objectives, nonconformities, documents, audit programme, scope, users,
// activity, what is due).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "isms/domain/document.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/user.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::views::views_registers_test {
namespace {

date day(std::string_view s) { return parse_date(s).value(); }
instant at(std::string_view s) { return parse_instant(s).value(); }

// Records events as the store would: gapless positions, stream versions.
struct journal {
  std::vector<recorded_event> events;
  instant now = at("2026-03-02T09:00:00.000Z");

  const recorded_event& add(const std::string& stream, const new_event& e, const std::string& actor = "mia",
                            const std::string& comment = {}) {
    recorded_event r;
    r.position = events.size() + 1;
    r.stream = stream;
    r.version = 1;
    for (const auto& x : events) r.version += x.stream == stream ? 1 : 0;
    r.type = e.type;
    r.data = e.data;
    r.meta.actor = actor;
    r.meta.recorded_at = now;
    r.meta.comment = comment;
    events.push_back(std::move(r));
    return events.back();
  }

  [[nodiscard]] all_views fold() const {
    all_views v = initial_views();
    for (const auto& e : events) v = evolve(std::move(v), e);
    return v;
  }
};

const actor manager{"mia", {role::isms_manager}};
const date today = day("2026-03-02");

json must(const std::expected<json, rejection>& r) {
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().field + ": " + r.error().message);
  return r.value_or(json::object());
}

approval_request request_for(const std::string& stream, std::uint64_t version, std::string kind) {
  approval_request r;
  r.approval_id = approval_id_for(stream, version);
  r.subject_kind = std::move(kind);
  r.policy.required_roles = {role::top_management};
  r.on_approved = "x.approve";
  r.on_rejected = "x.reject";
  r.summary = "approve " + stream;
  r.content_hash = sha256_hex(stream);
  return r;
}

// ---- risks ---------------------------------------------------------------------

void add_risk(journal& j, const std::string& id, const std::string& owner, int l, int i,
              std::vector<std::string> controls = {}, int tl = 0, int ti = 0) {
  const std::string stream = "risk-" + id;
  j.add(stream, risk::encode(risk::identified{"Risk " + id, "", "laptops", "theft", "no encryption", owner, "it"}));
  const int score = l * i;
  const std::string level = score <= 4 ? "low" : score <= 9 ? "medium" : score <= 16 ? "high" : "critical";
  j.add(stream, risk::encode(risk::assessed{l, i, score, level, score <= 9, "seen twice", 0, false}));
  if (tl == 0) return;
  const int ts = tl * ti;
  const std::string tlevel = ts <= 4 ? "low" : ts <= 9 ? "medium" : ts <= 16 ? "high" : "critical";
  j.add(stream, risk::encode(risk::treatment_planned{risk::treatment_option::modify, std::move(controls),
                                                     "encrypt disks", tl, ti, ts, tlevel, ts <= 9,
                                                     day("2026-06-30")}));
}

TEST(RisksView, ListsEveryRiskWithItsRatingsTreatmentAndHeatMap) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.1", "8.24"}, 2, 2);
  add_risk(j, "R-2", "otto", 5, 5);
  const auto v = j.fold();
  const json r = must(query(v, "risks", json::object(), manager, today));
  ASSERT_EQ(r.at("count"), 2);
  const json& r1 = r.at("risks")[0];
  EXPECT_EQ(r1.at("id"), "R-1");
  EXPECT_EQ(r1.at("owner"), "olga");
  EXPECT_EQ(r1.at("state"), "treatment_planned");
  EXPECT_EQ(r1.at("inherent").at("score"), 16);
  EXPECT_EQ(r1.at("inherent").at("level"), "high");
  EXPECT_EQ(r1.at("treatment").at("option"), "modify");
  EXPECT_EQ(r1.at("controls"), json({"8.1", "8.24"}));
  EXPECT_EQ(r1.at("residual").at("level"), "low");
  EXPECT_EQ(r1.at("within_appetite"), true);
  EXPECT_EQ(r1.at("treatment_due"), "2026-06-30");
  EXPECT_EQ(r1.at("last_change").at("type"), "risk.treatment_planned.v1");
  // Heat maps: rows likelihood 1..5, columns impact 1..5.
  EXPECT_EQ(r.at("heat_map").at("inherent")[3][3], 1);
  EXPECT_EQ(r.at("heat_map").at("inherent")[4][4], 1);
  EXPECT_EQ(r.at("heat_map").at("residual")[1][1], 1);
  EXPECT_EQ(r.at("by_level").at("inherent").at("critical"), 1);
}

// A risk of an earlier release (risk.identified.v1, its asset in words) and
// one naming registered assets: both in the register, the first linked
// later; the asset_id filter finds each asset's risks, and time travel shows
// the links as they stood.
TEST(RisksView, RisksNameTheirAssetsByIdOldRisksIncluded) {
  journal j;
  j.add("risk-R-1", new_event{"risk.identified.v1",
                              {{"title", "Laptop theft"}, {"description", ""}, {"asset", "laptops"},
                               {"threat", "theft"}, {"vulnerability", "no encryption"}, {"owner", "olga"},
                               {"category", "it"}}});
  j.add("risk-R-2", risk::encode(risk::identified{"Ransomware", "", "", "ransomware", "unpatched", "otto", "it",
                                                  {"A-1", "A-2"}}));
  const auto before = j.fold();
  j.add("risk-R-1", risk::encode(risk::assets_linked{{"A-4"}, {}, "inventory set up"}));
  const auto v = j.fold();
  const json r1 = must(query(v, "risk", {{"id", "R-1"}}, manager, today));
  EXPECT_EQ(r1.at("asset"), "laptops") << "the words of a v1 risk stay";
  EXPECT_EQ(r1.at("asset_ids"), json({"A-4"}));
  EXPECT_EQ(r1.at("history")[0].at("summary"), "identified: Laptop theft (owner olga)");
  EXPECT_EQ(r1.at("history")[1].at("summary"), "assets: A-4 (were: none)");
  EXPECT_EQ(r1.at("history")[1].at("comment"), "inventory set up");
  const auto ids = [](const json& list) {
    std::vector<std::string> out;
    for (const auto& r : list.at("risks")) out.push_back(r.at("id"));
    return out;
  };
  EXPECT_EQ(ids(must(query(v, "risks", {{"asset_id", "A-4"}}, manager, today))), std::vector<std::string>{"R-1"});
  EXPECT_EQ(ids(must(query(v, "risks", {{"asset_id", "A-2"}}, manager, today))), std::vector<std::string>{"R-2"});
  EXPECT_TRUE(ids(must(query(v, "risks", {{"asset_id", "A-9"}}, manager, today))).empty());
  EXPECT_TRUE(ids(must(query(before, "risks", {{"asset_id", "A-4"}}, manager, today))).empty())
      << "before the link, R-1 named no registered asset";
  EXPECT_EQ(must(query(before, "risk", {{"id", "R-1"}}, manager, today)).at("asset_ids"), json::array());
}

TEST(RisksView, FiltersByStateOwnerAndLevelAndSorts) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.1"}, 2, 2);
  add_risk(j, "R-2", "otto", 5, 5);
  add_risk(j, "R-3", "olga", 1, 2);
  const auto v = j.fold();
  EXPECT_EQ(must(query(v, "risks", {{"owner", "olga"}}, manager, today)).at("count"), 2);
  EXPECT_EQ(must(query(v, "risks", {{"state", "assessed"}}, manager, today)).at("count"), 2);
  EXPECT_EQ(must(query(v, "risks", {{"level", "critical"}}, manager, today)).at("risks")[0].at("id"), "R-2");
  const json sorted = must(query(v, "risks", {{"sort", "inherent_score"}, {"order", "desc"}}, manager, today));
  EXPECT_EQ(sorted.at("risks")[0].at("id"), "R-2");
  EXPECT_EQ(sorted.at("risks")[2].at("id"), "R-3");
}

TEST(RisksView, RejectsBadParamsNamingTheField) {
  const auto v = initial_views();
  const auto bad_state = query(v, "risks", {{"state", "sleeping"}}, manager, today);
  ASSERT_FALSE(bad_state);
  EXPECT_EQ(bad_state.error().kind, rejection_kind::invalid);
  EXPECT_EQ(bad_state.error().field, "params.state");
  const auto bad_sort = query(v, "risks", {{"sort", 3}}, manager, today);
  ASSERT_FALSE(bad_sort);
  EXPECT_EQ(bad_sort.error().field, "params.sort");
  const auto no_id = query(v, "risk", json::object(), manager, today);
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().field, "params.id");
  const auto unknown = query(v, "risk", {{"id", "R-404"}}, manager, today);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, rejection_kind::not_found);
}

TEST(RiskView, GivesTheFullHistoryWithWhoWhenWhy) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.1"}, 2, 2);
  j.add("risk-R-1", risk::encode(risk::retired{"asset decommissioned"}), "mia", "laptops replaced by thin clients");
  const json r = must(query(j.fold(), "risk", {{"id", "risk-R-1"}}, manager, today));
  EXPECT_EQ(r.at("state"), "retired");
  ASSERT_EQ(r.at("history").size(), 4u);
  EXPECT_EQ(r.at("history")[1].at("type"), "risk.assessed.v1");
  EXPECT_EQ(r.at("history")[1].at("comment"), "seen twice");
  EXPECT_EQ(r.at("history")[3].at("by"), "mia");
  EXPECT_EQ(r.at("history")[3].at("comment"), "laptops replaced by thin clients");
  EXPECT_EQ(r.at("history")[3].at("position"), 4);
}

TEST(RiskView, AChangeOfOwnerShowsTheNewOwnerWithWhyAndTellsThem) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.1"}, 2, 2);
  const auto& changed =
      j.add("risk-R-1", risk::encode(risk::owner_changed{"olga", "otto", "olga moved to finance", false}));
  const auto v = j.fold();
  const json r = must(query(v, "risk", {{"id", "R-1"}}, manager, today));
  EXPECT_EQ(r.at("owner"), "otto");
  EXPECT_EQ(r.at("history").back().at("type"), "risk.owner_changed.v1");
  EXPECT_NE(r.at("history").back().dump().find("olga moved to finance"), std::string::npos) << r.at("history").back();
  const json otto = must(query(v, "risks", {{"owner", "otto"}}, manager, today));
  EXPECT_EQ(otto.at("risks").size(), 1u);
  const auto told = notifications_for(v, changed);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].user_id, "otto");
  EXPECT_EQ(told[0].kind, "risk_assigned");
}

TEST(RisksView, AReassessmentStartsTheTreatmentOver) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.1"}, 2, 2);
  j.add("risk-R-1", risk::encode(risk::assessed{3, 3, 9, "medium", true, "new data", 0, true}));
  const json r = must(query(j.fold(), "risk", {{"id", "R-1"}}, manager, today));
  EXPECT_EQ(r.at("state"), "assessed");
  EXPECT_TRUE(r.at("treatment").is_null());
  EXPECT_TRUE(r.at("residual").is_null());
  EXPECT_EQ(r.at("inherent").at("level"), "medium");
}

// ---- SoA ---------------------------------------------------------------------------

TEST(SoaView, GroupsThe93ControlsByThemeAndLinksRisksFromBothSides) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.24"}, 2, 2);
  j.add("soa-main", soa::encode(soa::control_decided{"5.1", true, "required by policy", {"R-7"}}));
  j.add("soa-main", soa::encode(soa::control_decided{"7.4", false, "no physical premises", {}}));
  j.add("soa-main", soa::encode(soa::implementation_status_set{"5.1", soa::implementation::implemented, ""}));
  const json s = must(query(j.fold(), "soa", json::object(), manager, today));
  ASSERT_EQ(s.at("themes").size(), 4u);
  EXPECT_EQ(s.at("themes")[0].at("theme"), "organizational");
  EXPECT_EQ(s.at("themes")[0].at("controls").size(), 37u);
  EXPECT_EQ(s.at("counts").at("total"), 93);
  EXPECT_EQ(s.at("counts").at("applicable"), 1);
  EXPECT_EQ(s.at("counts").at("excluded"), 1);
  EXPECT_EQ(s.at("counts").at("implemented"), 1);
  const json& c51 = s.at("themes")[0].at("controls")[0];
  EXPECT_EQ(c51.at("id"), "5.1");
  EXPECT_EQ(c51.at("applicability"), "applicable");
  EXPECT_EQ(c51.at("implementation_status"), "implemented");
  EXPECT_EQ(c51.at("linked_risks"), json({"R-7"}));
  const json tech = must(query(j.fold(), "soa", {{"theme", "technological"}}, manager, today));
  ASSERT_EQ(tech.at("themes").size(), 1u);
  json c824;
  for (const auto& c : tech.at("themes")[0].at("controls"))
    if (c.at("id") == "8.24") c824 = c;
  EXPECT_EQ(c824.at("linked_risks"), json({"R-1"}));  // from the risk's treatment plan
  const json excluded = must(query(j.fold(), "soa", {{"applicability", "excluded"}}, manager, today));
  EXPECT_EQ(excluded.at("themes")[0].at("controls")[0].at("justification"), "no physical premises");
}

TEST(SoaView, TellsWhetherTheEntriesDifferFromThePublishedVersion) {
  journal j;
  j.add("soa-main", soa::encode(soa::control_decided{"5.1", true, "required", {}}));
  j.add("soa-main", soa::encode(soa::publication_requested{1, sha256_hex("x"), "", request_for("soa-main", 2, "soa.publication")}));
  j.add("soa-main", soa::encode(soa::published{1, "soa-main.v2", {"tom"}, sha256_hex("x"), "fine"}), "system");
  json s = must(query(j.fold(), "soa", json::object(), manager, today));
  EXPECT_EQ(s.at("published_version"), 1);
  EXPECT_EQ(s.at("differs_from_published"), false);
  j.add("soa-main", soa::encode(soa::control_decided{"5.2", true, "roles matter", {}}));
  s = must(query(j.fold(), "soa", {{"differs_only", true}}, manager, today));
  EXPECT_EQ(s.at("differs_from_published"), true);
  EXPECT_EQ(s.at("differing_controls"), 1);
  EXPECT_EQ(s.at("themes")[0].at("controls")[0].at("id"), "5.2");
}

// ---- objectives ------------------------------------------------------------------

objective::terms terms(std::string due) {
  return {"Patch critical systems fast", "days to patch", 7, "days", "carl", day(due), "2 FTE", "monthly report", "POL-1"};
}

TEST(ObjectivesView, ShowsTargetLatestValueProgressAndOverdue) {
  journal j;
  j.add("objective-O-1", objective::encode(objective::proposed{"O-1", terms("2026-03-01")}));
  j.add("objective-O-1", objective::encode(objective::approval_requested{sha256_hex("t"), request_for("objective-O-1", 2, "objective.setting")}));
  j.add("objective-O-1", objective::encode(objective::objective_set{"objective-O-1.v2", {"tom"}, "go", sha256_hex("t")}), "system");
  j.add("objective-O-1", objective::encode(objective::progress_recorded{12, day("2026-01-31"), "", "carl"}), "carl");
  j.add("objective-O-1", objective::encode(objective::progress_recorded{9, day("2026-02-28"), "better", "carl"}), "carl");
  const auto v = j.fold();
  const json o = must(query(v, "objectives", json::object(), manager, today)).at("objectives")[0];
  EXPECT_EQ(o.at("state"), "set");
  EXPECT_EQ(o.at("target"), 7.0);
  EXPECT_EQ(o.at("latest").at("value"), 9.0);
  EXPECT_EQ(o.at("latest").at("date"), "2026-02-28");
  ASSERT_EQ(o.at("progress").size(), 2u);
  EXPECT_EQ(o.at("progress")[0].at("value"), 12.0);
  EXPECT_EQ(o.at("overdue"), true);  // due 2026-03-01, today 2026-03-02, still set
  EXPECT_EQ(must(query(v, "objectives", json::object(), manager, day("2026-02-01"))).at("objectives")[0].at("overdue"), false);
  EXPECT_EQ(must(query(v, "objectives", {{"overdue", true}}, manager, today)).at("count"), 1);
}

// ---- nonconformities ----------------------------------------------------------------

TEST(NonconformitiesView, ShowsActionsOverdueCountsAndThe10_2Steps) {
  journal j;
  j.add("nc-NC-1", nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::incident, "A.8.8",
                                                               nonconformity::severity::major, "patches late",
                                                               day("2026-02-01"), "mia", "", "", ""}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::containment_recorded{"patched by hand", day("2026-02-02"), "mia"}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::action_planned{"A1", "automate patching", "carl", day("2026-02-20")}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::action_planned{"A2", "monitor", "carl", day("2026-04-20")}));
  j.add("nc-NC-2", nonconformity::encode(nonconformity::raised{"NC-2", nonconformity::source::internal_audit, "9.2",
                                                               nonconformity::severity::minor, "programme late",
                                                               day("2026-02-01"), "ada", "", "", ""}));
  const auto v = j.fold();
  const json all = must(query(v, "nonconformities", json::object(), manager, today));
  EXPECT_EQ(all.at("count"), 2);
  EXPECT_EQ(all.at("by_state").at("actions_planned"), 1);
  EXPECT_EQ(all.at("by_state").at("raised"), 1);
  EXPECT_EQ(all.at("overdue_actions"), 1);
  const json& nc1 = all.at("nonconformities")[0];
  EXPECT_EQ(nc1.at("severity"), "major");
  EXPECT_EQ(nc1.at("actions")[0].at("owner"), "carl");
  EXPECT_EQ(nc1.at("actions")[0].at("overdue"), true);
  EXPECT_EQ(nc1.at("actions")[1].at("overdue"), false);
  EXPECT_TRUE(nc1.at("actions")[0].at("actors").empty()) << "nobody is barred before completion";
  EXPECT_EQ(must(query(v, "nonconformities", {{"overdue", true}}, manager, today)).at("count"), 1);
  EXPECT_EQ(must(query(v, "nonconformities", {{"severity", "minor"}}, manager, today)).at("count"), 1);

  const json one = must(query(v, "nonconformity", {{"id", "NC-1"}}, manager, today));
  ASSERT_EQ(one.at("steps").size(), 7u);
  EXPECT_EQ(one.at("steps")[0].at("step"), "10.2 a");
  EXPECT_EQ(one.at("steps")[0].at("done"), true);
  EXPECT_EQ(one.at("steps")[2].at("done"), false);  // no root cause yet
  EXPECT_EQ(one.at("history").size(), 4u);
}

TEST(NonconformitiesView, AnIneffectiveVerificationSendsTheActionBack) {
  journal j;
  j.add("nc-NC-1", nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::other, "8.1",
                                                               nonconformity::severity::minor, "x", day("2026-02-01"),
                                                               "mia", "", "", ""}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::action_planned{"A1", "fix", "carl", day("2026-04-01")}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::action_completed{"A1", "done", day("2026-02-10"), "carl"}), "carl");
  json nc = must(query(j.fold(), "nonconformity", {{"id", "NC-1"}}, manager, today));
  EXPECT_EQ(nc.at("state"), "actions_done");
  // The implementer does not verify (10.2 d): the action names them.
  EXPECT_EQ(nc.at("actions")[0].at("actors").at("nc.verify_action").at("never"), json::array({"carl"}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::action_verified{"A1", false, "still failing", day("2026-02-12"), "mia"}));
  nc = must(query(j.fold(), "nonconformity", {{"id", "NC-1"}}, manager, today));
  EXPECT_EQ(nc.at("state"), "actions_planned");
  EXPECT_EQ(nc.at("actions")[0].at("status"), "planned");
  EXPECT_EQ(nc.at("actions")[0].at("ineffective_verifications"), 1);
}

// ---- documents ------------------------------------------------------------------------

TEST(DocumentsView, ShowsVersionsPublishedHashAndReviewDue) {
  journal j;
  const std::string text = "Information security policy, v1";
  document::profile p{"IS policy", "mia", document::classification::internal, 12};
  j.add("document-POL-1", document::encode(document::drafted{"POL-1", document::document_kind::policy, p, text,
                                                             sha256_hex(text), "first"}));
  j.add("document-POL-1", document::encode(document::approval_requested{1, sha256_hex(text),
                                                                        request_for("document-POL-1", 2, "document.approval")}));
  j.add("document-POL-1", document::encode(document::approved{"document-POL-1.v2", 1, sha256_hex(text), {"tom"}, ""}), "system");
  j.add("document-POL-1", document::encode(document::published{1, sha256_hex(text), day("2025-02-01")}));
  const auto v = j.fold();
  const json d = must(query(v, "documents", json::object(), manager, today)).at("documents")[0];
  EXPECT_EQ(d.at("state"), "published");
  EXPECT_EQ(d.at("published_version"), 1);
  EXPECT_EQ(d.at("published_sha256"), sha256_hex(text));
  EXPECT_EQ(d.at("review_due_on"), "2026-02-01");
  EXPECT_EQ(d.at("review_due"), true);
  EXPECT_EQ(d.at("versions")[0].at("state"), "published");
  EXPECT_EQ(d.at("versions")[0].at("approved_by"), json({"tom"}));
  EXPECT_FALSE(d.contains("text"));
  EXPECT_EQ(must(query(v, "document", {{"id", "POL-1"}}, manager, today)).at("published_text"), text);
  EXPECT_EQ(must(query(v, "documents", {{"review_due", true}}, manager, day("2026-01-01"))).at("count"), 0);
}

// ---- audits ------------------------------------------------------------------------------

TEST(AuditsView, ShowsTheProgrammeAndFindingsWithTheirNonconformities) {
  journal j;
  j.add("audit-IA-1", internal_audit::encode(internal_audit::planned{"IA-1", "access control", "ISO 27001 A.5.15",
                                                                     "ada", "IT operations", "olga",
                                                                     day("2026-02-01"), day("2026-02-05")}));
  j.add("audit-IA-2", internal_audit::encode(internal_audit::planned{"IA-2", "HR", "A.6", "ada", "HR", "hank",
                                                                     day("2026-01-01"), day("2026-01-05")}));
  j.add("audit-IA-1", internal_audit::encode(internal_audit::performed{day("2026-02-03"), {"ada"}, "ok"}), "ada");
  j.add("audit-IA-1", internal_audit::encode(internal_audit::finding_recorded{
                          "F1", internal_audit::finding_type::nonconformity_minor, "A.5.15", "stale accounts", "ada"}),
        "ada");
  j.add("audit-IA-1", internal_audit::encode(internal_audit::report_issued{"one finding", "effective", day("2026-02-10"), "ada"}),
        "ada");
  const json a = must(query(j.fold(), "audits", json::object(), manager, today));
  EXPECT_EQ(a.at("by_state").at("reported"), 1);
  EXPECT_EQ(a.at("by_state").at("planned"), 1);
  const json& ia1 = a.at("audits")[0];
  EXPECT_EQ(ia1.at("state"), "reported");
  EXPECT_EQ(ia1.at("findings")[0].at("nc_id"), nonconformity::nc_id_for_finding("IA-1", "F1"));
  EXPECT_EQ(ia1.at("findings_by_type").at("nonconformity_minor"), 1);
  EXPECT_EQ(a.at("audits")[1].at("overdue"), true);  // planned to end 2026-01-05, never performed
  // Who may act on each audit, as the aggregate's rule names them.
  EXPECT_EQ(ia1.at("actors").at("audit.issue_report").at("only"), json::array({"ada"}));
  EXPECT_EQ(a.at("audits")[1].at("actors").at("audit.record_finding").at("only"), json::array({"ada"}));
}

// ---- scope, users, activity ------------------------------------------------------------

TEST(ScopeView, TheEffectiveScopeIsTheApprovedOneAndTheDraftIsSeparate) {
  journal j;
  j.add("scope-main", scope::encode(scope::statement_set{{"HQ and cloud", {"all IT services"}, {}, ""}}));
  j.add("scope-main", scope::encode(scope::issue_added{{"I-1", scope::issue_kind::external, "new regulation"}}));
  j.add("scope-main", scope::encode(scope::approval_requested{sha256_hex("s"), request_for("scope-main", 3, "scope.change")}));
  j.add("scope-main", scope::encode(scope::approved{"scope-main.v3", {"tom"}, "", sha256_hex("s")}), "system");
  j.add("scope-main", scope::encode(scope::issue_added{{"I-2", scope::issue_kind::internal, "staff turnover"}}));
  const json s = must(query(j.fold(), "scope", json::object(), manager, today));
  ASSERT_TRUE(s.at("effective").is_object());
  EXPECT_EQ(s.at("effective").at("issues").size(), 1u);
  EXPECT_EQ(s.at("effective").at("issues")[0].at("id"), "I-1");
  EXPECT_EQ(s.at("draft").at("issues").size(), 2u);
  EXPECT_EQ(s.at("draft_differs"), true);
  EXPECT_EQ(s.at("approved_by"), json({"tom"}));
  EXPECT_EQ(s.at("effective_since"), "2026-03-02");
}

TEST(UsersView, ShowsRolesAndEnabledStateAndIdentityOnly) {
  journal j;
  j.add("user-olga", user::encode(user::registered{"Olga", "olga@example.org", {role::risk_owner}}), "root");
  j.add("user-olga", user::encode(user::role_granted{role::top_management, ""}), "root");
  j.add("user-carl", user::encode(user::registered{"Carl", "", {role::contributor}}), "root");
  j.add("user-carl", user::encode(user::disabled{"left"}), "root");
  const auto v = j.fold();
  EXPECT_EQ(users_holding(v.users, role::top_management), std::vector<std::string>{"olga"});
  EXPECT_TRUE(users_holding(v.users, role::contributor).empty());  // disabled
  const json u = must(query(v, "users", json::object(), actor{"ed", {role::external_auditor}}, today));
  EXPECT_EQ(u.at("users")[1].at("roles"), json({"risk_owner", "top_management"}));
  EXPECT_EQ(u.at("users")[0].at("enabled"), false);
  EXPECT_FALSE(u.at("users")[1].contains("email"));
  EXPECT_EQ(must(query(v, "users", json::object(), actor{"root", {role::admin}}, today)).at("users")[1].at("email"),
            "olga@example.org");
  EXPECT_EQ(must(query(v, "users", {{"role", "contributor"}}, manager, today)).at("count"), 1);
}

TEST(ActivityView, GivesTheLatestEventsAsLinesNewestFirstWithFilters) {
  journal j;
  add_risk(j, "R-1", "olga", 2, 2);
  j.add("user-olga", user::encode(user::registered{"Olga", "", {role::risk_owner}}), "root");
  const auto v = j.fold();
  const json a = must(query(v, "activity", {{"limit", 2}}, manager, today));
  ASSERT_EQ(a.at("events").size(), 2u);
  EXPECT_EQ(a.at("events")[0].at("position"), 3);
  EXPECT_EQ(a.at("events")[0].at("by"), "root");
  EXPECT_EQ(a.at("events")[1].at("text"), "mia: risk R-1 \"Risk R-1\" — assessed");
  EXPECT_EQ(must(query(v, "activity", {{"stream", "risk-R-1"}}, manager, today)).at("count"), 2);
  EXPECT_EQ(must(query(v, "activity", {{"actor", "root"}}, manager, today)).at("count"), 1);
  EXPECT_EQ(must(query(v, "activity", {{"type", "risk."}}, manager, today)).at("count"), 2);
  EXPECT_EQ(must(query(v, "activity", {{"type", "risk.assessed.v1"}}, manager, today)).at("count"), 1);
  EXPECT_FALSE(query(v, "activity", {{"limit", 0}}, manager, today));
}

// ---- due ------------------------------------------------------------------------------------

TEST(DueView, NamesWhatTheTimeRulesSayIsDue) {
  journal j;
  add_risk(j, "R-1", "olga", 4, 4, {"8.1"}, 2, 2);
  j.add("risk-R-1", risk::encode(risk::acceptance_requested{2, 2, 4, "low", false, day("2026-03-20"), "",
                                                            request_for("risk-R-1", 4, "risk.acceptance")}));
  j.add("risk-R-1", risk::encode(risk::accepted{"risk-R-1.v4", {"olga"}, "", day("2026-03-20")}), "system");
  j.add("risk-R-1", risk::encode(risk::treatment_implemented{"EDR on every server", day("2026-03-02")}), "olga");
  add_risk(j, "R-2", "otto", 4, 4, {"8.1"}, 2, 2);  // treatment due 2026-06-30
  j.add("nc-NC-1", nonconformity::encode(nonconformity::raised{"NC-1", nonconformity::source::other, "8.1",
                                                               nonconformity::severity::minor, "x", day("2026-02-01"),
                                                               "mia", "", "", ""}));
  j.add("nc-NC-1", nonconformity::encode(nonconformity::action_planned{"A1", "fix", "carl", day("2026-03-01")}));
  j.add("review-MR-1", management_review::encode(management_review::scheduled{"MR-1", day("2026-03-01"), "tom", 12}));
  const auto v = j.fold();
  json d = due_at(v, today);
  ASSERT_EQ(d.at("acceptances_expiring").size(), 1u);
  EXPECT_EQ(d.at("acceptances_expiring")[0].at("stream"), "risk-R-1");
  EXPECT_TRUE(d.at("acceptances_expired").empty());
  EXPECT_EQ(d.at("actions_overdue").size(), 1u);
  EXPECT_EQ(d.at("management_review").at("due"), true);
  EXPECT_TRUE(d.at("treatments_overdue").empty());
  d = due_at(v, day("2026-07-01"));
  ASSERT_EQ(d.at("acceptances_expired").size(), 1u);
  EXPECT_EQ(d.at("acceptances_expired")[0].at("command").at("type"), "risk.expire_acceptance");
  ASSERT_EQ(d.at("treatments_overdue").size(), 1u);  // R-2, due 2026-06-30; R-1's is implemented
  EXPECT_EQ(d.at("treatments_overdue")[0].at("stream"), "risk-R-2");
  EXPECT_EQ(must(query(v, "due", json::object(), manager, today)).at("acceptances_expiring").size(), 1u);
}

TEST(Query, RefusesUnknownViewsAndViewersWithoutRoles) {
  const auto v = initial_views();
  const auto unknown = query(v, "secrets", json::object(), manager, today);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, rejection_kind::invalid);
  EXPECT_EQ(unknown.error().field, "view");
  const auto nobody = query(v, "risks", json::object(), actor{"x", {}}, today);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().kind, rejection_kind::forbidden);
  const auto not_object = query(v, "risks", json::array(), manager, today);
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().field, "params");
  for (auto name : view_names()) {
    json params = json::object();
    const auto r = query(v, name, params, manager, today);
    if (!r) {
      EXPECT_EQ(r.error().field, "params.id") << name;  // views of one entity need an id
    }
  }
}

}  // namespace
}  // namespace isms::domain::views::views_registers_test
