#pragma once
// Information security objectives (ISO/IEC 27001:2022 6.2), stream
// "objective-<id>".
//
// Lifecycle: proposed (what, measure, target value and unit, owner, due date,
// resources, how results are evaluated, related policy) → set by top
// management (the approval pattern, reactions.hpp) → progress recorded
// (measured value, date, note) → achieved or missed. A set objective may be
// revised; the revision takes effect only when top management approves it
// again, the terms in force stay until then.
//
// Thread-safety: value types and pure functions only.

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
#include "isms/domain/approval_record.hpp"
#include "isms/domain/reactions.hpp"

namespace isms::domain::objective {

// What an objective commits to (6.2 a–j, 6.2 e–k for the plan).
struct terms {
  std::string statement;       // what will be achieved
  std::string measure;         // how it is measured (6.2 b)
  double target_value = 0;     // the target, in `unit`
  std::string unit;            // "%", "days", "incidents", …
  std::string owner;           // user id: who is responsible (6.2 h)
  date due_on{};               // when it will be completed (6.2 i)
  std::string resources;       // what resources will be required (6.2 g)
  std::string evaluation;      // how the results will be evaluated (6.2 j)
  std::string related_policy;  // id of the information security policy it serves (6.2 a), may be empty

  friend bool operator==(const terms&, const terms&) = default;
};

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct proposed {  // objective.proposed.v1
  static constexpr std::string_view type = "objective.proposed.v1";
  std::string objective_id;
  terms proposal;
};
struct revised {  // objective.revised.v1 — new proposed terms, awaiting approval
  static constexpr std::string_view type = "objective.revised.v1";
  terms proposal;
  std::string reason;
};
struct approval_requested : approval_asked {  // objective.approval_requested.v1, of the proposed terms
  static constexpr std::string_view type = "objective.approval_requested.v1";
};
struct objective_set : approval_granted {  // objective.set.v1 — the proposed terms are in force
  static constexpr std::string_view type = "objective.set.v1";
};
struct rejected : approval_refused {  // objective.rejected.v1 — the proposal stays a proposal
  static constexpr std::string_view type = "objective.rejected.v1";
};
struct progress_recorded {  // objective.progress_recorded.v1
  static constexpr std::string_view type = "objective.progress_recorded.v1";
  double measured_value = 0;
  date measured_on{};
  std::string note;
  std::string recorded_by;
};
struct achieved {  // objective.achieved.v1
  static constexpr std::string_view type = "objective.achieved.v1";
  std::string note;
  date achieved_on{};
};
struct missed {  // objective.missed.v1
  static constexpr std::string_view type = "objective.missed.v1";
  std::string reason;
  date missed_on{};
};

using event = std::variant<proposed, revised, approval_requested, objective_set, rejected,
                           progress_recorded, achieved, missed>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("objective.<verb>").

// objective.propose {objective_id, statement, measure, target_value, unit, owner,
//                    due_date, resources, evaluation, related_policy?}
struct propose {
  static constexpr std::string_view type = "objective.propose";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string objective_id;
  terms proposal;
};
struct request_approval {  // objective.request_approval {summary?}
  static constexpr std::string_view type = "objective.request_approval";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string summary;
};
struct approve {  // objective.set (system)
  static constexpr std::string_view type = "objective.set";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject {  // objective.reject (system)
  static constexpr std::string_view type = "objective.reject";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
// objective.record_progress {measured_value, measured_on, note?}
struct record_progress {
  static constexpr std::string_view type = "objective.record_progress";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  double measured_value = 0;
  date measured_on{};
  std::string note;
};
// objective.revise {reason, and any of: statement, measure, target_value, unit,
//                   owner, due_date, resources, evaluation, related_policy}
struct revise {
  static constexpr std::string_view type = "objective.revise";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::optional<std::string> statement, measure, unit, owner, resources, evaluation, related_policy;
  std::optional<double> target_value;
  std::optional<date> due_on;
  std::string reason;
};
struct mark_achieved {  // objective.mark_achieved {note}
  static constexpr std::string_view type = "objective.mark_achieved";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string note;
};
struct mark_missed {  // objective.mark_missed {reason}
  static constexpr std::string_view type = "objective.mark_missed";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string reason;
};

using command = std::variant<propose, request_approval, approve, reject, record_progress, revise,
                             mark_achieved, mark_missed>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type,
                                                              const json& data);

// ---------------------------------------------------------------------------
// State

enum class status { proposed, set, achieved, missed };
[[nodiscard]] std::string_view to_string(status s) noexcept;

struct measurement {
  double value = 0;
  date on{};
  std::string note;
  std::string by;
};

struct state {
  std::uint64_t version = 0;  // events folded (the stream version)
  bool exists = false;
  std::string objective_id;
  status current = status::proposed;
  std::optional<terms> in_force;  // the terms top management set; nullopt before
  terms proposal;                 // the latest proposed terms
  bool proposal_open = false;     // proposed or revised terms not yet set
  std::string pending_approval_id;
  std::vector<measurement> progress;
};

// The approval-relevant content of the proposal and its hash.
[[nodiscard]] json approval_content(const state& s);

// The dispatcher's stream binding (route::bind): objective.propose is sent to
// "objective-<data.objective_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type,
                                                    std::string_view stream, const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The state precondition of the commands people send about an objective
// (propose, revise, request_approval, record_progress, mark_achieved,
// mark_missed), written once: decide refuses with it, and the views list the
// command types the objective's state admits (`admitted_commands`). nullopt:
// the state admits the command; decide still checks the payload and the actor
// (a contributor records progress on their own objectives). The approval
// outcomes, which only the system sends, are not listed.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);

// The command types of the list above that `s` admits, in lifecycle order.
// Depends on the state alone, never on who asks.
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// Time rule: a set objective whose due date has passed without being marked
// achieved or missed is overdue.
[[nodiscard]] bool overdue(const state& s, date today);

}  // namespace isms::domain::objective
