// TLS served by ismsd itself (tls_certificate, tls_private_key), against the
// real executable: HTTPS and WSS with a certificate made for the test, what a
// client that does not speak TLS (or says nothing) gets, and SIGHUP, which
// reloads the certificate for new connections and keeps the old one when the
// new files are bad.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "isms/server/notifier.hpp"
#include "support/client.hpp"
#include "support/ismsd_process.hpp"

namespace isms::testing::tls_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* admin_password = "admin-password-for-tls-tests";

struct certificate_files {
  fs::path certificate;
  fs::path key;
};

// A fresh self-signed P-256 certificate for 127.0.0.1 (valid one day) and
// its key (mode 0600) as <dir>/<name>.pem and <dir>/<name>.key.
certificate_files make_certificate(const fs::path& dir, const std::string& name) {
  certificate_files f{dir / (name + ".pem"), dir / (name + ".key")};
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost"
      " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '" +
      f.key.string() + "' -out '" + f.certificate.string() + "' >/dev/null 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  fs::permissions(f.key, fs::perms::owner_read | fs::perms::owner_write);
  return f;
}

std::vector<std::string> tls_flags(const certificate_files& f) {
  return {"--tls_certificate", f.certificate.string(), "--tls_private_key", f.key.string()};
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
}

// Replaces `to` by `from` in one step, as certbot's renewal swaps files.
void put_in_place(const fs::path& from, const fs::path& to) { fs::rename(from, to); }

std::string admin_token(std::uint16_t port, const fs::path& trusted) {
  auto r = https_call(port, trusted, "POST", "/api/session",
                      json{{"username", "admin"}, {"password", admin_password}}.dump());
  if (r.status != 200) return {};
  return r.json_body().value("token", "");
}

std::uint64_t metric(const std::string& metrics, const std::string& name) {
  const auto at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return ~std::uint64_t{0};
  return std::stoull(metrics.substr(at + name.size() + 2));
}

void stop(const ismsd_child& child) {
  ::kill(child.pid, SIGTERM);
  EXPECT_EQ(wait_exit(child.pid), 0) << child.log->text();
}

