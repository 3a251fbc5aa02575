#pragma once
// Loopback clients and servers for the benchmark programs: blocking HTTP and
// WebSocket calls for setting up, an asynchronous load driver that keeps N
// WebSocket connections each with one request in flight, a bare WebSocket
// server answering canned replies (the transport's limit), and a crowd of idle
// subscribed sessions. Beast stays inside net.cpp, the one Beast translation
// unit of the benchmarks.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace isms::bench {

using json = nlohmann::json;

struct http_answer {
  unsigned status = 0;  // 0: no answer (connection failed or closed)
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port; `bearer` adds
// Authorization: Bearer. Times out after `timeout`.
http_answer http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body = {}, const std::string& bearer = {},
                      std::chrono::seconds timeout = std::chrono::seconds(600));

// POST /api/session; the token, or empty on failure.
std::string login(std::uint16_t port, const std::string& user, const std::string& password);

// A blocking WebSocket client (setup and single timed requests).
class ws_session {
 public:
  // nullptr when the connection or the upgrade fails.
  static std::unique_ptr<ws_session> connect(std::uint16_t port, const std::string& bearer);
  ~ws_session();
  // Sends `req` with a fresh id and returns the reply with that id (pushes
  // read meanwhile are dropped); nullopt on timeout or a closed connection.
  std::optional<json> request(json req, std::chrono::milliseconds timeout = std::chrono::seconds(120));
  struct impl;

 private:
  explicit ws_session(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
  std::uint64_t next_id_ = 1;
};

// What one connection of the load driver sends. Called on the driver's
// thread only (one thread for all connections), so scripts may share state
// without locks.
class conn_script {
 public:
  virtual ~conn_script() = default;
  // The next request, a complete JSON text with its id.
  virtual std::string next() = 0;
  // The reply to the last request, and its round-trip time.
  virtual void reply(std::string_view text, double us) = 0;
};

struct load_result {
  double elapsed_s = 0;       // from the moment every connection was open to the stop
  std::size_t connected = 0;  // connections that opened
  std::size_t connect_failures = 0;
  std::size_t dropped = 0;    // connections closed or failed while running
  std::size_t unanswered = 0; // requests in flight when the time was up
};

// Opens one connection per script to 127.0.0.1:port (bearer[i] for script i;
// an empty bearer sends no Authorization), waits until all are open, then
// lets each send its script's requests one at a time, each after the reply
// to the previous one, for `seconds`. One client thread drives all.
load_result run_load(std::uint16_t port, const std::vector<std::string>& bearer,
                     std::vector<std::unique_ptr<conn_script>>& scripts, double seconds);

// A bare Beast WebSocket server on 127.0.0.1 (port 0): every text message is
// answered with responder(message), on `threads` threads. No HTTP besides
// the upgrade, no authentication.
class canned_ws_server {
 public:
  using responder = std::function<std::string(std::string_view request)>;
  canned_ws_server(responder r, unsigned threads);
  ~canned_ws_server();
  [[nodiscard]] std::uint16_t port() const;
  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// N WebSocket sessions that subscribe once (subscribe_text, a complete
// request) and then only read, on one client thread; each message after the
// subscription's reply counts as a push for that session.
class idle_sessions {
 public:
  idle_sessions(std::uint16_t port, const std::vector<std::string>& bearer_pool, std::size_t count,
                std::string subscribe_text);
  ~idle_sessions();
  // Blocks until every session is subscribed (or failed), up to `limit`;
  // the number subscribed.
  std::size_t wait_subscribed(std::chrono::seconds limit);
  // Sessions that received at least one push; and the time the last of them
  // received its first (steady clock).
  [[nodiscard]] std::size_t with_push() const;
  [[nodiscard]] std::chrono::steady_clock::time_point last_first_push() const;
  [[nodiscard]] std::chrono::steady_clock::time_point first_first_push() const;
  [[nodiscard]] std::size_t failed() const;
  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

// Raises RLIMIT_NOFILE to its hard limit; the new soft limit.
std::uint64_t raise_fd_limit();

}  // namespace isms::bench
