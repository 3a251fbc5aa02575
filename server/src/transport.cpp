// The only translation unit that includes Beast (and Asio's OpenSSL
// binding). See transport.hpp for the structure and the thread-safety
// contract.

#include "isms/server/transport.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "isms/server/asio_names.hpp"

namespace isms::server {

using namespace isms::asio_names;
namespace fs = std::filesystem;

namespace {

// The two kinds of connection; the sessions below are written once for both.
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using tls_context = net::ssl::context;
template <class Stream>
inline constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

// A connection as stop() sees it.
class session_base {
 public:
  virtual ~session_base() = default;
  // Begins closing the connection on its own strand; its pending operations
  // end and, for a WebSocket, the application hears on_close.
  virtual void shut() = 0;
  // After the I/O threads have gone: tells the application that a
  // connection which could not close in time is gone.
  virtual void abandon() {}
};

// Shared by the listener and every session: options, the application and the
// count of open connections.
struct shared_state {
  transport_options options;
  // Called on I/O threads only; released by stop() once they have gone.
  std::shared_ptr<application> app;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::uint64_t> next_ws_id{1};
  // The TLS context new connections get; null without TLS. A reload swaps
  // in a new one; each connection keeps the one it started with alive.
  std::atomic<std::shared_ptr<tls_context>> tls;

  // Other threads (the application's workers) post onto the I/O context
  // only while it runs: after stop() a reply to a closed connection is
  // dropped, never posted to an io_context that is about to be destroyed.
  std::shared_mutex life;
  bool running = true;

  // Every open connection, for stop().
  std::mutex sessions_mutex;
  std::map<std::uint64_t, std::weak_ptr<session_base>> sessions;
  std::uint64_t next_session = 1;

  std::uint64_t enroll(const std::shared_ptr<session_base>& s) {
    std::lock_guard lock(sessions_mutex);
    const auto key = next_session++;
    sessions.emplace(key, s);
    return key;
  }
  void leave(std::uint64_t key) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(key);
  }
  std::vector<std::shared_ptr<session_base>> live_sessions() {
    std::vector<std::shared_ptr<session_base>> out;
    std::lock_guard lock(sessions_mutex);
    for (const auto& [_, w] : sessions)
      if (auto s = w.lock()) out.push_back(std::move(s));
    return out;
  }
};

// Posts `f` onto `ex` unless the transport has stopped. Returns whether it did.
template <class Executor, class F>
bool post_while_running(shared_state& state, const Executor& ex, F&& f) {
  std::shared_lock lock(state.life);
  if (!state.running) return false;
  net::post(ex, std::forward<F>(f));
  return true;
}

// Counts one open connection for as long as it lives.
class connection_slot {
 public:
  explicit connection_slot(std::shared_ptr<shared_state> s) : state_(std::move(s)) {}
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot() {
    if (state_) state_->connections.fetch_sub(1);
  }
  connection_slot(connection_slot&& o) noexcept : state_(std::move(o.state_)) {}

