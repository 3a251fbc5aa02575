// The integrity of the log as the running server keeps it: the whole chain
// verified in the background after start (a store altered in the middle is
// found, writes are refused, /healthz and /metrics alarm), /api/verify for
// auditors and administrators only, extending the verified prefix, and the
// administrator's erasure of personal data, redacted in the views and the
// export while the chain still verifies.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "../eventstore/raw_db.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::integrity_test {
namespace {

http_result get(const test_server& srv, const std::string& target, const std::string& token) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
  return http_call(const_cast<test_server&>(srv).port(), "GET", target, {}, headers);
}

http_result post(test_server& srv, const std::string& target, const std::string& token, const json& body) {
  return http_call(srv.port(), "POST", target, body.dump(),
                   {{"authorization", "Bearer " + token}, {"content-type", "application/json"}});
}

TEST(integrity, verify_is_for_auditors_and_admins_and_extends_the_verified_prefix) {
  test_server srv;
  const auto admin = login(srv.port(), "admin", test_server::admin_password);
  const auto contributor = srv.add_user("carl", {"contributor"});
  const auto manager = srv.add_user("mia", {"isms_manager"});
  const auto auditor = srv.add_user("ina", {"internal_auditor"});
  const auto external = srv.add_user("ext", {"external_auditor"});
  srv.app().verifier().wait_background_done();

  EXPECT_EQ(get(srv, "/api/verify", "").status, 401u);
  EXPECT_EQ(get(srv, "/api/verify", contributor).status, 403u);
  EXPECT_EQ(get(srv, "/api/verify", manager).status, 403u);

  auto first = get(srv, "/api/verify", auditor);
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_TRUE(first.json_body().at("verified"));
  const std::uint64_t verified = first.json_body().at("position");
  EXPECT_EQ(verified, srv.store().current_head().position);

  // More history: the next verification walks only what is new.
  srv.add_user("dora", {"contributor"});
  srv.app().settle();
  auto second = get(srv, "/api/verify", external);
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_TRUE(second.json_body().at("verified"));
  EXPECT_EQ(second.json_body().at("walked_from"), verified + 1);
  EXPECT_EQ(second.json_body().at("position"), srv.store().current_head().position);
  EXPECT_EQ(second.json_body().at("hash"), eventstore::to_hex(srv.store().current_head().hash));
  EXPECT_EQ(get(srv, "/api/verify", admin).status, 200u);

  auto health = get(srv, "/healthz", "");
  ASSERT_EQ(health.status, 200u) << health.body;
  EXPECT_EQ(health.json_body().at("chain_verification").at("state"), "verified");
  EXPECT_TRUE(health.json_body().at("store").at("writable"));
}

TEST(integrity, mid_chain_tampering_is_found_after_start_and_writes_are_refused) {
  test_server srv;
  for (int i = 0; i < 40; ++i) {
    std::vector<eventstore::event_data> e(1);
    e[0].type = "note.recorded.v1";
    e[0].data = {{"text", "note " + std::to_string(i)}};
    e[0].metadata.actor = "admin";
    ASSERT_TRUE(srv.store().append("note-1", eventstore::expected_version::any(), std::move(e), ""));
  }
  const std::uint64_t head = srv.store().current_head().position;
  ASSERT_GT(head, 30u);
  const std::uint64_t tampered = head - 25;  // well outside the open-time window (16)
  srv.stop();
  {
    eventstore::testing::raw_db raw(srv.dir());
    std::string v = raw.get("events", eventstore::testing::raw_db::key(tampered));
    v[v.size() - 3] ^= 0x01;  // one byte of the payload
    raw.put("events", eventstore::testing::raw_db::key(tampered), v);
  }
  srv.restart();  // starts: the open-time check does not reach the change
  srv.app().verifier().wait_background_done();

  auto health = get(srv, "/healthz", "");
  EXPECT_EQ(health.status, 503u) << health.body;
  const json h = health.json_body();
  EXPECT_EQ(h.at("status"), "read_only");
  EXPECT_FALSE(h.at("store").at("writable"));
  EXPECT_EQ(h.at("store").at("reason"), "corrupted");
  EXPECT_EQ(h.at("store").at("position"), tampered);
  EXPECT_EQ(h.at("chain_verification").at("state"), "failed");
  EXPECT_EQ(h.at("chain_verification").at("failure").at("position"), tampered);

  const auto metrics = get(srv, "/metrics", "").body;
  EXPECT_NE(metrics.find("\nismsd_chain_verification_failed 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nismsd_store_writable 0\n"), std::string::npos) << metrics;

  // Writes are refused; nothing is written. Reads keep working.
  auto admin = connect_as(srv, login(srv.port(), "admin", test_server::admin_password));
  ASSERT_TRUE(admin);
  auto r = admin->command("user.register", "user-eve", {{"name", "Eve"}, {"roles", {"contributor"}}});
  ASSERT_TRUE(r);
  EXPECT_FALSE(ok(r)) << r->dump();
  EXPECT_EQ(srv.store().current_head().position, head);
  auto users = admin->query("users");
  EXPECT_TRUE(ok(users)) << (users ? users->dump() : "no reply");
  auto verify = get(srv, "/api/verify", login(srv.port(), "admin", test_server::admin_password));
  ASSERT_EQ(verify.status, 200u);
  EXPECT_FALSE(verify.json_body().at("verified"));
  EXPECT_EQ(verify.json_body().at("first_bad_position"), tampered);
}

