#include "isms/domain/approval.hpp"

#include <gtest/gtest.h>

#include "given.hpp"

namespace isms::domain::approval::approval_test {
namespace {

using namespace isms::domain::testing;

const std::string subject = "risk-R-1";
const std::string hash = sha256_hex("the subject content");

approval_policy owner_then_top() {
  return approval_policy{{role::top_management}, {"olga"}, 2, true, 1};
}

approval_request request(approval_policy p = owner_then_top()) {
  return approval_request{"risk-R-1.v4", "risk.acceptance", std::move(p), "risk.accept",
                          "risk.reject_acceptance", "accept R-1", hash};
}

opened opened_with(approval_policy p = owner_then_top()) {
  const auto r = request(std::move(p));
  return opened{r.approval_id, subject,       4,       r.subject_kind, r.content_hash, r.policy,
                r.on_approved, r.on_rejected, r.summary, "mia"};
}

json open_data(approval_policy p = owner_then_top()) {
  const auto o = opened_with(std::move(p));
  json d = to_json(request(o.policy));
  d["subject_stream"] = subject;
  d["subject_version"] = 4;
  d["requested_by"] = "mia";
  return d;
}

// A log where risk-R-1 holds the request at version 4 (and nothing after).
struct world {
  in_memory_log log;
  explicit world(approval_policy p = owner_then_top()) {
    log.append(subject,
               {new_event{"risk.identified.v1", json::object()}, new_event{"risk.assessed.v1", json::object()},
                new_event{"risk.treatment_planned.v1", json::object()},
                new_event{"risk.acceptance_requested.v1", json{{"approval", to_json(request(std::move(p)))}}}},
               manager());
  }

  decision when(std::string_view type, const json& data, const events& given,
                const command_context& ctx) {
    const auto h = history_of("approval-risk-R-1.v4", given);
    return log.decide(type, "approval-risk-R-1.v4", data, h, ctx);
  }
};

command_context olga_and_top() { return as("olga", {role::risk_owner, role::top_management}); }

// ---- open ---------------------------------------------------------------------------

TEST(ApprovalOpen, RecordsSubjectVersionHashPolicyAndRequester) {
  world w;
  const auto d = w.when("approval.open", open_data(), {}, system_actor());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(opened_with())}));
}

TEST(ApprovalOpen, OnlyTheSystemOpens) {
  world w;
  EXPECT_REJECTED(w.when("approval.open", open_data(), {}, manager()), rejection_kind::forbidden, "");
}

TEST(ApprovalOpen, TheSubjectMustHoldThisRequestWithThisHash) {
  world w;
  auto d = open_data();
  d["content_hash"] = sha256_hex("something else");
  EXPECT_REJECTED(w.when("approval.open", d, {}, system_actor()), rejection_kind::not_found, "data.subject_version");
  d = open_data();
  d["subject_version"] = 3;
  EXPECT_REJECTED(w.when("approval.open", d, {}, system_actor()), rejection_kind::not_found, "data.subject_version");
}

TEST(ApprovalOpen, NotWhenTheSubjectAlreadyChanged) {
  world w;
  w.log.append(subject, {new_event{"risk.retired.v1", {{"reason", "x"}}}}, manager());
  EXPECT_REJECTED(w.when("approval.open", open_data(), {}, system_actor()), rejection_kind::rule, "");
}

TEST(ApprovalOpen, OnlyOnce) {
  world w;
  EXPECT_REJECTED(w.when("approval.open", open_data(), {encode(opened_with())}, system_actor()),
                  rejection_kind::rule, "");
}

TEST(ApprovalOpen, TheRequesterIsNeverARequiredApprover) {
  world w;
  auto d = open_data();
  d["requested_by"] = "olga";
  EXPECT_REJECTED(w.when("approval.open", d, {}, system_actor()), rejection_kind::rule,
                  "data.policy.required_users");
}

TEST(ApprovalOpen, IsSentToTheStreamOfItsId) {
  world w;
  const auto h = std::vector<recorded_event>{};
  const auto d = w.log.decide("approval.open", "approval-other", open_data(), h, system_actor());
  EXPECT_REJECTED(d, rejection_kind::invalid, "stream");
  EXPECT_TRUE(w.log.decide("approval.open", "approval-risk-R-1.v4", open_data(), h, system_actor()));
}

