// The reaction runner in a real server: follow-ups named by what they are, so
// re-running every reaction after a lost checkpoint writes nothing twice; and
// an approval that opened although its subject had changed meanwhile (the
// open's check and its append are two steps) is voided.

#include <gtest/gtest.h>

#include "isms/domain/reactions.hpp"
#include "isms/eventstore/store.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::reactions_test {
namespace {

class reactions : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_token = srv.add_user("manager", {"isms_manager"});
    owner_token = srv.add_user("owner", {"risk_owner"});
    manager = connect(manager_token);
    owner = connect(owner_token);
  }

  std::unique_ptr<ws_client> connect(const std::string& token) {
    auto c = connect_as(srv, token);
    EXPECT_NE(c, nullptr);
    return c;
  }

  // Identified, assessed within appetite, treatment planned: version 3.
  void prepare_risk(const std::string& stream) {
    ASSERT_TRUE(ok(manager->command("risk.identify", stream, identify_data("owner"))));
    ASSERT_TRUE(ok(manager->command("risk.assess", stream,
                                    {{"likelihood", 4}, {"impact", 4}, {"rationale", "no disk encryption"}})));
    ASSERT_TRUE(ok(manager->command("risk.plan_treatment", stream,
                                    {{"option", "modify"},
                                     {"controls", {"8.24"}},
                                     {"actions", "Full-disk encryption"},
                                     {"target_likelihood", 1},
                                     {"target_impact", 3},
                                     {"due", "2026-06-30"}})));
  }

  std::vector<eventstore::recorded_event> stream(const std::string& name) {
    auto events = srv.store().read_stream(name);
    EXPECT_TRUE(events) << events.error().message;
    return events ? *events : std::vector<eventstore::recorded_event>{};
  }

  test_server srv;
  std::string manager_token, owner_token;
  std::unique_ptr<ws_client> manager, owner;
};

TEST_F(reactions, rerunning_every_reaction_after_a_lost_checkpoint_writes_nothing_twice) {
  // One approval completed (open, approve, accept), one voided by a change.
  prepare_risk("risk-R-1");
  ASSERT_TRUE(ok(manager->command("risk.request_acceptance", "risk-R-1", {{"comment", "ready"}})));
  srv.app().settle();
  ASSERT_TRUE(ok(owner->command("approval.approve", "approval-risk-R-1.v4", {{"comment", "fine"}})));
  prepare_risk("risk-R-2");
  ASSERT_TRUE(ok(manager->command("risk.request_acceptance", "risk-R-2", {{"comment", "ready"}})));
  srv.app().settle();
  ASSERT_TRUE(ok(manager->command("risk.assess", "risk-R-2",
                                  {{"likelihood", 2}, {"impact", 2}, {"rationale", "encrypted since"}})));
  srv.app().settle();
  const auto r1 = stream("risk-R-1");
  ASSERT_EQ(r1.back().type, "risk.accepted.v1");
  const auto a2 = stream("approval-risk-R-2.v4");
  ASSERT_EQ(a2.back().type, "approval.voided.v1");
  // Follow-ups are named by what they are.
  EXPECT_EQ(a2.back().metadata.command_id,
            domain::follow_up_command_id(std::stoull(a2.back().metadata.causation_id), "approval.void",
                                         "approval-risk-R-2.v4", 1));
  const auto head = srv.store().current_head();

  // The process "crashed" before any checkpoint was kept: every reaction runs again.
  manager.reset();
  owner.reset();
  srv.stop();
  {
    auto s = eventstore::store::open(eventstore::options{}, srv.dir());
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->put_meta("reactions/checkpoint", "0"));
  }
  srv.restart();
  srv.app().settle();
  EXPECT_EQ(srv.store().current_head().position, head.position) << "a re-run wrote a follow-up twice";
  EXPECT_EQ(srv.store().current_head().hash, head.hash);
}

TEST_F(reactions, an_approval_opened_after_its_subject_changed_is_voided) {
  // A real request, to copy its approval object from.
  prepare_risk("risk-R-1");
  ASSERT_TRUE(ok(manager->command("risk.request_acceptance", "risk-R-1", {{"comment", "ready"}})));
  srv.app().settle();
  const auto request = stream("risk-R-1").back();
  ASSERT_EQ(request.type, "risk.acceptance_requested.v1");

  // risk-R-2: a request and a change committed together, before any reaction
  // ran: approval.open is refused (the subject changed), nothing is open.
  prepare_risk("risk-R-2");
  const auto planned = stream("risk-R-2");
  ASSERT_EQ(planned.size(), 3u);
  eventstore::event_data ask;
  ask.type = request.type;
  ask.data = request.data;
  ask.data["approval"]["approval_id"] = "risk-R-2.v4";
  ask.metadata.actor = "manager";
  eventstore::event_data change;
  change.type = planned[1].type;  // a reassessment
  change.data = planned[1].data;
  change.metadata.actor = "manager";
  ASSERT_TRUE(srv.store().append("risk-R-2", eventstore::expected_version::exact(3), {ask, change}, "change-1"));
  srv.app().settle();
  ASSERT_TRUE(stream("approval-risk-R-2.v4").empty());

  // What the check-then-append race leaves behind: the approval opened anyway,
  // after the change (and after the change's reactions ran).
  domain::recorded_event asked;
  asked.position = srv.store().current_head().position - 1;
  asked.stream = "risk-R-2";
  asked.version = 4;
  asked.type = ask.type;
  asked.data = ask.data;
  asked.meta.actor = "manager";
  const auto open = domain::open_requested_approval(asked, domain::stream_reads{});
  ASSERT_EQ(open.size(), 1u);
  eventstore::event_data opened;
  opened.type = "approval.opened.v1";
  opened.data = open[0].data;
  opened.metadata.actor = "system";
  ASSERT_TRUE(srv.store().append(open[0].stream, eventstore::expected_version::no_stream(), {opened}, "race-1"));
  srv.app().settle();

  const auto approval = stream("approval-risk-R-2.v4");
  ASSERT_EQ(approval.size(), 2u) << "the stale approval stayed open";
  EXPECT_EQ(approval[1].type, "approval.voided.v1");
  EXPECT_NE(approval[1].data.dump().find("changed after version 4"), std::string::npos) << approval[1].data.dump();
  // The reviewers' inbox no longer holds it.
  auto inbox = owner->query("approvals", {{"state", "open"}});
  ASSERT_TRUE(ok(inbox)) << inbox->dump();
  EXPECT_EQ((*inbox)["result"]["data"].dump().find("risk-R-2.v4"), std::string::npos) << inbox->dump();
}

}  // namespace
}  // namespace isms::testing::reactions_test
