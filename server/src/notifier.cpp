#include "isms/server/notifier.hpp"

#include <curl/curl.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <fstream>
#include <memory>

#include "isms/domain/core.hpp"
#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"
#include "outbound.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

constexpr std::string_view outbox_key = "notify/outbox";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The answer's body is not needed: the status line decides. Reading stops at
// its first byte, so a receiver that streams a long body cannot hold the
// delivery thread.
std::size_t stop_at_body(char*, std::size_t, std::size_t, void*) { return 0; }

// A secret shorter than this is a password, not a key.
constexpr std::size_t min_secret_bytes = 16;
constexpr std::size_t max_secrets = 8;
constexpr std::uintmax_t max_secret_file_bytes = 64 * 1024;

}  // namespace

std::string webhook_signature(const std::vector<std::string>& secrets, std::int64_t unix_seconds,
                              std::string_view body) {
  const std::string stamp = std::to_string(unix_seconds);
  std::string out = "t=" + stamp;
  for (const auto& secret : secrets) {
    crypto_auth_hmacsha256_state state;
    std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(stamp.data()), stamp.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    std::array<char, 2 * crypto_auth_hmacsha256_BYTES + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
    out += ",v1=";
    out += hex.data();
  }
  return out;
}

std::expected<std::vector<std::string>, std::string> read_secret_lines(const std::filesystem::path& file,
                                                                       const std::string& what) {
  const std::string name = what + " " + file.string();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::unexpected(name + " cannot be read");
  if (!S_ISREG(st.st_mode)) return std::unexpected(name + " is not a file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return std::unexpected(name + " may be read or written by others (mode " + mode +
                           "); make it the server user's alone: chmod 600 " + file.string());
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_secret_file_bytes) return std::unexpected(name + " is too large");
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(name + " cannot be read");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    lines.push_back(line.substr(first, last - first + 1));
  }
  if (lines.empty()) return std::unexpected(name + " holds no secret");
  return lines;
}

std::expected<std::vector<std::string>, std::string> read_webhook_secrets(const std::filesystem::path& file) {
  const std::string what = "the webhook secret file";
  auto secrets = read_secret_lines(file, what);
  if (!secrets) return secrets;
  for (const auto& secret : *secrets)
    if (secret.size() < min_secret_bytes)
      return std::unexpected(what + " " + file.string() + ": a secret of " + std::to_string(secret.size()) +
                             " bytes; at least " + std::to_string(min_secret_bytes) +
                             " are needed (e.g. openssl rand -hex 32)");
  if (secrets->size() > max_secrets)
    return std::unexpected(what + " " + file.string() + " holds " + std::to_string(secrets->size()) +
                           " secrets; at most " + std::to_string(max_secrets));
  return secrets;
}

bool http_post(const std::string& url, const std::string& body, const post_options& options, std::string& error) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    error = "only http:// and https:// URLs are supported";
    return false;
  }
  // "Expect:" keeps libcurl from waiting for a 100 Continue before a larger body.
  std::vector<std::string> lines{"Content-Type: application/json", "Expect:"};
  for (const auto& h : options.headers) {
    // A line break would start another header (or the body): refused, not sent.
    if (h.find_first_of("\r\n") != std::string::npos) {
      error = "a header line holds a line break";
      return false;
    }
    lines.push_back(h);
  }
  curl_slist* list = nullptr;
  for (const auto& line : lines) {
    curl_slist* longer = curl_slist_append(list, line.c_str());
    if (!longer) {
      curl_slist_free_all(list);
      error = "out of memory";
      return false;
    }
    list = longer;
  }
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
  char curl_error[CURL_ERROR_SIZE] = {};
  // One deadline over everything: name resolution (libcurl's threaded
  // resolver honours it), connect, TLS, sending and the answer.
  const curl_handle curl = outbound_transfer(url, "http,https", options.timeout, options.ca_file, curl_error, error);
  if (!curl) return false;
  CURL* h = curl.get();
  const bool set =
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_USERAGENT, "ismsd") == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size())) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data()) == CURLE_OK &&
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &stop_at_body) == CURLE_OK;
  if (!set) {
    error = "libcurl refused an option";
    return false;
  }
  const CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  // CURLE_WRITE_ERROR: stop_at_body ended a transfer whose status is known.
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && status != 0)) {
    error = curl_error[0] != '\0' ? std::string(curl_error) : std::string(curl_easy_strerror(rc));
    return false;
  }
  if (status < 200 || status > 299) {
    error = "answered " + std::to_string(status);
    return false;
  }
  return true;
}

