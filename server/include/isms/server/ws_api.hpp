#pragma once
// The WebSocket API (docs/protocol.md): JSON text frames, each request with a
// client-chosen id echoed in its reply; ops command, query, subscribe,
// unsubscribe, ping; pushes on channels (notifications, view changes, the
// live management review with presence, the event feed for auditors).
//
// Bad input never closes the connection: malformed JSON, a missing id, an
// unknown op, wrong field types, a message over the size limit or a flood
// over the rate limit each get an error reply and the connection stays
// usable. Nothing is written unless a command is decided and appended whole.
//
// A connection lives only as long as the session it was opened with: every
// request is checked against it, a periodic sweep closes connections whose
// session expired while they were silent, and signing out, a password change
// or reset and a disabled account close them at once (1008).
//
// Pushes reach only the connections subscribed to a channel the event
// touches: connections are indexed by channel, user and session, and each
// push message is built once per channel and sent outside the lock.
//
// Thread-safety: every member may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "isms/server/commands.hpp"
#include "isms/server/projections.hpp"
#include "isms/server/transport.hpp"
#include "isms/server/ws_request.hpp"

namespace isms::server {

struct ws_api_options {
  // Largest request accepted; larger → too_large (the connection stays). A
  // document's text may be 1 MiB, so the default leaves room for it and the
  // request around it. Default: 1 MiB + 64 KiB
  std::size_t max_message_bytes = (1 << 20) + 64 * 1024;
  // Sustained requests per second per connection. Default: 50
  double requests_per_second = 50;
  // Requests a connection may send in a burst above the sustained rate. Default: 100
  double burst = 100;
  // Most channels one connection may subscribe to. Default: 64
  std::size_t max_subscriptions = 64;
  // Deepest nesting of a request's JSON; deeper → bad_request before any
  // tree is built. Default: 64 (default_max_json_depth)
  std::size_t max_json_depth = 64;
  // Largest reply sent; a larger one is answered with too_large instead (the
  // connection stays). Follows the transport's max_ws_queued_bytes, so that
  // one reply never counts as a slow reader. Default: 4 MiB
  std::size_t max_reply_bytes = 4 << 20;
  // Rows of a list view in one reply when the query names no `limit`. Default: 500
  std::size_t default_page_size = 500;
  // Most rows of a list view in one reply (`limit` above it → bad_request). Default: 1000
  std::size_t max_page_size = 1000;
  // Bytes of serialized view replies kept for the current position, so that
  // clients asking for the same view with the same parameters, as seen by the
  // same visibility, at the same position (typically all re-querying after a
  // push) share one query and one serialization. Emptied when the position
  // moves on; a reply larger than a quarter of this is not kept; 0 keeps
  // none. Default: 8 MiB
  std::size_t view_reply_cache_bytes = 8 << 20;
};

// Whether the session a connection was opened with still holds (not signed
// out, not expired, not revoked, its user enabled), by its token.
using session_check = std::function<bool(const std::string& token)>;

class ws_api final : public std::enable_shared_from_this<ws_api> {
 public:
  // `session_valid` is asked before every request and by sweep_sessions().
  ws_api(ws_api_options options, command_pipeline& pipeline, projection_engine& views, worker_pool& pool,
         clock_fn clock, session_check session_valid);

  // The ws_handler for one connection of `user_id`, opened with the session
  // `token`. The connection lives only as long as that session.
  [[nodiscard]] std::shared_ptr<ws_handler> handler_for(std::string user_id, std::string token);

  // After-apply hook: pushes view changes, review events and the event feed.
  // Called on the projection delivery thread.
  void on_applied(const domain::views::all_views& after, const domain::recorded_event& e);

  // Pushes a notification to every connection of `user_id` subscribed to
  // "notifications".
  void push_notification(const std::string& user_id, const nlohmann::json& notification);

