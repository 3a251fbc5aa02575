#include "isms/server/session_room.hpp"

#include <algorithm>

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"
#include "isms/server/totp.hpp"
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

// The "code" member of a body (a second factor's code), or empty.
std::string code_in(const json& body) {
  auto it = body.find("code");
  return it != body.end() && it->is_string() && it->get_ref<const std::string&>().size() <= 64 ? it->get<std::string>()
                                                                                               : std::string();
}

http_response auth_failure(const auth_error& e) {
  switch (e.code) {
    case auth_errc::rate_limited: return json_error(429, "rate_limited", e.message);
    case auth_errc::invalid: return json_error(400, "bad_request", e.message);
    case auth_errc::io: return json_error(503, "unavailable", e.message);
    case auth_errc::unauthenticated: return json_error(401, "unauthenticated", e.message);
    case auth_errc::second_factor_required: return json_error(401, "second_factor_required", e.message);
  }
  return json_error(401, "unauthenticated", e.message);
}

}  // namespace

session_room::session_room(session_room_options options, auth_service& auth, worker_pool& pool,
                           session_room_parts parts, oidc_client* oidc)
    : options_(std::move(options)), auth_(auth), pool_(pool), parts_(std::move(parts)), oidc_(oidc) {}

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
  // Single sign-on: whether it is offered (for the sign-in page), the way
  // out to the provider, and the way back.
  routes.on("/api/oidc", {"GET"}, [this](http_request, http_reply reply) {
    reply(json_response(200, oidc_ ? json{{"enabled", true}, {"name", oidc_->options().display_name}}
                                   : json{{"enabled", false}}));
  });
  routes.on("/api/oidc/start", {"GET"},
            [this](http_request request, http_reply reply) { oidc_start(std::move(request), std::move(reply)); });
  routes.on("/api/oidc/callback", {"GET"},
            [this](http_request request, http_reply reply) { oidc_callback(std::move(request), std::move(reply)); });
  routes.on("/api/users/password", {"POST"},
            [this](http_request request, http_reply reply) { set_password(std::move(request), std::move(reply)); });
  routes.on("/api/session/password", {"POST"}, [this](http_request request, http_reply reply) {
    change_own_password(std::move(request), std::move(reply));
  });
  routes.on("/api/session/second-factor", {"POST", "DELETE"}, [this](http_request request, http_reply reply) {
    if (request.method == "POST") return begin_second_factor(std::move(request), std::move(reply));
    remove_second_factor(std::move(request), std::move(reply));
  });
  routes.on("/api/session/second-factor/confirm", {"POST"}, [this](http_request request, http_reply reply) {
    confirm_second_factor(std::move(request), std::move(reply));
  });
  routes.on("/api/users/second-factor/reset", {"POST"}, [this](http_request request, http_reply reply) {
    reset_second_factor(std::move(request), std::move(reply));
  });
}

std::string session_room::cookie_for(const std::string& token) const {
  return std::string(cookie_name) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(options_.session_ttl.count()) + (options_.secure_cookie ? "; Secure" : "");
}

