#pragma once
// Management review (ISO/IEC 27001:2022 9.3), stream "review-<id>", with the
// actions it decides inside the same stream.
//
// Lifecycle: scheduled (date, chair, planned interval to the next review) →
// inputs pack assembled (9.3.2 a–g, produced by the server from the views and
// carried by the command as data; recorded with its SHA-256) → opened (the
// live session) → attendance recorded → items discussed, one or more per
// input a–g → decisions (9.3.3: opportunities for improvement, changes to the
// ISMS) and actions (owner, due date) recorded → minutes approval requested →
// minutes approved by top management (the approval pattern, reactions.hpp) →
// closed. Its actions are tracked to done even after the review closes.
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

namespace isms::domain::management_review {

// The inputs a management review shall consider (9.3.2).
enum class input {
  previous_actions,           // a) status of actions from previous management reviews
  issue_changes,              // b) changes in external and internal issues
  interested_party_changes,   // c) changes in needs and expectations of interested parties
  security_performance,       // d) nonconformities, monitoring, audit results, objectives
  interested_party_feedback,  // e) feedback from interested parties
  risk_assessment,            // f) results of risk assessment, status of the treatment plan
  improvement_opportunities,  // g) opportunities for continual improvement
};
inline constexpr std::size_t input_count = 7;

// The outputs a management review decides (9.3.3).
enum class decision_kind { improvement_opportunity, isms_change };

[[nodiscard]] std::string_view to_string(input i) noexcept;
[[nodiscard]] std::string_view to_string(decision_kind k) noexcept;

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct scheduled {  // review.scheduled.v1
  static constexpr std::string_view type = "review.scheduled.v1";
  std::string review_id;
  date planned_on{};
  std::string chair;    // user id, top management
  int interval_months = 12;  // planned interval to the next review (9.3.1 "at planned intervals")
};
// The inputs pack: a JSON object with one member per input (to_string(input)),
// as the server assembled it from the views at `as_of_position`.
struct inputs_assembled {  // review.inputs_assembled.v1
  static constexpr std::string_view type = "review.inputs_assembled.v1";
  json pack;
  std::string pack_sha256;  // canonical_hash(pack): see docs/eventstore.md, "Canonical JSON"
  std::uint64_t as_of_position = 0;
  date assembled_on{};
};
struct opened {  // review.opened.v1
  static constexpr std::string_view type = "review.opened.v1";
  date opened_on{};
  std::string opened_by;
};
struct attendance_recorded {  // review.attendance_recorded.v1
  static constexpr std::string_view type = "review.attendance_recorded.v1";
  std::vector<std::string> attendees;  // user ids
  std::vector<std::string> apologies;  // user ids, may be empty
};
struct item_recorded {  // review.item_recorded.v1
  static constexpr std::string_view type = "review.item_recorded.v1";
  std::string item_id;
  input about = input::previous_actions;
  std::string discussion;
};
struct decision_recorded {  // review.decision_recorded.v1
  static constexpr std::string_view type = "review.decision_recorded.v1";
  std::string decision_id;
  decision_kind kind = decision_kind::improvement_opportunity;
  std::string text;
  std::string item_id;  // the item it follows from, may be empty
};
struct action_recorded {  // review.action_recorded.v1
  static constexpr std::string_view type = "review.action_recorded.v1";
  std::string action_id;
  std::string description;
  std::string owner;  // user id
  date due_on{};
  std::string decision_id;  // the decision it implements, may be empty
};
struct action_completed {  // review.action_completed.v1
  static constexpr std::string_view type = "review.action_completed.v1";
  std::string action_id;
  std::string evidence;
  date completed_on{};
  std::string completed_by;
};
struct minutes_approval_requested : approval_asked {  // review.minutes_approval_requested.v1, of the minutes
  static constexpr std::string_view type = "review.minutes_approval_requested.v1";
};
struct minutes_approved : approval_granted {  // review.minutes_approved.v1
  static constexpr std::string_view type = "review.minutes_approved.v1";
};
struct minutes_rejected : approval_refused {  // review.minutes_rejected.v1 — the review is open again
  static constexpr std::string_view type = "review.minutes_rejected.v1";
};
struct closed {  // review.closed.v1
  static constexpr std::string_view type = "review.closed.v1";
  date closed_on{};
  std::string closed_by;
};

using event = std::variant<scheduled, inputs_assembled, opened, attendance_recorded, item_recorded,
                           decision_recorded, action_recorded, action_completed,
                           minutes_approval_requested, minutes_approved, minutes_rejected, closed>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("review.<verb>").

struct schedule {  // review.schedule {review_id, planned_on, chair, interval_months}
  static constexpr std::string_view type = "review.schedule";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string review_id;
  date planned_on{};
  std::string chair;
  int interval_months = 12;
};
struct assemble_inputs {  // review.assemble_inputs {pack, as_of_position?}
  static constexpr std::string_view type = "review.assemble_inputs";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::system});
  json pack;
  std::uint64_t as_of_position = 0;
};
struct open {  // review.open {}
  static constexpr std::string_view type = "review.open";
  static constexpr role_set allowed = roles_of({role::isms_manager});
};
struct record_attendance {  // review.record_attendance {attendees[], apologies[]?}
  static constexpr std::string_view type = "review.record_attendance";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::vector<std::string> attendees;
  std::vector<std::string> apologies;
};
struct record_item {  // review.record_item {item_id, input, discussion}
  static constexpr std::string_view type = "review.record_item";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::top_management});
  std::string item_id;
  input about = input::previous_actions;
  std::string discussion;
};
struct record_decision {  // review.record_decision {decision_id, kind, text, item_id?}
  static constexpr std::string_view type = "review.record_decision";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::top_management});
  std::string decision_id;
  decision_kind kind = decision_kind::improvement_opportunity;
  std::string text;
  std::string item_id;
};
struct record_action {  // review.record_action {action_id, description, owner, due_date, decision_id?}
  static constexpr std::string_view type = "review.record_action";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::top_management});
  std::string action_id;
  std::string description;
  std::string owner;
  date due_on{};
  std::string decision_id;
};
struct complete_action {  // review.complete_action {action_id, evidence}
  static constexpr std::string_view type = "review.complete_action";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  std::string action_id;
  std::string evidence;
};
struct request_minutes_approval {  // review.request_minutes_approval {summary?}
  static constexpr std::string_view type = "review.request_minutes_approval";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string summary;
};
struct approve_minutes {  // review.approve_minutes (system)
  static constexpr std::string_view type = "review.approve_minutes";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject_minutes {  // review.reject_minutes (system)
  static constexpr std::string_view type = "review.reject_minutes";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct close {  // review.close {}
  static constexpr std::string_view type = "review.close";
  static constexpr role_set allowed = roles_of({role::isms_manager});
};

using command = std::variant<schedule, assemble_inputs, open, record_attendance, record_item,
                             record_decision, record_action, complete_action,
                             request_minutes_approval, approve_minutes, reject_minutes, close>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type,
                                                              const json& data);

// ---------------------------------------------------------------------------
// State

enum class status { scheduled, inputs_assembled, open, minutes_pending, minutes_approved, closed };
[[nodiscard]] std::string_view to_string(status s) noexcept;

struct review_action {
  std::string action_id;
  std::string description;
  std::string owner;
  date due_on{};
  std::string decision_id;
  bool done = false;
  std::string evidence;
  std::optional<date> completed_on;
  std::string completed_by;
};

struct state {
  std::uint64_t version = 0;  // events folded (the stream version)
  bool exists = false;
  status current = status::scheduled;
  scheduled plan;
  std::optional<inputs_assembled> inputs;
  std::optional<date> held_on;  // the day it was opened
  std::optional<attendance_recorded> attendance;
  std::vector<item_recorded> items;
  std::vector<decision_recorded> decisions;
  std::vector<review_action> actions;
  std::string pending_approval_id;
  std::string minutes_hash;  // of the approved minutes, empty before