 private:
  std::shared_ptr<shared_state> state_;
};

std::string endpoint_text(const tcp::socket& socket) {
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

template <class Body>
http_request to_request(const http::request<Body>& req, std::string remote) {
  http_request out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  const auto q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if constexpr (std::is_same_v<Body, http::string_body>) out.body = req.body();
  out.remote = std::move(remote);
  // A reverse proxy's id for the request, when it is a safe one, so that its
  // log and ours name the request alike; otherwise the server's own.
  const auto given = req.find("X-Request-Id");
  out.id = given != req.end() && acceptable_request_id(given->value()) ? std::string(given->value())
                                                                        : new_request_id();
  return out;
}

http::response<http::string_body> to_beast(const http_response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "ismsd");
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  // Headers every answer carries, whoever made it. A handler's own
  // Content-Security-Policy (the application shell's) replaces the default,
  // which forbids everything: API answers are data, never a document.
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  for (const auto& [name, value] : r.headers) {
    if (beast::iequals(name, "Content-Security-Policy")) res.set(name, value);
    else res.insert(name, value);
  }
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// ---------------------------------------------------------------- tls

// TLS 1.2 suites: forward secret and authenticated encryption only (the
// "intermediate" profile). TLS 1.3 suites are OpenSSL's defaults, all good.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// A certificate chain or key is a few kilobytes; anything far larger is the
// wrong file.
constexpr off_t max_pem_bytes = 1 << 20;

struct pem_file {
  std::string bytes;
  mode_t mode = 0;
};

// The whole of a PEM file, or a message naming it (`what`: "TLS certificate").
std::expected<pem_file, std::string> read_pem(const fs::path& file, std::string_view what) {
  const std::string name = std::string(what) + " " + file.string();
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(name + ": cannot read: " + std::strerror(errno));
  pem_file out;
  std::string problem;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = "not a regular file";
  } else if (st.st_size > max_pem_bytes) {
    problem = "larger than 1 MiB, not a PEM certificate or key";
  } else {
    out.mode = st.st_mode;
    out.bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < out.bytes.size()) {
      const ssize_t n = ::read(fd, out.bytes.data() + got, out.bytes.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) problem = std::strerror(errno);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.bytes.resize(got);
  }
  ::close(fd);
  if (!problem.empty()) {
    OPENSSL_cleanse(out.bytes.data(), out.bytes.size());
    return std::unexpected(name + ": cannot read: " + problem);
  }
  return out;
}

// Wipes a private key's bytes when they go out of scope.
struct cleansed {
  std::string& bytes;
  ~cleansed() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

// OpenSSL's password callback: no passphrase, ever (a server cannot ask).
int refuse_passphrase(char*, int, int, void*) { return 0; }

// OpenSSL's reason for a failed call, without the queue's other entries.
std::string openssl_reason(const beast::error_code& ec) {
  ::ERR_clear_error();
  return ec.message();
}

std::string utc_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ::ASN1_TIME_to_tm(t, &tm) != 1) return "unknown";
  char text[32];
  if (std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return "unknown";
  return text;
}

tls_certificate_info describe(X509* cert) {
  tls_certificate_info info;
  if (BIO* bio = ::BIO_new(::BIO_s_mem())) {
    ::X509_NAME_print_ex(bio, ::X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n > 0) info.subject.assign(data, static_cast<std::size_t>(n));
    ::BIO_free(bio);
  }
  info.not_after = utc_text(::X509_get0_notAfter(cert));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (::X509_digest(cert, ::EVP_sha256(), md, &len) == 1) {
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; ++i) {
      info.sha256 += hex[md[i] >> 4];
      info.sha256 += hex[md[i] & 0xf];
    }
  }
  if (::X509_cmp_current_time(::X509_get0_notAfter(cert)) < 0)
    info.warnings.push_back("the certificate expired at " + info.not_after + ": clients will refuse it");
  if (::X509_cmp_current_time(::X509_get0_notBefore(cert)) > 0)
    info.warnings.push_back("the certificate is not valid before " + utc_text(::X509_get0_notBefore(cert)) +
                            ": clients will refuse it until then");
  return info;
}

struct loaded_tls {
  std::shared_ptr<tls_context> context;
  tls_certificate_info info;
};