notifier::notifier(notifier_options options, eventstore::store& store, push_fn push, recipient_fn recipient,
                   preference_fn preference)
    : options_(std::move(options)),
      store_(store),
      push_(std::move(push)),
      recipient_(std::move(recipient)),
      preference_(std::move(preference)) {
  if (auto stored = store_.get_meta(outbox_key)) {
    const json j = read_json(*stored, max_stored_json_depth).value_or(json());
    if (j.is_object()) {
      checkpoint_ = j.value("checkpoint", std::uint64_t{0});
      next_seq_ = j.value("next_seq", std::uint64_t{1});
      if (auto it = j.find("reminded"); it != j.end() && it->is_array())
        for (const auto& k : *it)
          if (k.is_string()) reminded_.insert(k.get<std::string>());
      if (auto it = j.find("digests"); it != j.end() && it->is_object())
        for (const auto& [user, items] : it->items())
          if (items.is_array()) digests_[user] = items.get<std::vector<json>>();
      if (auto it = j.find("last_digest_day"); it != j.end() && it->is_string())
        last_digest_day_ = it->get<std::string>();
      if (auto it = j.find("pending"); it != j.end() && it->is_array()) {
        for (const auto& p : *it) {
          if (!p.is_object()) continue;
          pending item;
          item.seq = p.value("seq", std::uint64_t{0});
          item.url = p.value("url", std::string{});
          item.to = p.value("to", std::string{});
          item.body = p.value("body", std::string{});
          item.attempts = p.value("attempts", 0);
          item.next_attempt_ms = 0;  // try again soon after a restart
          if (!item.url.empty() || !item.to.empty()) outbox_.push_back(std::move(item));
        }
      }
    } else {
      log::warn("notify", "persisted outbox unreadable; starting with an empty one");
    }
  }
  thread_ = std::thread([this] { run(); });
}

notifier::~notifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void notifier::enqueue_locked(const std::string& user_id, const json& notification) {
  for (const auto& url : options_.webhook_urls) {
    pending item;
    item.seq = next_seq_++;
    item.url = url;
    item.body = json{{"seq", item.seq}, {"notification", notification}}.dump();
    outbox_.push_back(std::move(item));
  }
  if (options_.mail.enabled() && recipient_) {
    const mail_mode mode = preference_ ? preference_(user_id, mail_category(notification)) : mail_mode::immediately;
    if (mode == mail_mode::digest) {
      auto& waiting = digests_[user_id];
      waiting.push_back(notification);
      if (waiting.size() > options_.max_digest_items)
        waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(waiting.size() - options_.max_digest_items));
    } else if (mode == mail_mode::off) {
      // Not mailed: the notification centre keeps it.
    } else if (const auto to = recipient_(user_id); to && !to->address.empty()) {
      pending item;
      item.seq = next_seq_++;
      item.to = to->address;
      item.body = compose_mail(options_.mail, to->address, to->name, notification, now_ms());
      outbox_.push_back(std::move(item));
    }
  }
  while (outbox_.size() > options_.max_outbox) {
    log::warn("notify", "outbox full; dropping #" + std::to_string(outbox_.front().seq) + " to " +
                            (outbox_.front().to.empty() ? outbox_.front().url : outbox_.front().to));
    outbox_.pop_front();
  }
}

void notifier::persist_locked() {
  json pending_json = json::array();
  for (const auto& p : outbox_)
    pending_json.push_back({{"seq", p.seq}, {"url", p.url}, {"to", p.to}, {"body", p.body}, {"attempts", p.attempts}});
  const json j{{"checkpoint", checkpoint_}, {"next_seq", next_seq_},       {"reminded", reminded_},
               {"pending", pending_json}, {"digests", digests_},           {"last_digest_day", last_digest_day_}};
  if (auto r = store_.put_meta(outbox_key, j.dump()); !r)
    log::error("notify", "could not persist the outbox: " + r.error().message);
}

bool notifier::handled(std::uint64_t position) const {
  std::lock_guard lock(mutex_);
  return position <= checkpoint_;
}

void notifier::on_event(std::uint64_t position, const std::vector<std::pair<std::string, json>>& notifications) {
  {
    std::lock_guard lock(mutex_);
    if (position <= checkpoint_) return;  // handled before a restart
    checkpoint_ = position;
    if (notifications.empty()) return;
    if (sends_outside()) {
      for (const auto& [user, n] : notifications) enqueue_locked(user, n);
      persist_locked();  // before anyone is told: the posts survive a crash
      cv_.notify_all();  // the delivery thread sleeps unless posts wait
    }
  }
  for (const auto& [user, n] : notifications) push_(user, n);
}