  [[nodiscard]] const review_action* action(std::string_view id) const noexcept;
};

// The minutes (what top management approves) and their hash.
[[nodiscard]] json minutes(const state& s);

// The dispatcher's stream binding (route::bind): review.schedule is sent to
// "review-<data.review_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type,
                                                    std::string_view stream, const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The state precondition of the commands people send about a management
// review (schedule, assemble_inputs, open, record_attendance, record_item,
// record_decision, record_action, request_minutes_approval, close) and about
// one of its actions (complete_action: `action_id` names it), written once:
// decide refuses with it, and the views list the command types the state
// admits (`admitted_commands`, `admitted_action_commands`). nullopt: the
// state admits the command; decide still checks the payload, the actor (a
// contributor completes their own actions) and what the minutes must hold
// (attendance before items; every input of 9.3.2 before approval). The
// minutes' approval outcomes, which only the system sends, are not listed.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s,
                                                     std::string_view action_id = {});

// The review-level command types of the list above that `s` admits, and
// those its action `action_id` admits, in lifecycle order. Depend on the
// state alone, never on who asks.
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);
[[nodiscard]] std::vector<std::string> admitted_action_commands(const state& s, std::string_view action_id);

// ---------------------------------------------------------------------------
// Time rules (9.3.1 "at planned intervals")

// When a management review is due next: the planned interval after this
// review was held; for a review not yet held, its planned date.
[[nodiscard]] std::optional<date> next_review_due_on(const state& s);
// True when that day is `today` or past. For the latest review of the
// programme this says a review is due.
[[nodiscard]] bool review_due(const state& s, date today);
// Actions not done whose due date is before `today` (also after closing).
[[nodiscard]] std::vector<review_action> overdue_actions(const state& s, date today);

}  // namespace isms::domain::management_review