// A fresh server context with the certificate chain and key of these files:
// TLS 1.2 at least, no compression, a fresh key exchange per handshake.
// Every failure names the file it is about.
std::expected<loaded_tls, std::string> load_tls(const fs::path& certificate_file, const fs::path& key_file) {
  auto certificate = read_pem(certificate_file, "TLS certificate");
  if (!certificate) return std::unexpected(certificate.error());
  auto key = read_pem(key_file, "TLS private key");
  if (!key) return std::unexpected(key.error());
  const cleansed wipe{key->bytes};

  loaded_tls out;
  try {
    out.context = std::make_shared<tls_context>(tls_context::tls_server);
  } catch (const std::exception& e) {
    return std::unexpected(std::string("cannot make a TLS context: ") + e.what());
  }
  tls_context& ctx = *out.context;
  beast::error_code ec;
  ctx.set_options(tls_context::default_workarounds | tls_context::no_sslv2 | tls_context::no_sslv3 |
                      tls_context::no_tlsv1 | tls_context::no_tlsv1_1 | tls_context::no_compression |
                      tls_context::single_dh_use,
                  ec);
  if (ec) return std::unexpected("cannot set the TLS options: " + openssl_reason(ec));
  if (::SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1 ||
      ::SSL_CTX_set_cipher_list(ctx.native_handle(), tls12_ciphers) != 1) {
    ::ERR_clear_error();
    return std::unexpected("cannot restrict the TLS versions and cipher suites");
  }
  ::SSL_CTX_set_default_passwd_cb(ctx.native_handle(), refuse_passphrase);
  ctx.use_certificate_chain(net::buffer(certificate->bytes), ec);
  if (ec)
    return std::unexpected("TLS certificate " + certificate_file.string() +
                           ": not a PEM certificate chain (" + openssl_reason(ec) + ")");
  // Read here rather than by Asio so that a key with a passphrase is refused
  // as such: OpenSSL's default would ask for it on the terminal, blocking a
  // reload.
  EVP_PKEY* private_key = nullptr;
  if (BIO* bio = ::BIO_new_mem_buf(key->bytes.data(), static_cast<int>(key->bytes.size()))) {
    private_key = ::PEM_read_bio_PrivateKey(bio, nullptr, refuse_passphrase, nullptr);
    ::BIO_free(bio);
  }
  if (private_key == nullptr) {
    ::ERR_clear_error();
    return std::unexpected("TLS private key " + key_file.string() +
                           ": not a PEM private key, or one protected by a passphrase (which ismsd cannot read)");
  }
  const bool matches = ::SSL_CTX_use_PrivateKey(ctx.native_handle(), private_key) == 1 &&
                       ::SSL_CTX_check_private_key(ctx.native_handle()) == 1;
  ::EVP_PKEY_free(private_key);
  if (!matches) {
    ::ERR_clear_error();
    return std::unexpected("TLS private key " + key_file.string() + " does not belong to the certificate " +
                           certificate_file.string());
  }
  out.info = describe(::SSL_CTX_get0_certificate(ctx.native_handle()));
  // Certificates from certbot and the like often leave the key readable by a
  // group (the one the server runs as): allowed. Readable by everyone is not
  // refused, since the files are the operator's, but named.
  if ((key->mode & S_IRWXO) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(key->mode & 07777));
    out.info.warnings.push_back("TLS private key " + key_file.string() + " is accessible to every user (mode " +
                                mode + "); chmod o-rwx it");
  }
  return out;
}

// What a failed handshake is, in words an operator acts on.
std::string handshake_failure(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return "no TLS handshake within limits.read_timeout_s";
  if (ec.category() == net::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST)
    return "plain HTTP sent to the HTTPS port";
  return openssl_reason(ec);
}

// The stream of a new connection: the socket itself, or TLS over it.
template <class Stream>
Stream open_stream(tcp::socket&& socket, const std::shared_ptr<tls_context>& tls) {
  if constexpr (is_tls<Stream>) {
    return Stream(std::move(socket), *tls);
  } else {
    (void)tls;
    return Stream(std::move(socket));
  }
}

// ---------------------------------------------------------------- websocket

