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
// A second factor (TOTP, RFC 6238, totp.hpp) is kept the same way, beside
// the password: its secret, the last time step used (a code is accepted
// once) and the SHA-256 of each unused recovery code. Once enrolled, a
// sign-in needs a current code, and so does a decision that matters
// (domain::approval::needs_confirmation).
//
// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <deque>
#include <vector>

#include "isms/domain/core.hpp"
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
  // Users holding any of these roles must enrol a second factor: until
  // they do, they may sign in, read and enrol, but every command of theirs
  // is refused. Default: none
  std::vector<domain::role> second_factor_roles;
  // The issuer an authenticator app lists the account under. Default: "ISMS Ledger"
  std::string second_factor_issuer = "ISMS Ledger";
  // 32 bytes that seal the second factors' secrets in the store
  // (XChaCha20-Poly1305, bound to the user), from a key file outside the
  // data folder (second_factor_key_file), so that a copy of the data folder
  // does not pass anyone's second factor. Empty: stored unsealed. A sealed
  // secret without the key reads as unreadable: that account's factor
  // matches nothing (closed, not open). Default: empty
  std::string secret_key;
  // Users sign in through an identity provider too (single sign-on): one
  // without a password here has the provider as their second factor.
  // Default: false
  bool identity_provider = false;
};

// The 32-byte key in `file` (64 hex digits on one line, a file of its owner
// alone), made with fresh random bytes when the file does not exist yet.
// Errors: a message naming the file.
[[nodiscard]] std::expected<std::string, std::string> load_or_create_secret_key(const std::filesystem::path& file);

enum class auth_errc {
  unauthenticated,  // unknown user, wrong password, disabled user, or bad/expired token
  rate_limited,     // too many failed logins for this account or address
  invalid,          // a password that is empty or too long (> 1024 bytes); no enrolment begun
  io,               // the store could not persist the credential or session
  second_factor_required,  // the password is right; now the code of the user's second factor
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
  // With a second factor enrolled, `code` must be one of its codes (a
  // current TOTP code or an unused recovery code); without it the answer is
  // second_factor_required once the password is right.
  [[nodiscard]] std::expected<session_info, auth_error> login(std::string_view user_id, std::string_view password,
                                                              std::string_view remote_address,
                                                              std::chrono::system_clock::time_point now,
                                                              std::string_view code = {});

  // Opens a session for a user whose identity was proven elsewhere (a
  // single sign-on provider's ID token). Errors: unauthenticated (no such
  // enabled user), io.
  [[nodiscard]] std::expected<session_info, auth_error> open_session(std::string_view user_id,
                                                                     std::chrono::system_clock::time_point now);

  // A sign-in again at the identity provider (single sign-on), just now:
  // for the next fresh_sign_in_lifetime it confirms the user's decisions
  // that need a fresh proof. Kept in memory only.
  static constexpr std::chrono::minutes fresh_sign_in_lifetime{5};
  void note_fresh_sign_in(std::string_view user_id, std::chrono::system_clock::time_point now);
  // Until when (UTC ms) the user's last fresh sign-in confirms; 0: none.
  [[nodiscard]] std::int64_t fresh_sign_in_until(std::string_view user_id) const;

  // Checks a password without opening a session (a fresh proof before a
  // change to the account). Counted and limited like a login.
  [[nodiscard]] std::expected<void, auth_error> verify_password(std::string_view user_id, std::string_view password,
                                                                std::string_view remote_address,
                                                                std::chrono::system_clock::time_point now);

  // ---- the second factor ----------------------------------------------------

  // Starts enrolling a new TOTP secret for the user (replacing one not yet
  // confirmed; an enrolled factor stays in force until the new one is
  // confirmed). Returns the secret in base32. Errors: io.
  [[nodiscard]] std::expected<std::string, auth_error> begin_second_factor(std::string_view user_id,
                                                                         std::chrono::system_clock::time_point now);
  // Confirms the enrolment begun within the last 15 minutes with a current
  // code of the new secret; the new factor takes effect and its recovery
  // codes are returned, the only time they are shown. Errors: invalid (none
  // begun, or expired), unauthenticated (wrong code), rate_limited, io.
  [[nodiscard]] std::expected<std::vector<std::string>, auth_error> confirm_second_factor(
      std::string_view user_id, std::string_view code, std::chrono::system_clock::time_point now);
  // Checks a code of the user's second factor: a TOTP code (each accepted
  // once) or a recovery code (used up). Wrong codes count against the
  // account's sign-in limit. Errors: invalid (none enrolled),
  // unauthenticated, rate_limited, io.
  [[nodiscard]] std::expected<domain::confirmation, auth_error> check_second_factor(
      std::string_view user_id, std::string_view code, std::chrono::system_clock::time_point now);
  [[nodiscard]] bool has_second_factor(std::string_view user_id) const;
  // How the user confirms a decision that matters: "totp" (an enrolled
  // factor), "sign_in" (no password here, under identity_provider: a sign-in
  // there again) or "" (nothing to confirm with).
  [[nodiscard]] std::string_view confirm_by(std::string_view user_id) const;
  // Unused recovery codes of the user's second factor (0 without one).
  [[nodiscard]] std::size_t recovery_codes_left(std::string_view user_id) const;
  // Whether the actor's roles require a second factor (second_factor_roles)
  // of this local account (one with a password; a user who signs in only
  // through the identity provider is held to the provider's own).
  [[nodiscard]] bool second_factor_required(const domain::actor& who) const;
  // Removes the user's second factor, enrolled or begun. Errors: io.
  [[nodiscard]] std::expected<void, auth_error> remove_second_factor(std::string_view user_id);
  [[nodiscard]] const std::string& second_factor_issuer() const { return options_.second_factor_issuer; }

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
  // The password check of login and verify_password: rate limits, Argon2id,
  // and the failure counted. Errors: unauthenticated, rate_limited, invalid.
  std::expected<void, auth_error> check_password(std::string_view user_id, std::string_view password,
                                                 std::string_view remote_address, std::int64_t now_ms);
  // Writes the live sessions (token digests) to the store; mutex_ held.
  eventstore::result<void> persist_sessions_locked();
  std::expected<session_info, auth_error> open_session_locked(std::string_view user_id, std::int64_t now_ms);

  auth_options options_;
  eventstore::store& store_;
  std::function<bool(std::string_view)> is_enabled_;
  std::map<std::string, std::int64_t, std::less<>> fresh_sign_ins_;  // user → until (ms); under mutex_
  mutable std::mutex mutex_;
  std::map<std::string, stored_session, std::less<>> sessions_;  // key: sha256(token) hex
  std::map<std::string, std::deque<std::int64_t>, std::less<>> account_failures_;
  std::map<std::string, std::deque<std::int64_t>, std::less<>> address_failures_;
};

}  // namespace isms::server