TEST(ApprovalParse, NamesTheFieldAndTheRule) {
  auto without = [](json j, const char* k) {
    j.erase(k);
    return j;
  };
  EXPECT_EQ(parse_command("approval.open", without(open_data(), "subject_stream")).error().field,
            "data.subject_stream");
  EXPECT_EQ(parse_command("approval.open", without(open_data(), "policy")).error().field, "data.policy");
  auto bad_version = open_data();
  bad_version["subject_version"] = 0;
  EXPECT_EQ(parse_command("approval.open", bad_version).error().field, "data.subject_version");
  auto bad_stream = open_data();
  bad_stream["subject_stream"] = "nokind";
  EXPECT_EQ(parse_command("approval.open", bad_stream).error().field, "data.subject_stream");
  EXPECT_EQ(parse_command("approval.open", without(open_data(), "requested_by")).error().field, "data.requested_by");
  EXPECT_EQ(parse_command("approval.reject", json::object()).error().field, "data.comment");
  EXPECT_EQ(parse_command("approval.reject", {{"comment", " "}}).error().field, "data.comment");
  EXPECT_EQ(parse_command("approval.approve", {{"comment", 5}}).error().field, "data.comment");
  EXPECT_EQ(parse_command("approval.void", {{"approval_id", "x"}}).error().field, "data.reason");
  EXPECT_EQ(parse_command("approval.cancel", json::object()).error().field, "type");
}

// ---- approve / reject -------------------------------------------------------------------

TEST(ApprovalDecide, TheRequesterNeverApprovesTheirOwnRequest) {
  world w;
  const auto mia_top = as("mia", {role::isms_manager, role::top_management});
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {encode(opened_with())}, mia_top),
                  rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("approval.reject", {{"comment", "no"}}, {encode(opened_with())}, mia_top),
                  rejection_kind::rule, "");
}

TEST(ApprovalDecide, OrderedPolicyTakesTheOwnerFirst) {
  world w;
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {encode(opened_with())}, top()), rejection_kind::rule, "");
  const auto d = w.when("approval.approve", {{"comment", "agreed"}}, {encode(opened_with())}, owner());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(reviewer_approved{"olga", {role::risk_owner}, "user:olga", "agreed", 1})}));
}

TEST(ApprovalDecide, CompletesWhenEveryStepIsMet) {
  world w;
  const events given{encode(opened_with()),
                     encode(reviewer_approved{"olga", {role::risk_owner}, "user:olga", "agreed", 1})};
  const auto d = w.when("approval.approve", {{"comment", "ok for a year"}}, given, top());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(reviewer_approved{"tom", {role::top_management}, "role:top_management",
                                                 "ok for a year", 1}),
                        encode(approved{"risk-R-1.v4", subject, 4, "risk.accept", "risk.reject_acceptance",
                                        {"olga", "tom"}, "ok for a year", 1})}));
}

// ---- confirming a decision that matters -----------------------------------------

command_context with_factor(command_context ctx, confirmation c = confirmation::none) {
  ctx.second_factor = true;
  ctx.confirmed = c;
  return ctx;
}

TEST(ApprovalConfirm, AnApproverWithASecondFactorConfirmsAnAboveAppetiteAcceptance) {
  world w;
  const events given{encode(opened_with()),
                     encode(reviewer_approved{"olga", {role::risk_owner}, "user:olga", "agreed", 1})};
  // Sent in the session alone: refused, naming what is missing.
  EXPECT_REJECTED(w.when("approval.approve", json::object(), given, with_factor(top())), rejection_kind::unconfirmed,
                  "confirm");
  // Confirmed with the authenticator: decided, and the event says how.
  const auto d = w.when("approval.approve", json::object(), given, with_factor(top(), confirmation::totp));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->front().data.at("confirmed_with"), "totp");
  const auto back = decode(d->front().type, d->front().data);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<reviewer_approved>(*back).confirmed_with, "totp");
  // A recovery code is a confirmation too, and recorded as what it was.
  const auto r = w.when("approval.approve", json::object(), given, with_factor(top(), confirmation::recovery_code));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->front().data.at("confirmed_with"), "recovery_code");
}

TEST(ApprovalConfirm, WithoutASecondFactorTheSessionDecidesAndNothingIsClaimed) {
  world w;
  const auto d = w.when("approval.approve", json::object(), {encode(opened_with())}, owner());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(d->front().data.contains("confirmed_with")) << d->front().data.dump();
}

