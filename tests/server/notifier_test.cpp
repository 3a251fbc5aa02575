// The webhook client and the notifier's durable outbox, against loopback
// listeners that answer, stall or only look at what arrives.

#include "isms/server/notifier.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "support/ismsd_process.hpp"
#include "support/loopback_receiver.hpp"
#include "support/test_server.hpp"

namespace isms::server::notifier_test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::filesystem::path fresh_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ismsd-notifier-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

using isms::testing::loopback_receiver;

TEST(webhook_client, a_stalled_receiver_ends_the_attempt_with_a_timeout) {
  loopback_receiver stalled(std::nullopt);
  std::string error;
  // Returns at all only because the timeout covers waiting for the answer.
  EXPECT_FALSE(http_post(stalled.url(), R"({"seq":1})", {.timeout = 200ms}, error));
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  const auto requests = stalled.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].starts_with("POST /hook HTTP/1.1\r\n")) << requests[0];
}

TEST(webhook_client, a_2xx_answer_with_a_body_is_a_delivery_and_others_are_not) {
  loopback_receiver ok(std::string("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}"));
  std::string error;
  EXPECT_TRUE(http_post(ok.url(), R"({"seq":1})", {}, error)) << error;
  const auto requests = ok.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("Content-Type: application/json\r\n"), std::string::npos) << requests[0];
  EXPECT_TRUE(requests[0].ends_with("\r\n\r\n{\"seq\":1}")) << requests[0];

  loopback_receiver refusing(std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(http_post(refusing.url(), "{}", {}, error));
  EXPECT_EQ(error, "answered 503");
}

TEST(webhook_client, an_https_url_is_spoken_to_in_tls) {
  // The listener speaks no TLS: the attempt fails, but what arrived first is
  // a TLS handshake record (content type 22), not a plain HTTP request.
  loopback_receiver plain(std::nullopt);
  std::string error;
  EXPECT_FALSE(http_post(plain.url("https"), "{}", {.timeout = 300ms}, error));
  const auto first = plain.wait_for(1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_FALSE(first[0].empty());
  EXPECT_EQ(static_cast<unsigned char>(first[0][0]), 0x16) << "not a TLS record: " << first[0];

  EXPECT_FALSE(http_post("ftp://127.0.0.1/x", "{}", {.timeout = 300ms}, error));
  EXPECT_EQ(error, "only http:// and https:// URLs are supported");
}

TEST(notifier, a_post_to_a_stalled_receiver_times_out_stays_in_the_outbox_and_is_retried) {
  const auto dir = fresh_dir();
  loopback_receiver stalled(std::nullopt);
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    notifier_options options;
    options.webhook_urls = {stalled.url()};
    options.webhook_timeout = 200ms;
    options.retry_initial = 10ms;
    options.retry_max = 20ms;
    notifier n(options, **store, [](const std::string&, const json&) {});
    n.on_event(1, {{"olga", json{{"id", "n-1-olga"}, {"kind", "risk_assigned"}}}});
    // A second connection means the first attempt ended (by its timeout: the
    // receiver never answers) and the post was tried again.
    const auto attempts = stalled.wait_for(2);
    ASSERT_GE(attempts.size(), 2u) << "the post was not retried after the stalled attempt";
    for (const auto& a : attempts) EXPECT_NE(a.find("\"n-1-olga\""), std::string::npos) << a;
    EXPECT_EQ(n.outbox_size(), 1u);
    EXPECT_EQ(n.delivered(), 0u);
  }
  std::filesystem::remove_all(dir);
}

// The header lines of a raw request, by name (the request line skipped).
std::map<std::string, std::string> header_lines(const std::string& request) {
  std::map<std::string, std::string> out;
  const auto end = request.find("\r\n\r\n");
  std::size_t at = request.find("\r\n") + 2;
  while (at < end) {
    const auto eol = request.find("\r\n", at);
    const std::string line = request.substr(at, eol - at);
    if (const auto colon = line.find(": "); colon != std::string::npos)
      out[line.substr(0, colon)] = line.substr(colon + 2);
    at = eol + 2;
  }
  return out;
}

