#pragma once
// The activity feed: the latest events as human-readable lines (who, when,
// what, which stream), newest last. Keeps at most `activity_capacity` lines.
//
// Thread-safety: value types and pure functions only.

#include <cstddef>
#include <deque>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

// How many lines the feed keeps. Default: 1000.
inline constexpr std::size_t activity_capacity = 1000;

struct activity_line {
  std::uint64_t position = 0;
  std::string at;
  std::string by;
  std::string stream;
  std::string type;
  std::string text;     // "mia: risk R-12 \"Laptop theft\" — acceptance requested"
  std::string comment;  // the why, when the event carries one

  friend bool operator==(const activity_line&, const activity_line&) = default;
};
ISMS_VIEW_FIELDS(activity_line, position, at, by, stream, type, text,
                 comment)

struct activity_view {
  std::deque<activity_line> lines;  // oldest first

  friend bool operator==(const activity_view&, const activity_view&) = default;
};
ISMS_VIEW_FIELDS(activity_view, lines)

// Appends the line of `e`; `subject` names what the stream is about (a risk's
// title), may be empty; `readable` is false for an event the views skipped.
void fold_activity(activity_view& v, const recorded_event& e, const std::string& subject,
                   bool readable);

// What an `activity` query asks for: params {limit?: 1–1000 (default 50),
// stream?, actor?, type?, from?, to?, before?}. `type` matches a whole wire
// type ("risk.accepted.v1") or a prefix ending in "." ("risk."); `from` and
// `to` are days (YYYY-MM-DD, UTC, both included); `before` a position (only
// older events: the cursor of the next page).
struct activity_filter {
  std::size_t limit = 50;
  std::string stream, actor, type;
  std::optional<date> from, to;
  std::uint64_t before = UINT64_MAX;

  [[nodiscard]] bool matches(const activity_line& line) const;
};
[[nodiscard]] std::expected<activity_filter, rejection> read_activity_filter(const json& params);

// The line one event gives (as fold_activity appends it).
[[nodiscard]] activity_line activity_line_of(const recorded_event& e, const std::string& subject, bool readable);

// The answer: {events (newest first), count, next_before?, window_from}.
// `next_before` is the cursor of the next page, present when older events may
// match; `window_from` the oldest position the feed holds (0 when empty): the
// feed keeps the latest lines only, and older ones are read from the log by
// whoever holds it (the server completes the answer).
[[nodiscard]] json activity_reply(const std::vector<activity_line>& lines, std::optional<std::uint64_t> next_before,
                                  std::uint64_t window_from);

// `activity`: the lines of the feed matching the filter, newest first.
[[nodiscard]] std::expected<json, rejection> query_activity(const activity_view& v, const json& params);

}  // namespace isms::domain::views
