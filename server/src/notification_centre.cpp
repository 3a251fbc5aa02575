#include "isms/server/notification_centre.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "isms/domain/core.hpp"
#include "isms/server/http_types.hpp"
#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

using nlohmann::json;

namespace {

constexpr std::string_view checkpoint_key = "centre/checkpoint";
constexpr std::string_view users_key = "centre/users";
constexpr std::size_t most_per_page = 200;

std::string user_key(std::string_view user_id) { return "centre/" + std::string(user_id); }

// A user's stored value: {"next": seq, "read": seq, "items": [oldest … newest]}.
// Anything unreadable starts afresh (logged): the centre is a convenience
// over the log, never the only record of anything.
json load_user(const eventstore::store& store, const std::string& user_id) {
  json empty{{"next", 1}, {"read", 0}, {"items", json::array()}};
  auto stored = store.get_meta(user_key(user_id));
  if (!stored) return empty;
  json j = read_json(*stored, max_stored_json_depth).value_or(json());
  if (!j.is_object() || !j.contains("items") || !j["items"].is_array() || !j.value("next", json()).is_number_unsigned()) {
    log::warn("notify", "the notification centre of " + user_id + " was unreadable; it starts empty");
    return empty;
  }
  if (!j.value("read", json()).is_number_unsigned()) j["read"] = 0;
  return j;
}

std::uint64_t unread_of(const json& user) {
  const auto read = user["read"].get<std::uint64_t>();
  return static_cast<std::uint64_t>(std::ranges::count_if(
      user["items"], [&](const json& i) { return i.value("seq", std::uint64_t{0}) > read; }));
}

}  // namespace

notification_centre::notification_centre(notification_centre_options options, eventstore::store& store)
    : options_(options), store_(store) {
  if (options_.keep_per_user == 0) options_.keep_per_user = 1;
  std::uint64_t stored_position = 0;
  if (auto stored = store_.get_meta(checkpoint_key)) {
    stored_position = parse_decimal(*stored).value_or(0);
  } else {
    // The history before the centre existed is not turned into notifications.
    stored_position = store_.current_head().position;
    if (auto r = store_.put_meta(checkpoint_key, std::to_string(stored_position)); !r)
      log::error("notify", "could not store the notification centre's checkpoint: " + r.error().message);
  }
  queued_position_ = taken_position_ = stored_position;
  if (auto stored = store_.get_meta(users_key)) {
    const json ids = read_json(*stored, max_stored_json_depth).value_or(json::array());
    if (ids.is_array())
      for (const auto& id : ids)
        if (id.is_string()) users_.insert(id.get<std::string>());
  }
  thread_ = std::thread([this] { run(); });
}

notification_centre::~notification_centre() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool notification_centre::handled(std::uint64_t position) const {
  std::lock_guard lock(mutex_);
  return position <= queued_position_;
}

void notification_centre::on_event(std::uint64_t position, const std::vector<std::pair<std::string, json>>& notifications,
                                   std::int64_t at_ms) {
  {
    std::lock_guard lock(mutex_);
    if (position <= queued_position_) return;
    queued_position_ = position;
    for (const auto& [user, n] : notifications) queue_.push_back({user, n, at_ms});
  }
  cv_.notify_all();
}

void notification_centre::remind(const std::string& user_id, const json& notification, std::int64_t at_ms) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({user_id, notification, at_ms});
  }
  cv_.notify_all();
}

void notification_centre::flush() {
  std::unique_lock lock(mutex_);
  // What is queued now goes with the next batch; a batch in flight is waited for.
  const bool more = !queue_.empty() || queued_position_ != taken_position_;
  const std::uint64_t target = batches_started_ + (more ? 1 : 0);
  ++flushing_;
  cv_.notify_all();
  cv_.wait(lock, [&] { return stopping_ || batches_done_ >= target; });
  --flushing_;
}

void notification_centre::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || queued_position_ != taken_position_; });
    if (queue_.empty() && queued_position_ == taken_position_) {
      if (stopping_) return;
      continue;
    }
    // Events that notify no one only move the checkpoint: that waits up to a
    // second for company instead of costing a durable write per event (after
    // a crash, the events since the stored checkpoint are handed in again).
    if (queue_.empty() && !stopping_)
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || !queue_.empty() || flushing_ > 0; });
    std::vector<queued> batch;
    batch.swap(queue_);
    const std::uint64_t position = taken_position_ = queued_position_;
    ++batches_started_;
    lock.unlock();
    store_batch(batch, position);
    lock.lock();
    ++batches_done_;
    cv_.notify_all();
  }
}

