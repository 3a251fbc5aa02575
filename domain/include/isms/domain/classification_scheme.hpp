#pragma once
// The information classification scheme (ISO/IEC 27001:2022 Annex A 5.12,
// 5.13): the levels assets are classified at, in increasing order of
// protection, each with what it means and how information at that level is
// handled.
//
// Kept as configuration in the singleton stream "config-classification",
// changed by the ISMS manager with `classification.configure`. Until it is
// first configured, the built-in scheme applies: public, internal,
// confidential, strictly confidential. A level, once in the scheme, is never
// removed — the assets' history names it — but it can be retired: a retired
// level is not newly assigned (asset.register, asset.request_reclassification
// refuse it), and assets still at it keep it until they are reclassified.
// Asset decisions are handed the scheme as a fact.
//
// Thread-safety: value types and pure functions.

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/wire_type.hpp"

namespace isms::domain::classification_scheme {

inline constexpr std::string_view stream_id = "config-classification";

struct level {
  std::string id;           // what assets record, e.g. "confidential"; never changes
  std::string name;         // as people read it, e.g. "Confidential"
  std::string description;  // what information belongs here
  std::string handling;     // how it is labelled, stored, sent and disposed of (5.13)
  bool retired = false;     // kept for the history; not newly assigned

  friend bool operator==(const level&, const level&) = default;
};

struct scheme {
  std::vector<level> levels;  // increasing protection
  std::uint64_t version = 0;  // config stream version; 0: built-in default

  // The level with `id`, or nullptr.
  [[nodiscard]] const level* find(std::string_view id) const noexcept;
  // Whether `id` may be assigned now: in the scheme and not retired.
  [[nodiscard]] bool assignable(std::string_view id) const noexcept;
  // The ids of the levels that may be assigned, in order.
  [[nodiscard]] std::vector<std::string> assignable_ids() const;
  // The name of `id` as people read it; the id itself when unknown.
  [[nodiscard]] std::string name_of(std::string_view id) const;

  friend bool operator==(const scheme&, const scheme&) = default;
};

[[nodiscard]] scheme default_scheme();

// The scheme's levels as JSON (not the version).
[[nodiscard]] json to_json(const scheme& s);

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

// classification.configured.v1: the whole scheme as configured
struct configured {
  static constexpr std::string_view type = "classification.configured.v1";
  scheme content;  // version is not stored; it is the event's version
  std::string configured_by;
  std::string comment;
  friend bool operator==(const configured&, const configured&) = default;
};

using event = std::variant<configured>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands

// classification.configure: {"levels": [{"id", "name", "description"?,
//   "handling"?, "retired"?}..], "comment"?}. 2–10 levels, ids and names
// unique, at least two not retired; every level of the scheme in force is
// still listed (retire it instead of leaving it out).
struct configure {
  static constexpr std::string_view type = "classification.configure";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  scheme content;
  std::string comment;
};

using command = std::variant<configure>;

[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State and decisions

struct state {
  scheme current = default_scheme();
  std::uint64_t version = 0;
};

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The scheme in force: the folded history of "config-classification", or the
// default when it is empty. An unreadable history is a `rule` rejection.
[[nodiscard]] std::expected<scheme, rejection> current_scheme(std::span<const recorded_event> history);

}  // namespace isms::domain::classification_scheme
