#include "net.hpp"

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "isms/server/asio_names.hpp"

#include <atomic>
#include <thread>

namespace isms::bench {

using namespace isms::asio_names;
using net::awaitable;
using net::use_awaitable;
using steady = std::chrono::steady_clock;
using ws_stream = websocket::stream<beast::tcp_stream>;

namespace {

const tcp::endpoint loopback(std::uint16_t port) { return {net::ip::make_address("127.0.0.1"), port}; }

void set_bearer(ws_stream& ws, const std::string& bearer) {
  ws.set_option(websocket::stream_base::decorator([bearer](websocket::request_type& req) {
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  }));
}

// Opens and upgrades one client connection.
awaitable<std::unique_ptr<ws_stream>> open_ws(net::io_context& ioc, std::uint16_t port, std::string bearer) {
  auto ws = std::make_unique<ws_stream>(ioc);
  beast::get_lowest_layer(*ws).expires_after(std::chrono::seconds(60));
  co_await beast::get_lowest_layer(*ws).async_connect(loopback(port), use_awaitable);
  beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true));
  set_bearer(*ws, bearer);
  co_await ws->async_handshake("127.0.0.1:" + std::to_string(port), "/api/ws", use_awaitable);
  beast::get_lowest_layer(*ws).expires_never();
  ws->read_message_max(64 << 20);
  ws->text(true);
  co_return ws;
}

void close_hard(ws_stream& ws) {
  beast::error_code ec;
  beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws).socket().close(ec);
}

}  // namespace