void notification_centre::store_batch(std::vector<queued>& batch, std::uint64_t position) {
  std::lock_guard io(io_mutex_);
  std::map<std::string, json> users;
  for (auto& q : batch) {
    auto [it, fresh] = users.try_emplace(q.user_id);
    if (fresh) it->second = load_user(store_, q.user_id);
    json& u = it->second;
    json& items = u["items"];
    const std::string id = q.notification.value("id", std::string{});
    // Handed in again after a crash: stored already.
    if (!id.empty() && std::ranges::any_of(items, [&](const json& i) { return i.value("id", std::string{}) == id; }))
      continue;
    json item = std::move(q.notification);
    const auto seq = u["next"].get<std::uint64_t>();
    u["next"] = seq + 1;
    item["seq"] = seq;
    item["at"] = domain::format_instant(domain::instant{std::chrono::milliseconds{q.at_ms}});
    items.push_back(std::move(item));
    if (items.size() > options_.keep_per_user)
      items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(items.size() - options_.keep_per_user));
  }
  std::vector<std::string> keys, values;
  keys.reserve(users.size() + 2);
  values.reserve(users.size() + 2);
  bool new_user = false;
  for (const auto& [user, u] : users) {
    keys.push_back(user_key(user));
    values.push_back(u.dump());
    new_user = users_.insert(user).second || new_user;
  }
  if (new_user) {
    keys.emplace_back(users_key);
    values.push_back(json(users_).dump());
  }
  keys.emplace_back(checkpoint_key);
  values.push_back(std::to_string(position));
  std::vector<std::pair<std::string, std::string_view>> entries;
  for (std::size_t i = 0; i < keys.size(); ++i) entries.emplace_back(keys[i], values[i]);
  if (auto r = store_.put_meta(entries); !r)
    log::error("notify", "could not store " + std::to_string(batch.size()) +
                             " notification(s) in the centre: " + r.error().message);
}

void notification_centre::forget(const std::string& stream, std::uint64_t position) {
  flush();  // what was queued before the erasure is stored, then forgotten
  std::lock_guard io(io_mutex_);
  std::vector<std::string> keys, values;
  std::size_t dropped = 0;
  for (const auto& user : users_) {
    json u = load_user(store_, user);
    json& items = u["items"];
    const auto before = items.size();
    items.erase(std::remove_if(items.begin(), items.end(),
                               [&](const json& i) {
                                 return i.value("position", std::uint64_t{0}) == position ||
                                        (!stream.empty() && i.value("subject_stream", std::string{}) == stream);
                               }),
                items.end());
    if (items.size() == before) continue;
    dropped += before - items.size();
    keys.push_back(user_key(user));
    values.push_back(u.dump());
  }
  if (keys.empty()) return;
  std::vector<std::pair<std::string, std::string_view>> entries;
  for (std::size_t i = 0; i < keys.size(); ++i) entries.emplace_back(keys[i], values[i]);
  if (auto r = store_.put_meta(entries); !r)
    log::error("notify", "could not drop the notifications made from an erased event: " + r.error().message);
  else
    log::info("notify", "dropped " + std::to_string(dropped) + " notification(s) made from the erased event at " +
                            std::to_string(position));
}

std::expected<notification_page, std::string> notification_centre::list(const std::string& user_id, std::size_t limit,
                                                                         std::uint64_t before) const {
  std::lock_guard io(io_mutex_);
  const json u = load_user(store_, user_id);
  notification_page page;
  page.read_up_to = u["read"].get<std::uint64_t>();
  page.unread = unread_of(u);
  limit = std::clamp<std::size_t>(limit, 1, most_per_page);
  const json& items = u["items"];
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    const auto seq = it->value("seq", std::uint64_t{0});
    if (before != 0 && seq >= before) continue;
    if (page.items.size() == limit) {
      page.next_before = page.items.back()["seq"].get<std::uint64_t>();
      break;
    }
    json item = *it;
    item["read"] = seq <= page.read_up_to;
    page.items.push_back(std::move(item));
  }
  return page;
}

std::expected<std::uint64_t, std::string> notification_centre::mark_read(const std::string& user_id, std::uint64_t seq) {
  std::lock_guard io(io_mutex_);
  json u = load_user(store_, user_id);
  // Never beyond what was given, never back.
  const auto last = u["next"].get<std::uint64_t>() - 1;
  const auto read = std::max(u["read"].get<std::uint64_t>(), std::min(seq, last));
  if (read != u["read"].get<std::uint64_t>()) {
    u["read"] = read;
    if (auto r = store_.put_meta(user_key(user_id), u.dump()); !r) return std::unexpected(r.error().message);
  }
  return unread_of(u);
}

namespace {
std::string preferences_key(std::string_view user_id) { return "prefs/mail/" + std::string(user_id); }
}  // namespace

json notification_centre::mail_preferences(const std::string& user_id) const {
  std::lock_guard lock(preferences_mutex_);
  return preferences_locked(user_id);
}

