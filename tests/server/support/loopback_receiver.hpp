#pragma once
// A loopback HTTP receiver for the tests of webhook delivery: a TCP listener
// on 127.0.0.1 that reads each request (headers and Content-Length body) and,
// given an answer, sends it and closes; without one it holds every connection
// open and never sends a byte (a stalled receiver). It keeps what each
// connection sent. Thread-safety: wait_for* may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace isms::testing {

class loopback_receiver {
 public:
  // An answer that accepts a post.
  static constexpr std::string_view no_content =
      "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

  // Listens on `port` (0: any free one). Throws if it cannot listen.
  explicit loopback_receiver(std::optional<std::string> answer, std::uint16_t port = 0);
  ~loopback_receiver();
  loopback_receiver(const loopback_receiver&) = delete;
  loopback_receiver& operator=(const loopback_receiver&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  // "<scheme>://127.0.0.1:<port>/hook".
  [[nodiscard]] std::string url(const std::string& scheme = "http") const;
  // Waits until `n` connections sent something (or a generous deadline
  // passed): what each sent, in full or until the client gave up (a TLS
  // handshake has no end of headers).
  std::vector<std::string> wait_for(std::size_t n);
  // Waits until `n` complete requests arrived: their bodies.
  std::vector<std::string> wait_for_bodies(std::size_t n);

 private:
  void run();

  std::optional<std::string> answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> held_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> requests_;
  std::vector<std::string> bodies_;
};

// A loopback port nobody listens on (bound once, then released).
[[nodiscard]] std::uint16_t unused_port();

}  // namespace isms::testing
