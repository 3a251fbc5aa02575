// Full flows through the WebSocket API of a real server on loopback: risk
// acceptance with a live notification to the risk owner, segregation of
// duties, read-only auditors, optimistic concurrency, time travel, and the
// auditor's NDJSON export re-verified outside the server.

#include <gtest/gtest.h>

#include <sstream>

#include "isms/eventstore/store.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::flow_test {
namespace {

const json* find_risk(const json& register_data, const std::string& id) {
  for (const auto& r : register_data.at("risks"))
    if (r.at("id") == id) return &r;
  return nullptr;
}

class risk_flow : public ::testing::Test {
 protected:
  void SetUp() override {
    manager_token = srv.add_user("manager", {"isms_manager"});
    owner_token = srv.add_user("owner", {"risk_owner"});
    auditor_token = srv.add_user("auditor", {"external_auditor"});
    manager = connect_as(srv, manager_token);
    owner = connect_as(srv, owner_token);
    auditor = connect_as(srv, auditor_token);
  }

  // Identify, assess and plan a risk within appetite; returns the plan's reply.
  json prepare_risk(const std::string& stream) {
    EXPECT_TRUE(ok(manager->command("risk.identify", stream, identify_data("owner"))));
    EXPECT_TRUE(ok(manager->command("risk.assess", stream,
                                    {{"likelihood", 4}, {"impact", 4}, {"rationale", "no disk encryption"}})));
    auto planned = manager->command("risk.plan_treatment", stream,
                                    {{"option", "modify"},
                                     {"controls", {"8.24", "7.9"}},
                                     {"actions", "Full-disk encryption on every laptop"},
                                     {"target_likelihood", 1},
                                     {"target_impact", 3},
                                     {"due", "2026-06-30"}});
    EXPECT_TRUE(ok(planned)) << planned->dump();
    return *planned;
  }

