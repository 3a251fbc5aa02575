// Assets (A.5.9–5.12): given events, when a command, then events or a
// rejection; a reclassification approved by the asset's owner through the
// approval pattern; retirement with its disposal record; the inventory.

#include "isms/domain/asset.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "given.hpp"
#include "in_memory_log.hpp"
#include "stream_testing.hpp"
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::asset_test {
namespace {

using namespace clause_testing;
namespace ast = asset;

command_context owner(std::string user = "olga") { return as(std::move(user), {role::risk_owner}); }

json register_data() {
  return {{"asset_id", "A-7"},         {"name", "Customer master data"}, {"type", "information"},
          {"owner", "olga"},           {"classification", "confidential"}, {"location", "ERP, EU data centre"},
          {"acceptable_use", "POL-003"}};
}

new_event registered() {
  return ast::encode(ast::registered{"A-7",
                                   {"Customer master data", ast::kind::information, "", "olga", "ERP, EU data centre",
                                    "POL-003"},
                                   "confidential",
                                   day(today),
                                   "mia"});
}

// The classification scheme as configured by `configured` (none: the built-in one).
given_streams scheme_of(const events& configured = {}) {
  given_streams read;
  read.with(std::string(classification_scheme::stream_id), configured);
  return read;
}

decision when(std::string_view type, const json& data, const events& given, const command_context& ctx = manager(),
              const stream_reads& read = scheme_of()) {
  const auto h = history_of("asset-A-7", given);
  return decide_command(type, "asset-A-7", data, h, ctx, read);
}

// The built-in scheme with "restricted" added between internal and
// confidential and "public" retired.
new_event scheme_configured() {
  auto s = classification_scheme::default_scheme();
  s.levels[0].retired = true;
  s.levels.insert(s.levels.begin() + 2, {"restricted", "Restricted", "Named teams", "Team folders only", false});
  return classification_scheme::encode(classification_scheme::configured{s, "mia", "restricted tier added"});
}

ast::state fold(const events& given) { return fold_of(given, ast::initial_state, ast::decode, ast::evolve); }

TEST(asset, an_isms_manager_registers_an_asset_with_its_owner_and_classification) {
  expect_events(when("asset.register", register_data(), {}), {registered()});
  expect_rejected(when("asset.register", register_data(), {}, owner()), rejection_kind::forbidden);
  expect_rejected(when("asset.register", register_data(), {registered()}), rejection_kind::rule, "", "already registered");
  json bad = register_data();
  bad["classification"] = "secret";
  expect_rejected(when("asset.register", bad, {}), rejection_kind::invalid, "data.classification", "no level secret");
  // The decision needs the scheme: not handed it, it refuses rather than guess.
  expect_rejected(when("asset.register", register_data(), {}, manager(), no_streams), rejection_kind::rule, "",
                  "config-classification");
  bad = register_data();
  bad.erase("owner");
  expect_rejected(when("asset.register", bad, {}), rejection_kind::invalid, "data.owner");
}

TEST(asset, a_reclassification_is_proposed_and_decided_by_the_owner_or_top_management) {
  const events given{registered()};
  expect_rejected(when("asset.request_reclassification", {{"classification", "confidential"}, {"reason", "r"}}, given),
                  rejection_kind::rule, "data.classification", "already classified");
  const auto d = when("asset.request_reclassification",
                      {{"classification", "strictly_confidential"}, {"reason", "Holds bank details since March"}}, given);
  ASSERT_TRUE(d) << describe(d);
  ASSERT_EQ(d->size(), 2u);
  EXPECT_EQ((*d)[0].type, "asset.reclassification_proposed.v1");
  const json& approval = (*d)[1].data.at("approval");
  // Proposed by an ISMS manager: the owner decides.
  EXPECT_EQ(approval.at("policy").at("required_users"), json::array({"olga"}));
  EXPECT_EQ(approval.at("approval_id"), approval_id_for("asset-A-7", 3));
  EXPECT_EQ(approval.at("subject_kind"), "asset.classification");
  // Proposed by the owner: top management decides.
  const auto own = when("asset.request_reclassification", {{"classification", "internal"}, {"reason", "r"}}, given,
                        owner("olga"));
  ASSERT_TRUE(own) << describe(own);
  EXPECT_EQ((*own)[1].data.at("approval").at("policy").at("required_roles"), json::array({"top_management"}));
  // Another risk owner does not touch it.
  expect_rejected(when("asset.request_reclassification", {{"classification", "internal"}, {"reason", "r"}}, given,
                       owner("otto")),
                  rejection_kind::forbidden);

  events pending = given;
  for (const auto& e : *d) pending.push_back(e);
  expect_rejected(when("asset.request_reclassification", {{"classification", "public"}, {"reason", "r"}}, pending),
                  rejection_kind::rule, "", "already awaits");
  const std::string id = approval.at("approval_id");
  const auto granted = when("asset.reclassify", {{"approval_id", id}, {"approvers", {"olga"}}, {"comment", "yes"}},
                            pending, system_actor());
  ASSERT_TRUE(granted) << describe(granted);
  pending.push_back(granted->front());
  EXPECT_EQ(fold(pending).level, "strictly_confidential");
  EXPECT_FALSE(fold(pending).proposed.has_value());
}

TEST(asset, retired_with_its_disposal_record_and_then_left_alone) {
  const events given{registered()};
  const json retire{{"disposal_method", "Database dropped, backups expired"}, {"disposal_record", "CHG-2291"}};
  expect_rejected(when("asset.retire", retire, given, owner("otto")), rejection_kind::forbidden);
  const auto d = when("asset.retire", retire, given, owner("olga"));
  ASSERT_TRUE(d) << describe(d);
  events after = given;
  after.push_back(d->front());
  EXPECT_EQ(fold(after).current, ast::status::retired);
  expect_rejected(when("asset.change", {{"location", "x"}, {"reason", "r"}}, after), rejection_kind::rule, "", "retired");
  EXPECT_TRUE(ast::admitted_commands(fold(after)).empty());
  expect_rejected(when("asset.retire", {{"disposal_method", "x"}}, given), rejection_kind::invalid, "data.disposal_record");
}

TEST(asset, what_the_state_admits_is_what_decide_accepts) {
  const auto asked = when("asset.request_reclassification", {{"classification", "internal"}, {"reason", "r"}}, {registered()});
  ASSERT_TRUE(asked);
  events pending{registered()};
  for (const auto& e : *asked) pending.push_back(e);
  const std::vector<events> states{{}, {registered()}, pending};
  const std::map<std::string, json> data{
      {"asset.register", register_data()},
      {"asset.change", {{"location", "Frankfurt"}, {"reason", "moved"}}},
      {"asset.request_reclassification", {{"classification", "public"}, {"reason", "r"}}},
      {"asset.retire", {{"disposal_method", "m"}, {"disposal_record", "r"}}},
  };
  for (const auto& given : states) {
    const auto admitted = ast::admitted_commands(fold(given));
    for (const auto& [type, d] : data) {
      const bool listed = std::find(admitted.begin(), admitted.end(), type) != admitted.end();
      EXPECT_EQ(listed, when(type, d, given).has_value()) << type << " after " << given.size() << " events";
    }
  }
}

// Through the pipeline: the owner approves the reclassification the ISMS
// manager proposed; the inventory shows it, as of before and after; a
// change while it waits voids the request.
TEST(asset, the_owner_approves_a_reclassification_and_the_inventory_shows_it_as_of_any_point) {
  testing::in_memory_log log;
  testing::register_users(log);
  const command_context mia{actor{"mia", {role::isms_manager}}, at(now), "c1"};
  ASSERT_TRUE(log.run("asset.register", "asset-A-7", register_data(), mia));
  ASSERT_TRUE(log.run("asset.request_reclassification", "asset-A-7",
                      {{"classification", "strictly_confidential"}, {"reason", "Bank details"}}, mia));
  log.settle(1, at(now));
  views::all_views v = views::initial_views();
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const std::uint64_t asked_at = v.position;
  const command_context olga{actor{"olga", {role::risk_owner}}, at(now), "c2"};
  const json inbox = views::inbox_of(v, olga.by, day(today));
  ASSERT_EQ(inbox.at("approvals").size(), 1u) << inbox.dump();
  EXPECT_EQ(inbox.at("approvals")[0].at("content").at("classification_proposed"), "strictly_confidential");
  ASSERT_TRUE(log.run("approval.approve", inbox.at("approvals")[0].at("stream").get<std::string>(),
                      {{"comment", "agreed"}}, olga));
  log.settle(1, at(now));
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  const auto now_ = views::query(v, "asset", json{{"id", "A-7"}}, mia.by, day(today));
  ASSERT_TRUE(now_);
  EXPECT_EQ(now_->at("classification"), "strictly_confidential");
  EXPECT_EQ(now_->at("proposed_classification"), "");
  views::all_views then = views::initial_views();
  for (const auto& e : log.all())
    if (e.position <= asked_at) then = views::evolve(std::move(then), e);
  const auto before = views::query(then, "assets", json::object(), mia.by, day(today));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->at("assets")[0].at("classification"), "confidential");
  EXPECT_EQ(before->at("assets")[0].at("proposed_classification"), "strictly_confidential");
  EXPECT_EQ(before->at("reclassifications_awaiting_approval"), 1);
  const json pack = views::review_pack(views::review_baseline(then), "MR-0", v, "MR-1", day(today));
  EXPECT_EQ(pack.at("issue_changes").at("asset_changes").at("reclassified_since_previous_review").size(), 1u);

  // A change of the terms while a reclassification waits voids it.
  ASSERT_TRUE(log.run("asset.request_reclassification", "asset-A-7", {{"classification", "internal"}, {"reason", "r"}},
                      mia));
  log.settle(1, at(now));
  ASSERT_TRUE(log.run("asset.change", "asset-A-7", {{"location", "Frankfurt"}, {"reason", "moved"}}, mia));
  const auto voided = log.settle(1, at(now));
  bool void_sent = false;
  for (const auto& [fu, d] : voided) void_sent = void_sent || (fu.command_type == "approval.void" && d.has_value());
  EXPECT_TRUE(void_sent);
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);
  EXPECT_EQ(views::query(v, "asset", json{{"id", "A-7"}}, mia.by, day(today))->at("pending_approval_id"), "");
  const auto back = views::decode_snapshot(views::encode_snapshot(v));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->assets, v.assets);
}

