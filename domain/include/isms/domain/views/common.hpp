#pragma once
// Building blocks shared by the ISMS views: who changed an entity last, one
// step of an entity's history, and the conventions every view follows.
//
// Conventions: the state of a view is plain data (strings, numbers, lists,
// maps) so that a snapshot is an exact JSON round trip; instants are kept as
// RFC 3339 text and calendar days as "YYYY-MM-DD" text (which order the same
// way as the moments they name); an absent day is "". Enums are their wire
// strings.
//
// Thread-safety: value types and pure functions only.

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "isms/domain/core.hpp"

// Declares a view structure's fields once, for both of its codecs: the JSON
// conversions (to_json/from_json, a missing field keeps its default) and
// visit_fields(x, f), which calls f("name", x.name) for each field in the
// order given, used by the binary snapshot codec (binary_codec.hpp). The order
// is part of the binary layout, whose fingerprint a snapshot records.
// ISMS_VISIT_FIELDS declares visit_fields alone, for a structure whose JSON
// form is written by hand.
#define ISMS_VIEW_FIELD_VISIT(member) f(#member, x.member);
#define ISMS_VISIT_FIELDS(Type, ...)                                              \
  template <class Self, class F>                                                  \
    requires std::same_as<std::remove_const_t<Self>, Type>                        \
  void visit_fields(Self& x, F&& f) {                                             \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(ISMS_VIEW_FIELD_VISIT, __VA_ARGS__)) \
  }
#define ISMS_VIEW_FIELDS(Type, ...)                                 \
  NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Type, __VA_ARGS__) \
  ISMS_VISIT_FIELDS(Type, __VA_ARGS__)

namespace isms::domain::views {

// A JSON value the views keep and seldom read (what an approval binds: its
// subject's content, its policy), held as its compact text: a snapshot
// writes and reads it as one string instead of walking a tree each time, and
// it takes a fraction of a tree's memory. value() reads it back. As JSON (the
// views' JSON snapshot, answers) it is the value itself. Default: null.
class json_text {
 public:
  json_text() = default;
  explicit json_text(const json& v);
  [[nodiscard]] json value() const;
  [[nodiscard]] bool is_null() const noexcept { return text_ == "null"; }
  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  // For readers of stored bytes: nullopt unless `text` is valid JSON.
  [[nodiscard]] static std::optional<json_text> from_text(std::string text);

  friend bool operator==(const json_text&, const json_text&) = default;

 private:
  std::string text_ = "null";
};
void to_json(json& j, const json_text& t);
void from_json(const json& j, json_text& t);

// Who changed an entity last, when, and by which event.
struct last_change {
  std::uint64_t position = 0;  // global position of the event
  std::string at;              // recorded_at, RFC 3339
  std::string by;              // user id, or "system"
  std::string type;            // event wire type

  friend bool operator==(const last_change&, const last_change&) = default;
};
ISMS_VIEW_FIELDS(last_change, position, at, by, type)

// One step of an entity's history: who, when, why, what.
struct history_entry {
  std::uint64_t position = 0;
  std::uint64_t version = 0;  // the stream version of the event
  std::string at;
  std::string by;
  std::string type;
  std::string comment;        // the why: the command's comment or the event's own rationale
  std::string summary;        // one human-readable line

  friend bool operator==(const history_entry&, const history_entry&) = default;
};
ISMS_VIEW_FIELDS(history_entry, position, version, at, by, type,
                 comment, summary)

[[nodiscard]] last_change change_of(const recorded_event& e);

// `comment` is used when the event's metadata carries none.
[[nodiscard]] history_entry history_of(const recorded_event& e, std::string summary,
                                       std::string comment = {});

// The id part of a stream: "R-12" for "risk-R-12"; the whole stream when it
// has no "-".
[[nodiscard]] std::string id_in_stream(std::string_view stream);

// "" for the zero day (an unset date field), else "YYYY-MM-DD".
[[nodiscard]] std::string day_text(date d);

// One page of a list view's rows (see query in views.hpp).
struct row_window {
  std::size_t offset = 0;
  std::size_t limit = 0;
};

}  // namespace isms::domain::views
