#pragma once
// Real clients for the server tests: a blocking HTTP/1.1 client and a
// WebSocket client, both over loopback TCP, plain or TLS (Beast and OpenSSL
// stay inside client.cpp).
// Reads take a deadline only so that a broken server fails a test instead of
// hanging it; no test asserts on time.

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace isms::testing {

using json = nlohmann::json;

struct http_result {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  // https_call: SHA-256 fingerprint (lower-case hex) of the certificate the
  // server presented; empty for plain HTTP.
  std::string peer_sha256;
  [[nodiscard]] std::string header(std::string_view lower_name) const;
  [[nodiscard]] json json_body() const { return json::parse(body, nullptr, false); }
};

// One request on a fresh connection to 127.0.0.1:port.
http_result http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body = {},
                      const std::vector<std::pair<std::string, std::string>>& headers = {});

// One request over TLS on a fresh connection to 127.0.0.1:port, trusting
// only the certificates in the PEM file `trusted` and requiring the server's
// to name 127.0.0.1. status 0 when the handshake or the request failed.
http_result https_call(std::uint16_t port, const std::filesystem::path& trusted, const std::string& method,
                       const std::string& target, const std::string& body = {},
                       const std::vector<std::pair<std::string, std::string>>& headers = {});

// The SHA-256 fingerprint (lower-case hex) of the first certificate in a PEM
// file, as https_call reports a server's; empty when there is none.
std::string certificate_sha256(const std::filesystem::path& pem);

// POST /api/session; the token, or empty on failure.
std::string login(std::uint16_t port, const std::string& user, const std::string& password);

class ws_client {
 public:
  struct options {
    std::string bearer;  // Authorization: Bearer …
    std::string cookie;  // Cookie: …
    std::string origin;  // Origin: … (empty: none)
    // Non-empty: WSS, trusting only the certificates of this PEM file (as https_call).
    std::filesystem::path tls_trusted;
  };
  // Connects and upgrades; on refusal, nullptr and `status` holds the HTTP status.
  static std::unique_ptr<ws_client> connect(std::uint16_t port, const options& o, unsigned* status = nullptr);
  ~ws_client();

  void send_text(const std::string& text);
  void send_binary(const std::string& bytes);
  // The next message, or nullopt when the connection closed or nothing came in time.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends a request with a fresh id and returns its reply; pushes read
  // meanwhile are kept for wait_push. nullopt if no reply came.
  std::optional<json> request(json req, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The next push on `channel` (already received or arriving in time).
  std::optional<json> wait_push(const std::string& channel, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Every push already received (read while waiting for replies), oldest
  // first, without reading more. After request() of a ping, these include
  // every push the server sent before answering it.
  std::vector<json> take_pushes();
  // The next reply without an id match (error replies to unparseable input carry id null).
  std::optional<json> next_reply(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  [[nodiscard]] bool open() const;
  // The close code the server sent, if it closed.
  [[nodiscard]] int close_code() const;

  // Convenience: a command request.
  std::optional<json> command(const std::string& type, const std::string& stream, json data,
                              std::optional<std::uint64_t> expected_version = std::nullopt,
                              const std::string& command_id = {});
  std::optional<json> query(const std::string& view, json params = json::object(), json as_of = nullptr);

  struct impl;

 private:
  explicit ws_client(std::unique_ptr<impl> p);
  // The first message `wanted`: one kept from earlier reads, or the next to
  // arrive in time (others read meanwhile are kept).
  std::optional<json> take(const std::function<bool(const json&)>& wanted, std::chrono::milliseconds timeout);
  std::unique_ptr<impl> impl_;
  std::deque<json> pending_;  // pushes and replies not yet asked for
  std::uint64_t next_id_ = 1;
};

// True if `reply` arrived and says ok.
[[nodiscard]] inline bool ok(const std::optional<json>& reply) { return reply && reply->value("ok", false); }
// The error code of `reply`, "<no error>" when it carries none.
[[nodiscard]] inline std::string error_code(const std::optional<json>& reply) {
  if (!reply || !reply->contains("error")) return "<no error>";
  return (*reply)["error"].value("code", "");
}

}  // namespace isms::testing