template <class Stream>
class websocket_session final : public ws_connection,
                                public session_base,
                                public std::enable_shared_from_this<websocket_session<Stream>> {
 public:
  // `stream` is the upgraded HTTP connection; `tls`, its context (null for
  // plain TCP), lives as long as the connection.
  websocket_session(Stream&& stream, std::shared_ptr<tls_context> tls, std::shared_ptr<shared_state> state,
                    std::shared_ptr<ws_handler> handler, connection_slot slot)
      : tls_(std::move(tls)),
        ws_(std::move(stream)),
        state_(std::move(state)),
        handler_(std::move(handler)),
        slot_(std::move(slot)),
        id_(state_->next_ws_id.fetch_add(1)) {}

  ~websocket_session() override {
    if (enrolled_) state_->leave(enrolled_);
  }

  void run(http::request<http::string_body> upgrade_request, std::string request_id) {
    enrolled_ = state_->enroll(this->shared_from_this());
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = state_->options.ws_idle_timeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([request_id = std::move(request_id)](websocket::response_type& res) {
      res.set(http::field::server, "ismsd");
      res.set("X-Request-Id", request_id);
    }));
    // The hard cap closes the connection; the application enforces the
    // softer max_ws_message_bytes with a too_large reply and keeps it open.
    ws_.read_message_max(state_->options.max_ws_message_bytes * 2);
    ws_.async_accept(upgrade_request,
                     beast::bind_front_handler(&websocket_session::on_accept, this->shared_from_this()));
  }

  void send(std::string text) override {
    post_while_running(*state_, ws_.get_executor(),
                       [self = this->shared_from_this(), text = std::move(text)]() mutable {
                         self->enqueue(std::move(text));
                       });
  }

  void close(std::string reason, close_cause cause) override {
    const auto code =
        cause == close_cause::going_away ? websocket::close_code::going_away : websocket::close_code::policy_error;
    post_while_running(*state_, ws_.get_executor(),
                       [self = this->shared_from_this(), reason = std::move(reason), code] {
                         self->start_close(code, reason);
                       });
  }

  void shut() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      self->start_close(websocket::close_code::going_away, "the server is shutting down");
    });
  }

  void abandon() override { finish(); }

  std::uint64_t id() const noexcept override { return id_; }

 private:
  // Nothing is queued after the close begins; what was queued before it is
  // written first (the replies to commands accepted before a shutdown), then
  // the close frame.
  void start_close(websocket::close_code code, const std::string& reason) {
    if (closed_ || closing_) return;
    closing_ = true;
    if (!opened_) {
      // Still in the handshake: nothing to say goodbye to.
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    close_reason_ = websocket::close_reason(code, reason);
    if (queue_.empty()) send_close();  // otherwise on_write sends it after the last queued message
  }

  void send_close() {
    ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) { self->finish(); });
  }

  void on_accept(beast::error_code ec) {
    if (ec) return finish();
    opened_ = true;
    handler_->on_open(this->shared_from_this());
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&websocket_session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return finish();
    if (!ws_.got_text()) {
      buffer_.consume(buffer_.size());
      enqueue(R"({"ok":false,"error":{"code":"bad_request","message":"binary frames are not supported; send JSON text frames"}})");
      return do_read();
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    // An idle connection holds only a small read buffer: one large request
    // (a document's text) does not keep its megabyte reserved for the
    // connection's whole life.
    if (buffer_.capacity() > retained_read_buffer) buffer_.shrink_to_fit();
    handler_->on_text(this->shared_from_this(), std::move(text));
    do_read();
  }

  void enqueue(std::string text) {
    // Nothing follows a close frame.
    if (closed_ || closing_) return;
    if (queued_bytes_ > state_->options.max_ws_queued_bytes) {
      // A client that does not read its replies is dropped, so that it
      // cannot hold memory or slow anyone else down.
      beast::error_code ignored;
      beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(ws_).close();
      return finish();
    }
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) do_write();
  }

  void do_write() {
    ws_.text(true);
    writing_ = true;
    ws_.async_write(net::buffer(queue_.front()),
                    beast::bind_front_handler(&websocket_session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    // Finished while this write was under way (a client dropped for not
    // reading, a read that failed): its completion may still report success,
    // and nothing after it is to be written.
    if (closed_) return queue_.clear();
    if (ec) return finish();
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty()) return do_write();
    if (closing_) send_close();
  }

  void finish() {
    if (closed_) return;
    closed_ = true;
    // The message a write under way reads from stays until that write
    // completes (on_write); the rest goes now.
    if (writing_) queue_.erase(queue_.begin() + 1, queue_.end());
    else queue_.clear();
    queued_bytes_ = 0;
    if (opened_) handler_->on_close(this->shared_from_this());
  }

  static constexpr std::size_t retained_read_buffer = 16 * 1024;

  std::shared_ptr<tls_context> tls_;  // before ws_: outlives the TLS stream
  websocket::stream<Stream> ws_;
  std::shared_ptr<shared_state> state_;
  std::shared_ptr<ws_handler> handler_;
  connection_slot slot_;
  const std::uint64_t id_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  websocket::close_reason close_reason_;
  bool opened_ = false;
  bool closing_ = false;
  bool closed_ = false;
  bool writing_ = false;  // an async_write of queue_.front() is under way
  std::uint64_t enrolled_ = 0;
};

// ---------------------------------------------------------------- http

