#pragma once
// Notifications: who must be told what, the moment it happens.
//
// Live: each notification is pushed at once to every connected session of
// its user subscribed to "notifications" (an offline reviewer finds the same
// thing in their inbox view at next login).
//
// E-mail: each notification is also mailed to its user, when e-mail is
// configured and the user has an address (mail.hpp), through the same outbox.
//
// Webhooks: each notification is also POSTed as JSON to every configured
// URL, from a durable outbox persisted in the store's meta column family
// before the event that caused it counts as notified. Delivery is at least
// once: retried with exponential backoff until a 2xx answer, across
// restarts. http:// and https:// URLs (libcurl; https verifies the
// receiver's certificate against the system's CA store, or a given CA file).
// With secrets configured, every attempt carries an `ISMS-Signature` header
// (HMAC-SHA256 of its time and body; see webhook_signature) so that a
// receiver can tell a post of this server from any other.
//
// Thread-safety: every public member may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/eventstore/store.hpp"
#include "isms/server/mail.hpp"

namespace isms::server {

struct notifier_options {
  // URLs receiving a JSON POST per notification ("http://host:port/path" or
  // "https://…"). Default: none
  std::vector<std::string> webhook_urls;
  // Keys that sign every post (read from the file named by the setting
  // `webhook_secret_file`, see read_webhook_secrets); each signs, so that a
  // receiver can move from one key to the next without a gap. Empty: posts
  // go unsigned. Default: none
  std::vector<std::string> webhook_secrets;
  // One deadline per delivery attempt over name resolution, connect, TLS,
  // sending and the answer's status line; past it the attempt fails and is
  // retried. Default: 5 s
  std::chrono::milliseconds webhook_timeout{5000};
  // PEM certificates that https:// receivers' chains must lead to, instead
  // of the system's CA store (a private CA). Default: none
  std::filesystem::path webhook_ca_file;
  // First retry delay; doubles per failed attempt up to the maximum. Default: 1 s
  std::chrono::milliseconds retry_initial{1000};
  // Longest delay between two attempts. Default: 10 min
  std::chrono::milliseconds retry_max{10 * 60 * 1000};
  // Most undelivered webhook posts and mails kept; beyond it the oldest are
  // dropped (and logged). Default: 10000
  std::size_t max_outbox = 10000;
  // E-mail: each notification also goes to its user's address, when the
  // user has one, through the same outbox. Default: off (no url)
  mail_options mail;
  // The hour (UTC, 0–23) from which the daily summary goes out to those who
  // chose it for a category. Default: 7
  int digest_hour = 7;
  // Most notifications one user's daily summary holds; beyond it the oldest
  // are dropped from it (they stay in the notification centre). Default: 500
  std::size_t max_digest_items = 500;
};

// Where a user's mail goes: their address and name.
struct mail_recipient {
  std::string address;
  std::string name;
};

class notifier {
 public:
  using push_fn = std::function<void(const std::string& user_id, const nlohmann::json& notification)>;
  // A user's mail address now, nullopt when they have none (or are disabled).
  using recipient_fn = std::function<std::optional<mail_recipient>(const std::string& user_id)>;
  // How a user wants a category of notifications mailed (mail_category).
  using preference_fn = std::function<mail_mode(const std::string& user_id, std::string_view category)>;

  notifier(notifier_options options, eventstore::store& store, push_fn push, recipient_fn recipient = {},
           preference_fn preference = {});
  ~notifier();  // stops the delivery thread; the outbox stays persisted

  // Whether the event at `position` was handled before (a restart replays
  // it): its notifications need not be computed again.
  [[nodiscard]] bool handled(std::uint64_t position) const;

  // Whether notifications leave the server (a webhook URL or e-mail configured).
  [[nodiscard]] bool sends_outside() const noexcept {
    return !options_.webhook_urls.empty() || options_.mail.enabled();
  }

  // The notifications caused by the event at `position`. Events at or below
  // the persisted checkpoint were already handled before a restart and are
  // skipped. Called on the projection delivery thread, in position order.
  // Each notification is (user id, JSON body).
  void on_event(std::uint64_t position, const std::vector<std::pair<std::string, nlohmann::json>>& notifications);

  // A time-driven reminder, sent once per `key` ever (the set of sent keys is
  // persisted). True when sent now, false when it was sent before.
  bool remind(const std::string& key, const std::string& user_id, const nlohmann::json& notification);

  // The daily summaries, once a day from options.digest_hour (UTC) of
  // `now_ms`'s day: one mail per user with notifications waiting for it.
  // Returns the number of summaries queued (0 before the hour, or when
  // today's went out already).
  std::size_t send_digests(std::int64_t now_ms);
  // Notifications waiting for a user's next summary (for tests).
  [[nodiscard]] std::size_t digest_size(const std::string& user_id) const;

  // Undelivered webhook posts and mails (for /metrics and tests).
  [[nodiscard]] std::size_t outbox_size() const;
  // Webhook posts and mails delivered since start.
  [[nodiscard]] std::uint64_t delivered() const;

 private:
  struct pending {
    std::uint64_t seq = 0;
    std::string url;  // a webhook post: where to
    std::string to;   // a mail: the address (url empty)
    std::string body;  // the JSON posted, or the whole mail message
    int attempts = 0;
    std::int64_t next_attempt_ms = 0;
  };
  void enqueue_locked(const std::string& user_id, const nlohmann::json& notification);
  void persist_locked();
  void run();

  notifier_options options_;
  eventstore::store& store_;
  push_fn push_;
  recipient_fn recipient_;
  preference_fn preference_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<pending> outbox_;
  std::set<std::string> reminded_;
  std::map<std::string, std::vector<nlohmann::json>> digests_;  // user → waiting for the summary
  std::string last_digest_day_;                                  // YYYY-MM-DD of the last summaries
  std::uint64_t checkpoint_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t delivered_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

struct post_options {
  // One deadline over the whole attempt, name resolution included.
  std::chrono::milliseconds timeout{5000};
  // Extra header lines, "Name: value"; one holding a line break is refused.
  std::vector<std::string> headers;
  // PEM certificates an https:// receiver's chain must lead to. Empty: the
  // system's CA store.
  std::filesystem::path ca_file;
};

// POSTs `body` as application/json to an http:// or https:// URL; true on a
// 2xx answer. Redirects are not followed, no proxy is used. `error` says why
// not otherwise. Thread-safe.
[[nodiscard]] bool http_post(const std::string& url, const std::string& body, const post_options& options,
                             std::string& error);

// The value of the `ISMS-Signature` header of a post sent at `unix_seconds`:
// "t=<unix_seconds>,v1=<hex>[,v1=<hex>…]", one v1 per secret, each the
// lower-case hex of HMAC-SHA256(secret, "<unix_seconds>.<body>"). A receiver
// recomputes it with its secret, compares in constant time, and refuses a
// time too far from its own clock (a replayed post).
[[nodiscard]] std::string webhook_signature(const std::vector<std::string>& secrets, std::int64_t unix_seconds,
                                            std::string_view body);

// The non-empty lines of a file of secrets (surrounding spaces and the line
// end not part of them), `what` naming it in errors. A file others may read
// or write is refused (as the signing key is), as are an empty or a missing one.
[[nodiscard]] std::expected<std::vector<std::string>, std::string> read_secret_lines(
    const std::filesystem::path& file, const std::string& what);

// The webhook secrets in `file` (read_secret_lines): one per line, at least
// 16 bytes each, at most 8.
[[nodiscard]] std::expected<std::vector<std::string>, std::string> read_webhook_secrets(
    const std::filesystem::path& file);

}  // namespace isms::server
