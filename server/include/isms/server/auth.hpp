#pragma once
// Credentials and sessions. Identity (users, roles, disabled) is ISMS state
// and lives in the domain's user aggregate; what proves an identity — the
// password hash and the session tokens — belongs to the server and is kept
// out of the event log (an auditor's export must never carry password hashes).
//
// Passwords are stored only as Argon2id hashes (libsodium crypto_pwhash_str).
// Session tokens are 256 random bits; only their SHA-256 is stored, so a copy
// of the data directory does not hand out live sessions. Sessions expire and
// can be revoked (logout, or every session of a user at once).
//
// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <deque>

#include "isms/eventstore/store.hpp"

namespace isms::server {

struct auth_options {
  // How long a session lives after login. Default: 12 h
  std::chrono::seconds session_ttl{12 * 3600};
  // Failed logins allowed per account within login_window before further
  // attempts are refused with rate_limited. Default: 5
  std::size_t max_failures_per_account = 5;
  // Failed logins allowed per client address within login_window. Default: 20
  std::size_t max_failures_per_address = 20;
  // The sliding window for the two limits above. Default: 15 min
  std::chrono::seconds login_window{15 * 60};
  // Argon2id cost. Default: libsodium's INTERACTIVE limits (64 MiB, 2 passes).
  // Tests lower them to keep suites fast; never lower in production.
  unsigned long long argon2_opslimit = 0;  // 0 → crypto_pwhash_OPSLIMIT_INTERACTIVE
  std::size_t argon2_memlimit = 0;         // 0 → crypto_pwhash_MEMLIMIT_INTERACTIVE
};

enum class auth_errc {
  unauthenticated,  // unknown user, wrong password, disabled user, or bad/expired token
  rate_limited,     // too many failed logins for this account or address
  invalid,          // a password that is empty or too long (> 1024 bytes)
  io,               // the store could not persist the credential or session
};

struct auth_error {
  auth_errc code;
  std::string message;
};

struct session_info {
  std::string token;      // only returned by login; empty when looked up
  std::string user_id;
  std::int64_t expires_at_ms = 0;
};

// The shortest password anyone may set (the API, the offline commands).
inline constexpr std::size_t min_password_length = 12;

class auth_service {
 public:
  // `is_enabled(user_id)` tells whether the user exists and is enabled right
  // now (from the users view); checked at login and on every token use.
  auth_service(auth_options options, eventstore::store& store,
               std::function<bool(std::string_view user_id)> is_enabled);

  // Sets (or replaces) a user's password. Errors: invalid, io.
  [[nodiscard]] std::expected<void, auth_error> set_password(std::string_view user_id, std::string_view password);

  // True if the user has a password set.
  [[nodiscard]] bool has_password(std::string_view user_id) const;

  // Checks the password and opens a session. `remote_address` is the client's
  // address without port, for the per-address limit. Slow on purpose
  // (Argon2id): call it off the I/O threads. Errors: unauthenticated,
  // rate_limited, invalid, io.
  [[nodiscard]] std::expected<session_info, auth_error> login(std::string_view user_id, std::string_view password,
                                                              std::string_view remote_address,
                                                              std::chrono::system_clock::time_point now);

  // The live session a token names, or nullopt (unknown, expired, revoked,
  // or its user disabled).
  [[nodiscard]] std::optional<session_info> authenticate(std::string_view token,
                                                         std::chrono::system_clock::time_point now) const;

  // Ends one session; unknown tokens are ignored.
  void logout(std::string_view token);

  // Ends every session of a user (e.g. when disabled), except the one of
  // `keep_token` when given (the session that just changed the password).
  void revoke_user(std::string_view user_id, std::string_view keep_token = {});

  // A fresh random password of 20 characters from an unambiguous alphabet.
  [[nodiscard]] static std::string random_password();

 private:
  struct stored_session {
    std::string user_id;
    std::int64_t expires_at_ms;
  };
  bool limited(std::deque<std::int64_t>& failures, std::size_t max, std::int64_t now_ms) const;
  // Writes the live sessions (token digests) to the store; mutex_ held.
  eventstore::result<void> persist_sessions_locked();

  auth_options options_;
  eventstore::store& store_;
  std::function<bool(std::string_view)> is_enabled_;
  mutable std::mutex mutex_;
  std::map<std::string, stored_session, std::less<>> sessions_;  // key: sha256(token) hex
  std::map<std::string, std::deque<std::int64_t>, std::less<>> account_failures_;
  std::map<std::string, std::deque<std::int64_t>, std::less<>> address_failures_;
};

}  // namespace isms::server
