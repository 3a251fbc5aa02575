#include "isms/server/session_room.hpp"

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"
#include "isms/domain/views/vocabulary.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

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

// The session token a request carries: a bearer token, else the cookie; or empty.
std::string_view token_of(const http_request& request) {
  if (auto authz = request.header("authorization"); authz.starts_with("Bearer ")) return authz.substr(7);
  return cookie_value(request.header("cookie"), session_room::cookie_name);
}

std::string address_only(const std::string& remote) {
  if (!remote.empty() && remote.front() == '[') return remote.substr(0, remote.find(']') + 1);
  const auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

// True when `body` is an object whose members `a` and `b` are strings.
bool two_strings(const json& body, const char* a, const char* b) {
  return body.is_object() && body.contains(a) && body[a].is_string() && body.contains(b) && body[b].is_string();
}

}  // namespace

session_room::session_room(session_room_options options, auth_service& auth, worker_pool& pool,
                           session_room_parts parts)
    : options_(options), auth_(auth), pool_(pool), parts_(std::move(parts)) {}

std::chrono::system_clock::time_point session_room::now() const {
  return std::chrono::system_clock::time_point{std::chrono::milliseconds{parts_.clock()}};
}

std::optional<caller> session_room::identify(const http_request& request) const {
  const std::string_view token = token_of(request);
  if (token.empty()) return std::nullopt;
  auto s = auth_.authenticate(token, now());
  if (!s) return std::nullopt;
  return caller{s->user_id, std::string(token), parts_.actor_of(s->user_id)};
}

std::string session_room::user_of(const http_request& request) const {
  const std::string_view token = token_of(request);
  if (token.empty()) return {};
  auto s = auth_.authenticate(token, now());
  return s ? s->user_id : std::string();
}

void session_room::add_routes(router& routes) {
  routes.on("/api/session", {"POST", "GET", "DELETE"}, [this](http_request request, http_reply reply) {
    if (request.method == "POST") return login(std::move(request), std::move(reply));
    if (request.method == "DELETE") return reply(logout(request));
    reply(whoami(request));
  });
  routes.on("/api/users/password", {"POST"},
            [this](http_request request, http_reply reply) { set_password(std::move(request), std::move(reply)); });
  routes.on("/api/session/password", {"POST"}, [this](http_request request, http_reply reply) {
    change_own_password(std::move(request), std::move(reply));
  });
}

std::string session_room::cookie_for(const std::string& token) const {
  return std::string(cookie_name) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(options_.session_ttl.count()) + (options_.secure_cookie ? "; Secure" : "");
}

void session_room::login(http_request request, http_reply reply) {
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!two_strings(body, "username", "password"))
    return reply(json_error(400, "bad_request", "send {\"username\": string, \"password\": string}"));
  // Argon2id is slow on purpose: off the I/O threads.
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, body, remote = address_only(request.remote), reply = answer] {
    const std::string user_id = body["username"].get<std::string>();
    auto s = auth_.login(user_id, body["password"].get<std::string>(), remote, now());
    if (!s) {
      switch (s.error().code) {
        case auth_errc::rate_limited: return reply(json_error(429, "rate_limited", s.error().message));
        case auth_errc::invalid: return reply(json_error(400, "bad_request", s.error().message));
        case auth_errc::io: return reply(json_error(503, "unavailable", s.error().message));
        case auth_errc::unauthenticated: return reply(json_error(401, "unauthenticated", s.error().message));
      }
    }
    http_response r = json_response(
        200, json{{"token", s->token},
                  {"user", parts_.user_summary(user_id)},
                  {"expires_at_ms", s->expires_at_ms},
                  {"vocabulary", domain::views::vocabulary()}});
    r.headers.emplace_back("Set-Cookie", cookie_for(s->token));
    r.actor = user_id;
    reply(std::move(r));
  }, reply_internal(answer));
}

http_response session_room::logout(const http_request& request) {
  auto who = identify(request);
  http_response r = json_response(200, json{{"ok", true}});
  r.headers.emplace_back("Set-Cookie", std::string(cookie_name) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  if (!who) return r;  // already signed out: still clear the cookie
  auth_.logout(who->token);
  // The session's open connections end with it.
  parts_.close_session(who->token, "signed out");
  return r;
}

http_response session_room::whoami(const http_request& request) const {
  auto who = identify(request);
  if (!who) return json_error(401, "unauthenticated", "not signed in");
  return json_response(200, json{{"user", parts_.user_summary(who->user_id)}, {"vocabulary", domain::views::vocabulary()}});
}

void session_room::set_password(http_request request, http_reply reply) {
  auto who = require_caller([this](const http_request& r) { return identify(r); }, request,
                            endpoint("users.password"));
  if (!who) return reply(std::move(who.error()));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!two_strings(body, "user", "password"))
    return reply(json_error(400, "bad_request", "send {\"user\": string, \"password\": string}"));
  const std::string user_id = body["user"].get<std::string>();
  if (!parts_.user_exists(user_id)) return reply(json_error(404, "not_found", "no user '" + user_id + "'"));
  const std::string password = body["password"].get<std::string>();
  if (password.size() < min_password_length)
    return reply(json_error(400, "bad_request", "a password needs at least " + std::to_string(min_password_length) + " characters"));
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, user_id, password, reply = answer] {
    if (auto r = auth_.set_password(user_id, password); !r)
      return reply(json_error(r.error().code == auth_errc::invalid ? 400 : 503,
                              r.error().code == auth_errc::invalid ? "bad_request" : "unavailable", r.error().message));
    // A reset password ends the user's sessions, open connections included.
    auth_.revoke_user(user_id);
    parts_.close_user(user_id, "the password was reset; sign in again");
    log::info("auth", "password set for " + user_id);
    reply(json_response(200, json{{"ok", true}}));
  }, reply_internal(answer));
}

void session_room::change_own_password(http_request request, http_reply reply) {
  auto who = identify(request);
  if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!two_strings(body, "current", "new"))
    return reply(json_error(400, "bad_request", "send {\"current\": string, \"new\": string}"));
  const std::string next = body["new"].get<std::string>();
  if (next.size() < min_password_length)
    return reply(json_error(400, "bad_request", "a password needs at least " + std::to_string(min_password_length) + " characters"));
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, user_id = who->user_id, current = body["current"].get<std::string>(), next,
              remote = address_only(request.remote), reply = answer] {
    // Checking the current password opens a fresh session: the one the
    // caller continues with once every other session has ended.
    auto fresh = auth_.login(user_id, current, remote, now());
    if (!fresh) {
      if (fresh.error().code == auth_errc::rate_limited)
        return reply(json_error(429, "rate_limited", fresh.error().message));
      return reply(json_error(403, "forbidden", "the current password is wrong"));
    }
    if (auto r = auth_.set_password(user_id, next); !r) {
      auth_.logout(fresh->token);
      return reply(json_error(503, "unavailable", r.error().message));
    }
    // A new password ends every session of the user, the one that asked
    // included, and closes their connections: whoever held a session under
    // the old password holds nothing now.
    auth_.revoke_user(user_id, fresh->token);
    parts_.close_user(user_id, "the password was changed; sign in again");
    log::info("auth", "password changed by " + user_id);
    http_response r =
        json_response(200, json{{"ok", true}, {"token", fresh->token}, {"expires_at_ms", fresh->expires_at_ms}});
    r.headers.emplace_back("Set-Cookie", cookie_for(fresh->token));
    reply(std::move(r));
  }, reply_internal(answer));
}

}  // namespace isms::server
