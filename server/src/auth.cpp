#include "isms/server/auth.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"
#include "isms/server/notifier.hpp"
#include "isms/server/totp.hpp"

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

std::expected<void, auth_error> auth_service::check_password(std::string_view user_id, std::string_view password,
                                                             std::string_view remote_address, std::int64_t now_ms) {
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
  if (ok) return {};
  std::lock_guard lock(mutex_);
  account_failures_[std::string(user_id)].push_back(now_ms);
  address_failures_[std::string(remote_address)].push_back(now_ms);
  return std::unexpected(auth_error{auth_errc::unauthenticated, "unknown user or wrong password"});
}

std::expected<void, auth_error> auth_service::verify_password(std::string_view user_id, std::string_view password,
                                                              std::string_view remote_address,
                                                              std::chrono::system_clock::time_point now) {
  return check_password(user_id, password, remote_address, to_ms(now));
}

std::expected<session_info, auth_error> auth_service::login(std::string_view user_id, std::string_view password,
                                                            std::string_view remote_address,
                                                            std::chrono::system_clock::time_point now,
                                                            std::string_view code) {
  const std::int64_t now_ms = to_ms(now);
  if (auto r = check_password(user_id, password, remote_address, now_ms); !r) return std::unexpected(r.error());
  if (has_second_factor(user_id)) {
    if (code.empty())
      return std::unexpected(auth_error{auth_errc::second_factor_required,
                                        "enter the code of your authenticator app, or a recovery code"});
    if (auto c = check_second_factor(user_id, code, now); !c) {
      if (c.error().code == auth_errc::unauthenticated) {
        std::lock_guard lock(mutex_);
        address_failures_[std::string(remote_address)].push_back(now_ms);
      }
      return std::unexpected(c.error());
    }
  }

  std::lock_guard lock(mutex_);
  account_failures_.erase(std::string(user_id));
  return open_session_locked(user_id, now_ms);
}

std::expected<session_info, auth_error> auth_service::open_session(std::string_view user_id,
                                                                   std::chrono::system_clock::time_point now) {
  if (!is_enabled_(user_id))
    return std::unexpected(auth_error{auth_errc::unauthenticated, "no enabled user '" + std::string(user_id) + "'"});
  std::lock_guard lock(mutex_);
  return open_session_locked(user_id, to_ms(now));
}

void auth_service::note_fresh_sign_in(std::string_view user_id, std::chrono::system_clock::time_point now) {
  const std::int64_t until =
      to_ms(now) + std::chrono::duration_cast<std::chrono::milliseconds>(fresh_sign_in_lifetime).count();
  std::lock_guard lock(mutex_);
  fresh_sign_ins_.insert_or_assign(std::string(user_id), until);
}

std::int64_t auth_service::fresh_sign_in_until(std::string_view user_id) const {
  std::lock_guard lock(mutex_);
  const auto it = fresh_sign_ins_.find(user_id);
  return it == fresh_sign_ins_.end() ? 0 : it->second;
}

std::expected<session_info, auth_error> auth_service::open_session_locked(std::string_view user_id,
                                                                          std::int64_t now_ms) {
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

std::expected<std::string, std::string> load_or_create_secret_key(const std::filesystem::path& file) {
  constexpr std::size_t key_bytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
  if (!std::filesystem::exists(file)) {
    std::string key(key_bytes, '\0');
    randombytes_buf(key.data(), key.size());
    std::string hex(key_bytes * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(key.data()), key.size());
    hex.back() = '\n';
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return std::unexpected("cannot create the second factor key " + file.string() + ": " + std::strerror(errno));
    const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written) return std::unexpected("cannot write the second factor key " + file.string());
    return key;
  }
  auto lines = read_secret_lines(file, "the second factor key file");
  if (!lines) return std::unexpected(lines.error());
  std::string key(key_bytes, '\0');
  std::size_t length = 0;
  if (lines->size() != 1 || lines->front().size() != key_bytes * 2 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), lines->front().data(),
                     lines->front().size(), nullptr, &length, nullptr) != 0 ||
      length != key_bytes)
    return std::unexpected("the second factor key " + file.string() + " is not 64 hex digits on one line");
  return key;
}

// ---- the second factor -------------------------------------------------------

