#include "isms/server/ws_api.hpp"

#include "isms/domain/authorization.hpp"

#include <algorithm>
#include <set>

#include "isms/server/ws_request.hpp"
#include "isms/server/log.hpp"
#include "isms/server/view_access.hpp"

namespace isms::server {

using json = nlohmann::json;
namespace views = domain::views;

namespace {


std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string error_reply(const json& id, std::string_view code, std::string_view message, std::string_view field = {}) {
  json err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  return dump(json{{"id", id}, {"ok", false}, {"error", std::move(err)}});
}

std::string ok_reply(const json& id, json result) {
  return dump(json{{"id", id}, {"ok", true}, {"result", std::move(result)}});
}

// Whose eyes a view's answer depends on, as a key: viewers with the same key
// get the same bytes. Listed views answer alike to everyone who holds a role;
// `users` hides contact details from all but admins and ISMS managers; any
// other view (`inbox`, and every view added later until it is listed here) is
// keyed by the exact viewer, so that no answer is ever shared by mistake.
// Empty: not cached (a viewer without roles is refused).
std::string visibility_of(std::string_view view, const domain::actor& viewer) {
  static const std::set<std::string_view> same_for_everyone{
      "risks",  "risk",   "soa",     "objectives", "nonconformities", "nonconformity", "approvals",
      "documents", "document", "audits", "reviews", "review_pack", "scope", "incidents", "incident", "suppliers", "supplier",
      "assets", "asset", "evidence", "activity", "due"};
  if (viewer.roles.empty()) return {};
  if (same_for_everyone.contains(view)) return "*";
  if (view == "users")
    return viewer.has(domain::role::admin) || viewer.has(domain::role::isms_manager) ? "users:managers" : "users:others";
  std::vector<std::string_view> roles;
  for (const auto r : viewer.roles) roles.push_back(domain::to_string(r));
  std::sort(roles.begin(), roles.end());
  std::string key = "user:" + viewer.user_id;
  for (const auto r : roles) key.append(1, '\x1f').append(r);
  return key;
}

domain::date today_of(std::int64_t ms) {
  return std::chrono::floor<std::chrono::days>(domain::instant{std::chrono::milliseconds{ms}});
}

}  // namespace

// Per-connection state. Guarded by ws_api::mutex_.
struct ws_api::client {
  std::weak_ptr<ws_connection> conn;
  std::string user_id;
  std::string token;  // the session it was opened with
  std::set<std::string> channels;
  double tokens = 0;
  std::chrono::steady_clock::time_point refilled;
};

class ws_api::handler final : public ws_handler {
 public:
  handler(std::shared_ptr<ws_api> api, std::string user_id, std::string token)
      : api_(std::move(api)), user_id_(std::move(user_id)), token_(std::move(token)) {}
  void on_open(const std::shared_ptr<ws_connection>& conn) override { api_->on_open(conn, user_id_, token_); }
  void on_text(const std::shared_ptr<ws_connection>& conn, std::string text) override { api_->on_text(conn, text); }
  void on_close(const std::shared_ptr<ws_connection>& conn) override { api_->on_close(conn); }