const json& notification_centre::preferences_locked(const std::string& user_id) const {
  auto it = preferences_.find(user_id);
  if (it == preferences_.end()) {
    json stored = json::object();
    if (auto v = store_.get_meta(preferences_key(user_id)))
      stored = read_json(*v, max_stored_json_depth).value_or(json::object());
    json whole = json::object();
    for (const auto category : mail_categories) {
      const auto at = stored.find(category);
      const bool known = at != stored.end() && at->is_string() && mail_mode_from(at->get<std::string>());
      whole[std::string(category)] = known ? at->get<std::string>() : std::string(to_string(mail_mode::immediately));
    }
    it = preferences_.emplace(user_id, std::move(whole)).first;
  }
  return it->second;
}

mail_mode notification_centre::mail_preference(const std::string& user_id, std::string_view category) const {
  std::lock_guard lock(preferences_mutex_);
  const json& p = preferences_locked(user_id);
  const auto it = p.find(category);
  return it == p.end() ? mail_mode::immediately : mail_mode_from(it->get<std::string>()).value_or(mail_mode::immediately);
}

std::expected<json, std::string> notification_centre::set_mail_preferences(const std::string& user_id,
                                                                          const json& choices) {
  if (!choices.is_object()) return std::unexpected("send {category: mode}");
  std::lock_guard lock(preferences_mutex_);
  json next = preferences_locked(user_id);
  for (const auto& [category, mode] : choices.items()) {
    if (std::ranges::find(mail_categories, category) == mail_categories.end())
      return std::unexpected("no category '" + category + "': approvals, assignments, incidents or reminders");
    if (!mode.is_string() || !mail_mode_from(mode.get<std::string>()))
      return std::unexpected(category + ": immediately, digest or off");
    next[category] = mode;
  }
  if (auto r = store_.put_meta(preferences_key(user_id), next.dump()); !r) return std::unexpected(r.error().message);
  preferences_[user_id] = next;
  return next;
}

void notification_centre::add_routes(router& routes, identify_fn identify, worker_pool& pool,
                                     mail_status_fn mail_status) {
  routes.on("/api/notifications/preferences", {"GET", "PUT"},
            on_pool(pool, [this, identify, mail_status](const http_request& r) {
              auto who = require_caller(identify, r);
              if (!who) return who.error();
              json mail = mail_status ? mail_status(who->user_id) : json::object();
              if (r.method == "PUT") {
                const json body = read_json(r.body).value_or(json());
                if (!body.is_object() || !body.contains("mail"))
                  return json_error(400, "bad_request",
                                    "send {\"mail\": {\"approvals\" | \"assignments\" | \"incidents\" | \"reminders\": "
                                    "\"immediately\" | \"digest\" | \"off\"}}");
                auto set = set_mail_preferences(who->user_id, body["mail"]);
                if (!set) return json_error(400, "bad_request", "mail: " + set.error());
                mail["preferences"] = *set;
              } else {
                mail["preferences"] = mail_preferences(who->user_id);
              }
              return json_response(200, json{{"mail", mail}});
            }, "the preferences could not be read or stored"));
  routes.on("/api/notifications", {"GET"},
            on_pool(pool, [this, identify](const http_request& r) {
              auto who = require_caller(identify, r);
              if (!who) return who.error();
              const auto limit = query_number(r.query, "limit", 50);
              const auto before = query_number(r.query, "before", 0);
              if (!limit || *limit == 0 || *limit > most_per_page)
                return json_error(400, "bad_request", "limit: 1 to " + std::to_string(most_per_page));
              if (!before) return json_error(400, "bad_request", "before: a sequence number (decimal digits)");
              flush();  // a notification just pushed is listed too
              auto page = list(who->user_id, *limit, *before);
              if (!page) return json_error(500, "internal", page.error());
              return json_response(200, json{{"notifications", page->items},
                                             {"unread", page->unread},
                                             {"read_up_to", page->read_up_to},
                                             {"next_before", page->next_before == 0 ? json(nullptr)
                                                                                    : json(page->next_before)}});
            }, "the notifications could not be read"));
  routes.on("/api/notifications/read", {"POST"},
            on_pool(pool, [this, identify](const http_request& r) {
              auto who = require_caller(identify, r);
              if (!who) return who.error();
              const json body = read_json(r.body).value_or(json());
              if (!body.is_object() || !body.contains("up_to") || !body["up_to"].is_number_unsigned())
                return json_error(400, "bad_request", "send {\"up_to\": seq}: the newest notification read");
              auto unread = mark_read(who->user_id, body["up_to"].get<std::uint64_t>());
              if (!unread) return json_error(500, "internal", unread.error());
              return json_response(200, json{{"ok", true}, {"unread", *unread}});
            }, "the notifications could not be marked read"));
}

}  // namespace isms::server