TEST(ApprovalConfirm, OnlyDecisionsThatMatterAskForIt) {
  // An acceptance within appetite: the risk owner's alone, not asked.
  const approval_policy owner_only{{}, {"olga"}, 1, true, 1};
  world within(owner_only);
  const auto d = within.when("approval.approve", json::object(), {encode(opened_with(owner_only))},
                             with_factor(owner()));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(d->front().data.contains("confirmed_with"));

  opened o = opened_with();
  EXPECT_TRUE(needs_confirmation(o)) << "above appetite: its policy asks top management";
  o.policy = owner_only;
  EXPECT_FALSE(needs_confirmation(o));
  for (const char* kind : {"soa.publication", "document.approval", "review.minutes"}) {
    o.subject_kind = kind;
    EXPECT_TRUE(needs_confirmation(o)) << kind;
  }
  for (const char* kind : {"objective.setting", "scope.change"}) {
    o.subject_kind = kind;
    EXPECT_FALSE(needs_confirmation(o)) << kind;
  }
}

TEST(ApprovalConfirm, ARejectionNeedsNoConfirmation) {
  world w;
  const auto d = w.when("approval.reject", {{"comment", "not without a plan"}}, {encode(opened_with())},
                        with_factor(owner()));
  ASSERT_TRUE(d) << d.error().message;
}

TEST(ApprovalDecide, AReviewerDecidesOnce) {
  world w;
  const events given{encode(opened_with()),
                     encode(reviewer_approved{"olga", {role::risk_owner}, "user:olga", "", 1})};
  EXPECT_REJECTED(w.when("approval.approve", json::object(), given, owner()), rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("approval.reject", {{"comment", "changed my mind"}}, given, owner()),
                  rejection_kind::rule, "");
}

TEST(ApprovalDecide, OnePersonHoldingTwoRequiredRolesCountsOnce) {
  world w;
  const events given{encode(opened_with()),
                     encode(reviewer_approved{"olga", {role::risk_owner, role::top_management}, "user:olga", "", 1})};
  const auto s = fold(history_of("approval-risk-R-1.v4", given));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->status_, status::open);
  const auto d = w.when("approval.approve", json::object(), {encode(opened_with())}, olga_and_top());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size(), 1u) << "the owner's approval must not also fill the top-management step";
}

TEST(ApprovalDecide, SomeoneTheWorkflowDoesNotNameCannotDecide) {
  world w;
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {encode(opened_with())}, other_owner()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {encode(opened_with())}, as("root", {role::admin})),
                  rejection_kind::forbidden, "");
}

TEST(ApprovalDecide, NOfMNeedsDistinctHoldersOfTheRole) {
  const approval_policy two_tops{{role::top_management}, {}, 2, false, 3};
  world w(two_tops);
  const events given{encode(opened_with(two_tops))};
  const auto first = w.when("approval.approve", json::object(), given, top("tom"));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].data.at("step"), "role:top_management");
  EXPECT_EQ((*first)[0].data.at("policy_version"), 3);
  events after = given;
  after.push_back((*first)[0]);
  const auto second = w.when("approval.approve", json::object(), after, top("tess"));
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].data.at("step"), "additional");
  EXPECT_EQ((*second)[1].type, "approval.approved.v1");
  EXPECT_EQ((*second)[1].data.at("approvers"), (json{"tom", "tess"}));
}

TEST(ApprovalDecide, UnorderedPolicyTakesStepsInAnyOrder) {
  approval_policy any_order = owner_then_top();
  any_order.ordered = false;
  world w(any_order);
  const auto d = w.when("approval.approve", json::object(), {encode(opened_with(any_order))}, top());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].data.at("step"), "role:top_management");
}

TEST(ApprovalDecide, RejectionCompletesWithWhoAndWhy) {
  world w;
  const events given{encode(opened_with()),
                     encode(reviewer_approved{"olga", {role::risk_owner}, "user:olga", "", 1})};
  const auto d = w.when("approval.reject", {{"comment", "residual risk too high"}}, given, top());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(reviewer_rejected{"tom", {role::top_management}, "residual risk too high", 1}),
                        encode(rejected{"risk-R-1.v4", subject, 4, "risk.accept", "risk.reject_acceptance",
                                        {"olga"}, "tom", "residual risk too high", 1})}));
}

TEST(ApprovalDecide, NothingIsDecidedOnceCompleted) {
  world w;
  const events done{encode(opened_with()),
                    encode(rejected{"risk-R-1.v4", subject, 4, "risk.accept", "risk.reject_acceptance", {},
                                    "olga", "no", 1})};
  EXPECT_REJECTED(w.when("approval.approve", json::object(), done, top()), rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {}, top()), rejection_kind::not_found, "");
}

TEST(ApprovalDecide, NotWhenTheSubjectChangedSinceTheRequest) {
  world w;
  w.log.append(subject, {new_event{"risk.assessed.v1", json::object()}}, manager());
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {encode(opened_with())}, owner()),
                  rejection_kind::rule, "");
}

// ---- void -----------------------------------------------------------------------------