 private:
  std::shared_ptr<ws_api> api_;
  std::string user_id_;
  std::string token_;
};

namespace {
constexpr std::string_view session_ended = "the session has ended (signed out or expired); sign in again";
}  // namespace

ws_api::ws_api(ws_api_options options, command_pipeline& pipeline, projection_engine& views, worker_pool& pool,
               clock_fn clock, session_check session_valid)
    : options_(options),
      pipeline_(pipeline),
      views_(views),
      pool_(pool),
      clock_(std::move(clock)),
      session_valid_(std::move(session_valid)) {}

std::shared_ptr<ws_handler> ws_api::handler_for(std::string user_id, std::string token) {
  return std::make_shared<handler>(shared_from_this(), std::move(user_id), std::move(token));
}

void ws_api::on_open(const std::shared_ptr<ws_connection>& conn, const std::string& user_id,
                     const std::string& token) {
  auto c = std::make_shared<client>();
  c->conn = conn;
  c->user_id = user_id;
  c->token = token;
  c->tokens = options_.burst;
  c->refilled = std::chrono::steady_clock::now();
  bool refused = false;
  {
    std::lock_guard lock(mutex_);
    refused = shut_down_;
    if (!refused) {
      index_open(conn->id(), c);
      clients_[conn->id()] = std::move(c);
    }
  }
  if (refused) return conn->close("the server is shutting down", close_cause::going_away);
  // A sign-out between the upgrade and now found no connection to close:
  // look again now that this one is known.
  if (!session_valid_(token)) conn->close(std::string(session_ended), close_cause::policy);
}

void ws_api::shutdown() {
  std::map<std::uint64_t, std::shared_ptr<client>> dropped;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    dropped.swap(clients_);
    channels_.clear();
    by_user_.clear();
    by_token_.clear();
  }
  for (const auto& [id, c] : dropped)
    if (auto conn = c->conn.lock()) conn->close("the server is shutting down", close_cause::going_away);
}

void ws_api::close_session(const std::string& token, const std::string& reason) {
  std::vector<std::shared_ptr<ws_connection>> targets;
  {
    std::lock_guard lock(mutex_);
    auto it = by_token_.find(token);
    if (it != by_token_.end())
      for (const auto id : it->second)
        if (auto c = clients_.find(id); c != clients_.end())
          if (auto conn = c->second->conn.lock()) targets.push_back(std::move(conn));
  }
  for (auto& t : targets) t->close(reason, close_cause::policy);
}

void ws_api::sweep_sessions() {
  std::vector<std::pair<std::shared_ptr<ws_connection>, std::string>> open;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [_, c] : clients_)
      if (auto conn = c->conn.lock()) open.emplace_back(std::move(conn), c->token);
  }
  // Asked outside the lock: the check reads the users view.
  std::map<std::string, bool> valid;
  for (auto& [conn, token] : open) {
    auto [it, fresh] = valid.try_emplace(token, false);
    if (fresh) it->second = session_valid_(token);
    if (!it->second) conn->close(std::string(session_ended), close_cause::policy);
  }
}

void ws_api::reply(const std::shared_ptr<ws_connection>& conn, const json& id, std::string text) {
  if (text.size() > options_.max_reply_bytes)
    return conn->send(error_reply(id, "too_large",
                                  "the reply of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                      std::to_string(options_.max_reply_bytes) +
                                      " (limits.max_ws_queued_bytes); ask for fewer rows with params.limit"));
  conn->send(std::move(text));
}

void ws_api::on_close(const std::shared_ptr<ws_connection>& conn) {
  std::set<std::string> review_channels;
  {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(conn->id());
    if (it == clients_.end()) return;
    for (const auto& ch : it->second->channels)
      if (ch.starts_with(review_channel_prefix)) review_channels.insert(ch);
    index_close(it->first, *it->second);
    clients_.erase(it);
  }
  for (const auto& ch : review_channels) push_presence(ch);
}

std::size_t ws_api::connection_count() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

