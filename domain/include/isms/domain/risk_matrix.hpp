#pragma once
// The risk matrix (ISO/IEC 27001:2022 6.1.2 a–c, e): the likelihood and impact
// scales risks are assessed on, the level bands of the score likelihood × impact,
// and the risk appetite — the highest level the organization accepts without
// top-management sign-off.
//
// Kept as configuration in the singleton stream "config-risk-matrix", changed by
// the ISMS manager with `risk_matrix.configure`. Until it is first configured,
// the built-in default applies: 5 × 5, bands low 1–4, medium 5–9, high 10–16,
// critical 17–25, appetite "medium". Risk decisions are handed it as a fact;
// each assessment records the matrix version it was made on.
//
// Thread-safety: value types and pure functions.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/wire_type.hpp"
#include "isms/domain/dispatch.hpp"

namespace isms::domain::risk_matrix {

inline constexpr std::string_view stream_id = "config-risk-matrix";

// A level band: scores min_score..max_score (inclusive) have level `name`.
struct level_band {
  std::string name;
  int min_score = 0;
  int max_score = 0;

  friend bool operator==(const level_band&, const level_band&) = default;
};

struct matrix {
  std::vector<std::string> likelihood_labels;  // [0] is likelihood 1
  std::vector<std::string> impact_labels;      // [0] is impact 1
  std::vector<level_band> bands;               // ascending, contiguous, cover 1..L×I
  std::string appetite;                        // the highest band within appetite
  std::uint64_t version = 0;                   // config stream version; 0: built-in default

  [[nodiscard]] int max_likelihood() const noexcept { return static_cast<int>(likelihood_labels.size()); }
  [[nodiscard]] int max_impact() const noexcept { return static_cast<int>(impact_labels.size()); }
  // The band a score falls in, or nullptr when out of range.
  [[nodiscard]] const level_band* band_for(int score) const noexcept;
  // The rank of a level (0 = lowest), or nullopt for an unknown level.
  [[nodiscard]] std::optional<std::size_t> rank(std::string_view level) const noexcept;
  // True if `level` is at or below the appetite.
  [[nodiscard]] bool within_appetite(std::string_view level) const noexcept;

  friend bool operator==(const matrix&, const matrix&) = default;
};

[[nodiscard]] matrix default_matrix();

// The matrix content as JSON (labels, bands, appetite; not the version).
[[nodiscard]] json to_json(const matrix& m);

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

// risk_matrix.configured.v1
struct configured {
  static constexpr std::string_view type = "risk_matrix.configured.v1";
  matrix content;              // version is not stored; it is the event's version
  std::string configured_by;   // user id of the ISMS manager who configured it
  std::string comment;         // why
  friend bool operator==(const configured&, const configured&) = default;
};

using event = std::variant<configured>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands

// risk_matrix.configure: {"likelihood_labels": [..], "impact_labels": [..],
//   "bands": [{"name","min_score","max_score"}..], "appetite": "<band>", "comment"?}
// Scales of 2–10 labels; bands ascending, contiguous from 1 to L×I; appetite
// names a band.
struct configure {
  static constexpr std::string_view type = "risk_matrix.configure";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  matrix content;
  std::string comment;
};

using command = std::variant<configure>;

[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State and decisions

struct state {
  matrix current = default_matrix();
  std::uint64_t version = 0;  // events folded
};

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The matrix in force: the folded history of the "config-risk-matrix"
// stream, or the default when it is empty. An unreadable history is a `rule`
// rejection.
[[nodiscard]] std::expected<matrix, rejection> current_matrix(std::span<const recorded_event> history);

}  // namespace isms::domain::risk_matrix