template <class Stream>
class http_session final : public session_base, public std::enable_shared_from_this<http_session<Stream>> {
 public:
  // `tls`: the context of a TLS connection (null for plain TCP), kept for
  // the connection's life whatever a reload does meanwhile.
  http_session(tcp::socket&& socket, std::shared_ptr<tls_context> tls, std::shared_ptr<shared_state> state,
               connection_slot slot)
      : tls_(std::move(tls)),
        stream_(open_stream<Stream>(std::move(socket), tls_)),
        executor_(stream_.get_executor()),
        state_(std::move(state)),
        slot_(std::move(slot)) {
    remote_ = endpoint_text(beast::get_lowest_layer(stream_).socket());
  }

  ~http_session() override {
    if (enrolled_) state_->leave(enrolled_);
  }

  void shut() override {
    // executor_, not stream_'s: after an upgrade the stream belongs to the WebSocket.
    net::post(executor_, [self = this->shared_from_this()] {
      // A request being answered finishes first (then the connection closes
      // instead of reading the next one); an idle connection closes now.
      self->shutting_down_ = true;
      if (!self->busy_ && !self->upgraded_) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().close(ignored);
      }
    });
  }

  void run() {
    enrolled_ = state_->enroll(this->shared_from_this());
    if constexpr (is_tls<Stream>) {
      net::dispatch(executor_, beast::bind_front_handler(&http_session::do_handshake, this->shared_from_this()));
    } else {
      net::dispatch(executor_, beast::bind_front_handler(&http_session::do_read, this->shared_from_this()));
    }
  }

 private:
  // A client gets read_timeout to complete the handshake, as for a request:
  // one that connects and says nothing holds a connection no longer.
  void do_handshake() {
    if (shutting_down_) return;
    beast::get_lowest_layer(stream_).expires_after(state_->options.read_timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            beast::bind_front_handler(&http_session::on_handshake, this->shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (!ec) return do_read();
    // Only this connection ends; the application counts and logs it.
    if (!shutting_down_) state_->app->tls_handshake_failed(remote_, handshake_failure(ec));
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void do_read() {
    busy_ = false;
    if (shutting_down_) return do_close();
    // The headers first: the application may take the body as it arrives
    // (stream_body) instead of whole.
    head_.emplace();  // a fresh parser per request
    head_->header_limit(16 * 1024);
    // A declared length is checked against the limit that applies once the
    // headers say which it is (below): Beast checks it only here, while the
    // headers are parsed, and never again after the parser changes hands.
    head_->body_limit(boost::none);
    beast::get_lowest_layer(stream_).expires_after(state_->options.read_timeout);
    started_ = std::chrono::steady_clock::now();
    http::async_read_header(stream_, buffer_, *head_,
                            beast::bind_front_handler(&http_session::on_header, this->shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read(ec, 0);
    if (!websocket::is_upgrade(head_->get())) {
      http_request request = to_request(head_->get(), remote_);
      body_decision decision = state_->app->stream_body(request);
      if (decision.refusal) {
        busy_ = true;
        version_ = head_->get().version();
        decision.refusal->actor = decision.actor;
        head_.reset();
        // The body is not read: the connection cannot serve another request.
        return write(std::move(request), std::move(*decision.refusal), false);
      }
      if (decision.sink) return begin_upload(std::move(decision));
    }
    // The same request, its body read whole within the limit: a declared
    // length over it is refused before a byte is read, a chunked body as soon
    // as it grows past it.
    if (const auto length = head_->content_length(); length && *length > state_->options.max_body_bytes) {
      head_.reset();
      return send_error_and_close(413, "too_large", "request body exceeds the limit");
    }
    parser_.emplace(std::move(*head_));
    head_.reset();
    parser_->body_limit(state_->options.max_body_bytes);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
  }

  // ---- a body streamed into the application's sink, a piece at a time

  void begin_upload(body_decision decision) {
    busy_ = true;
    upload_.emplace(std::move(*head_));
    head_.reset();
    upload_->body_limit(decision.max_bytes);
    sink_ = std::move(decision.sink);
    if (const auto length = upload_->content_length(); length && *length > decision.max_bytes) {
      upload_request_ = to_request(upload_->get(), remote_);
      version_ = upload_->get().version();
      return end_upload(false, true, true);
    }
    upload_request_ = to_request(upload_->get(), remote_);
    keep_alive_ = upload_->get().keep_alive();
    version_ = upload_->get().version();
    chunk_.resize(64 * 1024);
    if (beast::iequals(upload_->get()[http::field::expect], "100-continue")) {
      // The client waits for this before it sends the body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
      return http::async_write(stream_, *interim, [self = this->shared_from_this(), interim](beast::error_code ec, std::size_t) {
        if (ec) return self->end_upload(false, false, false);
        self->read_chunk();
      });
    }
    read_chunk();
  }

  void read_chunk() {
    auto& body = upload_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    beast::get_lowest_layer(stream_).expires_after(state_->options.read_timeout);  // per piece: an idle client ends
    http::async_read_some(stream_, buffer_, *upload_,
                          beast::bind_front_handler(&http_session::on_chunk, this->shared_from_this()));
  }

  void on_chunk(beast::error_code ec, std::size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      // Over the limit: answered (the rest is not read). Anything else: the
      // client left or stalled, and nobody is there to answer.
      const bool too_large = ec == http::error::body_limit;
      return end_upload(false, too_large, too_large);
    }
    const std::size_t got = chunk_.size() - upload_->get().body().size;
    if (got != 0 && !sink_->write(std::string_view(chunk_.data(), got))) return end_upload(false, false, true);
    if (upload_->is_done()) return end_upload(true, false, true);
    read_chunk();
  }

  void end_upload(bool complete, bool too_large, bool answer) {
    auto sink = std::move(sink_);
    upload_.reset();
    std::vector<char>().swap(chunk_);
    auto request = std::make_shared<http_request>(std::move(upload_request_));
    if (!answer) {
      sink->finish(false, false, [](http_response) {});
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().close(ignored);
      return;
    }
    // Only a body read to its end leaves the connection fit for another request.
    const bool keep = complete && keep_alive_;
    auto self = this->shared_from_this();
    sink->finish(complete, too_large, [self, request, keep](http_response response) {
      post_while_running(*self->state_, self->executor_, [self, request, keep, response = std::move(response)]() mutable {
        self->write(std::move(*request), std::move(response), keep && !self->shutting_down_);
      });
    });
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit) {
      return send_error_and_close(413, "too_large", "request body exceeds the limit");
    }
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return;
    if constexpr (is_tls<Stream>) {
      // The client left without TLS's close_notify, or broke the TLS layer:
      // nothing readable can be said to it.
      if (ec == net::ssl::error::stream_truncated || ec.category() == net::error::get_ssl_category()) {
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
        return;
      }
    }
    if (ec) return send_error_and_close(400, "bad_request", "malformed HTTP request");

    busy_ = true;
    auto& req = parser_->get();
    http_request request = to_request(req, remote_);

    if (websocket::is_upgrade(req)) {
      upgrade_decision decision = state_->app->upgrade(request);
      if (decision.handler) {
        state_->app->log_request(request, 101, 0, elapsed(), decision.actor);
        beast::get_lowest_layer(stream_).expires_never();
        upgraded_ = true;
        std::make_shared<websocket_session<Stream>>(std::move(stream_), tls_, state_, std::move(decision.handler),
                                                    std::move(slot_))
            ->run(parser_->release(), std::move(request.id));
        busy_ = false;
        return;
      }
      return write(std::move(request), std::move(decision.refusal), false);
    }

    keep_alive_ = req.keep_alive();
    version_ = req.version();
    // The application may answer from another thread; come back to our strand.
    auto self = this->shared_from_this();
    auto req_copy = std::make_shared<http_request>(request);
    state_->app->handle(std::move(request), [self, req_copy](http_response response) {
      post_while_running(*self->state_, self->executor_,
                         [self, req_copy, response = std::move(response)]() mutable {
                           self->write(std::move(*req_copy), std::move(response),
                                       self->keep_alive_ && !self->shutting_down_);
                         });
    });
  }

  void write(http_request request, http_response response, bool keep_alive) {
    if (!response.file.empty()) return write_file(std::move(request), std::move(response), keep_alive);
    auto res = std::make_shared<http::response<http::string_body>>(to_beast(response, version_, keep_alive));
    res->set("X-Request-Id", request.id);
    state_->app->log_request(request, response.status, res->body().size(), elapsed(), response.actor);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!keep_alive) return self->do_close();
                        self->do_read();
                      });
  }

  // A file sent from the disk as it is read: the headers of `response`,
  // the bytes of response.file.
  void write_file(http_request request, http_response response, bool keep_alive) {
    beast::error_code ec;
    http::file_body::value_type file;
    file.open(response.file.c_str(), beast::file_mode::scan, ec);
    if (ec) {
      response.file.clear();
      return write(std::move(request), json_error(500, "internal", "cannot read the file"), keep_alive);
    }
    const http::response<http::string_body> head = to_beast(response, version_, keep_alive);
    auto res = std::make_shared<http::response<http::file_body>>(http::status(head.result_int()), version_);
    for (const auto& field : head)
      if (field.name() != http::field::content_length) res->insert(field.name_string(), field.value());
    res->set("X-Request-Id", request.id);
    res->body() = std::move(file);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    state_->app->log_request(request, response.status, static_cast<std::size_t>(res->body().size()), elapsed(),
                             response.actor);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (!keep_alive) return self->do_close();
                        self->do_read();
                      });
  }

  void send_error_and_close(unsigned status, std::string_view code, std::string_view message) {
    http_request request;
    request.method = "?";
    request.target = "?";
    request.remote = remote_;
    request.id = new_request_id();
    write(std::move(request), json_error(status, code, message), false);
  }

  void do_close() {
    busy_ = false;
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (is_tls<Stream>) {
      // TLS's close_notify, and the client's in return, within read_timeout.
      lowest.expires_after(state_->options.read_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_).socket().close(ignored);
      });
    } else {
      beast::error_code ec;
      lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
      if (shutting_down_) lowest.socket().close(ec);
    }
  }

  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
  }

  std::shared_ptr<tls_context> tls_;  // before stream_: outlives the TLS stream
  Stream stream_;
  const net::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<shared_state> state_;
  connection_slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_;     // reading the headers
  std::optional<http::request_parser<http::string_body>> parser_;  // then the body whole
  std::optional<http::request_parser<http::buffer_body>> upload_;  // or streamed into sink_
  std::shared_ptr<body_sink> sink_;
  http_request upload_request_;
  std::vector<char> chunk_;
  std::string remote_;
  std::chrono::steady_clock::time_point started_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  bool busy_ = false;           // a request is being answered
  bool shutting_down_ = false;  // stop(): close after the current answer
  bool upgraded_ = false;       // stream_ was handed to a websocket_session
  std::uint64_t enrolled_ = 0;
};