void session_room::login(http_request request, http_reply reply) {
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!two_strings(body, "username", "password") || (body.contains("code") && !body["code"].is_string()))
    return reply(json_error(400, "bad_request",
                            "send {\"username\": string, \"password\": string, \"code\"?: string}"));
  // Argon2id is slow on purpose: off the I/O threads.
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, body, remote = address_only(request.remote), reply = answer] {
    const std::string user_id = body["username"].get<std::string>();
    auto s = auth_.login(user_id, body["password"].get<std::string>(), remote, now(), code_in(body));
    if (!s) return reply(auth_failure(s.error()));
    http_response r = json_response(
        200, json{{"token", s->token},
                  {"user", summary_of(user_id)},
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
  return json_response(200, json{{"user", summary_of(who->user_id)}, {"vocabulary", domain::views::vocabulary()}});
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

namespace {

// A redirect the browser follows (the provider, or back to the web UI).
http_response redirect_to(const std::string& location) {
  http_response r;
  r.status = 302;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "See " + location + "\n";
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// Back to the sign-in page, saying why in a word it knows.
http_response back_to_sign_in(std::string_view why) { return redirect_to("/?signin_error=" + std::string(why)); }

bool host_is_safe(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::ranges::all_of(host, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

}  // namespace

std::string session_room::oidc_redirect_uri(const http_request& request) const {
  std::string base = options_.public_url;
  if (base.empty()) {
    const std::string_view host = request.header("host");
    if (!host_is_safe(host)) return {};
    base = (options_.secure_cookie ? "https://" : "http://") + std::string(host);
  }
  while (base.ends_with('/')) base.pop_back();
  return base + "/api/oidc/callback";
}

void session_room::oidc_start(http_request request, http_reply reply) {
  if (!oidc_) return reply(json_error(404, "not_found", "single sign-on is not configured"));
  const std::string redirect_uri = oidc_redirect_uri(request);
  if (redirect_uri.empty()) return reply(json_error(400, "bad_request", "no usable Host header"));
  // ?confirm=1: a signed-in user signs in again, as a fresh proof for the
  // decisions that need one; ?then=#/… is where the web UI goes on after.
  std::string confirm, then;
  (void)query_param(request.query, "then", then);
  std::string purpose;
  if (query_param(request.query, "confirm", confirm) && confirm == "1") {
    auto who = identify(request);
    if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
    const bool safe_then = then.size() < 200 && then.starts_with("#/") &&
                           std::ranges::all_of(then, [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("#/-_.?=&%").find(c) != std::string_view::npos;
                           });
    purpose = json{{"confirm", who->user_id}, {"then", safe_then ? then : std::string("#/inbox")}}.dump();
  }
  auto answer = at_most_once(std::move(reply));
  // Discovery may talk to the provider: off the I/O threads.
  pool_.post([this, redirect_uri, purpose, reply = answer] {
    auto url = oidc_->begin(redirect_uri, parts_.clock(), purpose, !purpose.empty());
    if (!url) {
      log::warn("oidc", "a sign-in could not begin: " + url.error());
      return reply(back_to_sign_in("provider_unavailable"));
    }
    reply(redirect_to(*url));
  }, reply_internal(answer));
}

void session_room::oidc_callback(http_request request, http_reply reply) {
  if (!oidc_) return reply(json_error(404, "not_found", "single sign-on is not configured"));
  std::string state, code, error;
  (void)query_param(request.query, "state", state);
  (void)query_param(request.query, "code", code);
  if (query_param(request.query, "error", error)) {
    log::info("oidc", "the provider ended a sign-in: " + error.substr(0, 100));
    return reply(back_to_sign_in("provider_refused"));
  }
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, state, code, reply = answer] {
    auto who = oidc_->finish(state, code, parts_.clock());
    if (!who) {
      log::warn("oidc", "a sign-in was refused: " + who.error());
      return reply(back_to_sign_in("sso_failed"));
    }
    const std::string& user_id = who->user_id;
    if (!who->purpose.empty()) {
      // A fresh proof of the user who asked for it: the provider
      // authenticated them after the confirmation began (max_age=0).
      const json purpose = json::parse(who->purpose);
      const std::string asked_by = purpose.value("confirm", std::string{});
      const std::int64_t skew_s = oidc_->options().clock_skew.count();
      if (user_id != asked_by || who->auth_time_s == 0 || who->auth_time_s + skew_s < who->begun_ms / 1000) {
        log::warn("oidc", "a confirmation for " + asked_by + " was refused: signed in as " + user_id +
                              (who->auth_time_s == 0 ? ", no auth_time" : ", authenticated " +
                                                                             std::to_string(who->auth_time_s)));
        return reply(back_to_sign_in("sso_failed"));
      }
      auth_.note_fresh_sign_in(user_id, now());
      log::info("oidc", user_id + " signed in again at the provider to confirm a decision");
      return reply(redirect_to("/" + purpose.value("then", std::string("#/inbox"))));
    }
    if (!parts_.user_exists(user_id)) {
      if (!oidc_->options().create_users) {
        log::warn("oidc", "refused " + user_id + " (subject " + who->subject + "): no such user here");
        return reply(back_to_sign_in("unknown_user"));
      }
      const auto roles = oidc_->roles_of(who->groups);
      if (roles.empty()) {
        log::warn("oidc", "refused to create " + user_id + ": none of their groups maps to a role");
        return reply(back_to_sign_in("no_role"));
      }
      if (auto r = parts_.register_user(*who, roles); !r) {
        log::warn("oidc", "could not create " + user_id + ": " + r.error());
        return reply(back_to_sign_in("sso_failed"));
      }
      log::info("oidc", "created " + user_id + " at their first sign-in");
    } else if (!oidc_->options().group_roles.empty() && parts_.sync_roles) {
      // The roles the groups map to follow the groups at every sign-in;
      // roles no group maps to (granted here by an administrator) stay.
      const auto mapped = oidc_->roles_of(who->groups);
      std::vector<std::string> managed;
      for (const auto& [group, roles] : oidc_->options().group_roles)
        for (const auto& r : roles)
          if (std::ranges::find(managed, r) == managed.end()) managed.push_back(r);
      const auto held = parts_.actor_of(user_id).roles;
      const auto holds = [&](const std::string& r) {
        return std::ranges::any_of(held, [&](domain::role h) { return domain::to_string(h) == r; });
      };
      std::vector<std::string> grant, revoke;
      for (const auto& r : managed) {
        const bool should = std::ranges::find(mapped, r) != mapped.end();
        if (should && !holds(r)) grant.push_back(r);
        if (!should && holds(r)) revoke.push_back(r);
      }
      if (!grant.empty() || !revoke.empty()) {
        if (auto r = parts_.sync_roles(user_id, grant, revoke,
                                       "the groups at " + oidc_->options().issuer + " (subject " + who->subject + ")");
            !r) {
          log::warn("oidc", "could not bring the roles of " + user_id + " in line with their groups: " + r.error());
          return reply(back_to_sign_in("sso_failed"));
        }
        log::info("oidc", "roles of " + user_id + " follow their groups: " + std::to_string(grant.size()) +
                              " granted, " + std::to_string(revoke.size()) + " revoked");
      }
      if (parts_.actor_of(user_id).roles.empty()) {
        log::warn("oidc", "refused " + user_id + ": none of their groups maps to a role any more");
        return reply(back_to_sign_in("no_role"));
      }
    }
    auto session = auth_.open_session(user_id, now());
    if (!session) {
      log::warn("oidc", "no session for " + user_id + ": " + session.error().message);
      return reply(back_to_sign_in("unknown_user"));
    }
    log::info("oidc", user_id + " signed in through " + oidc_->options().issuer);
    // A page of this origin moves on to the web UI, so that the session
    // cookie (SameSite=Strict) goes with what follows: a redirect chain that
    // began at the provider would not carry it.
    http_response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" "
             "content=\"0;url=/\"><title>Signed in</title></head><body><p>Signed in. <a href=\"/\">Continue to ISMS "
             "Ledger</a></p></body></html>\n";
    r.headers.emplace_back("Set-Cookie", cookie_for(session->token));
    r.headers.emplace_back("Cache-Control", "no-store");
    r.actor = user_id;
    reply(std::move(r));
  }, reply_internal(answer));
}

json session_room::summary_of(std::string_view user_id) const {
  json user = parts_.user_summary(user_id);
  const bool enrolled = auth_.has_second_factor(user_id);
  user["second_factor"] = json{{"enrolled", enrolled},
                               {"required", auth_.second_factor_required(parts_.actor_of(std::string(user_id)))},
                               {"recovery_codes_left", enrolled ? auth_.recovery_codes_left(user_id) : 0},
                               {"confirm_by", auth_.confirm_by(user_id)},
                               {"fresh_sign_in_until_ms", auth_.fresh_sign_in_until(user_id)}};
  return user;
}

void session_room::begin_second_factor(http_request request, http_reply reply) {
  auto who = identify(request);
  if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("password") || !body["password"].is_string())
    return reply(json_error(400, "bad_request", "send {\"password\": string}: your password, to show it is you"));
  // A new factor is a change to how the account proves itself: the
  // password first, and the current code too where a factor is enrolled.
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, user_id = who->user_id, password = body["password"].get<std::string>(), code = code_in(body),
              remote = address_only(request.remote), reply = answer] {
    if (auto ok = auth_.verify_password(user_id, password, remote, now()); !ok) {
      if (ok.error().code == auth_errc::unauthenticated)
        return reply(json_error(403, "forbidden", "the password is wrong"));
      return reply(auth_failure(ok.error()));
    }
    if (auth_.has_second_factor(user_id)) {
      if (code.empty())
        return reply(json_error(401, "second_factor_required",
                                "enter a code of your current second factor to replace it"));
      if (auto c = auth_.check_second_factor(user_id, code, now()); !c) return reply(auth_failure(c.error()));
    }
    auto secret = auth_.begin_second_factor(user_id, now());
    if (!secret) return reply(auth_failure(secret.error()));
    const std::string uri = totp::otpauth_uri(auth_.second_factor_issuer(), user_id, *secret);
    log::info("auth", user_id + " began enrolling a second factor");
    reply(json_response(200, json{{"secret", *secret},
                                  {"uri", uri},
                                  {"qr", totp::qr_rows(uri)},
                                  {"digits", totp::digits},
                                  {"period", totp::step_seconds}}));
  }, reply_internal(answer));
}

void session_room::confirm_second_factor(http_request request, http_reply reply) {
  auto who = identify(request);
  if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("code") || !body["code"].is_string())
    return reply(json_error(400, "bad_request", "send {\"code\": string}: the code the app shows now"));
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, user_id = who->user_id, code = code_in(body), reply = answer] {
    auto codes = auth_.confirm_second_factor(user_id, code, now());
    if (!codes) return reply(auth_failure(codes.error()));
    log::info("auth", user_id + " enrolled a second factor");
    reply(json_response(200, json{{"ok", true}, {"recovery_codes", *codes}}));
  }, reply_internal(answer));
}