TEST(tls, https_and_wss_are_served_and_plain_http_is_turned_away) {
  const auto dir = make_temp_dir("ismsd-tls");
  const auto cert = make_certificate(dir, "server");
  auto child = spawn_ismsd(dir / "data", admin_password, tls_flags(cert));
  ASSERT_NE(child.port, 0) << child.output;
  EXPECT_NE(child.output.find("running at https://127.0.0.1:"), std::string::npos) << child.output;

  auto health = https_call(child.port, cert.certificate, "GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.peer_sha256, certificate_sha256(cert.certificate));

  // Plain HTTP on the TLS port: no answer, that connection closed, the
  // server unharmed and the failure counted.
  EXPECT_EQ(http_call(child.port, "GET", "/healthz").status, 0u);
  EXPECT_EQ(https_call(child.port, cert.certificate, "GET", "/healthz").status, 200u);
  const auto metrics = https_call(child.port, cert.certificate, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_GE(metric(metrics.body, "ismsd_tls_handshake_failures_total"), 1u) << metrics.body;
  EXPECT_NE(child.log->wait_for("plain HTTP sent to the HTTPS port", 0), std::string::npos) << child.log->text();

  // Served over TLS, the session cookie is Secure without secure_cookie.
  auto signin = https_call(child.port, cert.certificate, "POST", "/api/session",
                           json{{"username", "admin"}, {"password", admin_password}}.dump());
  ASSERT_EQ(signin.status, 200u) << signin.body;
  EXPECT_NE(signin.header("set-cookie").find("; Secure"), std::string::npos) << signin.header("set-cookie");
  const std::string token = signin.json_body().value("token", "");
  ASSERT_FALSE(token.empty());

  // WSS, and the browser origin that is the server's own is https://<Host> only.
  ws_client::options o;
  o.bearer = token;
  o.tls_trusted = cert.certificate;
  o.origin = "https://127.0.0.1:" + std::to_string(child.port);
  auto ws = ws_client::connect(child.port, o);
  ASSERT_NE(ws, nullptr);
  EXPECT_TRUE(ok(ws->request(json{{"op", "ping"}})));
  o.origin = "http://127.0.0.1:" + std::to_string(child.port);
  unsigned status = 0;
  EXPECT_EQ(ws_client::connect(child.port, o, &status), nullptr);
  EXPECT_EQ(status, 403u);

  ws.reset();
  stop(child);
  fs::remove_all(dir);
}

// ismsd over TLS stands in for an https:// webhook receiver: its sign-in
// answers a POST with 200.
TEST(tls, a_webhook_post_over_https_is_delivered_only_to_a_receiver_whose_certificate_is_trusted) {
  const auto dir = make_temp_dir("ismsd-tls-hook");
  const auto cert = make_certificate(dir, "receiver");
  const auto other = make_certificate(dir, "other");
  auto child = spawn_ismsd(dir / "data", admin_password, tls_flags(cert));
  ASSERT_NE(child.port, 0) << child.output;
  const std::string url = "https://127.0.0.1:" + std::to_string(child.port) + "/api/session";
  const std::string body = json{{"username", "admin"}, {"password", admin_password}}.dump();
  std::string error;
  // Self-signed, so in no system CA store: refused in the handshake.
  EXPECT_FALSE(server::http_post(url, body, {}, error));
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  // Trusting another certificate than the receiver's: refused too.
  EXPECT_FALSE(server::http_post(url, body, {.ca_file = other.certificate}, error));
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  // Trusting the receiver's: delivered.
  EXPECT_TRUE(server::http_post(url, body, {.ca_file = cert.certificate}, error)) << error;
  stop(child);
  fs::remove_all(dir);
}

TEST(tls, a_client_that_never_completes_the_handshake_is_closed_after_the_read_timeout) {
  const auto dir = make_temp_dir("ismsd-tls-silent");
  const auto cert = make_certificate(dir, "server");
  auto flags = tls_flags(cert);
  flags.insert(flags.end(), {"--read_timeout_s", "1"});
  auto child = spawn_ismsd(dir / "data", admin_password, flags);
  ASSERT_NE(child.port, 0) << child.output;

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(child.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  // Says nothing. The server closes the connection (orderly or reset); only
  // a server that keeps it open would leave recv waiting into its deadline.
  timeval tv{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, 0);
  const int err = errno;
  EXPECT_TRUE(n == 0 || (n < 0 && err == ECONNRESET)) << "recv returned " << n << " errno " << err;
  ::close(fd);
  EXPECT_NE(child.log->wait_for("no TLS handshake within limits.read_timeout_s", 0), std::string::npos)
      << child.log->text();

  EXPECT_EQ(https_call(child.port, cert.certificate, "GET", "/healthz").status, 200u);
  stop(child);
  fs::remove_all(dir);
}

TEST(tls, sighup_gives_new_connections_the_new_certificate_and_keeps_the_old_one_when_the_files_are_bad) {
  const auto dir = make_temp_dir("ismsd-tls-reload");
  const auto live = make_certificate(dir, "live");  // the paths the server is configured with
  const std::string first = certificate_sha256(live.certificate);
  const fs::path first_trusted = dir / "first.pem";
  fs::copy_file(live.certificate, first_trusted);
  auto child = spawn_ismsd(dir / "data", admin_password, tls_flags(live));
  ASSERT_NE(child.port, 0) << child.output;
  EXPECT_EQ(https_call(child.port, first_trusted, "GET", "/healthz").peer_sha256, first);

  // A WebSocket opened before the reload keeps its connection (and context).
  ws_client::options o;
  o.bearer = admin_token(child.port, first_trusted);
  ASSERT_FALSE(o.bearer.empty());
  o.tls_trusted = first_trusted;
  auto before = ws_client::connect(child.port, o);
  ASSERT_NE(before, nullptr);

  // Renewal: new files in place, then SIGHUP.
  const auto renewed = make_certificate(dir, "renewed");
  const std::string second = certificate_sha256(renewed.certificate);
  ASSERT_NE(second, first);
  const fs::path second_trusted = dir / "second.pem";
  fs::copy_file(renewed.certificate, second_trusted);
  put_in_place(renewed.certificate, live.certificate);
  put_in_place(renewed.key, live.key);
  std::size_t seen = child.log->text().size();
  ASSERT_EQ(::kill(child.pid, SIGHUP), 0);
  seen = child.log->wait_for("received SIGHUP: reloaded TLS certificate", seen);
  ASSERT_NE(seen, std::string::npos) << child.log->text();
  EXPECT_EQ(::kill(child.pid, 0), 0) << "SIGHUP ended the server";

  auto after = https_call(child.port, second_trusted, "GET", "/healthz");
  EXPECT_EQ(after.status, 200u);
  EXPECT_EQ(after.peer_sha256, second);
  EXPECT_EQ(https_call(child.port, first_trusted, "GET", "/healthz").status, 0u)
      << "a new connection was still given the old certificate";
  EXPECT_TRUE(ok(before->request(json{{"op", "ping"}})));

  // Broken files: each SIGHUP names the file, and the certificate in use stays.
  const auto reload_fails_naming = [&](const fs::path& named) {
    const std::size_t from = child.log->text().size();
    ASSERT_EQ(::kill(child.pid, SIGHUP), 0);
    const auto at = child.log->wait_for("the TLS certificate was not reloaded", from);
    ASSERT_NE(at, std::string::npos) << child.log->text();
    const std::string text = child.log->text();
    const std::string line = text.substr(at, text.find('\n', at) - at);
    EXPECT_NE(line.find(named.string()), std::string::npos) << line;
    auto still = https_call(child.port, second_trusted, "GET", "/healthz");
    EXPECT_EQ(still.status, 200u);
    EXPECT_EQ(still.peer_sha256, second);
  };
  const std::string good_certificate = [&] {
    std::ifstream in(live.certificate);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  write_file(live.certificate, "this is not a certificate\n");
  reload_fails_naming(live.certificate);

  write_file(live.certificate, good_certificate);
  const auto other = make_certificate(dir, "other");
  put_in_place(other.key, live.key);  // a key, but not the certificate's
  reload_fails_naming(live.key);

  fs::remove(live.key);
  reload_fails_naming(live.key);

  EXPECT_TRUE(ok(before->request(json{{"op", "ping"}})));
  before.reset();
  stop(child);
  fs::remove_all(dir);
}

TEST(tls, sighup_without_tls_reloads_nothing_and_does_not_stop_the_server) {
  const auto dir = make_temp_dir("ismsd-plain-hup");
  auto child = spawn_ismsd(dir / "data", admin_password);
  ASSERT_NE(child.port, 0) << child.output;
  ASSERT_EQ(::kill(child.pid, SIGHUP), 0);
  EXPECT_NE(child.log->wait_for("nothing to reload", 0), std::string::npos) << child.log->text();
  EXPECT_EQ(http_call(child.port, "GET", "/healthz").status, 200u);
  stop(child);
  fs::remove_all(dir);
}

TEST(tls, start_refuses_a_missing_or_bad_certificate_or_half_the_settings_naming_what) {
  const auto dir = make_temp_dir("ismsd-tls-refused");
  const auto cert = make_certificate(dir, "server");
  const auto refused = [&](const std::vector<std::string>& flags, const std::string& named) {
    auto child = spawn_ismsd(dir / "data", admin_password, flags);
    EXPECT_EQ(child.port, 0) << child.output;
    const int status = wait_exit(child.pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
    EXPECT_NE(child.log->wait_for(named, 0), std::string::npos) << child.log->text();
  };
  refused({"--tls_certificate", (dir / "missing.pem").string(), "--tls_private_key", cert.key.string()},
          (dir / "missing.pem").string());
  refused({"--tls_certificate", cert.certificate.string(), "--tls_private_key", (dir / "missing.key").string()},
          (dir / "missing.key").string());
  write_file(dir / "garbage.pem", "-----BEGIN NONSENSE-----\n");
  refused({"--tls_certificate", (dir / "garbage.pem").string(), "--tls_private_key", cert.key.string()},
          (dir / "garbage.pem").string());
  refused({"--tls_certificate", cert.certificate.string()}, "tls_private_key");
  refused({"--tls_private_key", cert.key.string()}, "tls_certificate");
  fs::remove_all(dir);
}

TEST(tls, a_private_key_every_user_may_read_is_named_in_a_warning) {
  const auto dir = make_temp_dir("ismsd-tls-mode");
  const auto cert = make_certificate(dir, "server");
  fs::permissions(cert.key, fs::perms::others_read, fs::perm_options::add);
  auto child = spawn_ismsd(dir / "data", admin_password, tls_flags(cert));
  ASSERT_NE(child.port, 0) << child.output;
  const auto at = child.log->wait_for("is accessible to every user", 0);
  ASSERT_NE(at, std::string::npos) << child.log->text();
  EXPECT_NE(child.log->text().find(cert.key.string()), std::string::npos);
  EXPECT_EQ(https_call(child.port, cert.certificate, "GET", "/healthz").status, 200u);
  stop(child);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace isms::testing::tls_test
