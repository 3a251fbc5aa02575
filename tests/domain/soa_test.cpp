#include "isms/domain/soa.hpp"

#include <gtest/gtest.h>

#include "given.hpp"
#include "isms/domain/annex_a.hpp"

namespace isms::domain::soa::soa_test {
namespace {

using namespace isms::domain::testing;

const std::string stream(stream_id);

struct world {
  in_memory_log log;
  world() { log.append("risk-R-1", {new_event{"risk.identified.v1", json::object()}}, manager()); }
  decision when(std::string_view type, const json& data, const events& given,
                const command_context& ctx = manager()) {
    const auto h = history_of(stream, given);
    return log.decide(type, stream, data, h, ctx);
  }
};

// Every control decided: 8.x excluded where n is even, the rest applicable.
events all_decided() {
  events out;
  for (const auto& c : annex_a::catalogue()) {
    const bool excluded = c.id.starts_with("7.") && c.id.size() == 3 && (c.id[2] - '0') % 2 == 0;
    out.push_back(encode(control_decided{std::string(c.id), !excluded,
                                         excluded ? "no premises of our own" : "needed for R-1", {}}));
  }
  return out;
}

events requested() {
  auto e = all_decided();
  world w;
  auto d = w.when("soa.request_publication", {{"comment", "first SoA"}}, e);
  EXPECT_TRUE(d.has_value());
  e.push_back((*d)[0]);
  return e;
}

std::string pending_id() { return "soa-main.v94"; }

TEST(SoaDecide, RecordsApplicabilityJustificationAndLinkedRisks) {
  world w;
  const auto d = w.when("soa.decide_control",
                        {{"control_id", "8.7"}, {"applicable", true}, {"justification", "treats R-1"},
                         {"linked_risks", {"R-1"}}},
                        {});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(control_decided{"8.7", true, "treats R-1", {"R-1"}})}));
}

TEST(SoaDecide, ExclusionNeedsAJustification) {
  world w;
  EXPECT_REJECTED(w.when("soa.decide_control", {{"control_id", "7.4"}, {"applicable", false}}, {}),
                  rejection_kind::invalid, "data.justification");
  EXPECT_TRUE(w.when("soa.decide_control",
                     {{"control_id", "7.4"}, {"applicable", false}, {"justification", "no premises"}}, {}));
}

TEST(SoaDecide, OnlyAnnexAControls) {
  world w;
  EXPECT_REJECTED(w.when("soa.decide_control", {{"control_id", "5.38"}, {"applicable", true}}, {}),
                  rejection_kind::invalid, "data.control_id");
  EXPECT_REJECTED(w.when("soa.decide_control", {{"control_id", "A.5.1.1.1"}, {"applicable", true}}, {}),
                  rejection_kind::invalid, "data.control_id");
  EXPECT_REJECTED(w.when("soa.decide_control", {{"control_id", 5.1}, {"applicable", true}}, {}),
                  rejection_kind::invalid, "data.control_id");
  EXPECT_REJECTED(w.when("soa.decide_control", {{"control_id", "5.1"}, {"applicable", "yes"}}, {}),
                  rejection_kind::invalid, "data.applicable");
}

TEST(SoaDecide, LinkedRisksMustBeInTheRegister) {
  world w;
  EXPECT_REJECTED(w.when("soa.decide_control",
                         {{"control_id", "8.7"}, {"applicable", true}, {"linked_risks", {"R-1", "R-2"}}}, {}),
                  rejection_kind::not_found, "data.linked_risks[1]");
  EXPECT_REJECTED(w.when("soa.decide_control",
                         {{"control_id", "8.7"}, {"applicable", true}, {"linked_risks", {"R-1", "R-1"}}}, {}),
                  rejection_kind::invalid, "data.linked_risks[1]");
}

TEST(SoaDecide, TheSameDecisionTwiceIsRefused) {
  world w;
  const json data{{"control_id", "8.7"}, {"applicable", true}, {"justification", "j"}};
  EXPECT_REJECTED(w.when("soa.decide_control", data, {encode(control_decided{"8.7", true, "j", {}})}),
                  rejection_kind::rule, "");
}

TEST(SoaDecide, OnlyTheIsmsManager) {
  world w;
  EXPECT_REJECTED(w.when("soa.decide_control", {{"control_id", "8.7"}, {"applicable", true}}, {}, top()),
                  rejection_kind::forbidden, "");
}

