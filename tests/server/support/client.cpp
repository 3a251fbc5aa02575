#include "client.hpp"

#include <cstdio>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "isms/server/asio_names.hpp"

namespace isms::testing {

using namespace isms::asio_names;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

std::string sha256_of(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || ::X509_digest(cert, ::EVP_sha256(), md, &len) != 1) return {};
  std::string out;
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0xf];
  }
  return out;
}

// A client context that trusts only the certificates of `trusted`.
std::unique_ptr<net::ssl::context> client_context(const std::filesystem::path& trusted) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
  ctx->load_verify_file(trusted.string());
  ctx->set_verify_mode(net::ssl::verify_peer);
  return ctx;
}

// Connects `stream`'s TCP layer to 127.0.0.1:port, 30 s for everything after.
void connect_loopback(beast::tcp_stream& stream, std::uint16_t port) {
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream.socket().set_option(tcp::no_delay(true));  // a request is never held back waiting for an ACK
}

// One request and its answer on a connected stream (plain or TLS).
template <class Stream>
http_result exchange(Stream& stream, std::uint16_t port, const std::string& method, const std::string& target,
                     const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [n, v] : headers) req.set(n, v);
  if (!body.empty()) {
    req.body() = body;
    if (req[http::field::content_type].empty()) req.set(http::field::content_type, "application/json");
  }
  req.prepare_payload();
  http_result out;
  beast::error_code ec;
  // A server refusing an oversized body may answer and close before the
  // whole request is written: read whatever answer came even then.
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) return out;  // status 0: the connection was closed without an answer
  const auto& res = parser.get();
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  return out;
}

}  // namespace

std::string http_result::header(std::string_view lower_name) const {
  for (const auto& [n, v] : headers)
    if (n == lower_name) return v;
  return {};
}

http_result http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  connect_loopback(stream, port);
  http_result out = exchange(stream, port, method, target, body, headers);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

http_result https_call(std::uint16_t port, const std::filesystem::path& trusted, const std::string& method,
                       const std::string& target, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
  net::io_context ioc;
  auto ctx = client_context(trusted);
  tls_stream stream(ioc, *ctx);
  connect_loopback(beast::get_lowest_layer(stream), port);
  stream.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
  beast::error_code ec;
  stream.handshake(net::ssl::stream_base::client, ec);
  if (ec) return {};
  X509* peer = ::SSL_get1_peer_certificate(stream.native_handle());
  const std::string peer_sha256 = sha256_of(peer);
  ::X509_free(peer);
  http_result out = exchange(stream, port, method, target, body, headers);
  out.peer_sha256 = peer_sha256;
  stream.shutdown(ec);  // close_notify; the server answers with its own
  return out;
}

std::string certificate_sha256(const std::filesystem::path& pem) {
  std::FILE* f = std::fopen(pem.c_str(), "r");
  if (f == nullptr) return {};
  X509* cert = ::PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  const std::string out = sha256_of(cert);
  ::X509_free(cert);
  return out;
}

std::string login(std::uint16_t port, const std::string& user, const std::string& password) {
  auto r = http_call(port, "POST", "/api/session", json{{"username", user}, {"password", password}}.dump());
  if (r.status != 200) return {};
  auto j = r.json_body();
  return j.is_object() && j.contains("token") ? j["token"].get<std::string>() : std::string{};
}

struct ws_client::impl {
  using plain_ws = websocket::stream<beast::tcp_stream>;
  using tls_ws = websocket::stream<tls_stream>;

  net::io_context ioc;
  std::unique_ptr<net::ssl::context> tls;  // WSS only; outlives `secure`
  std::unique_ptr<plain_ws> plain;         // exactly one of the two
  std::unique_ptr<tls_ws> secure;
  beast::flat_buffer buffer;
  bool open = false;
  int close_code = 0;

  // f(the WebSocket stream), whichever it is.
  template <class F>
  decltype(auto) with_ws(F&& f) {
    return secure ? f(*secure) : f(*plain);
  }
};

ws_client::ws_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

ws_client::~ws_client() {
  if (impl_ && impl_->open) {
    impl_->with_ws([](auto& ws) {
      beast::error_code ec;
      beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(ws).close();
    });
  }
}

