// What must survive a restart: the ISMS state (views restored from their
// snapshot plus the tail), sessions, and undelivered webhook posts.

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "isms/eventstore/store.hpp"
#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"
#include "support/client.hpp"
#include "support/loopback_receiver.hpp"
#include "support/test_server.hpp"

namespace isms::testing::restart_test {
namespace {

json identify(const std::string& owner) {
  return {{"title", "Ransomware on file servers"}, {"asset", "File servers"}, {"threat", "Ransomware"},
          {"vulnerability", "Flat network"},        {"owner", owner},         {"category", "technical"}};
}

TEST(restart, state_and_sessions_survive_and_views_equal_a_rebuild) {
  test_server srv([](server::server_config& c) { c.ledger.projections.snapshot_every = 3; });
  const std::string token = srv.add_user("manager", {"isms_manager"});
  srv.add_user("owner", {"risk_owner"});
  {
    auto c = connect_as(srv, token);
    ASSERT_NE(c, nullptr);
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-" + std::to_string(i), identify("owner"))));
    ASSERT_TRUE(ok(c->command("risk.assess", "risk-R-2", {{"likelihood", 3}, {"impact", 4}, {"rationale", "seen twice"}})));
  }
  srv.app().settle();
  json before;
  srv.app().views().read_current([&](const auto& v) { before = domain::views::snapshot(v); });

  srv.restart();
  srv.app().settle();

  // The old session token still works.
  auto c = connect_as(srv, token);
  ASSERT_NE(c, nullptr) << "session did not survive the restart";
  auto risks = c->query("risks");
  ASSERT_TRUE(ok(risks));
  EXPECT_EQ((*risks)["result"]["data"]["risks"].size(), 5u);

  json after;
  srv.app().views().read_current([&](const auto& v) { after = domain::views::snapshot(v); });
  EXPECT_EQ(after, before);
  // Rebuilding from position 0 gives exactly the live views.
  auto rebuilt = srv.app().views().rebuild_from_scratch(srv.store().current_head().position);
  ASSERT_TRUE(rebuilt);
  EXPECT_EQ(domain::views::snapshot(*rebuilt), after);
}

// What the server stored is read back as untrusted as any input (read_json,
// nesting bounded by max_stored_json_depth): sessions whose stored form nests
// beyond the bound are read as corrupt, logged, and everyone signs in again.
TEST(restart, stored_sessions_nested_beyond_the_bound_are_read_as_corrupt) {
  test_server srv;
  const std::string token = srv.add_user("manager", {"isms_manager"});
  auto stored = srv.store().get_meta("auth/sessions");
  ASSERT_TRUE(stored) << stored.error().message;
  json sessions = json::parse(*stored);
  ASSERT_TRUE(sessions.is_object());
  std::string deep(server::max_stored_json_depth + 1, '[');
  deep += std::string(server::max_stored_json_depth + 1, ']');
  std::string tampered = sessions.dump();
  tampered.insert(tampered.size() - 1, ",\"x\":" + deep);
  ASSERT_TRUE(srv.store().put_meta("auth/sessions", tampered));

  srv.restart();
  ws_client::options o;
  o.bearer = token;
  unsigned status = 0;
  EXPECT_EQ(ws_client::connect(srv.port(), o, &status), nullptr);
  EXPECT_EQ(status, 401u);
  // Signing in again works, and writes a readable form back.
  EXPECT_FALSE(login(srv.port(), "manager", "pw-manager").empty());
}

TEST(restart, undelivered_webhook_posts_survive_and_are_delivered) {
  const std::uint16_t hook_port = unused_port();
  test_server srv([hook_port](server::server_config& c) {
    c.ledger.notify.webhook_urls = {"http://127.0.0.1:" + std::to_string(hook_port) + "/isms"};
    c.ledger.notify.retry_initial = std::chrono::milliseconds(20);
    c.ledger.notify.retry_max = std::chrono::milliseconds(200);
  });
  const std::string manager = srv.add_user("manager", {"isms_manager"});
  srv.add_user("owner", {"risk_owner"});
  auto c = connect_as(srv, manager);
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(ok(c->command("risk.identify", "risk-R-1", identify("owner"))));
  ASSERT_TRUE(ok(c->command("risk.assess", "risk-R-1", {{"likelihood", 2}, {"impact", 2}, {"rationale", "low"}})));
  ASSERT_TRUE(ok(c->command("risk.plan_treatment", "risk-R-1",
                            {{"option", "retain"}, {"controls", json::array()}, {"actions", "none"},
                             {"target_likelihood", 2}, {"target_impact", 2}, {"due", "2026-05-01"}})));
  ASSERT_TRUE(ok(c->command("risk.request_acceptance", "risk-R-1", json::object())));
  c.reset();
  srv.app().settle();
  ASSERT_GT(srv.app().views().position(), 0u);

  srv.restart();  // nobody listens on the webhook port yet
  srv.app().settle();

  loopback_receiver receiver(std::string(loopback_receiver::no_content), hook_port);
  auto bodies = receiver.wait_for_bodies(1);
  ASSERT_GE(bodies.size(), 1u) << "the persisted webhook post was never delivered";
  const json first = json::parse(bodies.front());
  EXPECT_EQ(first["notification"]["user_id"], "owner");
  EXPECT_EQ(first["notification"]["subject_stream"], "risk-R-1");
}

TEST(restart, an_online_backup_taken_while_commands_continue_restores_and_verifies) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ismsd-backups-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path backups = tmpl;
  test_server srv([&](server::server_config& c) { c.ledger.backup_dir = backups; });
  const std::string token = srv.add_user("manager", {"isms_manager"});
  srv.add_user("owner", {"risk_owner"});
  const std::string admin = login(srv.port(), "admin", test_server::admin_password);

