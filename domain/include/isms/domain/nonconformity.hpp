#pragma once
// Nonconformity and corrective action (ISO/IEC 27001:2022 10.2), stream
// "nc-<id>" with its corrective actions inside the same stream.
//
// Lifecycle: raised (source, clause or Annex A control, severity, description;
// from an audit finding or a management review where so) → containment
// recorded (10.2 a) → root cause recorded (10.2 b 2) → similar nonconformities
// checked (10.2 b 3) → corrective actions planned (10.2 c) → each completed
// with evidence → each verified effective by someone other than its
// implementer (10.2 d) → closed. A major or minor nonconformity closes only
// with containment, root cause and the similar check recorded and at least one
// action, every action verified effective. An observation is not a
// nonconformity of a requirement: it may close without any of those, but never
// with an open or unverified action. Actions past their due date and not done
// are overdue (overdue_actions).
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

namespace isms::domain::nonconformity {

enum class source { internal_audit, external_audit, incident, management_review, other };
enum class severity { major, minor, observation };
enum class action_status { planned, done, verified };

[[nodiscard]] std::string_view to_string(source s) noexcept;
[[nodiscard]] std::string_view to_string(severity s) noexcept;
[[nodiscard]] std::string_view to_string(action_status s) noexcept;

// The nc id a nonconformity raised from an audit finding gets:
// "<audit_id>-<finding_id>", or "F-" + 40 hex digits of its SHA-256 when that
// would be longer than 64 characters. Deterministic, so a reaction that runs
// twice raises one nonconformity.
[[nodiscard]] std::string nc_id_for_finding(std::string_view audit_id, std::string_view finding_id);

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct raised {  // nc.raised.v1
  static constexpr std::string_view type = "nc.raised.v1";
  std::string nc_id;
  source from = source::other;
  std::string reference;  // clause ("8.1") or Annex A control ("A.5.15")
  severity level = severity::minor;
  std::string description;
  date raised_on{};
  std::string raised_by;
  std::string audit_id;    // with finding_id when raised from an audit finding, else empty
  std::string finding_id;
  std::string review_id;   // when raised from a management review, else empty
  std::string incident_id;  // when raised from an incident's lessons learned, else empty
};
struct containment_recorded {  // nc.containment_recorded.v1 — 10.2 a
  static constexpr std::string_view type = "nc.containment_recorded.v1";
  std::string description;
  date recorded_on{};
  std::string recorded_by;
};
struct root_cause_recorded {  // nc.root_cause_recorded.v1 — 10.2 b 2
  static constexpr std::string_view type = "nc.root_cause_recorded.v1";
  std::string description;
  date recorded_on{};
  std::string recorded_by;
};
struct similar_check_recorded {  // nc.similar_check_recorded.v1 — 10.2 b 3
  static constexpr std::string_view type = "nc.similar_check_recorded.v1";
  bool similar_found = false;
  std::string details;
  std::vector<std::string> related_ncs;  // ids of similar nonconformities, may be empty
  date recorded_on{};
  std::string recorded_by;
};
struct action_planned {  // nc.action_planned.v1 — 10.2 c
  static constexpr std::string_view type = "nc.action_planned.v1";
  std::string action_id;
  std::string description;
  std::string owner;  // user id
  date due_on{};
};
struct action_completed {  // nc.action_completed.v1
  static constexpr std::string_view type = "nc.action_completed.v1";
  std::string action_id;
  std::string evidence;
  date completed_on{};
  std::string completed_by;  // the implementer
};
// 10.2 d. An ineffective action goes back to planned and is done again.
struct action_verified {  // nc.action_verified.v1
  static constexpr std::string_view type = "nc.action_verified.v1";
  std::string action_id;
  bool effective = true;
  std::string notes;
  date verified_on{};
  std::string verified_by;
};
struct closed {  // nc.closed.v1
  static constexpr std::string_view type = "nc.closed.v1";
  std::string comment;
  date closed_on{};
  std::string closed_by;
};

using event = std::variant<raised, containment_recorded, root_cause_recorded, similar_check_recorded,
                           action_planned, action_completed, action_verified, closed>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("nc.<verb>").

// nc.raise {nc_id, source, reference, severity, description,
//           audit_id?, finding_id?, review_id?, incident_id?}
struct raise {
  static constexpr std::string_view type = "nc.raise";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::top_management, role::risk_owner, role::contributor, role::internal_auditor, role::system});
  std::string nc_id;
  source from = source::other;
  std::string reference;
  severity level = severity::minor;
  std::string description;
  std::string audit_id, finding_id, review_id, incident_id;
};
struct record_containment {  // nc.record_containment {description}
  static constexpr std::string_view type = "nc.record_containment";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string description;
};
struct record_root_cause {  // nc.record_root_cause {description}
  static constexpr std::string_view type = "nc.record_root_cause";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string description;
};
struct record_similar_check {  // nc.record_similar_check {similar_found, details, related_ncs?}
  static constexpr std::string_view type = "nc.record_similar_check";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  bool similar_found = false;
  std::string details;
  std::vector<std::string> related_ncs;
};
struct plan_action {  // nc.plan_action {action_id, description, owner, due_date}
  static constexpr std::string_view type = "nc.plan_action";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string action_id;
  std::string description;
  std::string owner;
  date due_on{};
};
struct complete_action {  // nc.complete_action {action_id, evidence}
  static constexpr std::string_view type = "nc.complete_action";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  std::string action_id;
  std::string evidence;
};
struct verify_action {  // nc.verify_action {action_id, effective, notes}
  static constexpr std::string_view type = "nc.verify_action";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::internal_auditor});
  std::string action_id;
  bool effective = true;
  std::string notes;
};
struct close {  // nc.close {comment}
  static constexpr std::string_view type = "nc.close";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string comment;
};

