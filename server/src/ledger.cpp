#include "isms/server/ledger.hpp"

#include <ctime>
#include <fstream>
#include <future>
#include <sstream>

#include <nlohmann/json.hpp>

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"
#include "isms/server/reaction_runner.hpp"
#include "isms/server/scheduler.hpp"
#include "isms/server/view_access.hpp"

namespace isms::server {

using json = nlohmann::json;
namespace views = domain::views;

namespace {

constexpr std::string_view cookie_name = "isms_session";

http_response json_response(unsigned status, const json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

// The value of cookie `name` in a Cookie header, or empty.
std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

std::string address_only(const std::string& remote) {
  if (!remote.empty() && remote.front() == '[') return remote.substr(0, remote.find(']') + 1);
  const auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

// The failure handler of a pool job that owes an HTTP `reply`: a 500
// `internal`. What the job threw is in the server log, not in the reply.
worker_pool::failure_fn internal_error(std::function<void(http_response)> reply) {
  return [reply = std::move(reply)](std::string_view) {
    reply(json_error(500, "internal", "the request failed on the server; the server log has the cause"));
  };
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ledger::ledger(ledger_options options, eventstore::store& store)
    : options_(std::move(options)), store_(store), webui_(options_.webui_dir) {
  for (const auto& why : webui_.skipped()) log::warn("webui", "not served: " + why);
  if (!options_.clock) options_.clock = system_now_ms;
  pool_ = std::make_unique<worker_pool>(options_.workers);
  auth_ = std::make_unique<auth_service>(options_.auth, store_, [this](std::string_view user_id) {
    bool enabled = false;
    views_->read_current([&](const views::all_views& v) { enabled = user_enabled(v, user_id); });
    return enabled;
  });
  notifier_ = std::make_unique<notifier>(options_.notify, store_, [this](const std::string& user, const json& n) {
    if (ws_) ws_->push_notification(user, n);
  });
  views_ = std::make_unique<projection_engine>(
      options_.projections, store_,
      [this](const views::all_views& after, const domain::recorded_event& e, bool replaying) {
        after_apply(after, e, replaying);
      });
  pipeline_ = std::make_unique<command_pipeline>(options_.pipeline, store_, *views_, *pool_, options_.clock);
  ws_ = std::make_shared<ws_api>(options_.ws, *pipeline_, *views_, *pool_, options_.clock,
                                 [this](const std::string& token) {
                                   return auth_->authenticate(token, std::chrono::system_clock::time_point{
                                                                         std::chrono::milliseconds{now_ms()}})
                                       .has_value();
                                 });
  views_->start();
  reactions_ = std::make_unique<reaction_runner>(store_, *pipeline_);
  scheduler_ = std::make_unique<scheduler>(std::chrono::duration_cast<std::chrono::milliseconds>(options_.scheduler_interval),
                                           [this] { run_scheduler_once(); });
  session_sweeper_ = std::make_unique<scheduler>(options_.session_sweep_interval, [this] { ws_->sweep_sessions(); });
  verifier_ = std::make_unique<chain_verifier>(options_.verify, store_);
  verifier_->start();
}

void ledger::shutdown() {
  if (shutting_down_.exchange(true)) return;
  // Stop the producers of work first. Then refuse new commands and answer
  // every accepted one (its reply is queued on its connection), and only
  // then close the connections, so each close frame follows those replies.
  session_sweeper_.reset();
  scheduler_.reset();
  reactions_.reset();
  pipeline_->drain();
  ws_->shutdown();
}

ledger::~ledger() {
  // The connections are forgotten (shutdown) so that none keeps this
  // object's parts alive; then the consumers go. The verifier lives until
  // here because /healthz and /metrics read it until the transport stops.
  shutdown();
  verifier_.reset();
  pool_.reset();  // runs what is still queued (sign-ins, queries)
  views_.reset();
  pipeline_.reset();
  notifier_.reset();
  ws_.reset();
  auth_.reset();
}

void ledger::settle() {
  // Reactions may append more while we wait: settle until the log is quiet.
  for (;;) {
    const auto head = store_.current_head().position;
    views_->wait_applied(head);
    reactions_->wait_done(head);
    views_->wait_applied(store_.current_head().position);
    if (store_.current_head().position == head) return;
  }
}

namespace {
// A notification as pushes and webhooks carry it (every member present).
json notification_json(const views::notification& n) {
  return json{{"id", n.id},
              {"user_id", n.user_id},
              {"kind", n.kind},
              {"title", n.title},
              {"subject_stream", n.subject_stream},
              {"approval_id", n.approval_id},
              {"position", n.position}};
}
}  // namespace

void ledger::after_apply(const views::all_views& after, const domain::recorded_event& e, bool replaying) {
  // A disabled account is signed out everywhere at once: its tokens are
  // revoked and its open connections closed (sign-in already refuses it).
  if (!replaying && e.type == "user.disabled.v1" && e.stream.starts_with("user-")) {
    const std::string user_id = e.stream.substr(5);
    auth_->revoke_user(user_id);
    if (ws_) ws_->close_user(user_id, "this account has been disabled");
  }

  std::vector<std::pair<std::string, json>> out;
  // Notifications handled before a restart are not computed again.
  if (!(replaying && notifier_->handled(e.position))) {
    for (const auto& n : views::notifications_for(after, e)) out.emplace_back(n.user_id, notification_json(n));
  }
  notifier_->on_event(e.position, out);
  if (ws_) ws_->on_applied(after, e);
}

void ledger::run_scheduler_once() {
  const std::int64_t now = options_.clock();
  const domain::date today = std::chrono::floor<std::chrono::days>(domain::instant{std::chrono::milliseconds{now}});
  domain::actor system{"system", {domain::role::system}};
  std::expected<json, domain::rejection> due = std::unexpected(domain::rejection{});
  views_->read_current([&](const views::all_views& v) { due = views::query(v, "due", json::object(), system, today); });
  if (!due) {
    log::warn("scheduler", "due view unavailable: " + due.error().message);
    return;
  }
  for (const auto& cmd : due_commands(*due)) {
    command_request req;
    req.type = cmd.command_type;
    req.stream = cmd.stream;
    req.data = cmd.data;
    req.command_id = cmd.command_id;
    req.as_system = true;
    const auto o = pipeline_->run("system", std::move(req));
    if (!o.ok && o.error_code != "rejected")
      log::warn("scheduler", cmd.command_type + " on " + cmd.stream + ": " + o.error_code + ": " + o.error_message);
  }
  for (const auto& n : due_reminders(*due)) notifier_->remind(n.id, n.user_id, notification_json(n));
}

std::expected<std::optional<std::string>, std::string> ledger::bootstrap_admin(const std::string& password) {
  settle();
  bool any_user = false;
  views_->read_current([&](const views::all_views& v) { any_user = user_count(v) > 0; });
  if (any_user) return std::optional<std::string>{};
  const std::string chosen = password.empty() ? auth_service::random_password() : password;
  command_request req;
  req.type = "user.register";
  req.stream = "user-admin";
  req.command_id = "bootstrap:user-admin";
  req.data = {{"name", "Administrator"}, {"roles", {"admin"}}};
  req.roles_override = std::vector<domain::role>{domain::role::admin};
  req.as_system = true;
  const auto o = pipeline_->run("system", std::move(req));
  if (!o.ok) return std::unexpected("cannot register the first administrator: " + o.error_message);
  if (auto r = auth_->set_password("admin", chosen); !r) return std::unexpected(r.error().message);
  return std::optional<std::string>{chosen};
}

command_outcome ledger::register_user(const std::string& by, const std::string& user_id, const std::string& name,
                                      const std::vector<std::string>& roles, const std::string& password) {
  command_request req;
  req.type = "user.register";
  req.stream = "user-" + user_id;
  req.command_id = "register:" + user_id;
  req.data = {{"name", name}, {"roles", roles}};
  auto o = pipeline_->run(by, std::move(req));
  if (!o.ok) return o;
  if (auto r = auth_->set_password(user_id, password); !r) {
    o.ok = false;
    o.error_code = "internal";
    o.error_message = r.error().message;
  }
  return o;
}

std::optional<ledger::principal> ledger::authenticate(const http_request& request) const {
  std::string_view token;
  if (auto authz = request.header("authorization"); authz.starts_with("Bearer ")) {
    token = authz.substr(7);
  } else {
    token = cookie_value(request.header("cookie"), cookie_name);
  }
  if (token.empty()) return std::nullopt;
  auto s = auth_->authenticate(token, std::chrono::system_clock::time_point{std::chrono::milliseconds{now_ms()}});
  if (!s) return std::nullopt;
  return principal{s->user_id, std::string(token)};
}

bool ledger::origin_allowed(const http_request& request) const {
  const auto origin = request.header("origin");
  if (origin.empty()) return true;  // not a browser: authenticated by token alone
  const auto host = request.header("host");
  if (!host.empty() && (origin == "http://" + std::string(host) || origin == "https://" + std::string(host)))
    return true;
  for (const auto& allowed : options_.allowed_origins)
    if (origin == allowed) return true;
  return false;
}

void ledger::handle(http_request request, std::function<void(http_response)> reply) {
  http_requests_.fetch_add(1);
  auto counted = [this, reply = std::move(reply)](http_response r) {
    if (r.status >= 400) http_errors_.fetch_add(1);
    reply(std::move(r));
  };
  const auto& path = request.path;
  const auto& method = request.method;
  if (path == "/healthz") {
    if (method != "GET" && method != "HEAD") return counted(json_error(405, "bad_request", "use GET"));
    return counted(healthz());
  }
  if (path == "/metrics") {
    if (method != "GET") return counted(json_error(405, "bad_request", "use GET"));
    return counted(metrics());
  }
  if (path == "/api/session") {
    if (method == "POST") return login(std::move(request), std::move(counted));
    if (method == "DELETE") return counted(logout(request));
    if (method == "GET") return counted(whoami(request));
    return counted(json_error(405, "bad_request", "use POST, GET or DELETE"));
  }
  if (path == "/api/users/password") {
    if (method != "POST") return counted(json_error(405, "bad_request", "use POST"));
    return set_password(std::move(request), std::move(counted));
  }
  if (path == "/api/session/password") {
    if (method != "POST") return counted(json_error(405, "bad_request", "use POST"));
    return change_own_password(std::move(request), std::move(counted));
  }
  if (path == "/api/events") {
    if (method != "GET") return counted(json_error(405, "bad_request", "use GET"));
    // Reading and encoding many events is not for an I/O thread. A failure
    // there still owes the client an answer.
    auto answer = at_most_once(std::function<void(http_response)>(std::move(counted)));
    return pool_->post([this, request = std::move(request), answer] { answer(events_export(request)); },
                       [answer](std::string_view) { answer(json_error(500, "internal", "the event log export failed")); });
  }
  if (path == "/api/verify") {
    if (method != "GET") return counted(json_error(405, "bad_request", "use GET"));
    auto answer = at_most_once(std::function<void(http_response)>(std::move(counted)));
    return pool_->post([this, request = std::move(request), answer] { answer(verify_chain(request)); },
                       [answer](std::string_view) { answer(json_error(500, "internal", "the chain verification failed")); });
  }
  if (path == "/api/erasure") {
    if (method != "POST") return counted(json_error(405, "bad_request", "use POST"));
    auto answer = at_most_once(std::function<void(http_response)>(std::move(counted)));
    return pool_->post([this, request = std::move(request), answer] { answer(erase_personal_data(request)); },
                       [answer](std::string_view) { answer(json_error(500, "internal", "the erasure failed")); });
  }
  if (path == "/api/backup") {
    if (method != "POST") return counted(json_error(405, "bad_request", "use POST"));
    auto answer = at_most_once(std::function<void(http_response)>(std::move(counted)));
    return pool_->post([this, request = std::move(request), answer] { answer(backup(request)); },
                       [answer](std::string_view) { answer(json_error(500, "internal", "the backup failed")); });
  }
  if (path == "/api/ws") return counted(json_error(426, "bad_request", "this endpoint speaks WebSocket only"));
  if (path.starts_with("/api/")) return counted(json_error(404, "not_found", "no such endpoint"));
  if (method != "GET" && method != "HEAD") return counted(json_error(405, "bad_request", "use GET"));
  counted(static_file(request));
}

upgrade_decision ledger::upgrade(const http_request& request) {
  if (request.path != "/api/ws") return {nullptr, json_error(404, "not_found", "no WebSocket endpoint here")};
  if (!origin_allowed(request))
    return {nullptr, json_error(403, "forbidden", "cross-origin WebSocket refused")};
  if (shutting_down_) return {nullptr, json_error(503, "unavailable", "the server is shutting down")};
  auto who = authenticate(request);
  if (!who) return {nullptr, json_error(401, "unauthenticated", "sign in first (session cookie or bearer token)")};
  ws_upgrades_.fetch_add(1);
  return {ws_->handler_for(who->user_id, who->token), {}};
}

void ledger::log_request(const http_request& request, unsigned status, std::size_t bytes,
                         std::chrono::microseconds elapsed) {
  char tail[96];
  std::snprintf(tail, sizeof tail, " %u %zuB %.1fms", status, bytes, static_cast<double>(elapsed.count()) / 1000.0);
  // The query string may carry nothing secret (tokens travel in headers), but
  // keep log lines bounded.
  std::string target = request.target.size() > 200 ? request.target.substr(0, 200) + "…" : request.target;
  log::info("http", request.remote + " \"" + request.method + " " + target + "\"" + tail);
}

void ledger::login(http_request request, std::function<void(http_response)> reply) {
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("username") || !body["username"].is_string() ||
      !body.contains("password") || !body["password"].is_string())
    return reply(json_error(400, "bad_request", "send {\"username\": string, \"password\": string}"));
  // Argon2id is slow on purpose: off the I/O threads.
  auto answer = at_most_once(std::move(reply));
  pool_->post([this, body, remote = address_only(request.remote), reply = answer] {
    const std::string user_id = body["username"].get<std::string>();
    auto s = auth_->login(user_id, body["password"].get<std::string>(), remote,
                          std::chrono::system_clock::time_point{std::chrono::milliseconds{now_ms()}});
    if (!s) {
      switch (s.error().code) {
        case auth_errc::rate_limited: return reply(json_error(429, "rate_limited", s.error().message));
        case auth_errc::invalid: return reply(json_error(400, "bad_request", s.error().message));
        case auth_errc::io: return reply(json_error(503, "unavailable", s.error().message));
        case auth_errc::unauthenticated: return reply(json_error(401, "unauthenticated", s.error().message));
      }
    }
    json user;
    views_->read_current([&](const views::all_views& v) { user = user_summary(v, user_id); });
    http_response r = json_response(200, json{{"token", s->token}, {"user", user}, {"expires_at_ms", s->expires_at_ms}});
    const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(options_.auth.session_ttl).count();
    r.headers.emplace_back("Set-Cookie", std::string(cookie_name) + "=" + s->token +
                                             "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
                                             (options_.secure_cookie ? "; Secure" : ""));
    reply(std::move(r));
  }, internal_error(answer));
}

void ledger::set_password(http_request request, std::function<void(http_response)> reply) {
  auto who = authenticate(request);
  if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
  if (!pipeline_->actor_of(who->user_id).has(domain::role::admin))
    return reply(json_error(403, "forbidden", "only an administrator sets other users' passwords"));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("user") || !body["user"].is_string() || !body.contains("password") ||
      !body["password"].is_string())
    return reply(json_error(400, "bad_request", "send {\"user\": string, \"password\": string}"));
  const std::string user_id = body["user"].get<std::string>();
  bool known = false;
  views_->read_current([&](const views::all_views& v) { known = v.users.users.contains(user_id); });
  if (!known) return reply(json_error(404, "not_found", "no user '" + user_id + "'"));
  const std::string password = body["password"].get<std::string>();
  if (password.size() < 12)
    return reply(json_error(400, "bad_request", "a password needs at least 12 characters"));
  auto answer = at_most_once(std::move(reply));
  pool_->post([this, user_id, password, reply = answer] {
    if (auto r = auth_->set_password(user_id, password); !r)
      return reply(json_error(r.error().code == auth_errc::invalid ? 400 : 503,
                              r.error().code == auth_errc::invalid ? "bad_request" : "unavailable", r.error().message));
    // A reset password ends the user's sessions, open connections included.
    auth_->revoke_user(user_id);
    ws_->close_user(user_id, "the password was reset; sign in again");
    log::info("auth", "password set for " + user_id);
    reply(json_response(200, json{{"ok", true}}));
  }, internal_error(answer));
}

void ledger::change_own_password(http_request request, std::function<void(http_response)> reply) {
  auto who = authenticate(request);
  if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("current") || !body["current"].is_string() || !body.contains("new") ||
      !body["new"].is_string())
    return reply(json_error(400, "bad_request", "send {\"current\": string, \"new\": string}"));
  const std::string next = body["new"].get<std::string>();
  if (next.size() < 12) return reply(json_error(400, "bad_request", "a password needs at least 12 characters"));
  auto answer = at_most_once(std::move(reply));
  pool_->post([this, who = *who, current = body["current"].get<std::string>(), next,
               remote = address_only(request.remote), reply = answer] {
    const auto now = std::chrono::system_clock::time_point{std::chrono::milliseconds{now_ms()}};
    // Checking the current password opens a fresh session: the one the
    // caller continues with once every other session has ended.
    auto fresh = auth_->login(who.user_id, current, remote, now);
    if (!fresh) {
      if (fresh.error().code == auth_errc::rate_limited) return reply(json_error(429, "rate_limited", fresh.error().message));
      return reply(json_error(403, "forbidden", "the current password is wrong"));
    }
    if (auto r = auth_->set_password(who.user_id, next); !r) {
      auth_->logout(fresh->token);
      return reply(json_error(503, "unavailable", r.error().message));
    }
    // A new password ends every session of the user, the one that asked
    // included, and closes their connections: whoever held a session under
    // the old password holds nothing now.
    auth_->revoke_user(who.user_id, fresh->token);
    ws_->close_user(who.user_id, "the password was changed; sign in again");
    log::info("auth", "password changed by " + who.user_id);
    http_response r = json_response(200, json{{"ok", true}, {"token", fresh->token}, {"expires_at_ms", fresh->expires_at_ms}});
    const auto max_age = std::chrono::duration_cast<std::chrono::seconds>(options_.auth.session_ttl).count();
    r.headers.emplace_back("Set-Cookie", std::string(cookie_name) + "=" + fresh->token +
                                             "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
                                             (options_.secure_cookie ? "; Secure" : ""));
    reply(std::move(r));
  }, internal_error(answer));
}

http_response ledger::logout(const http_request& request) {
  auto who = authenticate(request);
  http_response r = json_response(200, json{{"ok", true}});
  r.headers.emplace_back("Set-Cookie", std::string(cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  if (!who) return r;  // already signed out: still clear the cookie
  auth_->logout(who->token);
  // The session's open connections end with it.
  ws_->close_session(who->token, "signed out");
  return r;
}

http_response ledger::whoami(const http_request& request) const {
  auto who = authenticate(request);
  if (!who) return json_error(401, "unauthenticated", "not signed in");
  json user;
  views_->read_current([&](const views::all_views& v) { user = user_summary(v, who->user_id); });
  return json_response(200, json{{"user", user}});
}

http_response ledger::backup(const http_request& request) {
  auto who = authenticate(request);
  if (!who) return json_error(401, "unauthenticated", "sign in first");
  if (!pipeline_->actor_of(who->user_id).has(domain::role::admin))
    return json_error(403, "forbidden", "only an administrator takes backups");
  if (options_.backup_dir.empty())
    return json_error(503, "unavailable", "no backup folder is configured (backup_dir)");
  // One backup at a time: a second request while one runs waits its turn.
  std::lock_guard lock(backup_mutex_);
  std::error_code ec;
  std::filesystem::create_directories(options_.backup_dir, ec);
  if (ec) return json_error(503, "unavailable", "cannot create " + options_.backup_dir.string() + ": " + ec.message());
  const auto head = store_.current_head();
  const std::time_t now = std::chrono::system_clock::to_time_t(
      std::chrono::system_clock::time_point{std::chrono::milliseconds{now_ms()}});
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::filesystem::path target;
  for (int n = 0;; ++n) {
    target = options_.backup_dir /
             ("isms-" + std::string(stamp) + "-p" + std::to_string(head.position) + (n ? "-" + std::to_string(n) : ""));
    if (!std::filesystem::exists(target, ec)) break;
  }
  if (auto r = store_.backup_to(target); !r) {
    log::error("backup", "backup to " + target.string() + " failed: " + r.error().message);
    return json_error(500, "internal", "backup failed: " + r.error().message);
  }
  log::info("backup", "online backup by " + who->user_id + " written to " + target.string() +
                          " (holds at least position " + std::to_string(head.position) + ")");
  return json_response(200, json{{"path", std::filesystem::absolute(target).string()},
                                 {"position", head.position},
                                 {"head_hash", eventstore::to_hex(head.hash)}});
}

namespace {

json store_health_json(const eventstore::store_health& h) {
  json j{{"writable", h.writable}};
  if (!h.writable) {
    j["reason"] = h.reason == eventstore::errc::corrupted ? "corrupted" : "io";
    j["message"] = h.message;
    if (h.position != 0) j["position"] = h.position;
  }
  return j;
}

json verification_json(const chain_verifier::status& v) {
  json j{{"state", to_string(v.current)},
         {"verified_position", v.verified.position},
         {"verified_hash", eventstore::to_hex(v.verified.hash)},
         {"target_position", v.target_position}};
  if (v.failure) j["failure"] = {{"position", v.failure->position}, {"message", v.failure->message}};
  return j;
}

}  // namespace

// 200 while the store takes writes; 503 with the reason when it is read-only
// (a failed write such as a full disk, or a chain that failed verification).
http_response ledger::healthz() const {
  const auto head = store_.current_head();
  const auto health = store_.health();
  const auto verification = verifier_->current();
  const bool ok = health.writable && verification.current != chain_verifier::state::failed;
  return json_response(ok ? 200 : 503,
                       json{{"status", ok ? "ok" : "read_only"},
                            {"head", {{"position", head.position}, {"hash", eventstore::to_hex(head.hash)}}},
                            {"views_position", views_->position()},
                            {"store", store_health_json(health)},
                            {"chain_verification", verification_json(verification)}});
}

http_response ledger::metrics() const {
  const auto head = store_.current_head();
  const auto health = store_.health();
  const auto verification = verifier_->current();
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  metric("ismsd_log_head_position", "gauge", "Last committed position of the event log.", head.position);
  metric("ismsd_views_position", "gauge", "Last position folded into the live views.", views_->position());
  metric("ismsd_reactions_position", "gauge", "Last position whose reactions are done.", reactions_->checkpoint());
  metric("ismsd_http_requests_total", "counter", "HTTP requests answered.", http_requests_.load());
  metric("ismsd_http_errors_total", "counter", "HTTP requests answered with status 400 or above.", http_errors_.load());
  metric("ismsd_websocket_upgrades_total", "counter", "WebSocket connections accepted.", ws_upgrades_.load());
  metric("ismsd_websocket_connections", "gauge", "WebSocket connections open.", ws_->connection_count());
  metric("ismsd_webhook_outbox", "gauge", "Webhook posts waiting for delivery.", notifier_->outbox_size());
  metric("ismsd_webhook_delivered_total", "counter", "Webhook posts delivered since start.", notifier_->delivered());
  metric("ismsd_store_writable", "gauge", "1 while the event store accepts appends, 0 while it is read-only.",
         health.writable ? 1 : 0);
  metric("ismsd_store_read_only_io", "gauge", "1 while the store is read-only after a failed write (e.g. a full disk).",
         !health.writable && health.reason == eventstore::errc::io ? 1 : 0);
  metric("ismsd_store_read_only_corrupted", "gauge", "1 while the store is read-only because it found itself corrupted.",
         !health.writable && health.reason == eventstore::errc::corrupted ? 1 : 0);
  metric("ismsd_chain_verified_position", "gauge", "Last position of the verified chain prefix.",
         verification.verified.position);
  metric("ismsd_chain_verification_target_position", "gauge",
         "The head the background chain verification walks to.", verification.target_position);
  metric("ismsd_chain_verification_failed", "gauge", "1 when the chain failed verification.",
         verification.current == chain_verifier::state::failed ? 1 : 0);
  metric("ismsd_chain_verification_running", "gauge", "1 while the background chain verification runs.",
         verification.current == chain_verifier::state::running ? 1 : 0);
  metric("ismsd_worker_jobs_failed_total", "counter", "Worker jobs that failed with an exception.", pool_->failed_jobs());
  const auto views = views_->stats();
  metric("ismsd_views_snapshots", "gauge", "Snapshots of the views kept on disk for start-up and time travel.",
         views.snapshots);
  metric("ismsd_views_last_snapshot_position", "gauge", "Position of the newest snapshot of the views on disk.",
         views.last_snapshot_position);
  metric("ismsd_views_last_snapshot_bytes", "gauge", "Encoded size of the newest snapshot of the views.",
         views.last_snapshot_bytes);
  metric("ismsd_views_snapshot_failures_total", "counter", "Snapshots of the views that could not be written or read.",
         views.snapshot_failures);
  metric("ismsd_views_cached", "gauge", "Past views held in memory for time travel.", views.cached_views);
  metric("ismsd_views_started_from_position", "gauge",
         "The snapshot position start-up restored (the tail after it was folded).", views.started_from);
  http_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

http_response ledger::events_export(const http_request& request) const {
  auto who = authenticate(request);
  if (!who) return json_error(401, "unauthenticated", "sign in first");
  const auto a = pipeline_->actor_of(who->user_id);
  if (!a.has(domain::role::external_auditor) && !a.has(domain::role::internal_auditor) && !a.has(domain::role::admin))
    return json_error(403, "forbidden", "the event log export is for auditors and admins");
  const auto from = query_number(request.query, "from", 1);
  if (!from) return json_error(400, "bad_request", "from must be a position (decimal digits only)");
  auto limit = query_number(request.query, "limit", 1000);
  if (!limit || *limit == 0)
    return json_error(400, "bad_request", "limit must be a positive integer (decimal digits only)");
  const std::uint64_t count = std::min<std::uint64_t>(*limit, options_.max_export_events);
  auto events = store_.read_all(*from, count);
  if (!events) return json_error(500, "internal", events.error().message);
  http_response r;
  r.content_type = "application/x-ndjson";
  for (const auto& e : *events) {
    r.body += eventstore::to_export_json(e).dump(-1, ' ', false, json::error_handler_t::replace);
    r.body += '\n';
  }
  r.headers.emplace_back("X-Head-Position", std::to_string(store_.current_head().position));
  return r;
}

// Auditors and administrators only; one at a time; extends the verified
// prefix to the head rather than re-walking it.
http_response ledger::verify_chain(const http_request& request) const {
  auto who = authenticate(request);
  if (!who) return json_error(401, "unauthenticated", "sign in first");
  const auto a = pipeline_->actor_of(who->user_id);
  if (!a.has(domain::role::external_auditor) && !a.has(domain::role::internal_auditor) && !a.has(domain::role::admin))
    return json_error(403, "forbidden", "chain verification is for auditors and admins");
  auto o = verifier_->verify_to_head();
  if (!o) return json_error(429, "rate_limited", "a chain verification is running; ask again when it has finished");
  if (!o->ok) {
    if (o->failure.code != eventstore::errc::corrupted)
      return json_error(503, "unavailable", "verification could not read the store: " + o->failure.message);
    return json_response(200, json{{"verified", false},
                                   {"first_bad_position", o->failure.position},
                                   {"reason", o->failure.message}});
  }
  return json_response(200, json{{"verified", true},
                                 {"position", o->head.position},
                                 {"hash", eventstore::to_hex(o->head.hash)},
                                 {"walked_from", o->from_position}});
}

// Administrators erase personal data (GDPR Art. 17): named text fields of one
// event's payload, with a reason; the erasure is itself an event in the chain.
http_response ledger::erase_personal_data(const http_request& request) {
  auto who = authenticate(request);
  if (!who) return json_error(401, "unauthenticated", "sign in first");
  if (!pipeline_->actor_of(who->user_id).has(domain::role::admin))
    return json_error(403, "forbidden", "only an administrator erases personal data");
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  const char* shape =
      "send {\"position\": N, \"fields\": [\"email\", ...], \"reason\": string, \"command_id\"?: string}";
  if (!body.is_object() || !body.contains("position") || !body["position"].is_number_unsigned() ||
      !body.contains("fields") || !body["fields"].is_array() || !body.contains("reason") ||
      !body["reason"].is_string() || (body.contains("command_id") && !body["command_id"].is_string()))
    return json_error(400, "bad_request", shape);
  eventstore::erasure_request req;
  req.position = body["position"].get<std::uint64_t>();
  for (const auto& f : body["fields"]) {
    if (!f.is_string()) return json_error(400, "bad_request", shape);
    req.fields.push_back(f.get<std::string>());
  }
  req.reason = body["reason"].get<std::string>();
  req.metadata.actor = who->user_id;
  req.metadata.recorded_at_ms = now_ms();
  if (body.contains("command_id")) req.metadata.command_id = body["command_id"].get<std::string>();
  auto r = store_.erase_payload(req);
  if (!r) {
    switch (r.error().code) {
      case eventstore::errc::not_found: return json_error(404, "not_found", r.error().message);
      case eventstore::errc::invalid_argument:
      case eventstore::errc::invalid_data:
      case eventstore::errc::invalid_command_id:
      case eventstore::errc::too_large: return json_error(400, "bad_request", r.error().message);
      case eventstore::errc::io:
      case eventstore::errc::busy:
      case eventstore::errc::closed: return json_error(503, "unavailable", r.error().message);
      default: return json_error(500, "internal", r.error().message);
    }
  }
  // Nor does a command decide on a history read before the erasure.
  pipeline_->forget_cached_histories();
  // The answer means the views no longer hold the erased fields.
  views_->wait_applied(r->erasure_position);
  log::info("erasure", who->user_id + " erased " + std::to_string(req.fields.size()) + " field(s) of position " +
                           std::to_string(req.position) + " (erasure event at position " +
                           std::to_string(r->erasure_position) + ")");
  return json_response(200, json{{"position", req.position},
                                 {"erasure_position", r->erasure_position},
                                 {"tombstone_sha256", eventstore::to_hex(r->tombstone_digest)},
                                 {"duplicate", r->duplicate}});
}

http_response ledger::static_file(const http_request& request) const {
  const static_site::file* f = webui_.find(request.path);
  if (f == nullptr) return json_error(404, "not_found", "no such file");
  http_response r;
  r.content_type = f->content_type;
  r.body = f->body;
  if (webui_.is_shell(f) || f->content_type.starts_with("text/html"))
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' "
                           "'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  return r;
}

}  // namespace isms::server