// The scheme is configuration: levels added and retired, never removed; a
// retired level is not newly assigned, and assets at it keep it.
TEST(classification_scheme, levels_are_added_and_retired_but_never_removed) {
  namespace cs = classification_scheme;
  const auto configure = [](const json& data, const events& given, const command_context& ctx = manager()) {
    const auto h = history_of(std::string(cs::stream_id), given);
    return decide_command("classification.configure", cs::stream_id, data, h, ctx, no_streams);
  };
  const json configured = scheme_configured().data;
  json data{{"levels", configured.at("levels")}, {"comment", "restricted tier added"}};
  const auto d = configure(data, {});
  ASSERT_TRUE(d) << describe(d);
  EXPECT_EQ((*d)[0].type, "classification.configured.v1");
  EXPECT_EQ((*d)[0].data.at("configured_by"), "mia");
  expect_rejected(configure(data, {}, owner()), rejection_kind::forbidden);
  expect_rejected(configure(data, {scheme_configured()}), rejection_kind::rule, "", "already configured");

  // Leaving a level out is refused, whether built in or configured.
  json without = data;
  without["levels"].erase(3);  // confidential
  expect_rejected(configure(without, {}), rejection_kind::rule, "data.levels", "retire it instead");
  without = data;
  without["levels"].erase(2);  // restricted, configured before
  expect_rejected(configure(without, {scheme_configured()}), rejection_kind::rule, "data.levels", "retire it instead");

  // The payload's own rules.
  json twice = data;
  twice["levels"][1]["id"] = "restricted";
  expect_rejected(configure(twice, {}), rejection_kind::invalid, "data.levels[2].id", "listed twice");
  json one_left = data;
  for (std::size_t i = 1; i < one_left["levels"].size(); ++i) one_left["levels"][i]["retired"] = i != 1;
  expect_rejected(configure(one_left, {}), rejection_kind::invalid, "data.levels", "at least two");
  json nameless = data;
  nameless["levels"][0].erase("name");
  expect_rejected(configure(nameless, {}), rejection_kind::invalid, "data.levels[0].name");

  // What the folded scheme says, and what assets may be given.
  const auto scheme = cs::current_scheme(history_of(std::string(cs::stream_id), {scheme_configured()}));
  ASSERT_TRUE(scheme) << scheme.error().message;
  EXPECT_EQ(scheme->version, 1u);
  EXPECT_EQ(scheme->assignable_ids(), (std::vector<std::string>{"internal", "restricted", "confidential", "strictly_confidential"}));
  EXPECT_EQ(scheme->name_of("restricted"), "Restricted");
  EXPECT_FALSE(scheme->assignable("public"));
  EXPECT_NE(scheme->find("public"), nullptr);

  json restricted = register_data();
  restricted["classification"] = "restricted";
  expect_rejected(when("asset.register", restricted, {}), rejection_kind::invalid, "data.classification", "no level");
  expect_events(when("asset.register", restricted, {}, manager(), scheme_of({scheme_configured()})),
                {ast::encode(ast::registered{"A-7",
                                             {"Customer master data", ast::kind::information, "", "olga",
                                              "ERP, EU data centre", "POL-003"},
                                             "restricted",
                                             day(today),
                                             "mia"})});
  json public_ = register_data();
  public_["classification"] = "public";
  expect_rejected(when("asset.register", public_, {}, manager(), scheme_of({scheme_configured()})),
                  rejection_kind::invalid, "data.classification", "retired");
  expect_rejected(when("asset.request_reclassification", {{"classification", "public"}, {"reason", "r"}},
                       {registered()}, manager(), scheme_of({scheme_configured()})),
                  rejection_kind::invalid, "data.classification", "retired");
  const auto asked = when("asset.request_reclassification", {{"classification", "restricted"}, {"reason", "r"}},
                          {registered()}, manager(), scheme_of({scheme_configured()}));
  ASSERT_TRUE(asked) << describe(asked);
  EXPECT_NE((*asked)[1].data.at("approval").at("summary").get<std::string>().find("as Restricted instead of Confidential"),
            std::string::npos)
      << (*asked)[1].data.dump();
}

