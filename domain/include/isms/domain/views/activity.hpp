#pragma once
// The activity feed: the latest events as human-readable lines (who, when,
// what, which stream), newest last. Keeps at most `activity_capacity` lines.
//
// Thread-safety: value types and pure functions only.

#include <cstddef>
#include <deque>
#include <expected>
#include <string>

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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(activity_line, position, at, by, stream, type, text,
                                                comment)

struct activity_view {
  std::deque<activity_line> lines;  // oldest first

  friend bool operator==(const activity_view&, const activity_view&) = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(activity_view, lines)

// Appends the line of `e`; `subject` names what the stream is about (a risk's
// title), may be empty; `readable` is false for an event the views skipped.
void fold_activity(activity_view& v, const recorded_event& e, const std::string& subject,
                   bool readable);

// `activity`: params {limit?: 1–1000 (default 50), stream?, actor?, type?} — `type`
// matches a whole wire type ("risk.accepted.v1") or a prefix ending in "."
// ("risk."). Newest first.
[[nodiscard]] std::expected<json, rejection> query_activity(const activity_view& v, const json& params);

}  // namespace isms::domain::views