bool notifier::remind(const std::string& key, const std::string& user_id, const json& notification) {
  {
    std::lock_guard lock(mutex_);
    if (!reminded_.insert(key).second) return false;
    if (sends_outside()) enqueue_locked(user_id, notification);
    persist_locked();
  }
  cv_.notify_all();
  push_(user_id, notification);
  return true;
}

std::size_t notifier::send_digests(std::int64_t now_ms) {
  const auto now = std::chrono::sys_time<std::chrono::milliseconds>{std::chrono::milliseconds{now_ms}};
  const auto day = std::chrono::floor<std::chrono::days>(now);
  const auto hour = std::chrono::duration_cast<std::chrono::hours>(now - day).count();
  const std::string day_text = domain::format_date(day);
  std::size_t sent = 0;
  {
    std::lock_guard lock(mutex_);
    if (hour < options_.digest_hour || last_digest_day_ == day_text) return 0;
    last_digest_day_ = day_text;
    for (auto& [user, items] : digests_) {
      if (items.empty() || !options_.mail.enabled() || !recipient_) continue;
      const auto to = recipient_(user);
      if (!to || to->address.empty()) continue;
      pending item;
      item.seq = next_seq_++;
      item.to = to->address;
      item.body = compose_digest(options_.mail, to->address, to->name, items, day_text, now_ms);
      outbox_.push_back(std::move(item));
      ++sent;
    }
    // Also those of users who have no address now: a summary is for a day.
    digests_.clear();
    persist_locked();
  }
  if (sent != 0) cv_.notify_all();
  return sent;
}

std::size_t notifier::digest_size(const std::string& user_id) const {
  std::lock_guard lock(mutex_);
  const auto it = digests_.find(user_id);
  return it == digests_.end() ? 0 : it->second.size();
}

std::size_t notifier::outbox_size() const {
  std::lock_guard lock(mutex_);
  return outbox_.size();
}

std::uint64_t notifier::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

void notifier::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // The first item whose time has come (items are tried in order of due time).
    auto due = outbox_.end();
    std::int64_t earliest = INT64_MAX;
    const std::int64_t now = now_ms();
    for (auto it = outbox_.begin(); it != outbox_.end(); ++it) {
      if (it->next_attempt_ms <= now) {
        due = it;
        break;
      }
      earliest = std::min(earliest, it->next_attempt_ms);
    }
    if (due == outbox_.end()) {
      if (earliest == INT64_MAX)
        cv_.wait(lock);
      else
        cv_.wait_for(lock, std::chrono::milliseconds(earliest - now));
      continue;
    }
    const pending item = *due;
    lock.unlock();
    std::string error;
    bool ok = false;
    if (!item.to.empty()) {
      ok = smtp_send(options_.mail, item.to, item.body, error);
    } else {
      // Signed at each attempt: the time in the signature is when it was sent.
      std::vector<std::string> headers{"ISMS-Delivery: " + std::to_string(item.seq)};
      if (!options_.webhook_secrets.empty()) {
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
        headers.push_back("ISMS-Signature: " + webhook_signature(options_.webhook_secrets, seconds, item.body));
      }
      ok = http_post(item.url, item.body,
                     {.timeout = options_.webhook_timeout, .headers = headers, .ca_file = options_.webhook_ca_file},
                     error);
    }
    lock.lock();
    auto it = std::find_if(outbox_.begin(), outbox_.end(), [&](const pending& p) { return p.seq == item.seq; });
    if (it == outbox_.end()) continue;
    if (ok) {
      outbox_.erase(it);
      ++delivered_;
    } else {
      it->attempts++;
      const auto delay = std::min<std::int64_t>(options_.retry_max.count(),
                                                options_.retry_initial.count() << std::min(it->attempts - 1, 20));
      it->next_attempt_ms = now_ms() + delay;
      log::warn("notify", (item.to.empty() ? "webhook post #" : "mail #") + std::to_string(item.seq) + " to " +
                              (item.to.empty() ? item.url : item.to) + " failed (" + error +
                              "); attempt " + std::to_string(it->attempts) + ", retrying in " +
                              std::to_string(delay) + " ms");
    }
    persist_locked();
  }
}

}  // namespace isms::server