void ws_api::on_text(const std::shared_ptr<ws_connection>& conn, const std::string& text) {
  std::string token;
  {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(conn->id());
    if (it == clients_.end()) return;
    token = it->second->token;
  }
  // Every request is answered only within a live session: a connection
  // outlives neither its sign-out nor its session's expiry.
  if (!session_valid_(token)) return conn->close(std::string(session_ended), close_cause::policy);

  std::string user_id;
  bool limited = false;
  {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(conn->id());
    if (it == clients_.end()) return;
    client& c = *it->second;
    // Token bucket: refill at the sustained rate, spend one per request.
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - c.refilled).count();
    c.tokens = std::min(options_.burst, c.tokens + elapsed * options_.requests_per_second);
    c.refilled = now;
    if (c.tokens < 1.0) {
      limited = true;
    } else {
      c.tokens -= 1.0;
      user_id = c.user_id;
    }
  }

  if (text.size() > options_.max_message_bytes)
    return conn->send(error_reply(nullptr, "too_large",
                                  "message of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                                      std::to_string(options_.max_message_bytes)));
  auto parsed = read_ws_request(text, ws_request_limits{.max_json_depth = options_.max_json_depth});
  if (limited) {
    // Refused, but under the request's own id, so that a client waiting for
    // its answer learns why instead of waiting in vain.
    return conn->send(error_reply(parsed ? parsed->id : parsed.error().id, "rate_limited",
                                  "more than " + std::to_string(static_cast<int>(options_.requests_per_second)) +
                                      " requests per second; slow down"));
  }
  if (!parsed) return conn->send(error_reply(parsed.error().id, "bad_request", parsed.error().message, parsed.error().field));
  ws_request& req = *parsed;
  const json& id = req.id;
  if (std::holds_alternative<ws_ping>(req.op))
    return conn->send(ok_reply(id, json{{"pong", true}, {"position", views_.position()}}));
  if (auto* c = std::get_if<ws_command>(&req.op)) return op_command(conn, user_id, id, std::move(*c));
  if (auto* q = std::get_if<ws_query>(&req.op)) return op_query(conn, user_id, id, std::move(*q));
  if (auto* s = std::get_if<ws_subscribe>(&req.op)) return op_subscribe(conn, user_id, id, s->channel, true);
  if (auto* u = std::get_if<ws_unsubscribe>(&req.op)) return op_subscribe(conn, user_id, id, u->channel, false);
}

void ws_api::op_command(const std::shared_ptr<ws_connection>& conn, const std::string& user_id, const json& id,
                        ws_command req) {
  // Evidence is attached where its bytes arrive, so that what the event
  // records of them (digest, size) is what the server measured, never what
  // a client claims.
  // Who may not attach at all hears `forbidden`, as for any command.
  if (req.type == "evidence.attach") {
    if (!domain::may_issue(pipeline_.actor_of(user_id), req.type))
      return conn->send(error_reply(id, "forbidden", "your roles may not send evidence.attach"));
    return conn->send(error_reply(id, "bad_request",
                                  "evidence is attached by uploading its file: POST /api/evidence-files", "type"));
  }
  command_request cmd;
  cmd.type = std::move(req.type);
  cmd.stream = std::move(req.stream);
  cmd.command_id = std::move(req.command_id);
  cmd.correlation_id = std::move(req.correlation_id);
  cmd.expected_version = req.expected_version;
  cmd.data = std::move(req.data);
  cmd.comment = std::move(req.comment);
  cmd.confirm_code = std::move(req.confirm_code);
  cmd.confirm_sign_in = req.confirm_sign_in;
  pipeline_.submit(user_id, std::move(cmd), [conn, id](command_outcome o) {
    if (!o.ok) return conn->send(error_reply(id, o.error_code, o.error_message, o.error_field));
    json result{{"position", o.position}, {"version", o.version}};
    if (o.duplicate) result["duplicate"] = true;
    conn->send(ok_reply(id, std::move(result)));
  });
}

void ws_api::op_query(const std::shared_ptr<ws_connection>& conn, const std::string& user_id, const json& id,
                      ws_query req) {
  // A point in history resolved to a log position; "now" when absent.
  struct point {
    bool now = true;
    std::uint64_t position = 0;
  };
  // A time is resolved here, on the I/O thread, as before the query job runs.
  auto resolve = [&](const std::optional<ws_point>& p, point& out) -> bool {
    if (!p) return true;
    out.now = false;
    if (!p->by_time) {
      out.position = p->position;
      return true;
    }
    auto pos = views_.position_at(p->time_ms);
    if (!pos) {
      conn->send(error_reply(id, "internal", pos.error().message));
      return false;
    }
    out.position = *pos;
    return true;
  };
  point at, from;
  const bool want_diff = req.diff_from.has_value();
  if (!resolve(req.as_of, at) || !resolve(req.diff_from, from) || !resolve(req.diff_to, at)) return;
  json params = std::move(req.params);

  const std::string view = std::move(req.view);
  // A list view comes in pages; a diff compares whole lists.
  const bool paged = !want_diff && is_paged_view(view);
  page_request page;
  if (paged) {
    auto p = read_page(params, options_.default_page_size, options_.max_page_size);
    if (!p) return conn->send(error_reply(id, "bad_request", p.error().message, p.error().field));
    page = *p;
    if (page.position) {
      // A later page reads the state the first one was read from.
      if (!at.now && at.position != *page.position)
        return conn->send(error_reply(id, "bad_request",
                                      "params.after continues a listing at position " +
                                          std::to_string(*page.position) + "; drop as_of or ask for that position",
                                      "params.after"));
      at.now = false;
      at.position = *page.position;
    }
  } else if (params.contains("after") && !params["after"].is_null()) {
    return conn->send(error_reply(id, "bad_request",
                                  want_diff ? "a diff is not paged" : "view '" + view + "' is not paged",
                                  "params.after"));
  }
  const domain::actor viewer = pipeline_.actor_of(user_id);

  // One answer per query, whether the job gives it or, when the job throws,
  // its failure handler (`internal`).
  auto answer = at_most_once(std::function<void(std::string)>(
      [this, conn, id](std::string text) { reply(conn, id, std::move(text)); }));
  // Runs the query on the views at a point; as-of points may read the store,
  // so the whole query runs on the pool, not on an I/O thread. "Today" is
  // read there too, when the views are.
  pool_.post([this, id, view, params, viewer, at, from, want_diff, paged, page, answer] {
    const domain::date today = today_of(clock_());
    // The current state's answer may be one another client already had.
    std::string cache_key;
    std::uint64_t cache_position = 0;
    if (at.now && !want_diff && options_.view_reply_cache_bytes > 0) {
      if (auto eyes = visibility_of(view, viewer); !eyes.empty()) {
        cache_key = eyes + '\x1e' + view + '\x1e' + dump(params) + '\x1e' + domain::format_date(today);
        cache_position = views_.position();
        if (auto hit = cached_reply(cache_position, cache_key))
          return answer("{\"id\":" + dump(id) + ",\"ok\":true,\"result\":" + *hit + "}");
      }
    }
    auto run_at = [&](const point& p, std::uint64_t& position) {
      return views_.query(p.now ? std::nullopt : std::optional<std::uint64_t>(p.position), view, params, viewer,
                          today, position,
                          paged ? std::optional<views::row_window>(views::row_window{page.offset, page.limit})
                                : std::nullopt);
    };
    std::uint64_t to_position = 0;
    auto result = run_at(at, to_position);
    if (!result) {
      return answer(error_reply(id, domain::wire_code(result.error().kind), result.error().message,
                                result.error().field));
    }
    if (!want_diff) {
      if (paged) cut_page(*result, view, page, to_position);
      auto text = std::make_shared<const std::string>(
          dump(json{{"data", std::move(*result)}, {"position", to_position}, {"view", view}}));
      // Spliced as ok_reply would build it (members in key order: id, ok, result).
      std::string reply = "{\"id\":" + dump(id) + ",\"ok\":true,\"result\":" + *text + "}";
      if (!cache_key.empty()) keep_reply(to_position, cache_key, std::move(text));
      return answer(std::move(reply));
    }
    std::uint64_t from_position = 0;
    auto before = run_at(from, from_position);
    if (!before)
      return answer(error_reply(id, domain::wire_code(before.error().kind), before.error().message,
                                before.error().field));
    answer(ok_reply(id, json{{"view", view},
                             {"from_position", from_position},
                             {"position", to_position},
                             {"diff", views::diff(*before, *result)}}));
  }, [answer, id](std::string_view) {
    answer(error_reply(id, "internal", "the query failed on the server; the server log has the cause"));
  });
}

std::shared_ptr<const std::string> ws_api::cached_reply(std::uint64_t position, const std::string& key) {
  std::lock_guard lock(replies_.mutex);
  if (position != replies_.position) return nullptr;
  auto it = replies_.by_key.find(key);
  return it == replies_.by_key.end() ? nullptr : it->second;
}

void ws_api::keep_reply(std::uint64_t position, const std::string& key, std::shared_ptr<const std::string> result) {
  const std::size_t size = result->size() + key.size();
  if (size > options_.view_reply_cache_bytes / 4) return;
  std::lock_guard lock(replies_.mutex);
  if (position < replies_.position) return;  // already moved on
  if (position > replies_.position) {
    replies_.by_key.clear();
    replies_.bytes = 0;
    replies_.position = position;
  }
  if (replies_.bytes + size > options_.view_reply_cache_bytes) {
    // Full at this position: start over rather than track recency.
    replies_.by_key.clear();
    replies_.bytes = 0;
  }
  if (replies_.by_key.emplace(key, std::move(result)).second) replies_.bytes += size;
}

void ws_api::op_subscribe(const std::shared_ptr<ws_connection>& conn, const std::string& user_id, const json& id,
                          const std::string& channel, bool subscribe) {
  if (subscribe && channel == channel_events) {
    const auto a = pipeline_.actor_of(user_id);
    if (!a.has(domain::role::external_auditor) && !a.has(domain::role::internal_auditor) && !a.has(domain::role::admin) &&
        !a.has(domain::role::isms_manager))
      return conn->send(error_reply(id, "forbidden", "the event feed is for auditors, ISMS managers and admins"));
  }
  {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(conn->id());
    if (it == clients_.end()) return;
    auto& channels = it->second->channels;
    if (subscribe) {
      if (!channels.contains(channel) && channels.size() >= options_.max_subscriptions)
        return conn->send(error_reply(id, "too_large", "too many subscriptions on this connection"));
      if (channels.insert(channel).second) index_join(channel, it->first, it->second);
    } else {
      if (channels.erase(channel) > 0) index_leave(channel, it->first);
    }
  }
  conn->send(ok_reply(id, json{{"channel", channel}, {"subscribed", subscribe}, {"position", views_.position()}}));
  if (channel.starts_with(review_channel_prefix)) push_presence(channel);
}

void ws_api::push_presence(const std::string& channel) {
  std::set<std::string> present;
  std::vector<std::shared_ptr<ws_connection>> targets;
  {
    std::lock_guard lock(mutex_);
    auto it = channels_.find(channel);
    if (it == channels_.end()) return;  // nobody left to tell
    for (const auto& [_, c] : it->second.members) {
      present.insert(c->user_id);
      if (auto conn = c->conn.lock()) targets.push_back(std::move(conn));
    }
  }
  const std::string msg = dump(json{{"push", channel}, {"data", {{"presence", present}}}});
  for (auto& t : targets) t->send(msg);
}

void ws_api::on_applied(const views::all_views&, const domain::recorded_event& e) {
  const std::string kind_id = e.stream;  // "review-MR-1" → channel "review:MR-1"
  std::string review_channel;
  if (kind_id.starts_with("review-")) review_channel = std::string(review_channel_prefix) + kind_id.substr(7);

  std::string event_msg;  // built lazily: only when someone listens to the feed or the review
  auto full_event = [&]() -> const std::string& {
    if (event_msg.empty()) {
      event_msg = dump(json{{"position", e.position},
                            {"stream", e.stream},
                            {"version", e.version},
                            {"type", e.type},
                            {"data", e.data},
                            {"actor", e.meta.actor},
                            {"recorded_at", domain::format_instant(e.meta.recorded_at)},
                            {"comment", e.meta.comment}});
    }
    return event_msg;
  };

  // Who listens, taken under the lock without visiting any connection (one
  // entry per subscribed channel); each message is built once per channel
  // and sent outside the lock.
  std::vector<std::pair<std::string, targets>> view_targets;
  targets feed_targets, review_targets;
  {
    std::lock_guard lock(mutex_);
    for (auto it = channels_.lower_bound(view_channel_prefix);
         it != channels_.end() && it->first.starts_with(view_channel_prefix); ++it)
      view_targets.emplace_back(it->first, targets_of(it->second));
    if (auto it = channels_.find(channel_events); it != channels_.end()) feed_targets = targets_of(it->second);
    if (!review_channel.empty())
      if (auto it = channels_.find(review_channel); it != channels_.end()) review_targets = targets_of(it->second);
  }
  auto send_all = [](const targets& to, const std::string& msg) {
    for (const auto& w : *to)
      if (auto conn = w.lock()) conn->send(msg);
  };
  if (!view_targets.empty()) {
    // Built only when someone listens: every event passes here, most with
    // no view subscriber (and all of them while start-up folds the log).
    const json change{{"position", e.position}, {"stream", e.stream}, {"version", e.version}, {"type", e.type}};
    for (const auto& [ch, to] : view_targets) send_all(to, dump(json{{"push", ch}, {"data", change}}));
  }
  if (feed_targets) send_all(feed_targets, "{\"push\":\"events\",\"data\":" + full_event() + "}");
  if (review_targets)
    send_all(review_targets, "{\"push\":\"" + review_channel + "\",\"data\":{\"event\":" + full_event() + "}}");
}

void ws_api::push_notification(const std::string& user_id, const json& notification) {
  const std::string msg = dump(json{{"push", channel_notifications}, {"data", notification}});
  std::vector<std::shared_ptr<ws_connection>> targets;
  {
    static const std::string notifications_key(channel_notifications);
    std::lock_guard lock(mutex_);
    auto it = by_user_.find(user_id);
    if (it == by_user_.end()) return;
    for (const auto& [_, c] : it->second) {
      if (!c->channels.contains(notifications_key)) continue;
      if (auto conn = c->conn.lock()) targets.push_back(std::move(conn));
    }
  }
  for (auto& t : targets) t->send(msg);
}

void ws_api::close_user(const std::string& user_id, const std::string& reason) {
  std::vector<std::shared_ptr<ws_connection>> targets;
  {
    std::lock_guard lock(mutex_);
    auto it = by_user_.find(user_id);
    if (it != by_user_.end())
      for (const auto& [_, c] : it->second)
        if (auto conn = c->conn.lock()) targets.push_back(std::move(conn));
  }
  for (auto& t : targets) t->close(reason, close_cause::policy);
}

void ws_api::index_open(std::uint64_t id, const std::shared_ptr<client>& c) {
  by_user_[c->user_id].emplace(id, c);
  by_token_[c->token].insert(id);
}

void ws_api::index_close(std::uint64_t id, const client& c) {
  for (const auto& ch : c.channels) index_leave(ch, id);
  if (auto u = by_user_.find(c.user_id); u != by_user_.end()) {
    u->second.erase(id);
    if (u->second.empty()) by_user_.erase(u);
  }
  if (auto t = by_token_.find(c.token); t != by_token_.end()) {
    t->second.erase(id);
    if (t->second.empty()) by_token_.erase(t);
  }
}

void ws_api::index_join(const std::string& channel, std::uint64_t id, const std::shared_ptr<client>& c) {
  auto& ch = channels_[channel];
  ch.members.emplace(id, c);
  ch.snapshot.reset();
}

void ws_api::index_leave(const std::string& channel, std::uint64_t id) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second.members.erase(id);
  if (it->second.members.empty()) channels_.erase(it);
  else it->second.snapshot.reset();
}

ws_api::targets ws_api::targets_of(channel_members& ch) {
  if (!ch.snapshot) {
    auto v = std::make_shared<std::vector<std::weak_ptr<ws_connection>>>();
    v->reserve(ch.members.size());
    for (const auto& [_, c] : ch.members) v->push_back(c->conn);
    ch.snapshot = std::move(v);
  }
  return ch.snapshot;
}

}  // namespace isms::server