// ---------------------------------------------------------------- listener

class listener final : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& ioc, tcp::acceptor acceptor, std::shared_ptr<shared_state> state)
      : ioc_(ioc), acceptor_(std::move(acceptor)), state_(std::move(state)) {}

  void run() { do_accept(); }

  void stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->retry_.cancel();
      self->acceptor_.close(ec);
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
        ec == net::error::no_buffer_space || ec == net::error::no_memory) {
      // Out of descriptors (or kernel memory): the pending connection stays
      // in the backlog and accepting again at once would spin. Wait a little
      // for connections to close.
      retry_.expires_after(accept_retry_delay);
      retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->do_accept();
      });
      return;
    }
    if (!ec) {
      if (state_->connections.fetch_add(1) >= state_->options.max_connections) {
        state_->connections.fetch_sub(1);
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        // Replies are small and the client waits for each: without this
        // Nagle's algorithm holds a reply back until the previous segment is
        // acknowledged, ~40 ms with delayed ACKs. A WebSocket keeps the
        // option when its socket is handed over on upgrade.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (auto tls = state_->tls.load())
          std::make_shared<http_session<tls_stream>>(std::move(socket), std::move(tls), state_,
                                                     connection_slot{state_})
              ->run();
        else
          std::make_shared<http_session<plain_stream>>(std::move(socket), nullptr, state_, connection_slot{state_})
              ->run();
      }
    }
    do_accept();
  }

  static constexpr std::chrono::milliseconds accept_retry_delay{50};

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<shared_state> state_;
  net::steady_timer retry_{acceptor_.get_executor()};
};