void session_room::remove_second_factor(http_request request, http_reply reply) {
  auto who = identify(request);
  if (!who) return reply(json_error(401, "unauthenticated", "sign in first"));
  if (auth_.second_factor_required(who->actor))
    return reply(json_error(409, "conflict",
                            "your roles require a second factor: enrol a new one to replace it instead"));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("code") || !body["code"].is_string())
    return reply(json_error(400, "bad_request", "send {\"code\": string}: a code of the factor to remove"));
  auto answer = at_most_once(std::move(reply));
  pool_.post([this, user_id = who->user_id, code = code_in(body), reply = answer] {
    if (auto c = auth_.check_second_factor(user_id, code, now()); !c) return reply(auth_failure(c.error()));
    if (auto r = auth_.remove_second_factor(user_id); !r) return reply(auth_failure(r.error()));
    log::info("auth", user_id + " removed their second factor");
    reply(json_response(200, json{{"ok", true}}));
  }, reply_internal(answer));
}

void session_room::reset_second_factor(http_request request, http_reply reply) {
  auto who = require_caller([this](const http_request& r) { return identify(r); }, request,
                            endpoint("users.second_factor"));
  if (!who) return reply(std::move(who.error()));
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  if (!body.is_object() || !body.contains("user") || !body["user"].is_string())
    return reply(json_error(400, "bad_request", "send {\"user\": string}"));
  const std::string user_id = body["user"].get<std::string>();
  if (!parts_.user_exists(user_id)) return reply(json_error(404, "not_found", "no user '" + user_id + "'"));
  if (auto r = auth_.remove_second_factor(user_id); !r) return reply(auth_failure(r.error()));
  // Whoever held a session of the user's may have been the one who took the
  // phone: the user signs in again, and enrols anew.
  auth_.revoke_user(user_id);
  parts_.close_user(user_id, "your second factor was reset; sign in again");
  log::warn("auth", who->user_id + " reset the second factor of " + user_id);
  reply(json_response(200, json{{"ok", true}}));
}

}  // namespace isms::server
