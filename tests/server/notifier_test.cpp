// The webhook client and the notifier's durable outbox, against loopback
// listeners that answer, stall or only look at what arrives.

#include "isms/server/notifier.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <thread>

#include "support/loopback_receiver.hpp"

namespace isms::server {
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
  EXPECT_FALSE(http_post(stalled.url(), R"({"seq":1})", 200ms, error));
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  const auto requests = stalled.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].starts_with("POST /hook HTTP/1.1\r\n")) << requests[0];
}

TEST(webhook_client, a_2xx_answer_with_a_body_is_a_delivery_and_others_are_not) {
  loopback_receiver ok(std::string("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}"));
  std::string error;
  EXPECT_TRUE(http_post(ok.url(), R"({"seq":1})", 5s, error)) << error;
  const auto requests = ok.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("Content-Type: application/json\r\n"), std::string::npos) << requests[0];
  EXPECT_TRUE(requests[0].ends_with("\r\n\r\n{\"seq\":1}")) << requests[0];

  loopback_receiver refusing(std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(http_post(refusing.url(), "{}", 5s, error));
  EXPECT_EQ(error, "answered 503");
}

TEST(webhook_client, an_https_url_is_spoken_to_in_tls) {
  // The listener speaks no TLS: the attempt fails, but what arrived first is
  // a TLS handshake record (content type 22), not a plain HTTP request.
  loopback_receiver plain(std::nullopt);
  std::string error;
  EXPECT_FALSE(http_post(plain.url("https"), "{}", 300ms, error));
  const auto first = plain.wait_for(1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_FALSE(first[0].empty());
  EXPECT_EQ(static_cast<unsigned char>(first[0][0]), 0x16) << "not a TLS record: " << first[0];

  EXPECT_FALSE(http_post("ftp://127.0.0.1/x", "{}", 300ms, error));
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

}  // namespace
}  // namespace isms::server