TEST(SoaImplementation, OnlyForApplicableControlsAndOnlyAChange) {
  world w;
  const json planned{{"control_id", "8.7"}, {"status", "planned"}};
  EXPECT_REJECTED(w.when("soa.set_implementation_status", planned, {}), rejection_kind::rule, "data.control_id");
  EXPECT_REJECTED(w.when("soa.set_implementation_status", planned,
                         {encode(control_decided{"8.7", false, "not needed", {}})}),
                  rejection_kind::rule, "data.control_id");
  const events decided{encode(control_decided{"8.7", true, "j", {}})};
  const auto d = w.when("soa.set_implementation_status", planned, decided);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(implementation_status_set{"8.7", implementation::planned, ""})}));
  EXPECT_REJECTED(w.when("soa.set_implementation_status", {{"control_id", "8.7"}, {"status", "not_started"}}, decided),
                  rejection_kind::rule, "data.status");
  EXPECT_REJECTED(w.when("soa.set_implementation_status", {{"control_id", "8.7"}, {"status", "done"}}, decided),
                  rejection_kind::invalid, "data.status");
}

TEST(SoaPublication, EveryControlMustBeDecidedFirst) {
  world w;
  auto e = all_decided();
  e.pop_back();
  EXPECT_REJECTED(w.when("soa.request_publication", json::object(), e), rejection_kind::rule, "");
}

// What the SoA's state admits is one rule: the view's list comes from the
// function decide refuses with.
TEST(SoaPublication, TheStateRuleIsTheOneDecideApplies) {
  using list = std::vector<std::string>;
  auto undecided = all_decided();
  undecided.pop_back();
  auto unjustified = all_decided();
  unjustified.push_back(encode(control_decided{"5.1", true, "", {}}));
  for (const events& e : {undecided, unjustified, all_decided(), requested()}) {
    world w;
    auto s = initial_state();
    for (const auto& ev : e) s = evolve(std::move(s), *decode(ev.type, ev.data));
    const auto refusal = state_refusal("soa.request_publication", s);
    const auto d = w.when("soa.request_publication", json::object(), e);
    EXPECT_EQ(d.has_value(), !refusal) << e.size() << " events";
    if (refusal && !d) {
      EXPECT_EQ(d.error().message, refusal->message);
    }
    list expected{"soa.decide_control", "soa.set_implementation_status"};
    if (!refusal) expected.push_back("soa.request_publication");
    EXPECT_EQ(admitted_commands(s), expected);
  }
}

TEST(SoaPublication, EveryDecisionNeedsAJustification) {
  world w;
  auto e = all_decided();
  e.push_back(encode(control_decided{"5.1", true, "", {}}));
  EXPECT_REJECTED(w.when("soa.request_publication", json::object(), e), rejection_kind::rule, "");
}

TEST(SoaPublication, RequestNeedsTopManagementAndBindsTheContentHash) {
  world w;
  const auto e = all_decided();
  const auto d = w.when("soa.request_publication", {{"comment", "first SoA"}}, e);
  ASSERT_TRUE(d) << d.error().message;
  const auto& data = (*d)[0].data;
  EXPECT_EQ((*d)[0].type, "soa.publication_requested.v1");
  EXPECT_EQ(data.at("proposed_version"), 1);
  const auto s = fold(history_of(stream, e));
  ASSERT_TRUE(s);
  EXPECT_EQ(data.at("content_hash"), content_hash(*s));
  EXPECT_EQ(data.at("approval").at("content_hash"), content_hash(*s));
  EXPECT_EQ(data.at("approval").at("approval_id"), pending_id());
  EXPECT_EQ(data.at("approval").at("policy").at("required_roles"), json{"top_management"});
  EXPECT_EQ(data.at("approval").at("on_approved"), "soa.publish");
  EXPECT_EQ(data.at("approval").at("on_rejected"), "soa.reject_publication");
  EXPECT_REJECTED(w.when("soa.request_publication", json::object(), requested()), rejection_kind::rule, "");
}

TEST(SoaPublication, ContentHashCoversEveryEntry) {
  auto a = fold(history_of(stream, all_decided()));
  auto e = all_decided();
  e.push_back(encode(implementation_status_set{"8.7", implementation::partial, ""}));
  auto b = fold(history_of(stream, e));
  ASSERT_TRUE(a && b);
  EXPECT_NE(content_hash(*a), content_hash(*b));
  EXPECT_EQ(content(*a).size(), 93u);
}