  // Closes every connection of a user (1008; disabled user, password reset).
  void close_user(const std::string& user_id, const std::string& reason);

  // Closes every connection opened with the session `token` (1008; signed out).
  void close_session(const std::string& token, const std::string& reason);

  // Closes (1008) every connection whose session no longer holds, e.g. has
  // expired while the connection sent nothing. Run periodically by the ledger.
  void sweep_sessions();

  // Forgets every connection and refuses new ones (shutdown): each open
  // connection is closed with 1001 after what was already sent to it;
  // afterwards nothing here holds a connection, and requests still arriving
  // are ignored. Call it after the command pipeline has drained, so that the
  // replies to every accepted command precede the close frames.
  void shutdown();

  // Open connections and their users, for /metrics.
  [[nodiscard]] std::size_t connection_count() const;

 private:
  struct client;
  class handler;
  friend class handler;

  void on_open(const std::shared_ptr<ws_connection>& conn, const std::string& user_id, const std::string& token);
  // Sends `reply` to the request `id`, or too_large when it exceeds max_reply_bytes.
  void reply(const std::shared_ptr<ws_connection>& conn, const nlohmann::json& id, std::string reply);
  void on_text(const std::shared_ptr<ws_connection>& conn, const std::string& text);
  void on_close(const std::shared_ptr<ws_connection>& conn);

  void op_command(const std::shared_ptr<ws_connection>& conn, const std::string& user_id,
                  const nlohmann::json& id, ws_command req);
  void op_query(const std::shared_ptr<ws_connection>& conn, const std::string& user_id, const nlohmann::json& id,
                ws_query req);
  void op_subscribe(const std::shared_ptr<ws_connection>& conn, const std::string& user_id,
                    const nlohmann::json& id, const std::string& channel, bool subscribe);
  void push_presence(const std::string& channel);

  // Serialized `result` members of current-position view replies, by
  // (position, visibility, view, params, today). See view_reply_cache_bytes.
  struct reply_cache {
    std::mutex mutex;
    std::uint64_t position = 0;
    std::map<std::string, std::shared_ptr<const std::string>, std::less<>> by_key;
    std::size_t bytes = 0;
  };
  [[nodiscard]] std::shared_ptr<const std::string> cached_reply(std::uint64_t position, const std::string& key);
  void keep_reply(std::uint64_t position, const std::string& key, std::shared_ptr<const std::string> result);
  reply_cache replies_;

  ws_api_options options_;
  command_pipeline& pipeline_;
  projection_engine& views_;
  worker_pool& pool_;
  clock_fn clock_;
  session_check session_valid_;

  // The connections of one channel, and a copy of them for pushing that is
  // rebuilt only after the membership changes: a push takes the copy under
  // the lock in O(1) and sends outside it.
  using targets = std::shared_ptr<const std::vector<std::weak_ptr<ws_connection>>>;
  struct channel_members {
    std::map<std::uint64_t, std::shared_ptr<client>> members;  // by connection id
    targets snapshot;                                          // null → rebuilt on the next push
  };
  // Under mutex_: the index kept exact on open, subscribe, unsubscribe and close.
  void index_open(std::uint64_t id, const std::shared_ptr<client>& c);
  void index_close(std::uint64_t id, const client& c);
  void index_join(const std::string& channel, std::uint64_t id, const std::shared_ptr<client>& c);
  void index_leave(const std::string& channel, std::uint64_t id);
  static targets targets_of(channel_members& ch);

  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::shared_ptr<client>> clients_;  // by connection id
  // Only channels with at least one subscriber; ordered, so that the view:
  // channels are one range.
  std::map<std::string, channel_members, std::less<>> channels_;
  std::map<std::string, std::map<std::uint64_t, std::shared_ptr<client>>, std::less<>> by_user_;
  std::map<std::string, std::set<std::uint64_t>, std::less<>> by_token_;
  bool shut_down_ = false;
};

}  // namespace isms::server
