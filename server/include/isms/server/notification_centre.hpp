#pragma once
// The notification centre: every notification a user was sent, kept for them
// (also when they were offline when it was sent), newest first, with what
// they have read.
//
// Kept in the store's metadata, one value per user (`centre/<user id>`: the
// newest `keep_per_user` notifications, the last sequence number given and
// the one read up to), never in the event log: a notification is a delivery,
// not an ISMS fact, and it is derived from the events that are.
//
// Written off the projection thread: on_event and remind queue, and one
// writer thread stores everything queued with one durable write (all users'
// values and the checkpoint, atomically). The checkpoint is the position
// whose notifications are stored; after a crash, the events after it are
// handed in again on replay (handled() says which), and a notification
// stored already (same id) is not stored twice. A new store, or one whose
// metadata has no checkpoint yet, starts at its head: the history before
// the centre existed is not turned into notifications at start.
//
// Thread-safety: every public member may be called from any thread.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/eventstore/store.hpp"
#include "isms/server/mail.hpp"
#include "isms/server/router.hpp"
#include "isms/server/http_room.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server {

struct notification_centre_options {
  // The newest notifications kept per user; older ones are dropped (the
  // events that caused them stay in the log). Default: 200
  std::size_t keep_per_user = 200;
};

// One page of a user's notifications, newest first.
struct notification_page {
  nlohmann::json items = nlohmann::json::array();  // each the notification plus "seq", "at", "read"
  std::uint64_t unread = 0;                         // of all kept, not only this page
  std::uint64_t read_up_to = 0;
  std::uint64_t next_before = 0;  // 0: no older page
};

class notification_centre {
 public:
  notification_centre(notification_centre_options options, eventstore::store& store);
  ~notification_centre();  // stores what is queued, then stops

  notification_centre(const notification_centre&) = delete;
  notification_centre& operator=(const notification_centre&) = delete;

  // Whether the notifications of the event at `position` are stored or queued.
  [[nodiscard]] bool handled(std::uint64_t position) const;

  // The notifications (user id, JSON) caused by the event at `position`,
  // recorded at `at_ms`; ignored when handled already.
  void on_event(std::uint64_t position, const std::vector<std::pair<std::string, nlohmann::json>>& notifications,
                std::int64_t at_ms);
  // A time-driven reminder sent now (`at_ms`).
  void remind(const std::string& user_id, const nlohmann::json& notification, std::int64_t at_ms);

  // After an erasure of the event at `position` of `stream`: every kept
  // notification caused by that event or about that stream (its title may
  // hold what was erased) is dropped, for every user. Errors: logged.
  void forget(const std::string& stream, std::uint64_t position);

  // Blocks until everything queued before the call is stored.
  void flush();

  // The user's notifications older than `before` (0: from the newest), at
  // most `limit`. Errors: the store's message.
  [[nodiscard]] std::expected<notification_page, std::string> list(const std::string& user_id, std::size_t limit,
                                                                    std::uint64_t before) const;
  // Marks the user's notifications up to `seq` read (never moves back);
  // returns the unread count after. Errors: the store's message.
  [[nodiscard]] std::expected<std::uint64_t, std::string> mark_read(const std::string& user_id, std::uint64_t seq);

  // How the user wants each category of notification mailed (mail_category;
  // immediately unless they chose otherwise), kept in the store's metadata
  // (`prefs/mail/<user id>`).
  [[nodiscard]] mail_mode mail_preference(const std::string& user_id, std::string_view category) const;
  [[nodiscard]] nlohmann::json mail_preferences(const std::string& user_id) const;
  // `choices`: {category: "immediately" | "digest" | "off"}, any subset;
  // an unknown category or mode is refused, nothing changed.
  [[nodiscard]] std::expected<nlohmann::json, std::string> set_mail_preferences(const std::string& user_id,
                                                                               const nlohmann::json& choices);

  // What the preferences answer says besides them: whether this server
  // mails at all, and the user's address (empty: none registered).
  using mail_status_fn = std::function<nlohmann::json(const std::string& user_id)>;

  // GET /api/notifications, POST /api/notifications/read, GET and PUT
  // /api/notifications/preferences (docs/protocol.md).
  void add_routes(router& routes, identify_fn identify, worker_pool& pool, mail_status_fn mail_status);

 private:
  struct queued {
    std::string user_id;
    nlohmann::json notification;
    std::int64_t at_ms = 0;
  };
  void run();
  const nlohmann::json& preferences_locked(const std::string& user_id) const;
  void store_batch(std::vector<queued>& batch, std::uint64_t position);

  notification_centre_options options_;
  eventstore::store& store_;

  mutable std::mutex mutex_;  // the queue and positions
  std::condition_variable cv_;
  std::vector<queued> queue_;
  std::uint64_t queued_position_ = 0;  // the last event position handed in
  std::uint64_t taken_position_ = 0;   // the last position the writer took
  std::uint64_t batches_started_ = 0, batches_done_ = 0;
  int flushing_ = 0;  // callers waiting in flush()
  bool stopping_ = false;

  mutable std::mutex io_mutex_;  // read-modify-write of users' values
  std::set<std::string> users_;  // who has a centre (`centre/users`); under io_mutex_

  mutable std::mutex preferences_mutex_;
  mutable std::map<std::string, nlohmann::json, std::less<>> preferences_;  // read through, written through
  std::thread thread_;
};

}  // namespace isms::server
