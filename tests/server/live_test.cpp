// The live side of the server through real WebSocket clients: the management
// review as a shared session (presence, decisions appearing for everyone),
// due-date reminders pushed once each, an offline reviewer finding the
// request at next sign-in, a slow consumer dropped without slowing others,
// and an account that is disabled or has its password reset being signed
// out of its open connections.

#include <gtest/gtest.h>

#include <algorithm>

#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::live_test {
namespace {

// The next presence list pushed on `channel`, skipping review events.
std::optional<std::vector<std::string>> next_presence(ws_client& c, const std::string& channel) {
  for (int i = 0; i < 20; ++i) {
    auto push = c.wait_push(channel);
    if (!push) return std::nullopt;
    const json& d = (*push)["data"];
    if (d.contains("presence")) return d["presence"].get<std::vector<std::string>>();
  }
  return std::nullopt;
}

// The next review event of `type` pushed on `channel`.
std::optional<json> next_review_event(ws_client& c, const std::string& channel, const std::string& type) {
  for (int i = 0; i < 50; ++i) {
    auto push = c.wait_push(channel);
    if (!push) return std::nullopt;
    const json& d = (*push)["data"];
    if (d.contains("event") && d["event"].value("type", "") == type) return d["event"];
  }
  return std::nullopt;
}

TEST(live, management_review_shows_presence_and_a_decision_reaches_every_participant) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  auto chair = connect_as(srv, srv.add_user("olivia", {"top_management"}));
  const std::string channel = "review:MR-1";

  ASSERT_TRUE(ok(manager->request({{"op", "subscribe"}, {"channel", channel}})));
  EXPECT_EQ(next_presence(*manager, channel), (std::vector<std::string>{"mia"}));
  ASSERT_TRUE(ok(chair->request({{"op", "subscribe"}, {"channel", channel}})));
  auto both = next_presence(*manager, channel);
  ASSERT_TRUE(both);
  std::sort(both->begin(), both->end());
  EXPECT_EQ(*both, (std::vector<std::string>{"mia", "olivia"}));

  ASSERT_TRUE(ok(manager->command("review.schedule", "review-MR-1",
                                  {{"review_id", "MR-1"}, {"planned_on", "2026-03-02"}, {"chair", "olivia"},
                                   {"interval_months", 12}})));
  auto pack = manager->query("review_pack", {{"id", "MR-1"}});
  ASSERT_TRUE(ok(pack)) << pack->dump();
  auto assembled = manager->command("review.assemble_inputs", "review-MR-1",
                                    {{"pack", (*pack)["result"]["data"]["pack"]},
                                     {"as_of_position", (*pack)["result"]["position"]}});
  ASSERT_TRUE(ok(assembled)) << assembled->dump();
  ASSERT_TRUE(ok(manager->command("review.open", "review-MR-1", json::object())));
  ASSERT_TRUE(ok(manager->command("review.record_attendance", "review-MR-1", {{"attendees", {"olivia", "mia"}}})));

  // The chair records a decision; both open sessions see it as it is recorded.
  auto decided = chair->command("review.record_decision", "review-MR-1",
                                {{"decision_id", "D1"}, {"kind", "isms_change"},
                                 {"text", "Extend the scope to the Hamburg warehouse"}});
  ASSERT_TRUE(ok(decided)) << decided->dump();
  for (ws_client* c : {manager.get(), chair.get()}) {
    auto e = next_review_event(*c, channel, "review.decision_recorded.v1");
    ASSERT_TRUE(e) << "a participant did not see the decision";
    EXPECT_EQ((*e)["actor"], "olivia");
    EXPECT_EQ((*e)["position"], (*decided)["result"]["position"]);
    EXPECT_EQ((*e)["data"].dump().find("Hamburg") != std::string::npos, true) << e->dump();
  }

  // The chair leaves: the manager sees the presence shrink.
  chair.reset();
  EXPECT_EQ(next_presence(*manager, channel), (std::vector<std::string>{"mia"}));
}