TEST(integrity, an_administrator_erases_a_departed_users_email) {
  test_server srv;
  const auto admin_token = login(srv.port(), "admin", test_server::admin_password);
  const auto contributor = srv.add_user("carl", {"contributor"});
  auto admin = connect_as(srv, admin_token);
  ASSERT_TRUE(admin);
  auto registered = admin->command("user.register", "user-dana",
                                   {{"name", "Dana Departed"}, {"email", "dana@example.org"}, {"roles", {"contributor"}}});
  ASSERT_TRUE(ok(registered)) << registered->dump();
  const std::uint64_t position = (*registered)["result"]["position"];
  srv.app().settle();

  auto email_of_dana = [&]() -> std::string {
    auto users = admin->query("users");
    if (!ok(users)) return "(no users view)";
    for (const auto& u : (*users)["result"]["data"]["users"])
      if (u.at("id") == "dana") return u.at("email");
    return "(no dana in " + users->dump().substr(0, 600) + ")";
  };
  ASSERT_EQ(email_of_dana(), "dana@example.org");

  const json request = {{"position", position}, {"fields", {"email"}}, {"reason", "GDPR Art. 17: Dana left, DSR-7"}};
  EXPECT_EQ(post(srv, "/api/erasure", contributor, request).status, 403u);
  EXPECT_EQ(post(srv, "/api/erasure", admin_token, {{"position", position}, {"fields", {"phone"}}, {"reason", "x"}}).status,
            400u);
  auto erased = post(srv, "/api/erasure", admin_token, request);
  ASSERT_EQ(erased.status, 200u) << erased.body;
  const std::uint64_t erasure_position = erased.json_body().at("erasure_position");
  EXPECT_GT(erasure_position, position);

  // The views show the field redacted, the rest of the user intact.
  EXPECT_EQ(email_of_dana(), "[erased]");
  // The export shows the tombstone flagged erased, and the erasure event
  // naming it, with who and why; the chain verifies.
  auto line = get(srv, "/api/events?from=" + std::to_string(position) + "&limit=1", admin_token);
  ASSERT_EQ(line.status, 200u);
  const json erased_line = json::parse(line.body);
  EXPECT_TRUE(erased_line.at("data_erased"));
  EXPECT_EQ(erased_line.at("data").at("email"), "[erased]");
  EXPECT_EQ(erased_line.at("data").at("name"), "Dana Departed");
  EXPECT_EQ(line.body.find("dana@example.org"), std::string::npos);
  auto erasure = json::parse(get(srv, "/api/events?from=" + std::to_string(erasure_position) + "&limit=1", admin_token).body);
  EXPECT_EQ(erasure.at("stream"), eventstore::erasure_stream);
  EXPECT_EQ(erasure.at("data").at("position"), position);
  EXPECT_EQ(erasure.at("data").at("reason"), "GDPR Art. 17: Dana left, DSR-7");
  EXPECT_EQ(erasure.at("metadata").at("actor"), "admin");
  auto verify = get(srv, "/api/verify", admin_token);
  ASSERT_EQ(verify.status, 200u);
  EXPECT_TRUE(verify.json_body().at("verified")) << verify.body;

  // The user's stream still takes commands, and after a restart the views
  // (restored from their snapshot and refolded) still hold no e-mail.
  auto disabled = admin->command("user.disable", "user-dana", {{"reason", "left the company"}});
  EXPECT_TRUE(ok(disabled)) << disabled->dump();
  admin.reset();
  srv.restart();
  srv.app().settle();
  admin = connect_as(srv, login(srv.port(), "admin", test_server::admin_password));
  ASSERT_TRUE(admin);
  EXPECT_EQ(email_of_dana(), "[erased]");
  srv.app().verifier().wait_background_done();
  EXPECT_EQ(get(srv, "/healthz", "").status, 200u);
}