http_answer http_call(std::uint16_t port, const std::string& method, const std::string& target,
                      const std::string& body, const std::string& bearer, std::chrono::seconds timeout) {
  http_answer out;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  if (!body.empty()) {
    req.body() = body;
    req.set(http::field::content_type, "application/json");
  }
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  stream.expires_after(timeout);
  stream.async_connect(loopback(port), [&](beast::error_code ec) {
    if (ec) return;
    http::async_write(stream, req, [&](beast::error_code ec2, std::size_t) {
      if (ec2) return;
      http::async_read(stream, buffer, parser, [&](beast::error_code ec3, std::size_t) {
        if (ec3) return;
        out.status = parser.get().result_int();
        out.body = std::move(parser.get().body());
      });
    });
  });
  ioc.run();
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

std::string login(std::uint16_t port, const std::string& user, const std::string& password) {
  auto r = http_call(port, "POST", "/api/session", json{{"username", user}, {"password", password}}.dump());
  if (r.status != 200) return {};
  auto j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("token") ? j["token"].get<std::string>() : std::string{};
}

// ---- blocking client ------------------------------------------------------------

struct ws_session::impl {
  net::io_context ioc;
  std::unique_ptr<ws_stream> ws;
  beast::flat_buffer buffer;
  bool open = false;
};

ws_session::ws_session(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
ws_session::~ws_session() {
  if (impl_ && impl_->ws) close_hard(*impl_->ws);
}

std::unique_ptr<ws_session> ws_session::connect(std::uint16_t port, const std::string& bearer) {
  auto p = std::make_unique<impl>();
  net::co_spawn(p->ioc, open_ws(p->ioc, port, bearer), [&](std::exception_ptr e, std::unique_ptr<ws_stream> ws) {
    if (!e) p->ws = std::move(ws);
  });
  p->ioc.run();
  if (!p->ws) return nullptr;
  p->open = true;
  return std::unique_ptr<ws_session>(new ws_session(std::move(p)));
}

std::optional<json> ws_session::request(json req, std::chrono::milliseconds timeout) {
  if (!impl_->open) return std::nullopt;
  const std::string id = "b" + std::to_string(next_id_++);
  req["id"] = id;
  const std::string text = req.dump();
  std::optional<json> reply;
  bool failed = false;
  auto run = [&]() -> awaitable<void> {
    co_await impl_->ws->async_write(net::buffer(text), use_awaitable);
    for (;;) {
      impl_->buffer.clear();
      co_await impl_->ws->async_read(impl_->buffer, use_awaitable);
      json msg = json::parse(beast::buffers_to_string(impl_->buffer.data()), nullptr, false);
      if (msg.is_object() && msg.contains("id") && msg["id"] == id) {
        reply = std::move(msg);
        co_return;
      }
    }
  };
  impl_->ioc.restart();
  net::co_spawn(impl_->ioc, run(), [&](std::exception_ptr e) {
    if (e) failed = true;
  });
  impl_->ioc.run_for(timeout);
  if (!reply && !failed) {
    // No reply in time: give up on this connection.
    close_hard(*impl_->ws);
    impl_->ioc.restart();
    impl_->ioc.run();
  }
  if (!reply) impl_->open = false;
  return reply;
}

// ---- load driver ---------------------------------------------------------------

load_result run_load(std::uint16_t port, const std::vector<std::string>& bearer,
                     std::vector<std::unique_ptr<conn_script>>& scripts, double seconds) {
  load_result out;
  net::io_context ioc(1);
  std::vector<std::unique_ptr<ws_stream>> conns(scripts.size());
  // Open every connection, at most 128 handshakes at a time.
  std::size_t next = 0;
  auto opener = [&]() -> awaitable<void> {
    while (next < conns.size()) {
      const std::size_t i = next++;
      // (A named local: g++ 12 destroys a conditional's temporary twice
      // inside a co_await expression.)
      std::string token;
      if (i < bearer.size()) token = bearer[i];
      try {
        conns[i] = co_await open_ws(ioc, port, std::move(token));
        ++out.connected;
      } catch (const std::exception&) {
        ++out.connect_failures;
      }
    }
  };
  for (int lane = 0; lane < 128; ++lane) net::co_spawn(ioc, opener(), net::detached);
  ioc.run();
  ioc.restart();

  const auto start = steady::now();
  const auto deadline = start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(seconds));
  // A reply still missing 60 s after the time is up is not waited for.
  net::steady_timer guard(ioc, deadline + std::chrono::seconds(60));
  std::size_t live = 0;
  auto drive = [&](std::size_t i) -> awaitable<void> {
    ws_stream& ws = *conns[i];
    conn_script& s = *scripts[i];
    beast::flat_buffer buf;
    bool in_flight = false;
    try {
      while (steady::now() < deadline) {
        const std::string req = s.next();
        const auto t0 = steady::now();
        in_flight = true;
        co_await ws.async_write(net::buffer(req), use_awaitable);
        buf.clear();
        co_await ws.async_read(buf, use_awaitable);
        in_flight = false;
        const auto d = buf.data();
        s.reply(std::string_view(static_cast<const char*>(d.data()), d.size()),
                std::chrono::duration<double, std::micro>(steady::now() - t0).count());
      }
    } catch (const std::exception&) {
      if (steady::now() < deadline) ++out.dropped;
      else if (in_flight) ++out.unanswered;
    }
    if (--live == 0) guard.cancel();
  };
  for (std::size_t i = 0; i < conns.size(); ++i)
    if (conns[i]) {
      ++live;
      net::co_spawn(ioc, drive(i), net::detached);
    }
  guard.async_wait([&](beast::error_code ec) {
    if (ec) return;
    for (auto& c : conns)
      if (c) close_hard(*c);
  });
  ioc.run();
  out.elapsed_s = std::chrono::duration<double>(steady::now() - start).count();
  for (auto& c : conns)
    if (c) close_hard(*c);
  return out;
}

// ---- canned server ---------------------------------------------------------------

struct canned_ws_server::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  responder respond;
  std::vector<std::thread> threads;
};

// Coroutines are free functions here, never lambdas with captures: a
// coroutine's parameters are copied into its frame, a lambda's captures are
// not (they die with the closure).
namespace {

awaitable<void> canned_session(canned_ws_server::impl* self, tcp::socket sock);

awaitable<void> canned_accept(canned_ws_server::impl* self) {
  for (;;) {
    tcp::socket sock(self->ioc);
    beast::error_code ec;
    co_await self->acceptor.async_accept(sock, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!self->acceptor.is_open()) co_return;
      continue;
    }
    net::co_spawn(self->ioc, canned_session(self, std::move(sock)), net::detached);
  }
}

awaitable<void> canned_session(canned_ws_server::impl* self, tcp::socket sock) {
  sock.set_option(tcp::no_delay(true));
  ws_stream ws(std::move(sock));
  ws.read_message_max(64 << 20);
  try {
    co_await ws.async_accept(use_awaitable);
    ws.text(true);
    beast::flat_buffer buf;
    for (;;) {
      buf.clear();
      co_await ws.async_read(buf, use_awaitable);
      const auto d = buf.data();
      const std::string reply = self->respond(std::string_view(static_cast<const char*>(d.data()), d.size()));
      co_await ws.async_write(net::buffer(reply), use_awaitable);
    }
  } catch (const std::exception&) {
  }
}

}  // namespace

