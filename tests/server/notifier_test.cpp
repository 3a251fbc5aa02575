// The webhook client and the notifier's durable outbox, against loopback
// listeners that answer, stall or only look at what arrives.

#include "isms/server/notifier.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

namespace isms::server {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

std::filesystem::path fresh_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ismsd-notifier-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

// A loopback TCP listener. With an `answer`, it reads a request's headers and
// body, sends the answer and closes; without one it keeps every connection
// open and never sends a byte (a stalled receiver). Either way it keeps what
// each connection sent.
class loopback_listener {
 public:
  explicit loopback_listener(std::optional<std::string> answer) : answer_(std::move(answer)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("bind/listen");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~loopback_listener() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (int c : held_) ::close(c);
  }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  // Waits until `n` connections were accepted (or a generous deadline passed);
  // the first bytes of each.
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, 60s, [&] { return first_bytes_.size() >= n; });
    return first_bytes_;
  }

 private:
  void run() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      // The whole request; a TLS handshake has no "\r\n\r\n" and ends when
      // the client gives up.
      for (;;) {
        const auto header_end = in.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const auto cl = in.find("Content-Length: ");
          const std::size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
          if (in.size() >= header_end + 4 + length) break;
        }
        const ssize_t r = ::recv(c, buf, sizeof buf, 0);
        if (r <= 0) break;
        in.append(buf, static_cast<std::size_t>(r));
      }
      if (answer_) {
        ::send(c, answer_->data(), answer_->size(), MSG_NOSIGNAL);
        ::close(c);
      } else {
        held_.push_back(c);  // never answered, closed only when the test ends
      }
      {
        std::lock_guard lock(mutex_);
        first_bytes_.push_back(in);
      }
      cv_.notify_all();
    }
  }

  std::optional<std::string> answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> held_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> first_bytes_;
};

TEST(webhook_client, a_stalled_receiver_ends_the_attempt_with_a_timeout) {
  loopback_listener stalled(std::nullopt);
  std::string error;
  // Returns at all only because the timeout covers waiting for the answer.
  EXPECT_FALSE(http_post(stalled.url(), R"({"seq":1})", 200ms, error));
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  const auto requests = stalled.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].starts_with("POST /hook HTTP/1.1\r\n")) << requests[0];
}

TEST(webhook_client, a_2xx_answer_with_a_body_is_a_delivery_and_others_are_not) {
  loopback_listener ok(std::string("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}"));
  std::string error;
  EXPECT_TRUE(http_post(ok.url(), R"({"seq":1})", 5s, error)) << error;
  const auto requests = ok.wait_for(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].find("Content-Type: application/json\r\n"), std::string::npos) << requests[0];
  EXPECT_TRUE(requests[0].ends_with("\r\n\r\n{\"seq\":1}")) << requests[0];

  loopback_listener refusing(std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(http_post(refusing.url(), "{}", 5s, error));
  EXPECT_EQ(error, "answered 503");
}

TEST(webhook_client, an_https_url_is_spoken_to_in_tls) {
  // The listener speaks no TLS: the attempt fails, but what arrived first is
  // a TLS handshake record (content type 22), not a plain HTTP request.
  loopback_listener plain(std::nullopt);
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
  loopback_listener stalled(std::nullopt);
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