using command = std::variant<raise, record_containment, record_root_cause, record_similar_check,
                             plan_action, complete_action, verify_action, close>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type,
                                                              const json& data);

// ---------------------------------------------------------------------------
// State

struct corrective_action {
  std::string action_id;
  std::string description;
  std::string owner;
  date due_on{};
  action_status status = action_status::planned;
  std::string evidence;
  std::optional<date> completed_on;
  std::string completed_by;
  std::string verified_by;
  std::string verification_notes;
  int ineffective_verifications = 0;
};

struct state {
  std::uint64_t version = 0;  // events folded (the stream version)
  bool exists = false;
  raised nc;                  // as raised
  std::string containment;    // latest containment, empty before
  std::string root_cause;     // latest root cause, empty before
  bool similar_checked = false;
  bool similar_found = false;
  std::vector<corrective_action> actions;  // in the order planned
  bool closed = false;
  std::optional<date> closed_on;

  [[nodiscard]] const corrective_action* action(std::string_view id) const noexcept;
};

// The dispatcher's stream binding (route::bind): nc.raise is sent to
// "nc-<data.nc_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type,
                                                    std::string_view stream, const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());

// What a nonconformity decision knows of other streams: a raise that names an
// audit finding reads the audit's stream ("audit-<audit_id>"), and the
// finding must be on record.
struct facts {
  bool audit_exists = false;
  bool finding_exists = false;
};
[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s,
                                                         const stream_reads& read);
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// The state precondition of the commands people send about a nonconformity
// (raise, record_containment, record_root_cause, record_similar_check,
// plan_action, close) and about one of its corrective actions
// (complete_action, verify_action: `action_id` names it), written once:
// decide refuses with it, and the views list the command types the state
// admits (`admitted_commands`, `admitted_action_commands`). nullopt: the state
// admits the command; decide still checks the payload and the actor (own
// actions, the implementer does not verify).
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s,
                                                     std::string_view action_id = {});

// The nonconformity-level command types of the list above that `s` admits,
// and those its corrective action `action_id` admits, in lifecycle order.
// Depend on the state alone, never on who asks.
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// Who may verify corrective action `action_id`: anyone the table admits but
// its implementer (10.2 d, segregation of duties), written once: decide
// refuses with it, and the views list it per action (`actors`).
[[nodiscard]] std::vector<actor_limit> action_actor_limits(const state& s, std::string_view action_id);
[[nodiscard]] std::vector<std::string> admitted_action_commands(const state& s, std::string_view action_id);

// Time rule: the actions planned but not done whose due date is before `today`.
[[nodiscard]] std::vector<corrective_action> overdue_actions(const state& s, date today);

}  // namespace isms::domain::nonconformity