namespace {

constexpr std::string_view factor_key_prefix = "auth/second_factor/";
constexpr std::string_view pending_key_prefix = "auth/second_factor_pending/";
constexpr std::size_t secret_bytes = 20;  // 160 bits, RFC 4226's recommendation
constexpr int recovery_code_count = 10;
constexpr std::int64_t enrolment_ttl_ms = 15 * 60 * 1000;

std::string key_for(std::string_view prefix, std::string_view user_id) {
  std::string key(prefix);
  key += user_id;
  return key;
}

// A recovery code as typed: case, spaces and dashes do not matter.
std::string normalised_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

std::string recovery_digest(std::string_view code) {
  return eventstore::to_hex(eventstore::sha256(normalised_code(code)));
}

// "xxxxx-xxxxx" from an alphabet without look-alikes (about 49 bits each).
std::string random_recovery_code() {
  static constexpr char alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
  std::string out;
  for (int i = 0; i < 10; ++i) {
    if (i == 5) out += '-';
    out += alphabet[randombytes_uniform(sizeof alphabet - 1)];
  }
  return out;
}

// A secret-holding value as stored: "sealed1:" and the hex of nonce and
// ciphertext when a key is configured (the meta key is the associated data,
// so a value moved to another user's key does not open), else the JSON as is.
constexpr std::string_view sealed_prefix = "sealed1:";

std::string seal(const std::string& key, std::string_view meta_key, const std::string& plain) {
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) return plain;
  std::string nonce(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  std::string cipher(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(cipher.data()), &length, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(meta_key.data()), meta_key.size(), nullptr,
      reinterpret_cast<const unsigned char*>(nonce.data()), reinterpret_cast<const unsigned char*>(key.data()));
  cipher.resize(length);
  const std::string both = nonce + cipher;
  std::string hex(both.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(both.data()), both.size());
  hex.pop_back();
  return std::string(sealed_prefix) + hex;
}

// The JSON of a stored value; nullopt when it is sealed and cannot be opened
// (no key, another key, or damaged).
std::optional<std::string> unseal(const std::string& key, std::string_view meta_key, const std::string& stored) {
  if (!stored.starts_with(sealed_prefix)) return stored;  // stored before sealing was configured
  const std::string_view hex = std::string_view(stored).substr(sealed_prefix.size());
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES || hex.size() % 2 != 0) return std::nullopt;
  std::string both(hex.size() / 2, '\0');
  std::size_t bin_length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(both.data()), both.size(), hex.data(), hex.size(), nullptr,
                     &bin_length, nullptr) != 0 ||
      bin_length < crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
    return std::nullopt;
  const auto* nonce = reinterpret_cast<const unsigned char*>(both.data());
  const auto* cipher = nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  const std::size_t cipher_length = bin_length - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string plain(cipher_length, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &length, nullptr,
                                                 cipher, cipher_length,
                                                 reinterpret_cast<const unsigned char*>(meta_key.data()),
                                                 meta_key.size(), nonce,
                                                 reinterpret_cast<const unsigned char*>(key.data())) != 0)
    return std::nullopt;
  plain.resize(length);
  return plain;
}

struct stored_factor {
  std::string secret;  // raw bytes
  std::int64_t last_step = -1;
  std::vector<std::string> recovery;  // SHA-256 hex of each unused code
};

std::optional<stored_factor> read_factor(const eventstore::store& store, const std::string& seal_key,
                                         std::string_view user_id) {
  const std::string meta_key = key_for(factor_key_prefix, user_id);
  auto raw = store.get_meta(meta_key);
  if (!raw) return std::nullopt;
  const auto opened = unseal(seal_key, meta_key, *raw);
  auto j = opened ? read_json(*opened, max_stored_json_depth).value_or(nlohmann::json()) : nlohmann::json();
  if (!j.is_object() || !j.contains("secret") || !j["secret"].is_string()) {
    // Unreadable: the factor is still there, and nothing matches it, so the
    // account stays closed rather than falling back to the password alone.
    log::warn("auth", "the second factor of " + std::string(user_id) + " is unreadable");
    return stored_factor{};
  }
  stored_factor f;
  f.secret = totp::base32_decode(j["secret"].get<std::string>()).value_or(std::string());
  f.last_step = j.value("last_step", std::int64_t{-1});
  if (auto it = j.find("recovery"); it != j.end() && it->is_array())
    for (const auto& d : *it)
      if (d.is_string()) f.recovery.push_back(d.get<std::string>());
  return f;
}

eventstore::result<void> write_factor(eventstore::store& store, const std::string& seal_key, std::string_view user_id,
                                      const stored_factor& f) {
  const nlohmann::json j{{"secret", totp::base32_encode(f.secret)}, {"last_step", f.last_step}, {"recovery", f.recovery}};
  const std::string meta_key = key_for(factor_key_prefix, user_id);
  return store.put_meta(meta_key, seal(seal_key, meta_key, j.dump()));
}

}  // namespace

