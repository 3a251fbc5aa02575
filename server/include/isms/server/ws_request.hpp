#pragma once
// What a WebSocket request frame says, read and checked before any handler
// runs (docs/protocol.md, "Requests"): the echoed id and one of the ops with
// every field validated. Nothing here looks at the store or the views: what
// needs them (turning a time into a log position, paging a list view, the
// event feed's roles) is left to ws_api, which only dispatches on the result.
// Thread-safety: pure functions over values.

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "isms/server/json_input.hpp"

namespace isms::server {

// The channels a client may subscribe to: its own notifications, the event
// feed, "view:<name>" and "review:<review id>" (presence in a live review).
inline constexpr std::string_view channel_notifications = "notifications";
inline constexpr std::string_view channel_events = "events";
inline constexpr std::string_view view_channel_prefix = "view:";
inline constexpr std::string_view review_channel_prefix = "review:";

struct ws_request_limits {
  // Deepest nesting of the frame's JSON (limits.max_json_depth).
  // Default: 64 (default_max_json_depth).
  std::size_t max_json_depth = default_max_json_depth;
};

// {"op": "command", "type", "stream", "command_id"?, "correlation_id"?,
//  "expected_version"?, "data"?, "comment"?}. Strings are at most 256 bytes;
// the comment is the top-level one when it is a string, else data.comment
// when that is a string, else empty.
struct ws_command {
  std::string type;
  std::string stream;
  std::string command_id;
  std::string correlation_id;
  std::optional<std::uint64_t> expected_version;
  nlohmann::json data = nlohmann::json::object();
  std::string comment;
  std::string confirm_code;  // "confirm": {"code": "…"}, a code of the sender's second factor
  bool confirm_sign_in = false;  // "confirm": {"sign_in": true}: the sender signed in again at the identity provider
  bool operator==(const ws_command&) const = default;
};

// A point in history: {"position": N} or {"time": "RFC 3339 UTC"}. A time
// is kept as given (and as milliseconds since the epoch); the caller turns it
// into a log position, which needs the views.
struct ws_point {
  bool by_time = false;
  std::uint64_t position = 0;  // when !by_time
  std::string time;            // when by_time: the text as given
  std::int64_t time_ms = 0;    // when by_time: the same instant
  bool operator==(const ws_point&) const = default;
};

// {"op": "query", "view", "params"?, "as_of"?, "diff"?: {"from", "to"?}}.
// No as_of and no diff.to mean "now". diff_from is set exactly when a diff is
// asked for. params stays JSON: its meaning (filters, paging) is the view's.
struct ws_query {
  std::string view;
  nlohmann::json params = nlohmann::json::object();
  std::optional<ws_point> as_of;
  std::optional<ws_point> diff_from;
  std::optional<ws_point> diff_to;
  bool operator==(const ws_query&) const = default;
};

// {"op": "subscribe" | "unsubscribe", "channel"}: the channel is one of
// notifications, events, view:<name>, review:<id> (id shorter than 73 bytes).
// Who may listen to which is the caller's business.
struct ws_subscribe {
  std::string channel;
  bool operator==(const ws_subscribe&) const = default;
};
struct ws_unsubscribe {
  std::string channel;
  bool operator==(const ws_unsubscribe&) const = default;
};

struct ws_ping {
  bool operator==(const ws_ping&) const = default;
};

struct ws_request {
  nlohmann::json id;  // a non-empty string of at most 128 bytes, or an integer
  std::variant<ws_command, ws_query, ws_subscribe, ws_unsubscribe, ws_ping> op;
  bool operator==(const ws_request&) const = default;
};

// Why a frame was refused; the reply is {"id", "ok": false, "error": {"code":
// "bad_request", "message", "field"?}}.
struct ws_request_error {
  nlohmann::json id;      // null when the frame had no usable id
  std::string message;    // for the client
  std::string field;      // the offending field ("id", "op", "as_of", "diff.from" ...); empty when none
  bool operator==(const ws_request_error&) const = default;
};

// True for an id a reply can echo: a non-empty string of at most 128 bytes,
// or an integer.
[[nodiscard]] bool valid_ws_id(const nlohmann::json& id) noexcept;

// Reads one request frame (the size check and rate limit come first, in
// ws_api). The JSON goes through read_json with limits.max_json_depth. The
// first problem found is reported, checking in this order: JSON, object,
// id, op, then the op's fields in the order documented above. Never throws.
[[nodiscard]] std::expected<ws_request, ws_request_error> read_ws_request(std::string_view text,
                                                                          const ws_request_limits& limits = {});

}  // namespace isms::server