TEST(SoaPublication, PublishedOnApprovalWithAVersionNumber) {
  world w;
  const approval_outcome ok{pending_id(), {"tom"}, "approved", {}};
  const auto d = w.when("soa.publish", to_json(ok), requested(), system_actor());
  ASSERT_TRUE(d) << d.error().message;
  const auto s0 = fold(history_of(stream, all_decided()));
  EXPECT_EQ(*d, (events{encode(published{1, pending_id(), {"tom"}, content_hash(*s0), "approved"})}));
  auto e = requested();
  e.push_back((*d)[0]);
  EXPECT_REJECTED(w.when("soa.request_publication", json::object(), e), rejection_kind::rule, "");
  e.push_back(encode(implementation_status_set{"8.7", implementation::implemented, ""}));
  const auto again = w.when("soa.request_publication", json::object(), e);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)[0].data.at("proposed_version"), 2);
}

TEST(SoaPublication, OutcomeOnlyFromSystemForThePendingApproval) {
  world w;
  const approval_outcome ok{pending_id(), {"tom"}, "approved", {}};
  EXPECT_REJECTED(w.when("soa.publish", to_json(ok), requested(), manager()), rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("soa.publish", to_json(approval_outcome{"soa-main.v3", {"tom"}, "", {}}), requested(),
                         system_actor()),
                  rejection_kind::rule, "data.approval_id");
  EXPECT_REJECTED(w.when("soa.publish", to_json(ok), all_decided(), system_actor()), rejection_kind::rule,
                  "data.approval_id");
}

TEST(SoaPublication, RejectionClearsThePendingRequest) {
  world w;
  const approval_outcome no{pending_id(), {}, "justify 5.23 better", "tom"};
  const auto d = w.when("soa.reject_publication", to_json(no), requested(), system_actor());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(publication_rejected{pending_id(), {}, "tom", "justify 5.23 better"})}));
  auto e = requested();
  e.push_back((*d)[0]);
  EXPECT_FALSE(fold(history_of(stream, e))->pending);
  EXPECT_REJECTED(w.when("soa.reject_publication", to_json(approval_outcome{pending_id(), {}, "x", {}}),
                         requested(), system_actor()),
                  rejection_kind::invalid, "data.rejected_by");
}

TEST(SoaPublication, AChangeWhilePendingWithdrawsTheRequest) {
  auto e = requested();
  e.push_back(encode(implementation_status_set{"8.7", implementation::partial, ""}));
  EXPECT_FALSE(fold(history_of(stream, e))->pending);
  world w;
  EXPECT_REJECTED(w.when("soa.publish", to_json(approval_outcome{pending_id(), {"tom"}, "", {}}), e, system_actor()),
                  rejection_kind::rule, "data.approval_id");
}

TEST(SoaCodec, EveryEventRoundTripsAndMalformedDataIsAnError) {
  const auto req = std::get<publication_requested>(*decode("soa.publication_requested.v1", requested().back().data));
  const std::vector<event> all{control_decided{"5.1", true, "policy set", {"R-1"}},
                               implementation_status_set{"5.1", implementation::implemented, "done"}, req,
                               published{1, "soa-main.v94", {"tom"}, std::string(64, 'a'), "ok"},
                               publication_rejected{"soa-main.v94", {}, "tom", "no"}};
  for (const auto& e : all) {
    const auto wire = encode(e);
    const auto back = decode(wire.type, wire.data);
    ASSERT_TRUE(back) << wire.type << ": " << back.error();
    EXPECT_EQ(*back, e) << wire.type;
  }
  EXPECT_FALSE(decode("soa.control_decided.v1", json{{"control_id", "9.9"}, {"applicable", true},
                                                     {"linked_risks", json::array()}}));
  EXPECT_FALSE(decode("soa.implementation_status_set.v1", json{{"control_id", "5.1"}, {"status", "done"}}));
  EXPECT_FALSE(decode("soa.published.v1", json{{"version", "1"}}));
  EXPECT_FALSE(decode("soa.retracted.v1", json::object()));
  EXPECT_FALSE(decode("soa.control_decided.v1", json(42)));
}

}  // namespace
}  // namespace isms::domain::soa::soa_test