canned_ws_server::canned_ws_server(responder r, unsigned threads) : impl_(std::make_unique<impl>()) {
  impl_->respond = std::move(r);
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(loopback(0));
  impl_->acceptor.listen(4096);
  impl* self = impl_.get();
  net::co_spawn(impl_->ioc, canned_accept(self), net::detached);
  for (unsigned t = 0; t < std::max(1u, threads); ++t) impl_->threads.emplace_back([self] { self->ioc.run(); });
}

canned_ws_server::~canned_ws_server() {
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

std::uint16_t canned_ws_server::port() const { return impl_->acceptor.local_endpoint().port(); }

// ---- idle sessions ---------------------------------------------------------------

struct idle_sessions::impl {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<ws_stream>> conns;
  std::atomic<std::size_t> subscribed{0}, failed{0}, pushed{0};
  std::atomic<std::int64_t> first_ns{INT64_MAX}, last_ns{0};
  std::thread thread;
};

namespace {

awaitable<void> idle_reader(std::shared_ptr<idle_sessions::impl> self, std::size_t i,
                            std::shared_ptr<beast::flat_buffer> buf);

awaitable<void> idle_opener(std::shared_ptr<idle_sessions::impl> self, std::uint16_t port,
                            std::vector<std::string> pool, std::string subscribe_text,
                            std::shared_ptr<std::size_t> next) {
  while (*next < self->conns.size()) {
    const std::size_t i = (*next)++;
    try {
      self->conns[i] = co_await open_ws(self->ioc, port, pool[i % pool.size()]);
      co_await self->conns[i]->async_write(net::buffer(subscribe_text), use_awaitable);
      auto buf = std::make_shared<beast::flat_buffer>();
      co_await self->conns[i]->async_read(*buf, use_awaitable);
      ++self->subscribed;
      // From now on every message is a push: keep reading in the background.
      net::co_spawn(self->ioc, idle_reader(self, i, buf), net::detached);
    } catch (const std::exception&) {
      ++self->failed;
    }
  }
}

awaitable<void> idle_reader(std::shared_ptr<idle_sessions::impl> self, std::size_t i,
                            std::shared_ptr<beast::flat_buffer> buf) {
  bool first = true;
  try {
    for (;;) {
      buf->clear();
      co_await self->conns[i]->async_read(*buf, use_awaitable);
      if (first) {
        first = false;
        const std::int64_t ns = steady::now().time_since_epoch().count();
        ++self->pushed;
        std::int64_t cur = self->first_ns.load();
        while (ns < cur && !self->first_ns.compare_exchange_weak(cur, ns)) {
        }
        cur = self->last_ns.load();
        while (ns > cur && !self->last_ns.compare_exchange_weak(cur, ns)) {
        }
      }
    }
  } catch (const std::exception&) {
  }
}

}  // namespace

idle_sessions::idle_sessions(std::uint16_t port, const std::vector<std::string>& bearer_pool, std::size_t count,
                             std::string subscribe_text)
    : impl_(std::make_shared<impl>()) {
  impl_->conns.resize(count);
  auto next = std::make_shared<std::size_t>(0);
  for (int lane = 0; lane < 64; ++lane)
    net::co_spawn(impl_->ioc, idle_opener(impl_, port, bearer_pool, subscribe_text, next), net::detached);
  impl_->thread = std::thread([self = impl_] {
    auto guard = net::make_work_guard(self->ioc);
    self->ioc.run();
  });
}

idle_sessions::~idle_sessions() {
  net::post(impl_->ioc, [self = impl_] {
    for (auto& c : self->conns)
      if (c) close_hard(*c);
    self->ioc.stop();
  });
  impl_->thread.join();
}

std::size_t idle_sessions::wait_subscribed(std::chrono::seconds limit) {
  const auto until = steady::now() + limit;
  while (impl_->subscribed + impl_->failed < impl_->conns.size() && steady::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return impl_->subscribed;
}

std::size_t idle_sessions::with_push() const { return impl_->pushed; }
std::size_t idle_sessions::failed() const { return impl_->failed; }
steady::time_point idle_sessions::last_first_push() const {
  return steady::time_point(steady::duration(impl_->last_ns.load()));
}
steady::time_point idle_sessions::first_first_push() const {
  return steady::time_point(steady::duration(impl_->first_ns.load()));
}

std::uint64_t raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

}  // namespace isms::bench
