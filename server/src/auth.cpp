#include "isms/server/auth.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

namespace {

constexpr std::string_view password_key_prefix = "auth/password/";
constexpr std::string_view sessions_key = "auth/sessions";
constexpr std::size_t max_password_bytes = 1024;

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string token_key(std::string_view token) {
  return eventstore::to_hex(eventstore::sha256(token));
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

}  // namespace

auth_service::auth_service(auth_options options, eventstore::store& store,
                           std::function<bool(std::string_view)> is_enabled)
    : options_(options), store_(store), is_enabled_(std::move(is_enabled)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (options_.argon2_opslimit == 0) options_.argon2_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  if (options_.argon2_memlimit == 0) options_.argon2_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  // Sessions survive a restart: they are persisted (token digests only).
  if (auto stored = store_.get_meta(sessions_key)) {
    auto j = read_json(*stored, max_stored_json_depth).value_or(nlohmann::json());
    if (!j.is_object()) log::warn("auth", "persisted sessions unreadable; every user signs in again");
    if (j.is_object()) {
      for (const auto& [key, value] : j.items()) {
        if (value.is_object() && value.contains("user") && value["user"].is_string() &&
            value.contains("expires_at_ms") && value["expires_at_ms"].is_number_integer())
          sessions_[key] = {value["user"].get<std::string>(), value["expires_at_ms"].get<std::int64_t>()};
      }
    }
  }
}

std::expected<void, auth_error> auth_service::set_password(std::string_view user_id, std::string_view password) {
  if (password.empty() || password.size() > max_password_bytes)
    return std::unexpected(auth_error{auth_errc::invalid, "a password must be 1 to 1024 bytes"});
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), options_.argon2_opslimit,
                            options_.argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return std::unexpected(auth_error{auth_errc::io, "out of memory while hashing the password"});
  std::string key(password_key_prefix);
  key += user_id;
  if (auto r = store_.put_meta(key, hash); !r) return std::unexpected(auth_error{auth_errc::io, r.error().message});
  return {};
}

bool auth_service::has_password(std::string_view user_id) const {
  std::string key(password_key_prefix);
  key += user_id;
  return store_.get_meta(key).has_value();
}

bool auth_service::limited(std::deque<std::int64_t>& failures, std::size_t max, std::int64_t now_ms) const {
  const std::int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.login_window).count();
  while (!failures.empty() && failures.front() <= now_ms - window_ms) failures.pop_front();
  return failures.size() >= max;
}

std::expected<session_info, auth_error> auth_service::login(std::string_view user_id, std::string_view password,
                                                            std::string_view remote_address,
                                                            std::chrono::system_clock::time_point now) {
  const std::int64_t now_ms = to_ms(now);
  {
    std::lock_guard lock(mutex_);
    if (limited(account_failures_[std::string(user_id)], options_.max_failures_per_account, now_ms) ||
        limited(address_failures_[std::string(remote_address)], options_.max_failures_per_address, now_ms))
      return std::unexpected(auth_error{auth_errc::rate_limited, "too many failed logins; try again later"});
  }
  if (password.empty() || password.size() > max_password_bytes)
    return std::unexpected(auth_error{auth_errc::invalid, "a password must be 1 to 1024 bytes"});

  std::string key(password_key_prefix);
  key += user_id;
  auto stored = user_id.empty() ? eventstore::result<std::string>(std::unexpected(eventstore::error{}))
                                : store_.get_meta(key);
  bool ok = false;
  if (stored) {
    ok = crypto_pwhash_str_verify(stored->c_str(), password.data(), password.size()) == 0;
  } else {
    // Spend the same effort for an unknown user so that timing does not
    // tell which accounts exist.
    char dummy[crypto_pwhash_STRBYTES];
    (void)!crypto_pwhash_str_alg(dummy, password.data(), password.size(), options_.argon2_opslimit,
                          options_.argon2_memlimit, crypto_pwhash_ALG_ARGON2ID13);
  }
  if (ok) ok = is_enabled_(user_id);

  std::lock_guard lock(mutex_);
  if (!ok) {
    account_failures_[std::string(user_id)].push_back(now_ms);
    address_failures_[std::string(remote_address)].push_back(now_ms);
    return std::unexpected(auth_error{auth_errc::unauthenticated, "unknown user or wrong password"});
  }
  account_failures_.erase(std::string(user_id));

  session_info s;
  s.token = random_hex(32);
  s.user_id = std::string(user_id);
  s.expires_at_ms = now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();

  // Persist the sessions that are still live, with the new one.
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.expires_at_ms <= now_ms; });
  sessions_[token_key(s.token)] = {s.user_id, s.expires_at_ms};
  if (auto r = persist_sessions_locked(); !r) {
    sessions_.erase(token_key(s.token));
    return std::unexpected(auth_error{auth_errc::io, r.error().message});
  }
  return s;
}

eventstore::result<void> auth_service::persist_sessions_locked() {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : sessions_) j[k] = {{"user", v.user_id}, {"expires_at_ms", v.expires_at_ms}};
  return store_.put_meta(sessions_key, j.dump());
}

std::optional<session_info> auth_service::authenticate(std::string_view token,
                                                       std::chrono::system_clock::time_point now) const {
  if (token.size() != 64) return std::nullopt;
  session_info out;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(token_key(token));
    if (it == sessions_.end() || it->second.expires_at_ms <= to_ms(now)) return std::nullopt;
    out.user_id = it->second.user_id;
    out.expires_at_ms = it->second.expires_at_ms;
  }
  if (!is_enabled_(out.user_id)) return std::nullopt;
  return out;
}

void auth_service::logout(std::string_view token) {
  std::lock_guard lock(mutex_);
  if (sessions_.erase(token_key(token)) == 0) return;
  (void)persist_sessions_locked();
}

void auth_service::revoke_user(std::string_view user_id, std::string_view keep_token) {
  const std::string keep = keep_token.empty() ? std::string() : token_key(keep_token);
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.user_id == user_id && kv.first != keep; });
  (void)persist_sessions_locked();
}

std::string auth_service::random_password() {
  static constexpr char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 20; ++i) out += alphabet[randombytes_uniform(sizeof alphabet - 1)];
  return out;
}

}  // namespace isms::server
