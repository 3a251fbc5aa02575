// What must survive a restart: the ISMS state (views restored from their
// snapshot plus the tail), sessions, and undelivered webhook posts.

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "isms/eventstore/store.hpp"
#include "isms/server/json_input.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing {
namespace {

bool ok(const std::optional<json>& reply) { return reply && reply->value("ok", false); }

// A loopback HTTP endpoint that answers every request 204 and keeps the bodies.
class webhook_receiver {
 public:
  explicit webhook_receiver(std::uint16_t port = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind");
    ::listen(fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~webhook_receiver() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  // Waits until `n` posts arrived (or gives up after a generous deadline).
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return bodies_.size() >= n; });
    return bodies_;
  }

 private:
  void run() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      for (;;) {
        const auto header_end = in.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const auto cl = in.find("Content-Length: ");
          const std::size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
          if (in.size() >= header_end + 4 + length) {
            std::lock_guard lock(mutex_);
            bodies_.push_back(in.substr(header_end + 4, length));
            break;
          }
        }
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
      }
      const char reply[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      ::send(c, reply, sizeof reply - 1, MSG_NOSIGNAL);
      ::close(c);
      cv_.notify_all();
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> bodies_;
};

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

json identify(const std::string& owner) {
  return {{"title", "Ransomware on file servers"}, {"asset", "File servers"}, {"threat", "Ransomware"},
          {"vulnerability", "Flat network"},        {"owner", owner},         {"category", "technical"}};
}

TEST(restart, state_and_sessions_survive_and_views_equal_a_rebuild) {
  test_server srv([](server::server_config& c) { c.ledger.projections.snapshot_every = 3; });
  const std::string token = srv.add_user("manager", {"isms_manager"});
  srv.add_user("owner", {"risk_owner"});
  {
    ws_client::options o;
    o.bearer = token;
    auto c = ws_client::connect(srv.port(), o);
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
  ws_client::options o;
  o.bearer = token;
  auto c = ws_client::connect(srv.port(), o);
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
  ws_client::options o;
  o.bearer = manager;
  auto c = ws_client::connect(srv.port(), o);
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

  webhook_receiver receiver(hook_port);
  auto bodies = receiver.wait_for(1);
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
    ws_client::options o;
    o.bearer = token;
    auto c = ws_client::connect(srv.port(), o);
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

}  // namespace
}  // namespace isms::testing