// A full disk under a running server: the command being written gets an
// error, the server stays up and says so, queries keep working, and commands
// are accepted again by themselves once space returns. The disk is a
// size-limited tmpfs the test mounts (root only; skipped otherwise).
TEST(integrity, a_full_disk_makes_the_server_read_only_until_space_returns) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ismsd-full-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path mount_point = tmpl;
  if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=24m") != 0) {
    const std::string why = std::strerror(errno);
    std::filesystem::remove(mount_point);
    GTEST_SKIP() << "cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): " << why;
  }
  struct unmount {
    std::filesystem::path p;
    ~unmount() {
      ::umount2(p.c_str(), MNT_DETACH);
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{mount_point};

  eventstore::options so;
  so.resume_interval = std::chrono::milliseconds(20);
  auto opened = eventstore::store::open(so, mount_point / "data");
  ASSERT_TRUE(opened) << opened.error().message;
  auto store = std::move(*opened);
  server::server_config config;
  config.transport.address = "127.0.0.1";
  config.transport.port = 0;
  config.ledger.webui_dir.clear();
  config.ledger.scheduler_interval = std::chrono::hours(24);
  config.ledger.auth.argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  config.ledger.auth.argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  auto app = std::make_shared<server::ledger>(config.ledger, *store);
  ASSERT_TRUE(app->bootstrap_admin(test_server::admin_password));
  auto transport = server::start_transport(config.transport, app);
  ASSERT_TRUE(transport) << transport.error();
  const std::uint16_t port = (*transport)->port();
  const std::string token = login(port, "admin", test_server::admin_password);
  ws_client::options o;
  o.bearer = token;
  auto admin = ws_client::connect(port, o);
  ASSERT_TRUE(admin);
  ASSERT_TRUE(ok(admin->command("user.register", "user-u0", {{"name", "Before"}, {"roles", {"contributor"}}})));

  // The disk fills up.
  const auto filler = mount_point / "filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string chunk(64 << 10, 'x');
    while (out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
    }
  }
  // Commands until one meets the full disk (the first few may still fit in
  // pages the log file already holds).
  std::optional<json> failed;
  for (int i = 1; i <= 2000; ++i) {
    auto r = admin->command("user.register", "user-u" + std::to_string(i), {{"name", "During"}, {"roles", {"contributor"}}});
    ASSERT_TRUE(r) << "no reply to a command on a full disk";
    if (!ok(r)) {
      failed = r;
      break;
    }
  }
  ASSERT_TRUE(failed) << "the disk never filled";
  EXPECT_EQ((*failed)["error"].value("code", ""), "internal") << failed->dump();
  const std::uint64_t written = store->current_head().position;
  // The server is up and says why it refuses writes; queries keep working.
  auto health = http_call(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 503u) << health.body;
  EXPECT_EQ(health.json_body()["store"].value("reason", ""), "io") << health.body;
  EXPECT_NE(http_call(port, "GET", "/metrics").body.find("\nismsd_store_read_only_io 1\n"), std::string::npos);
  auto users = admin->query("users");
  EXPECT_TRUE(ok(users)) << (users ? users->dump() : "no reply");

  // Space returns: commands are accepted again without a restart.
  std::filesystem::remove(filler);
  std::optional<json> after;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    after = admin->command("user.register", "user-after", {{"name", "After"}, {"roles", {"contributor"}}},
                           std::nullopt, "after-the-disk-was-full");
    if (ok(after)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(ok(after)) << (after ? after->dump() : "no reply");
  EXPECT_EQ((*after)["result"]["position"], written + 1) << "nothing of the failed command was written";
  EXPECT_EQ(http_call(port, "GET", "/healthz").status, 200u);
  EXPECT_TRUE(store->verify());

  admin.reset();
  (*transport)->stop();
  app.reset();
  transport->reset();
  store.reset();
}

}  // namespace
}  // namespace isms::testing::integrity_test