class beast_transport final : public transport {
 public:
  beast_transport(const transport_options& options, std::shared_ptr<application> app)
      : ioc_(static_cast<int>(options.threads)), state_(std::make_shared<shared_state>()) {
    state_->options = options;
    state_->app = std::move(app);
  }

  ~beast_transport() override { stop(); }

  std::expected<void, std::string> start() {
    if (tls()) {
      if (state_->options.tls_certificate.empty() || state_->options.tls_private_key.empty())
        return std::unexpected(std::string("TLS needs both tls_certificate and tls_private_key"));
      auto loaded = load_tls(state_->options.tls_certificate, state_->options.tls_private_key);
      if (!loaded) return std::unexpected(loaded.error());
      state_->tls.store(std::move(loaded->context));
      tls_info_ = std::move(loaded->info);
    }
    const std::string where =
        "cannot listen on " + state_->options.address + ":" + std::to_string(state_->options.port);
    beast::error_code ec;
    const auto address = net::ip::make_address(state_->options.address, ec);
    if (ec) return std::unexpected(where + ": not an IP address");
    const tcp::endpoint endpoint{address, state_->options.port};
    tcp::acceptor acceptor{ioc_};
    acceptor.open(endpoint.protocol(), ec);
    if (ec) return std::unexpected(where + ": " + ec.message());
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec) return std::unexpected(where + ": " + ec.message());
    acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return std::unexpected(where + ": " + ec.message());
    port_ = acceptor.local_endpoint().port();
    listener_ = std::make_shared<listener>(ioc_, std::move(acceptor), state_);
    listener_->run();
    const unsigned n = std::max(1u, state_->options.threads);
    for (unsigned i = 0; i < n; ++i)
      threads_.emplace_back([this] {
        ioc_.run();
        std::lock_guard lock(exit_mutex_);
        ++exited_;
        exit_cv_.notify_all();
      });
    return {};
  }

  std::uint16_t port() const noexcept override { return port_; }

  bool tls() const noexcept override {
    return !state_->options.tls_certificate.empty() || !state_->options.tls_private_key.empty();
  }

  std::optional<tls_certificate_info> tls_certificate() const override {
    std::lock_guard lock(tls_mutex_);
    return tls_info_;
  }

  std::expected<tls_certificate_info, std::string> reload_tls() override {
    if (!tls()) return std::unexpected(std::string("TLS is off (no tls_certificate and tls_private_key)"));
    std::lock_guard lock(tls_mutex_);
    auto loaded = load_tls(state_->options.tls_certificate, state_->options.tls_private_key);
    if (!loaded) return std::unexpected(loaded.error());
    // Connections accepted from now on get the new context; open ones hold theirs.
    state_->tls.store(std::move(loaded->context));
    tls_info_ = loaded->info;
    return std::move(loaded->info);
  }

  void stop() override {
    if (stopped_.exchange(true)) return;
    // Stop accepting, ask every connection to close (a WebSocket with a
    // close frame, an HTTP connection after the answer it is writing), and
    // let the I/O threads run out of work, up to the grace period.
    if (listener_) listener_->stop();
    for (const auto& s : state_->live_sessions()) s->shut();
    {
      std::unique_lock lock(exit_mutex_);
      exit_cv_.wait_for(lock, state_->options.shutdown_grace, [&] { return exited_ == threads_.size(); });
    }
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    {
      std::unique_lock lock(state_->life);
      state_->running = false;
    }
    // Connections that did not finish closing in time: no I/O thread runs
    // any more, so their goodbyes are said here.
    for (const auto& s : state_->live_sessions()) s->abandon();
    state_->app.reset();
  }

 private:
  net::io_context ioc_;
  std::shared_ptr<shared_state> state_;
  std::shared_ptr<listener> listener_;
  std::vector<std::thread> threads_;
  std::mutex exit_mutex_;
  std::condition_variable exit_cv_;
  std::size_t exited_ = 0;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
  mutable std::mutex tls_mutex_;  // one reload at a time; guards tls_info_
  std::optional<tls_certificate_info> tls_info_;
};

}  // namespace

std::expected<std::unique_ptr<transport>, std::string> start_transport(const transport_options& options,
                                                                      std::shared_ptr<application> app) {
  auto t = std::make_unique<beast_transport>(options, std::move(app));
  if (auto started = t->start(); !started) return std::unexpected(started.error());
  return t;
}

}  // namespace isms::server