std::string body_of(const std::string& request) { return request.substr(request.find("\r\n\r\n") + 4); }

TEST(webhook_signature, is_the_hmac_sha256_of_the_time_a_dot_and_the_body_with_each_secret) {
  // Known answers computed apart (Python's hmac module).
  const std::string body = R"({"seq":1,"notification":{"id":"n-1"}})";
  EXPECT_EQ(webhook_signature({"first-webhook-secret-0123456789"}, 1764750000, body),
            "t=1764750000,v1=e951f9166596b94579418fc3803769d159f7a04f8a11bbc3aec3c82126d86547");
  EXPECT_EQ(webhook_signature({"first-webhook-secret-0123456789", "second-webhook-secret-987654321"}, 1764750000, body),
            "t=1764750000,v1=e951f9166596b94579418fc3803769d159f7a04f8a11bbc3aec3c82126d86547"
            ",v1=b78146146f97f08760596f8195efc02df5d005964553c184cf14d6b2257ab7eb");
  // Another time or another byte of the body: another signature.
  EXPECT_NE(webhook_signature({"first-webhook-secret-0123456789"}, 1764750001, body).substr(16),
            webhook_signature({"first-webhook-secret-0123456789"}, 1764750000, body).substr(16));
  EXPECT_NE(webhook_signature({"first-webhook-secret-0123456789"}, 1764750000, body + " "),
            webhook_signature({"first-webhook-secret-0123456789"}, 1764750000, body));
}

TEST(webhook_client, extra_header_lines_are_sent_and_one_with_a_line_break_is_refused) {
  loopback_receiver ok{std::string(loopback_receiver::no_content)};
  std::string error;
  EXPECT_TRUE(http_post(ok.url(), "{}", {.headers = {"ISMS-Delivery: 7"}}, error)) << error;
  const auto requests = ok.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(header_lines(requests[0])["ISMS-Delivery"], "7") << requests[0];

  EXPECT_FALSE(http_post(ok.url(), "{}", {.headers = {"ISMS-Delivery: 7\r\nX-Injected: 1"}}, error));
  EXPECT_EQ(error, "a header line holds a line break");
}

TEST(notifier, every_post_is_signed_with_each_secret_over_the_body_as_sent) {
  const auto dir = fresh_dir();
  loopback_receiver receiver{std::string(loopback_receiver::no_content)};
  const std::vector<std::string> secrets{"first-webhook-secret-0123456789", "second-webhook-secret-987654321"};
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    notifier_options options;
    options.webhook_urls = {receiver.url()};
    options.webhook_secrets = secrets;
    notifier n(options, **store, [](const std::string&, const json&) {});
    n.on_event(1, {{"olga", json{{"id", "n-1-olga"}, {"kind", "risk_assigned"}}}});
    const auto requests = receiver.wait_for(1);
    ASSERT_EQ(requests.size(), 1u);
    auto headers = header_lines(requests[0]);
    EXPECT_EQ(headers["ISMS-Delivery"], "1");
    const std::string signature = headers["ISMS-Signature"];
    ASSERT_TRUE(signature.starts_with("t=")) << requests[0];
    const std::int64_t t = std::stoll(signature.substr(2, signature.find(',') - 2));
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_LE(std::abs(now - t), 60) << "the signed time is not when the post was sent";
    // What a receiver computes from the bytes it got, with both secrets.
    const std::string body = body_of(requests[0]);
    EXPECT_NE(body.find("\"n-1-olga\""), std::string::npos) << body;
    EXPECT_EQ(signature, webhook_signature(secrets, t, body));
  }
  std::filesystem::remove_all(dir);
}

TEST(notifier, without_secrets_posts_carry_no_signature) {
  const auto dir = fresh_dir();
  loopback_receiver receiver{std::string(loopback_receiver::no_content)};
  {
    auto store = eventstore::store::open(eventstore::options{}, dir);
    ASSERT_TRUE(store) << store.error().message;
    notifier_options options;
    options.webhook_urls = {receiver.url()};
    notifier n(options, **store, [](const std::string&, const json&) {});
    n.on_event(1, {{"olga", json{{"id", "n-1-olga"}, {"kind", "risk_assigned"}}}});
    const auto requests = receiver.wait_for(1);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_FALSE(header_lines(requests[0]).contains("ISMS-Signature")) << requests[0];
    EXPECT_EQ(header_lines(requests[0])["ISMS-Delivery"], "1");
  }
  std::filesystem::remove_all(dir);
}