// The inventory carries the scheme in force, as of any point; filters and
// counts follow its levels; an asset at a level later retired keeps it.
TEST(classification_scheme, the_inventory_shows_the_scheme_in_force_as_of_any_point) {
  testing::in_memory_log log;
  testing::register_users(log);
  const command_context mia{actor{"mia", {role::isms_manager}}, at(now), "c1"};
  json public_ = register_data();
  public_["classification"] = "public";
  ASSERT_TRUE(log.run("asset.register", "asset-A-7", public_, mia));
  views::all_views before = views::initial_views();
  for (const auto& e : log.all()) before = views::evolve(std::move(before), e);
  const json configured = scheme_configured().data;
  ASSERT_TRUE(log.run("classification.configure", std::string(classification_scheme::stream_id),
                      {{"levels", configured.at("levels")}}, mia));
  views::all_views v = views::initial_views();
  for (const auto& e : log.all()) v = views::evolve(std::move(v), e);

  const auto now_ = views::query(v, "assets", json::object(), mia.by, day(today));
  ASSERT_TRUE(now_) << now_.error().message;
  const json& levels = now_->at("classification_scheme").at("levels");
  ASSERT_EQ(levels.size(), 5u);
  EXPECT_EQ(levels[2].at("id"), "restricted");
  EXPECT_EQ(levels[0].at("retired"), true);
  EXPECT_EQ(levels[0].at("assets_in_use"), 1);
  EXPECT_EQ(now_->at("classification_scheme").at("version"), 1);
  EXPECT_EQ(now_->at("assets")[0].at("classification"), "public");
  EXPECT_EQ(now_->at("by_classification").at("restricted"), 0);
  EXPECT_TRUE(views::query(v, "assets", json{{"classification", "restricted"}}, mia.by, day(today)));
  EXPECT_EQ(views::query(v, "asset", json{{"id", "A-7"}}, mia.by, day(today))->at("classification_scheme"),
            [&] {
              json j = now_->at("classification_scheme");
              for (auto& l : j["levels"]) l.erase("assets_in_use");
              return j;
            }());

  const auto then = views::query(before, "assets", json::object(), mia.by, day(today));
  ASSERT_TRUE(then);
  EXPECT_EQ(then->at("classification_scheme").at("levels").size(), 4u);
  EXPECT_EQ(then->at("classification_scheme").at("version"), 0);
  const auto unknown = views::query(before, "assets", json{{"classification", "restricted"}}, mia.by, day(today));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("public, internal, confidential, strictly_confidential"), std::string::npos)
      << unknown.error().message;

  const auto back = views::decode_snapshot(views::encode_snapshot(v));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->assets, v.assets);
}

}  // namespace
}  // namespace isms::domain::asset_test
