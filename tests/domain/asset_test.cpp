// Assets (A.5.9–5.12): given events, when a command, then events or a
// rejection; a reclassification approved by the asset's owner through the
// approval pattern; retirement with its disposal record; the inventory.

#include "isms/domain/asset.hpp"

#include <gtest/gtest.h>

#include "clause_testing.hpp"
#include "given.hpp"
#include "in_memory_log.hpp"
#include "stream_testing.hpp"
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
                                   ast::classification::confidential,
                                   day(today),
                                   "mia"});
}

decision when(std::string_view type, const json& data, const events& given, const command_context& ctx = manager()) {
  const auto h = history_of("asset-A-7", given);
  return decide_command(type, "asset-A-7", data, h, ctx, no_streams);
}

ast::state fold(const events& given) { return fold_of(given, ast::initial_state, ast::decode, ast::evolve); }

TEST(asset, an_isms_manager_registers_an_asset_with_its_owner_and_classification) {
  expect_events(when("asset.register", register_data(), {}), {registered()});
  expect_rejected(when("asset.register", register_data(), {}, owner()), rejection_kind::forbidden);
  expect_rejected(when("asset.register", register_data(), {registered()}), rejection_kind::rule, "", "already registered");
  json bad = register_data();
  bad["classification"] = "secret";
  expect_rejected(when("asset.register", bad, {}), rejection_kind::invalid, "data.classification");
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
  EXPECT_EQ(fold(pending).level, ast::classification::strictly_confidential);
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

}  // namespace
}  // namespace isms::domain::asset_test