TEST(ApprovalVoid, SystemVoidsAnOpenApprovalWithTheReason) {
  world w;
  const auto d = w.when("approval.void", {{"approval_id", "risk-R-1.v4"}, {"reason", "risk reassessed"}},
                        {encode(opened_with())}, system_actor());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, (events{encode(voided{"risk-R-1.v4", subject, "risk reassessed"})}));
  EXPECT_REJECTED(w.when("approval.approve", json::object(), {encode(opened_with()), (*d)[0]}, owner()),
                  rejection_kind::rule, "");
  EXPECT_REJECTED(w.when("approval.void", {{"approval_id", "risk-R-1.v4"}, {"reason", "again"}},
                         {encode(opened_with()), (*d)[0]}, system_actor()),
                  rejection_kind::rule, "");
}

TEST(ApprovalVoid, OnlyTheSystemAndOnlyThisApproval) {
  world w;
  EXPECT_REJECTED(w.when("approval.void", {{"approval_id", "risk-R-1.v4"}, {"reason", "x"}},
                         {encode(opened_with())}, manager()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(w.when("approval.void", {{"approval_id", "risk-R-9.v1"}, {"reason", "x"}},
                         {encode(opened_with())}, system_actor()),
                  rejection_kind::rule, "data.approval_id");
}

// ---- inbox ------------------------------------------------------------------------------

TEST(ApprovalInbox, TellsWhoStillMustAct) {
  auto s = evolve(initial_state(), opened_with());
  auto p = who_must_act(s);
  EXPECT_EQ(p.users, std::vector<std::string>{"olga"});
  EXPECT_TRUE(p.roles.empty());
  EXPECT_EQ(p.excluded, std::vector<std::string>{"mia"});
  EXPECT_TRUE(awaits(s, owner().by));
  EXPECT_FALSE(awaits(s, top().by));
  s = evolve(s, reviewer_approved{"olga", {role::risk_owner}, "user:olga", "", 1});
  p = who_must_act(s);
  EXPECT_TRUE(p.users.empty());
  EXPECT_EQ(p.roles, std::vector<role>{role::top_management});
  EXPECT_EQ(p.excluded, (std::vector<std::string>{"mia", "olga"}));
  EXPECT_TRUE(awaits(s, top().by));
  EXPECT_FALSE(awaits(s, owner().by));
  EXPECT_FALSE(awaits(s, as("mia", {role::top_management}).by));
  s = evolve(s, approved{"risk-R-1.v4", subject, 4, "risk.accept", "risk.reject_acceptance", {"olga", "tom"}, "", 1});
  p = who_must_act(s);
  EXPECT_TRUE(p.users.empty() && p.roles.empty());
  EXPECT_FALSE(awaits(s, top().by));
}

// ---- codecs ---------------------------------------------------------------------------

TEST(ApprovalCodec, EveryEventRoundTrips) {
  const std::vector<event> all{
      opened_with(),
      reviewer_approved{"olga", {role::risk_owner}, "user:olga", "fine", 1},
      reviewer_rejected{"tom", {role::top_management}, "no", 1},
      approved{"risk-R-1.v4", subject, 4, "risk.accept", "risk.reject_acceptance", {"olga", "tom"}, "ok", 1},
      rejected{"risk-R-1.v4", subject, 4, "risk.accept", "risk.reject_acceptance", {"olga"}, "tom", "no", 1},
      voided{"risk-R-1.v4", subject, "changed"}};
  for (const auto& e : all) {
    const auto wire = encode(e);
    const auto back = decode(wire.type, wire.data);
    ASSERT_TRUE(back) << wire.type << ": " << back.error();
    EXPECT_EQ(*back, e) << wire.type;
    EXPECT_TRUE(wire.type.starts_with("approval.") && wire.type.ends_with(".v1"));
  }
}

TEST(ApprovalCodec, MalformedDataIsAnErrorNeverAThrow) {
  EXPECT_FALSE(decode("approval.closed.v1", json::object()));
  auto o = encode(opened_with()).data;
  o["policy"]["required_roles"] = {"emperor"};
  EXPECT_FALSE(decode("approval.opened.v1", o));
  o = encode(opened_with()).data;
  o["subject_version"] = "4";
  EXPECT_FALSE(decode("approval.opened.v1", o));
  EXPECT_FALSE(decode("approval.reviewer_approved.v1", json{{"reviewer", "olga"}, {"roles", {"boss"}}}));
  EXPECT_FALSE(decode("approval.rejected.v1", json::array()));
  EXPECT_FALSE(decode("approval.voided.v1", json{{"approval_id", 1}}));
}

}  // namespace
}  // namespace isms::domain::approval::approval_test