std::expected<std::string, auth_error> auth_service::begin_second_factor(std::string_view user_id,
                                                                         std::chrono::system_clock::time_point now) {
  std::string secret(secret_bytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  std::string encoded = totp::base32_encode(secret);
  const nlohmann::json j{{"secret", encoded}, {"begun_at_ms", to_ms(now)}};
  const std::string meta_key = key_for(pending_key_prefix, user_id);
  std::lock_guard lock(mutex_);
  if (auto r = store_.put_meta(meta_key, seal(options_.secret_key, meta_key, j.dump())); !r)
    return std::unexpected(auth_error{auth_errc::io, r.error().message});
  return encoded;
}

std::expected<std::vector<std::string>, auth_error> auth_service::confirm_second_factor(
    std::string_view user_id, std::string_view code, std::chrono::system_clock::time_point now) {
  const std::int64_t now_ms = to_ms(now);
  std::lock_guard lock(mutex_);
  auto& failures = account_failures_[std::string(user_id)];
  if (limited(failures, options_.max_failures_per_account, now_ms))
    return std::unexpected(auth_error{auth_errc::rate_limited, "too many wrong codes; try again later"});
  const std::string pending_key = key_for(pending_key_prefix, user_id);
  auto raw = store_.get_meta(pending_key);
  const auto opened = raw ? unseal(options_.secret_key, pending_key, *raw) : std::nullopt;
  auto j = opened ? read_json(*opened, max_stored_json_depth).value_or(nlohmann::json()) : nlohmann::json();
  if (!j.is_object() || !j.contains("secret") || !j["secret"].is_string() ||
      j.value("begun_at_ms", std::int64_t{0}) + enrolment_ttl_ms <= now_ms)
    return std::unexpected(auth_error{auth_errc::invalid, "no enrolment is under way; begin again"});
  const std::string secret = totp::base32_decode(j["secret"].get<std::string>()).value_or(std::string());
  auto step = totp::accept(secret, normalised_code(code), now_ms / 1000, -1);
  if (secret.empty() || !step) {
    failures.push_back(now_ms);
    return std::unexpected(auth_error{auth_errc::unauthenticated, "the code does not match; check the app's clock"});
  }
  stored_factor f{secret, *step, {}};
  std::vector<std::string> codes;
  for (int i = 0; i < recovery_code_count; ++i) {
    codes.push_back(random_recovery_code());
    f.recovery.push_back(recovery_digest(codes.back()));
  }
  if (auto r = write_factor(store_, options_.secret_key, user_id, f); !r)
    return std::unexpected(auth_error{auth_errc::io, r.error().message});
  (void)store_.erase_meta(pending_key);
  return codes;
}

std::expected<domain::confirmation, auth_error> auth_service::check_second_factor(
    std::string_view user_id, std::string_view code, std::chrono::system_clock::time_point now) {
  const std::int64_t now_ms = to_ms(now);
  // Under the lock from reading to writing: a code accepted once is not
  // accepted again by a request racing this one.
  std::lock_guard lock(mutex_);
  auto& failures = account_failures_[std::string(user_id)];
  if (limited(failures, options_.max_failures_per_account, now_ms))
    return std::unexpected(auth_error{auth_errc::rate_limited, "too many wrong codes; try again later"});
  auto f = read_factor(store_, options_.secret_key, user_id);
  if (!f) return std::unexpected(auth_error{auth_errc::invalid, "no second factor is enrolled"});
  const std::string typed = normalised_code(code);
  domain::confirmation how = domain::confirmation::none;
  if (typed.size() == static_cast<std::size_t>(totp::digits)) {
    if (auto step = f->secret.empty() ? std::nullopt : totp::accept(f->secret, typed, now_ms / 1000, f->last_step)) {
      f->last_step = *step;
      how = domain::confirmation::totp;
    }
  } else if (!typed.empty() && typed.size() <= 64) {
    const std::string digest = recovery_digest(typed);
    if (auto it = std::find(f->recovery.begin(), f->recovery.end(), digest); it != f->recovery.end()) {
      f->recovery.erase(it);
      how = domain::confirmation::recovery_code;
    }
  }
  if (how == domain::confirmation::none) {
    failures.push_back(now_ms);
    return std::unexpected(
        auth_error{auth_errc::unauthenticated, "the code is wrong or was used already; wait for the next one"});
  }
  if (auto r = write_factor(store_, options_.secret_key, user_id, *f); !r)
    return std::unexpected(auth_error{auth_errc::io, r.error().message});
  if (how == domain::confirmation::recovery_code)
    log::warn("auth", std::string(user_id) + " used a recovery code; " + std::to_string(f->recovery.size()) + " left");
  return how;
}

bool auth_service::has_second_factor(std::string_view user_id) const {
  return !user_id.empty() && store_.get_meta(key_for(factor_key_prefix, user_id)).has_value();
}

std::string_view auth_service::confirm_by(std::string_view user_id) const {
  if (has_second_factor(user_id)) return "totp";
  if (options_.identity_provider && !user_id.empty() && !has_password(user_id)) return "sign_in";
  return "";
}

std::size_t auth_service::recovery_codes_left(std::string_view user_id) const {
  auto f = read_factor(store_, options_.secret_key, user_id);
  return f ? f->recovery.size() : 0;
}

bool auth_service::second_factor_required(const domain::actor& who) const {
  // A local account: one that signs in with a password here. A user who
  // signs in only through the identity provider gets a second factor there.
  return std::any_of(options_.second_factor_roles.begin(), options_.second_factor_roles.end(),
                     [&](domain::role r) { return who.has(r); }) &&
         has_password(who.user_id);
}

std::expected<void, auth_error> auth_service::remove_second_factor(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  (void)store_.erase_meta(key_for(pending_key_prefix, user_id));
  if (auto r = store_.erase_meta(key_for(factor_key_prefix, user_id)); !r)
    return std::unexpected(auth_error{auth_errc::io, r.error().message});
  return {};
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