std::unique_ptr<ws_client> ws_client::connect(std::uint16_t port, const options& o, unsigned* status) {
  auto p = std::make_unique<impl>();
  beast::error_code ec;
  if (o.tls_trusted.empty()) {
    p->plain = std::make_unique<impl::plain_ws>(p->ioc);
    connect_loopback(beast::get_lowest_layer(*p->plain), port);
  } else {
    p->tls = client_context(o.tls_trusted);
    p->secure = std::make_unique<impl::tls_ws>(p->ioc, *p->tls);
    connect_loopback(beast::get_lowest_layer(*p->secure), port);
    p->secure->next_layer().set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
    p->secure->next_layer().handshake(net::ssl::stream_base::client, ec);
    if (ec) {
      if (status) *status = 0;
      return nullptr;
    }
  }
  websocket::response_type res;
  p->with_ws([&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator([o](websocket::request_type& req) {
      if (!o.bearer.empty()) req.set(http::field::authorization, "Bearer " + o.bearer);
      if (!o.cookie.empty()) req.set(http::field::cookie, o.cookie);
      if (!o.origin.empty()) req.set(http::field::origin, o.origin);
    }));
    ws.handshake(res, "127.0.0.1:" + std::to_string(port), "/api/ws", ec);
  });
  if (status) *status = res.result_int();
  if (ec) return nullptr;
  p->with_ws([](auto& ws) {
    beast::get_lowest_layer(ws).expires_never();
    ws.read_message_max(64 << 20);
  });
  p->open = true;
  return std::unique_ptr<ws_client>(new ws_client(std::move(p)));
}

namespace {

void send_frame(ws_client::impl& to, const std::string& bytes, bool binary) {
  beast::error_code ec;
  to.with_ws([&](auto& ws) {
    ws.binary(binary);
    ws.write(net::buffer(bytes), ec);
  });
  if (ec) to.open = false;
}

}  // namespace

void ws_client::send_text(const std::string& text) { send_frame(*impl_, text, false); }

void ws_client::send_binary(const std::string& bytes) { send_frame(*impl_, bytes, true); }

std::optional<std::string> ws_client::read(std::chrono::milliseconds timeout) {
  if (!impl_->open) return std::nullopt;
  auto& p = *impl_;
  return p.with_ws([&](auto& ws) -> std::optional<std::string> {
    beast::error_code result = net::error::would_block;
    bool done = false;
    ws.async_read(p.buffer, [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    p.ioc.restart();
    p.ioc.run_for(timeout);
    if (!done) {
      // Nothing in time: give up on this connection (a pending read cannot be
      // resumed cleanly).
      beast::get_lowest_layer(ws).cancel();
      p.ioc.restart();
      p.ioc.run();
      p.open = false;
      return std::nullopt;
    }
    if (result) {
      p.open = false;
      p.close_code = ws.reason().code;
      return std::nullopt;
    }
    std::string text = beast::buffers_to_string(p.buffer.data());
    p.buffer.consume(p.buffer.size());
    return text;
  });
}

std::optional<json> ws_client::request(json req, std::chrono::milliseconds timeout) {
  const std::string id = "t" + std::to_string(next_id_++);
  req["id"] = id;
  send_text(req.dump());
  return take([&](const json& msg) { return msg.is_object() && msg.contains("id") && msg["id"] == id; }, timeout);
}

std::optional<json> ws_client::wait_push(const std::string& channel, std::chrono::milliseconds timeout) {
  return take([&](const json& msg) { return msg.is_object() && msg.contains("push") && msg["push"] == channel; },
              timeout);
}

std::optional<json> ws_client::take(const std::function<bool(const json&)>& wanted,
                                   std::chrono::milliseconds timeout) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (wanted(*it)) {
      json out = std::move(*it);
      pending_.erase(it);
      return out;
    }
  }
  for (;;) {
    auto text = read(timeout);
    if (!text) return std::nullopt;
    json msg = json::parse(*text, nullptr, false);
    if (wanted(msg)) return msg;
    pending_.push_back(std::move(msg));
  }
}

std::vector<json> ws_client::take_pushes() {
  std::vector<json> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->is_object() && it->contains("push")) {
      out.push_back(std::move(*it));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::optional<json> ws_client::next_reply(std::chrono::milliseconds timeout) {
  return take([](const json& msg) { return msg.is_object() && msg.contains("ok"); }, timeout);
}

bool ws_client::open() const { return impl_->open; }
int ws_client::close_code() const { return impl_->close_code; }

std::optional<json> ws_client::command(const std::string& type, const std::string& stream, json data,
                                       std::optional<std::uint64_t> expected_version, const std::string& command_id) {
  json req{{"op", "command"}, {"type", type}, {"stream", stream}, {"data", std::move(data)}};
  if (expected_version) req["expected_version"] = *expected_version;
  if (!command_id.empty()) req["command_id"] = command_id;
  return request(std::move(req));
}

std::optional<json> ws_client::query(const std::string& view, json params, json as_of) {
  json req{{"op", "query"}, {"view", view}, {"params", std::move(params)}};
  if (!as_of.is_null()) req["as_of"] = std::move(as_of);
  return request(std::move(req));
}

}  // namespace isms::testing