  test_server srv;
  std::string manager_token, owner_token, auditor_token;
  std::unique_ptr<ws_client> manager, owner, auditor;
};

TEST_F(risk_flow, owner_is_notified_live_approves_and_register_shows_acceptance) {
  ASSERT_TRUE(ok(owner->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  ASSERT_TRUE(ok(manager->request({{"op", "subscribe"}, {"channel", "view:risks"}})));
  const json planned = prepare_risk("risk-R-1");
  const std::uint64_t before_request = planned["result"]["position"];

  auto requested = manager->command("risk.request_acceptance", "risk-R-1", {{"comment", "ready for acceptance"}});
  ASSERT_TRUE(ok(requested)) << requested->dump();

  // The owner's open connection is told at once that an approval waits.
  std::string approval_id;
  for (int i = 0; i < 5 && approval_id.empty(); ++i) {
    auto push = owner->wait_push("notifications");
    ASSERT_TRUE(push) << "no notification reached the risk owner";
    const json& n = (*push)["data"];
    EXPECT_EQ(n["user_id"], "owner");
    EXPECT_EQ(n["subject_stream"], "risk-R-1");
    approval_id = n.value("approval_id", "");
  }
  ASSERT_FALSE(approval_id.empty());

  // The inbox shows the same request.
  auto inbox = owner->query("inbox");
  ASSERT_TRUE(ok(inbox)) << inbox->dump();
  EXPECT_NE((*inbox)["result"]["data"].dump().find(approval_id), std::string::npos);

  // The requester may not decide their own request.
  auto self = manager->command("approval.approve", "approval-" + approval_id, {{"comment", "fine by me"}});
  EXPECT_FALSE(ok(self));
  EXPECT_TRUE(error_code(self) == "rejected" || error_code(self) == "forbidden") << self->dump();

  auto approved = owner->command("approval.approve", "approval-" + approval_id, {{"comment", "encryption is funded"}});
  ASSERT_TRUE(ok(approved)) << approved->dump();

  // The reaction accepts the risk; the manager's register subscription hears of it.
  bool accepted_seen = false;
  for (int i = 0; i < 50 && !accepted_seen; ++i) {
    auto change = manager->wait_push("view:risks");
    ASSERT_TRUE(change) << "no live change of the register";
    accepted_seen = (*change)["data"]["type"] == "risk.accepted.v1";
  }
  ASSERT_TRUE(accepted_seen);

  auto now = auditor->query("risks");
  ASSERT_TRUE(ok(now)) << now->dump();
  const json* risk = find_risk((*now)["result"]["data"], "R-1");
  ASSERT_NE(risk, nullptr);
  EXPECT_EQ((*risk)["state"], "accepted");
  EXPECT_EQ((*risk)["acceptance"]["state"], "accepted");
  EXPECT_EQ((*risk)["acceptance"]["accepted_by"], json::array({"owner"}));

  // Time travel: as it stood before acceptance was requested.
  auto then = auditor->query("risks", json::object(), {{"position", before_request}});
  ASSERT_TRUE(ok(then)) << then->dump();
  EXPECT_EQ((*then)["result"]["position"], before_request);
  const json* past = find_risk((*then)["result"]["data"], "R-1");
  ASSERT_NE(past, nullptr);
  EXPECT_EQ((*past)["state"], "treatment_planned");
}

TEST_F(risk_flow, external_auditor_cannot_write) {
  auto r = auditor->command("risk.identify", "risk-R-9", identify_data("owner"));
  EXPECT_FALSE(ok(r));
  EXPECT_EQ(error_code(r), "forbidden");
  EXPECT_EQ(srv.store().read_stream("risk-R-9")->size(), 0u);
}

TEST_F(risk_flow, stale_expected_version_is_a_conflict_and_writes_nothing) {
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-2", identify_data("owner"), 0)));
  ASSERT_TRUE(ok(manager->command("risk.assess", "risk-R-2", {{"likelihood", 2}, {"impact", 2}, {"rationale", "a"}}, 1)));
  const auto head = srv.store().current_head().position;
  auto stale = manager->command("risk.assess", "risk-R-2", {{"likelihood", 3}, {"impact", 3}, {"rationale", "b"}}, 1);
  EXPECT_FALSE(ok(stale));
  EXPECT_EQ(error_code(stale), "conflict");
  EXPECT_EQ(srv.store().current_head().position, head);
}

TEST_F(risk_flow, creating_an_entity_whose_id_is_taken_says_so_and_writes_nothing) {
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-4", identify_data("owner"), 0)));
  const auto head = srv.store().current_head().position;
  auto again = manager->command("risk.identify", "risk-R-4", identify_data("owner", "Another risk under the same id"), 0);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(error_code(again), "conflict");
  EXPECT_EQ((*again)["error"]["field"], "stream") << again->dump();
  EXPECT_NE((*again)["error"]["message"].get<std::string>().find("the id is taken"), std::string::npos) << again->dump();
  EXPECT_EQ(srv.store().current_head().position, head);
}

TEST_F(risk_flow, a_retried_command_id_is_answered_once) {
  auto first = manager->command("risk.identify", "risk-R-3", identify_data("owner"), std::nullopt, "cmd-identify-R-3");
  ASSERT_TRUE(ok(first));
  auto again = manager->command("risk.identify", "risk-R-3", identify_data("owner"), std::nullopt, "cmd-identify-R-3");
  ASSERT_TRUE(ok(again)) << again->dump();
  EXPECT_EQ((*again)["result"]["position"], (*first)["result"]["position"]);
  EXPECT_EQ(srv.store().read_stream("risk-R-3")->size(), 1u);
}

TEST_F(risk_flow, domain_rejection_reaches_the_client_with_the_rule) {
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-4", identify_data("owner"))));
  auto r = manager->command("risk.assess", "risk-R-4", {{"likelihood", 9}, {"impact", 2}, {"rationale", "x"}});
  EXPECT_FALSE(ok(r));
  EXPECT_EQ(error_code(r), "bad_request");
  EXPECT_EQ((*r)["error"].value("field", ""), "data.likelihood") << r->dump();
  EXPECT_NE((*r)["error"].value("message", "").find("between 1 and 5"), std::string::npos) << r->dump();
}

TEST_F(risk_flow, ndjson_export_reverifies_outside_the_server) {
  prepare_risk("risk-R-5");
  auto r = http_call(srv.port(), "GET", "/api/events?from=1&limit=1000", {}, {{"authorization", "Bearer " + auditor_token}});
  ASSERT_EQ(r.status, 200u) << r.body;
  std::istringstream lines(r.body);
  eventstore::digest prev{};
  std::uint64_t expected_position = 1;
  for (std::string line; std::getline(lines, line);) {
    auto e = eventstore::from_export_json(json::parse(line));
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->position, expected_position++);
    EXPECT_EQ(e->prev_hash, prev) << "chain broken at " << e->position;
    auto h = eventstore::compute_hash(*e);
    ASSERT_TRUE(h);
    EXPECT_EQ(*h, e->hash) << "hash mismatch at " << e->position;
    // The payload matches its digest.
    auto canon = eventstore::canonical_json(e->data);
    ASSERT_TRUE(canon);
    EXPECT_EQ(eventstore::sha256(*canon), e->data_digest);
    prev = e->hash;
  }
  EXPECT_EQ(expected_position - 1, srv.store().current_head().position);
  EXPECT_EQ(prev, srv.store().current_head().hash);

  // Not for a contributor.
  auto contributor = srv.add_user("carol", {"contributor"});
  auto denied = http_call(srv.port(), "GET", "/api/events", {}, {{"authorization", "Bearer " + contributor}});
  EXPECT_EQ(denied.status, 403u);
}

}  // namespace
}  // namespace isms::testing::flow_test