  // Commands keep arriving from another client while the backup is taken.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::thread writer([&] {
    auto c = connect_as(srv, token);
    for (int i = 1; c && !stop; ++i)
      if (ok(c->command("risk.identify", "risk-B-" + std::to_string(i), identify("owner")))) ++acknowledged;
  });
  while (acknowledged < 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  // Only an administrator may take one.
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/backup", {}, {{"authorization", "Bearer " + token}}).status, 403u);
  auto r = http_call(srv.port(), "POST", "/api/backup", {}, {{"authorization", "Bearer " + admin}});
  stop = true;
  writer.join();
  ASSERT_EQ(r.status, 200u) << r.body;
  const json answer = r.json_body();
  const std::filesystem::path written = answer.at("path").get<std::string>();
  EXPECT_EQ(written.parent_path(), std::filesystem::absolute(backups));
  const std::uint64_t position = answer.at("position");
  EXPECT_GT(position, 0u);

  // The backup restores into a store whose chain verifies and that holds at
  // least everything acknowledged before the request.
  const auto restored = backups / "restored";
  ASSERT_TRUE(eventstore::store::restore(written, restored)) << "restore failed";
  {
    auto s = eventstore::store::open(eventstore::options{}, restored);
    ASSERT_TRUE(s);
    EXPECT_GE((*s)->current_head().position, position);
    auto v = (*s)->verify(1, (*s)->current_head().position);
    EXPECT_TRUE(v);
  }
  std::error_code ec;
  std::filesystem::remove_all(backups, ec);
}

// A long stretch of log to fold at start says how far the fold got, every
// tenth of the way, with its rate, until it has caught up.
TEST(restart, folding_a_long_stretch_at_start_reports_its_progress_in_the_log) {
  test_server srv;
  srv.stop();
  {
    eventstore::options o;
    o.create_if_missing = false;
    auto s = eventstore::store::open(o, srv.dir());
    ASSERT_TRUE(s) << s.error().message;
    for (int batch = 0; batch < 60; ++batch) {
      std::vector<eventstore::event_data> events(1000);
      for (auto& e : events) {
        e.type = "test.recorded.v1";
        e.data = {{"batch", batch}};
        e.metadata.actor = "t";
      }
      ASSERT_TRUE((*s)->append("test-" + std::to_string(batch), eventstore::expected_version::any(), events, ""));
    }
  }
  std::mutex mutex;
  std::vector<std::string> lines;
  server::log::set_sink([&](std::string_view line) {
    std::lock_guard lock(mutex);
    lines.emplace_back(line);
  });
  srv.restart();
  srv.app().settle();
  server::log::set_sink({});
  std::lock_guard lock(mutex);
  std::vector<std::string> progress;
  bool announced = false;
  for (const auto& l : lines) {
    if (l.find("folding the views from position ") != std::string::npos) announced = true;
    if (l.find(" views folded ") != std::string::npos) progress.push_back(l);
  }
  EXPECT_TRUE(announced);
  ASSERT_GE(progress.size(), 9u);
  ASSERT_LE(progress.size(), 11u);
  EXPECT_NE(progress.back().find(" events (100%, "), std::string::npos) << progress.back();
  EXPECT_NE(progress.front().find("/s, "), std::string::npos) << progress.front();
  EXPECT_NE(progress.front().find(" s left)"), std::string::npos) << progress.front();
}

}  // namespace
}  // namespace isms::testing::restart_test