TEST(live, a_due_reminder_is_pushed_once) {
  // Sessions long enough to span the days the clock advances here.
  test_server srv([](server::server_config& c) { c.ledger.auth.session_ttl = std::chrono::days(30); });
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-1",
                                  {{"title", "Ransomware on the file server"},
                                   {"asset", "File server"},
                                   {"threat", "Ransomware"},
                                   {"vulnerability", "Flat network"},
                                   {"owner", "olga"},
                                   {"category", "technical"}})));
  ASSERT_TRUE(ok(manager->command("risk.assess", "risk-R-1", {{"likelihood", 3}, {"impact", 5}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(manager->command("risk.plan_treatment", "risk-R-1",
                                  {{"option", "modify"},
                                   {"controls", {"8.7"}},
                                   {"actions", "EDR on every server"},
                                   {"target_likelihood", 1},
                                   {"target_impact", 4},
                                   {"due", "2026-03-10"}})));
  srv.app().settle();
  // The owner connects after the assignment was notified: only reminders follow.
  auto owner = connect_as(srv, srv.token_of("olga"));
  ASSERT_TRUE(ok(owner->request({{"op", "subscribe"}, {"channel", "notifications"}})));

  srv.advance_days(12);  // the treatment is now overdue
  srv.app().run_scheduler_once();
  auto reminder = owner->wait_push("notifications");
  ASSERT_TRUE(reminder) << "the owner was not reminded";
  EXPECT_EQ((*reminder)["data"]["subject_stream"], "risk-R-1");
  EXPECT_EQ((*reminder)["data"]["user_id"], "olga");

  // Asked again (next scheduler round, a day later): no second reminder.
  srv.advance_days(1);
  srv.app().run_scheduler_once();
  ASSERT_TRUE(ok(owner->request({{"op", "ping"}})));  // anything pushed before this reply is now read
  EXPECT_FALSE(owner->wait_push("notifications", std::chrono::milliseconds(500)));
}

// An acceptance coming up for review reminds its owner and every ISMS
// manager (docs/domain.md), once each; when it expires the owner is told
// once, by the expiry itself, not by a reminder of the same fact as well.
TEST(live, an_expiring_acceptance_reminds_owner_and_managers_and_its_expiry_is_told_once) {
  test_server srv([](server::server_config& c) { c.ledger.auth.session_ttl = std::chrono::days(800); });
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("max", {"isms_manager"});
  srv.add_user("olga", {"risk_owner"});
  ASSERT_NE(manager, nullptr);
  risk_awaiting_olga(*manager, srv);  // reviewed a year from today by default
  auto owner = connect_as(srv, srv.token_of("olga"));
  ASSERT_TRUE(ok(owner->command("approval.approve", "approval-risk-R-2.v4", {{"comment", "accepted"}})));
  srv.app().settle();
  // In place, so that no overdue treatment is reminded meanwhile.
  auto done = manager->command("risk.record_treatment_implemented", "risk-R-2", {{"evidence", "monitoring report"}});
  ASSERT_TRUE(ok(done)) << done.value_or(json()).dump();
  srv.app().settle();
  auto other_manager = connect_as(srv, srv.token_of("max"));
  for (ws_client* c : {owner.get(), other_manager.get()})
    ASSERT_TRUE(ok(c->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  // What each of them was pushed on `notifications` before a ping's reply, by kind.
  const auto pushed = [](ws_client& c) {
    std::vector<std::string> kinds;
    auto pong = c.request({{"op", "ping"}});
    EXPECT_TRUE(ok(pong)) << pong.value_or(json("no reply")).dump();
    for (const auto& p : c.take_pushes())
      if (p.value("push", "") == "notifications") kinds.push_back(p["data"].value("kind", ""));
    return kinds;
  };
  using kinds = std::vector<std::string>;

  srv.advance_days(350);  // the review date is within 30 days
  srv.app().run_scheduler_once();
  EXPECT_EQ(pushed(*owner), kinds{"acceptances_expiring"});
  EXPECT_EQ(pushed(*other_manager), kinds{"acceptances_expiring"});
  srv.advance_days(1);
  srv.app().run_scheduler_once();
  EXPECT_EQ(pushed(*owner), kinds{});
  EXPECT_EQ(pushed(*other_manager), kinds{});

  srv.advance_days(30);  // past the review date: the scheduler expires the acceptance
  srv.app().run_scheduler_once();
  srv.app().settle();
  EXPECT_EQ(pushed(*owner), kinds{"risk_acceptance_expired"});
  EXPECT_EQ(pushed(*other_manager), kinds{});
  srv.advance_days(1);
  srv.app().run_scheduler_once();
  srv.app().settle();
  EXPECT_EQ(pushed(*owner), kinds{});
}

// An administrator need not wait for the scheduler: POST /api/rules/run runs
// the same rules now, and only an administrator may.
TEST(live, an_administrator_runs_the_time_rules_on_demand) {
  test_server srv([](server::server_config& c) { c.ledger.auth.session_ttl = std::chrono::days(30); });
  const auto admin = srv.add_user("ada", {"admin"});
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-1",
                                  {{"title", "Ransomware on the file server"}, {"asset", "File server"},
                                   {"threat", "Ransomware"}, {"vulnerability", "Flat network"},
                                   {"owner", "olga"}, {"category", "technical"}})));
  ASSERT_TRUE(ok(manager->command("risk.assess", "risk-R-1", {{"likelihood", 3}, {"impact", 5}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(manager->command("risk.plan_treatment", "risk-R-1",
                                  {{"option", "modify"}, {"controls", {"8.7"}}, {"actions", "EDR on every server"},
                                   {"target_likelihood", 1}, {"target_impact", 4}, {"due", "2026-03-10"}})));
  srv.app().settle();
  auto owner = connect_as(srv, srv.token_of("olga"));
  ASSERT_TRUE(ok(owner->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  srv.advance_days(12);  // the treatment is now overdue

  const auto post = [&](const std::string& token) {
    return http_call(srv.port(), "POST", "/api/rules/run", "", {{"authorization", "Bearer " + token}});
  };
  EXPECT_EQ(post(srv.token_of("mia")).status, 403u);
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/rules/run").status, 401u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/rules/run", "", {{"authorization", "Bearer " + admin}}).status, 405u);
  auto r = post(admin);
  ASSERT_EQ(r.status, 200u) << r.body;
  const json report = r.json_body();
  EXPECT_GE(report.at("reminders").get<int>(), 1) << report.dump();
  EXPECT_EQ(report.at("commands"), report.at("applied").get<int>() + report.at("already_done").get<int>() +
                                       report.at("refused").get<int>());
  auto reminder = owner->wait_push("notifications");
  ASSERT_TRUE(reminder) << "the owner was not reminded";
  EXPECT_EQ((*reminder)["data"]["subject_stream"], "risk-R-1");
  // Run again: the reminder is still due, but sent once only.
  ASSERT_EQ(post(admin).status, 200u);
  ASSERT_TRUE(ok(owner->request({{"op", "ping"}})));
  EXPECT_FALSE(owner->wait_push("notifications", std::chrono::milliseconds(500)));
}

TEST(live, an_offline_reviewer_finds_the_request_in_the_inbox_at_next_sign_in) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});  // registered, never connected
  ASSERT_NE(manager, nullptr);
  risk_awaiting_olga(*manager, srv);

  auto owner = connect_as(srv, srv.token_of("olga"));
  auto inbox = owner->query("inbox");
  ASSERT_TRUE(ok(inbox)) << inbox->dump();
  EXPECT_NE((*inbox)["result"]["data"].dump().find("risk-R-2"), std::string::npos) << inbox->dump();
}

TEST(live, a_new_risk_owner_is_told_at_once_and_the_old_owners_pending_approval_is_voided) {
  test_server srv;
  auto manager = connect_as(srv, srv.add_user("mia", {"isms_manager"}));
  srv.add_user("olga", {"risk_owner"});
  auto otto = connect_as(srv, srv.add_user("otto", {"risk_owner"}));
  ASSERT_TRUE(ok(otto->request({{"op", "subscribe"}, {"channel", "notifications"}})));
  ASSERT_TRUE(ok(manager->command("risk.identify", "risk-R-3",
                                  {{"title", "Key person leaves"},
                                   {"asset", "Dispatch know-how"},
                                   {"threat", "Resignation"},
                                   {"vulnerability", "Undocumented procedures"},
                                   {"owner", "olga"},
                                   {"category", "people"}})));
  ASSERT_TRUE(ok(manager->command("risk.assess", "risk-R-3", {{"likelihood", 2}, {"impact", 3}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(manager->command("risk.plan_treatment", "risk-R-3",
                                  {{"option", "retain"}, {"actions", "Watch"}, {"target_likelihood", 2},
                                   {"target_impact", 3}, {"due", "2026-12-31"}})));
  ASSERT_TRUE(ok(manager->command("risk.request_acceptance", "risk-R-3", json::object())));
  srv.app().settle();

  auto changed = manager->command("risk.change_owner", "risk-R-3", {{"owner", "otto"}, {"reason", "olga left"}});
  ASSERT_TRUE(ok(changed)) << changed->dump();
  auto told = otto->wait_push("notifications");
  ASSERT_TRUE(told) << "the new owner was not told";
  EXPECT_EQ((*told)["data"]["subject_stream"], "risk-R-3");
  EXPECT_EQ((*told)["data"]["kind"], "risk_assigned");

  srv.app().settle();
  auto risk = manager->query("risk", {{"id", "R-3"}});
  ASSERT_TRUE(ok(risk)) << risk->dump();
  EXPECT_EQ((*risk)["result"]["data"]["owner"], "otto");
  EXPECT_EQ((*risk)["result"]["data"]["state"], "treatment_planned");
  auto approvals = manager->query("approvals", json::object());
  ASSERT_TRUE(ok(approvals)) << approvals->dump();
  const std::string text = (*approvals)["result"]["data"].dump();
  EXPECT_NE(text.find("voided"), std::string::npos) << text;
}

TEST(live, a_slow_consumer_is_dropped_and_others_are_not_slowed) {
  test_server srv([](server::server_config& c) {
    c.transport.max_ws_queued_bytes = 64 * 1024;
    c.ledger.ws.requests_per_second = 10000;
    c.ledger.ws.burst = 10000;
  });
  const std::string token = srv.add_user("mia", {"isms_manager"});
  auto slow = connect_as(srv, token);
  auto other = connect_as(srv, token);
  // The slow client asks for the whole Statement of Applicability over and
  // over and never reads: far more than the socket buffers and the queue hold.
  for (int i = 0; i < 1500 && slow->open(); ++i)
    slow->send_text(json{{"id", i}, {"op", "query"}, {"view", "soa"}}.dump());
  // The other client is answered meanwhile.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(ok(other->request({{"op", "ping"}}, std::chrono::seconds(10))));
  // The slow one was dropped: reading what reached it ends in a closed connection.
  int read = 0;
  while (slow->read(std::chrono::seconds(10))) ++read;
  EXPECT_LT(read, 1500) << "the slow client received every reply: it was not dropped";
  EXPECT_FALSE(slow->open());
  EXPECT_TRUE(ok(other->request({{"op", "ping"}})));
}

// A connection that ends while a reply is being written to it — dropped for
// not reading, or gone from the client's side — must not touch the reply
// after it is freed: the write's completion may still report success after
// the connection has finished (it once popped an empty queue and corrupted
// the heap, one run in about fifty). Many such ends at once, over and over;
// the sanitizers' build turns any such touch into a failure.
TEST(live, connections_that_end_while_a_reply_is_written_leave_the_server_sound) {
  test_server srv([](server::server_config& c) {
    c.transport.max_ws_queued_bytes = 64 * 1024;
    c.ledger.ws.requests_per_second = 100000;
    c.ledger.ws.burst = 100000;
  });
  const std::string token = srv.add_user("mia", {"isms_manager"});
  auto other = connect_as(srv, token);
  for (int round = 0; round < 6; ++round) {
    std::vector<std::unique_ptr<ws_client>> clients;
    for (int i = 0; i < 6; ++i) clients.push_back(connect_as(srv, token));
    for (int q = 0; q < 300; ++q)
      for (auto& c : clients)
        if (c && c->open()) c->send_text(json{{"id", q}, {"op", "query"}, {"view", "soa"}}.dump());
    // Half leave at once, the others are dropped for not reading.
    for (std::size_t i = 0; i < clients.size(); i += 2) clients[i].reset();
    EXPECT_TRUE(ok(other->request({{"op", "ping"}}, std::chrono::seconds(10)))) << "round " << round;
  }
  EXPECT_TRUE(ok(other->request({{"op", "ping"}})));
}

TEST(live, disabling_an_account_closes_its_open_connections_and_ends_its_sessions) {
  test_server srv;
  const std::string admin = login(srv.port(), "admin", test_server::admin_password);
  auto admin_ws = connect_as(srv, admin);
  const std::string ann_token = srv.add_user("ann", {"contributor"});
  auto ann = connect_as(srv, ann_token);
  ASSERT_TRUE(ok(ann->request({{"op", "ping"}})));

  auto disabled = admin_ws->command("user.disable", "user-ann", {{"reason", "left the company"}});
  ASSERT_TRUE(ok(disabled)) << disabled->dump();
  EXPECT_FALSE(ann->read(std::chrono::seconds(10)));
  EXPECT_EQ(ann->close_code(), 1008);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", {}, {{"authorization", "Bearer " + ann_token}}).status, 401u);
  unsigned status = 0;
  ws_client::options o;
  o.bearer = ann_token;
  EXPECT_EQ(ws_client::connect(srv.port(), o, &status), nullptr);
}

TEST(live, a_password_reset_closes_the_users_open_connections) {
  test_server srv;
  const std::string admin = login(srv.port(), "admin", test_server::admin_password);
  const std::string ann_token = srv.add_user("ann", {"contributor"});
  auto ann = connect_as(srv, ann_token);
  ASSERT_TRUE(ok(ann->request({{"op", "ping"}})));
  auto reset = http_call(srv.port(), "POST", "/api/users/password",
                         json{{"user", "ann"}, {"password", "a-new-password-for-ann"}}.dump(),
                         {{"authorization", "Bearer " + admin}});
  ASSERT_EQ(reset.status, 200u) << reset.body;
  EXPECT_FALSE(ann->read(std::chrono::seconds(10)));
  EXPECT_EQ(ann->close_code(), 1008);
  EXPECT_FALSE(login(srv.port(), "ann", "a-new-password-for-ann").empty());
}

}  // namespace
}  // namespace isms::testing::live_test
