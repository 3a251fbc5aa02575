#pragma once
// The HTTP + WebSocket transport (Boost.Beast), hidden behind a small
// interface so that only transport.cpp includes Beast.
//
// Structure after Beast's chat-multi example: a listener accepts; each
// connection is an http_session on its own strand that reads one request at a
// time with a fresh parser (body limit, read timeout) and, on an accepted
// upgrade, hands its socket to a websocket_session (one write in flight, a
// bounded queue behind it, a slow consumer dropped). Both sessions are
// templates over the stream: plain TCP, or TLS (OpenSSL) over TCP when a
// certificate is configured, so HTTPS and WSS run the same code as HTTP and WS.
//
// Thread-safety: start()/stop()/port()/reload_tls() may be called from any thread. The
// handlers are invoked on the transport's I/O threads, concurrently for
// different connections, never concurrently for the same connection.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isms/server/http_types.hpp"

namespace isms::server {

struct transport_options {
  // Address to listen on. Default: 127.0.0.1
  std::string address = "127.0.0.1";
  // Port; 0 lets the OS choose (read it back with port()). Default: 8080
  std::uint16_t port = 8080;
  // Threads running the I/O context. Default: 2
  unsigned threads = 2;
  // Largest HTTP request body accepted; larger → 413. Default: 1 MiB
  std::size_t max_body_bytes = 1 << 20;
  // Time allowed to receive one whole request (headers and body), and to
  // complete the TLS handshake. Default: 30 s
  std::chrono::seconds read_timeout{30};
  // Connections open at once; further ones are closed at accept. Each is a
  // file descriptor: ismsd raises its open-file soft limit to the hard limit
  // at start and warns when that is below this plus 256. Default: 16384
  std::size_t max_connections = 16384;
  // WebSocket messages up to twice this size are read and handed to the
  // application (which answers too_large above its own limit); larger ones
  // close the connection with 1009 "message too big". Default: 1 MiB + 64 KiB
  std::size_t max_ws_message_bytes = (1 << 20) + 64 * 1024;
  // Bytes waiting for one WebSocket client, not yet written, above which the
  // next message drops the client as too slow. The bound is for clients that
  // do not read: one message larger than it is still queued when less than
  // the bound waits (the application keeps its replies below the bound, see
  // ws_api_options::max_reply_bytes). Default: 4 MiB
  std::size_t max_ws_queued_bytes = 4 << 20;
  // A WebSocket that sends nothing (not even a ping) for this long is closed. Default: 300 s
  std::chrono::seconds ws_idle_timeout{300};
  // At stop, time given to open connections to close by themselves (a
  // WebSocket's close handshake, an answer being written) before the rest
  // are cut. Default: 5 s
  std::chrono::milliseconds shutdown_grace{5000};
  // PEM files: the server's certificate (followed by its intermediates) and
  // its private key. Both set: the port speaks HTTPS and WSS only, TLS 1.2 or
  // later; both empty: plain HTTP and WS. One without the other is refused
  // by the configuration. Default: none
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
};

// The certificate a TLS transport presents, as loaded from its files.
struct tls_certificate_info {
  std::string subject;     // e.g. "CN=isms.example.org"
  std::string not_after;   // end of validity, UTC, "2026-05-01T12:00:00Z"
  std::string sha256;      // SHA-256 fingerprint of the DER certificate, lower-case hex
  // Worth an operator's attention but no reason to refuse: the key file
  // readable by others, the certificate expired or not yet valid.
  std::vector<std::string> warnings;
};

// Why the server closes a WebSocket; it decides the close code.
enum class close_cause {
  policy,      // 1008 policy violation: the session ended (signed out, expired, revoked) or the account was disabled
  going_away,  // 1001 going away: the server is stopping
};

// One live WebSocket connection, as the application sees it. send() may be
// called from any thread; it queues the text frame on the connection's strand.
// close() closes the connection with a reason: the close frame follows every
// message already sent (queued) on this connection, and nothing sent after it
// goes out. Both are no-ops once closed.
class ws_connection {
 public:
  virtual ~ws_connection() = default;
  virtual void send(std::string text) = 0;
  virtual void close(std::string reason, close_cause cause) = 0;
  [[nodiscard]] virtual std::uint64_t id() const noexcept = 0;
};

// What the application does with a WebSocket connection's life.
class ws_handler {
 public:
  virtual ~ws_handler() = default;
  virtual void on_open(const std::shared_ptr<ws_connection>& conn) = 0;
  // A complete text message. Binary messages are answered by the transport.
  virtual void on_text(const std::shared_ptr<ws_connection>& conn, std::string text) = 0;
  virtual void on_close(const std::shared_ptr<ws_connection>& conn) = 0;
};

// The decision on an upgrade request: either a handler for the new WebSocket
// (accepted) or the HTTP response that refuses it.
struct upgrade_decision {
  std::shared_ptr<ws_handler> handler;  // null → refused with `refusal`
  http_response refusal;
  std::string actor = {};  // accepted: the user (id) the WebSocket acts for, for the access log
};

// Where the body of a request goes as it arrives, for requests too large to
// hold whole (a file upload). The transport calls write() on an I/O thread
// with each piece in order, then finish() once.
class body_sink {
 public:
  virtual ~body_sink() = default;
  // Takes the next bytes of the body; false stops reading it (the sink
  // answers why in finish, and the connection closes after the answer).
  virtual bool write(std::string_view bytes) = 0;
  // The body ended: `complete` when all of it arrived and every write took
  // it; otherwise the client left, timed out or sent more than max_bytes
  // (`too_large`). `reply` must be called exactly once, from any thread;
  // after a client that left it is dropped.
  virtual void finish(bool complete, bool too_large, std::function<void(http_response)> reply) = 0;
};

// The decision on a request whose headers have arrived: stream its body into
// `sink`, refuse it at once with `refusal` (the body is not read and the
// connection closes after the answer), or neither (the body is read whole,
// within max_body_bytes, and the request goes to handle()).
struct body_decision {
  std::shared_ptr<body_sink> sink;
  std::optional<http_response> refusal;
  std::uint64_t max_bytes = 0;  // with a sink: the largest body it takes
  std::string actor = {};       // for the access log
};

// The application side of the transport.
class application {
 public:
  virtual ~application() = default;
  // Answers one HTTP request. `reply` must be called exactly once, from any thread.
  virtual void handle(http_request request, std::function<void(http_response)> reply) = 0;
  // Decides a WebSocket upgrade on `path` (authentication, Origin). Called on an I/O thread.
  virtual upgrade_decision upgrade(const http_request& request) = 0;
  // Decides, once its headers have arrived (`head` has an empty body),
  // whether a request's body streams into a sink. Called on an I/O thread;
  // must not block. Default: every body is read whole.
  virtual body_decision stream_body(const http_request& head) {
    (void)head;
    return {};
  }
  // One line per request for the access log, written before the answer is
  // sent. `actor`: the user (id) it was answered for, or empty.
  virtual void log_request(const http_request& request, unsigned status, std::size_t bytes,
                           std::chrono::microseconds elapsed, std::string_view actor) = 0;
  // A TLS handshake failed or timed out (a client speaking plain HTTP to the
  // HTTPS port, an old TLS version, a scanner); the connection is closed.
  // `remote` is "address:port". Called on an I/O thread.
  virtual void tls_handshake_failed(const std::string& remote, const std::string& reason) {
    (void)remote;
    (void)reason;
  }
};

class transport {
 public:
  virtual ~transport() = default;
  // The port actually bound (useful with port 0).
  [[nodiscard]] virtual std::uint16_t port() const noexcept = 0;
  // Stops accepting, closes every connection (WebSockets with 1001 "going
  // away"; the application hears on_close for each) and joins the I/O
  // threads; then releases the application. Idempotent.
  //
  // Order at shutdown: let the application answer what it accepted and
  // close its WebSockets (ledger::shutdown), then stop() the transport, then
  // destroy the application (its workers may still hold connections and send
  // to them: sends after stop() are dropped), then destroy the transport,
  // which owns the I/O context every connection belongs to.
  virtual void stop() = 0;

  // Whether the port speaks TLS (a certificate and key were configured).
  [[nodiscard]] virtual bool tls() const noexcept = 0;
  // The certificate new connections are given; nullopt without TLS.
  [[nodiscard]] virtual std::optional<tls_certificate_info> tls_certificate() const = 0;
  // Reads the certificate and key files again into a fresh TLS context and
  // makes it the one new connections get (connections already open keep the
  // one they started with). On failure — a file missing or unreadable, not
  // PEM, the key not the certificate's — the context in use stays and the
  // message names the file. Without TLS, fails saying so. May be called from
  // any thread; concurrent reloads are taken one at a time.
  [[nodiscard]] virtual std::expected<tls_certificate_info, std::string> reload_tls() = 0;
};

// Loads the TLS certificate and key (when configured), binds, listens and
// starts the I/O threads. Fails with a message naming the file or the address
// and the reason (e.g. "cannot listen on 127.0.0.1:8080: address already in
// use", "TLS private key /etc/x.key: cannot read: Permission denied").
[[nodiscard]] std::expected<std::unique_ptr<transport>, std::string> start_transport(
    const transport_options& options, std::shared_ptr<application> app);

}  // namespace isms::server