TEST(webhook_secrets, are_read_one_per_line_from_a_file_of_the_owner_alone) {
  const auto dir = fresh_dir();
  const auto write = [&](const std::string& name, const std::string& text, mode_t mode) {
    const auto file = dir / name;
    std::ofstream(file, std::ios::binary) << text;
    ::chmod(file.c_str(), mode);
    return file;
  };
  const auto two = read_webhook_secrets(
      write("two", "  first-webhook-secret-0123456789\r\n\nsecond-webhook-secret-987654321", 0600));
  ASSERT_TRUE(two) << two.error();
  EXPECT_EQ(*two, (std::vector<std::string>{"first-webhook-secret-0123456789", "second-webhook-secret-987654321"}));

  const auto readable = read_webhook_secrets(write("readable", "first-webhook-secret-0123456789\n", 0644));
  ASSERT_FALSE(readable);
  EXPECT_NE(readable.error().find("may be read or written by others (mode 644)"), std::string::npos)
      << readable.error();
  const auto short_one = read_webhook_secrets(write("short", "password\n", 0600));
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().find("a secret of 8 bytes; at least 16"), std::string::npos) << short_one.error();
  const auto empty = read_webhook_secrets(write("empty", " \n\n", 0600));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().find("holds no secret"), std::string::npos) << empty.error();
  EXPECT_FALSE(read_webhook_secrets(dir / "missing"));
  std::filesystem::remove_all(dir);
}

TEST(webhook_secrets, a_server_signs_with_the_secrets_of_its_file_and_refuses_to_start_on_one_others_may_read) {
  const auto dir = fresh_dir();
  const auto secret_file = dir / "webhook.secret";
  std::ofstream(secret_file) << "first-webhook-secret-0123456789\n";
  ::chmod(secret_file.c_str(), 0600);
  loopback_receiver receiver{std::string(loopback_receiver::no_content)};
  {
    isms::testing::test_server srv([&](server_config& c) {
      c.ledger.notify.webhook_urls = {receiver.url()};
      c.ledger.webhook_secret_file = secret_file;
    });
    const std::string manager = srv.add_user("manager", {"isms_manager"});
    srv.add_user("owner", {"risk_owner"});
    auto c = isms::testing::connect_as(srv, manager);
    ASSERT_NE(c, nullptr);
    // The owner is told they own the risk: one post.
    ASSERT_TRUE(isms::testing::ok(c->command("risk.identify", "risk-R-1", isms::testing::identify_data("owner"))));
    const auto requests = receiver.wait_for(1);
    ASSERT_GE(requests.size(), 1u);
    const auto headers = header_lines(requests[0]);
    ASSERT_TRUE(headers.contains("ISMS-Signature")) << requests[0];
    const std::string signature = headers.at("ISMS-Signature");
    const std::int64_t t = std::stoll(signature.substr(2, signature.find(',') - 2));
    EXPECT_EQ(signature, webhook_signature({"first-webhook-secret-0123456789"}, t, body_of(requests[0])));
  }

  // What an operator sees when the file is readable by everyone.
  ::chmod(secret_file.c_str(), 0644);
  auto refused = isms::testing::spawn_ismsd(dir / "data", "an-admin-password-of-length",
                                            {"--webhook_secret_file", secret_file.string()});
  EXPECT_EQ(refused.port, 0) << refused.output;
  const int status = isms::testing::wait_exit(refused.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(refused.output.find("may be read or written by others (mode 644)"), std::string::npos)
      << refused.output;
  std::filesystem::remove_all(dir);  // the signing key lies beside the data folder, inside `dir`
}

}  // namespace
}  // namespace isms::server::notifier_test
