#pragma once
// The session endpoints: sign in (POST /api/session), who am I (GET), sign
// out (DELETE), change one's own password (POST /api/session/password), an
// administrator sets a user's password (POST /api/users/password); one's
// second factor: begin enrolling (POST /api/session/second-factor, with the
// password), confirm it (POST …/second-factor/confirm, with a code; the
// recovery codes are the answer), remove it (DELETE, with a code), and an
// administrator resets a user's (POST /api/users/second-factor/reset); and
// who sent a request (bearer token or the session cookie), for every other room.
// Password hashing runs on the worker pool, never on an I/O thread.
// Thread-safety: all members may be called from any thread.

#include <chrono>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/server/auth.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/http_room.hpp"
#include "isms/server/oidc.hpp"

namespace isms::server {

struct session_room_options {
  // Max-Age of the session cookie; the same as the sessions' lifetime.
  // Default: auth_options' session_ttl (12 h)
  std::chrono::seconds session_ttl = auth_options{}.session_ttl;
  // Mark the session cookie Secure (behind TLS). Default: false
  bool secure_cookie = false;
  // Deepest nesting of a body's JSON. Default: 64
  std::size_t max_json_depth = 64;
  // Where people open the web UI ("https://isms.example.com"): single
  // sign-on returns to <public_url>/api/oidc/callback. Empty: the address
  // the browser used (its Host header; the provider accepts only the
  // redirect URIs registered with it). Default: none
  std::string public_url;
};

// What the room reads and tells outside itself.
struct session_room_parts {
  clock_fn clock;
  // Who a user acts as now (roles from the views; none when disabled).
  std::function<domain::actor(const std::string& user_id)> actor_of;
  // {"id", "name", "roles"} of a user, for the sign-in and who-am-I answers.
  std::function<nlohmann::json(std::string_view user_id)> user_summary;
  std::function<bool(const std::string& user_id)> user_exists;
  // Closes a user's, or one session's, open WebSockets with a reason.
  std::function<void(const std::string& user_id, const std::string& reason)> close_user;
  std::function<void(const std::string& token, const std::string& reason)> close_session;
  // Registers a user a single sign-on provider vouched for, with these
  // roles (oidc_options::create_users). Errors: why not.
  std::function<std::expected<void, std::string>(const oidc_identity& who, const std::vector<std::string>& roles)>
      register_user;
  // Grants and revokes roles of a user as the identity provider's groups now
  // say (the roles oidc_group_roles maps to; others are left alone).
  std::function<std::expected<void, std::string>(const std::string& user_id, const std::vector<std::string>& grant,
                                                 const std::vector<std::string>& revoke, const std::string& why)>
      sync_roles;
};

class session_room {
 public:
  static constexpr std::string_view cookie_name = "isms_session";

  // `oidc`: the single sign-on provider's client, or null when none is configured.
  session_room(session_room_options options, auth_service& auth, worker_pool& pool, session_room_parts parts,
               oidc_client* oidc = nullptr);

  // The signed-in sender of a request, or nullopt.
  [[nodiscard]] std::optional<caller> identify(const http_request& request) const;
  // The id of the user whose live session the request names, or empty; for
  // the access log (cheaper than identify: no roles are read).
  [[nodiscard]] std::string user_of(const http_request& request) const;

  void add_routes(router& routes);

 private:
  void login(http_request request, http_reply reply);
  http_response logout(const http_request& request);
  http_response whoami(const http_request& request) const;
  void set_password(http_request request, http_reply reply);
  void change_own_password(http_request request, http_reply reply);
  void begin_second_factor(http_request request, http_reply reply);
  void confirm_second_factor(http_request request, http_reply reply);
  void remove_second_factor(http_request request, http_reply reply);
  void reset_second_factor(http_request request, http_reply reply);
  void oidc_start(http_request request, http_reply reply);
  void oidc_callback(http_request request, http_reply reply);
  std::string oidc_redirect_uri(const http_request& request) const;
  // user_summary with the user's "second_factor": {enrolled, required, recovery_codes_left}.
  nlohmann::json summary_of(std::string_view user_id) const;
  std::string cookie_for(const std::string& token) const;
  std::chrono::system_clock::time_point now() const;

  session_room_options options_;
  auth_service& auth_;
  worker_pool& pool_;
  session_room_parts parts_;
  oidc_client* oidc_;
};

}  // namespace isms::server
