#pragma once
// Internal audit (ISO/IEC 27001:2022 9.2), stream "audit-<id>".
//
// Lifecycle: planned in the audit programme (scope, criteria, lead auditor,
// audited area and its process owner, planned dates; 9.2.2) → performed (date,
// auditors) → findings recorded (nonconformity major / minor, observation,
// opportunity for improvement; each with its clause or Annex A control) →
// report issued to management (9.2.2 e). Auditors are objective and impartial
// (9.2.2 c): neither the lead auditor nor any auditor may be the owner of the
// audited process. A finding of nonconformity raises a nonconformity through
// a reaction (raise_nonconformity_from_finding).
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
#include "isms/domain/reactions.hpp"

namespace isms::domain::internal_audit {

enum class finding_type { nonconformity_major, nonconformity_minor, observation, opportunity };
[[nodiscard]] std::string_view to_string(finding_type t) noexcept;

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct planned {  // audit.planned.v1
  static constexpr std::string_view type = "audit.planned.v1";
  std::string audit_id;
  std::string scope;     // what the audit covers (9.2.2 b)
  std::string criteria;  // against what it audits (9.2.2 b)
  std::string lead_auditor;   // user id
  std::string area;           // the audited area or process
  std::string process_owner;  // user id of the audited process's owner
  date planned_start{};
  date planned_end{};
};
struct performed {  // audit.performed.v1
  static constexpr std::string_view type = "audit.performed.v1";
  date performed_on{};
  std::vector<std::string> auditors;  // user ids, the lead auditor included
  std::string summary;
};
struct finding_recorded {  // audit.finding_recorded.v1
  static constexpr std::string_view type = "audit.finding_recorded.v1";
  std::string finding_id;
  finding_type kind = finding_type::observation;  // on the wire: "type"
  std::string reference;  // clause ("9.2.2") or Annex A control ("A.8.8")
  std::string text;
  std::string recorded_by;
};
struct report_issued {  // audit.report_issued.v1
  static constexpr std::string_view type = "audit.report_issued.v1";
  std::string summary;
  std::string conclusion;
  date issued_on{};
  std::string issued_by;
};

using event = std::variant<planned, performed, finding_recorded, report_issued>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("audit.<verb>").

// audit.plan {audit_id, scope, criteria, lead_auditor, area, process_owner,
//             planned_start, planned_end}
struct plan {
  static constexpr std::string_view type = "audit.plan";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  planned entry;
};
// audit.record_performed {performed_on, auditors[], summary?}
struct record_performed {
  static constexpr std::string_view type = "audit.record_performed";
  static constexpr role_set allowed = roles_of({role::internal_auditor});
  date performed_on{};
  std::vector<std::string> auditors;
  std::string summary;
};
// audit.record_finding {finding_id, type, reference, text}
struct record_finding {
  static constexpr std::string_view type = "audit.record_finding";
  static constexpr role_set allowed = roles_of({role::internal_auditor});
  std::string finding_id;
  finding_type kind = finding_type::observation;  // on the wire: "type"
  std::string reference;
  std::string text;
};
// audit.issue_report {summary, conclusion}
struct issue_report {
  static constexpr std::string_view type = "audit.issue_report";
  static constexpr role_set allowed = roles_of({role::internal_auditor});
  std::string summary;
  std::string conclusion;
};

using command = std::variant<plan, record_performed, record_finding, issue_report>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type,
                                                              const json& data);

// ---------------------------------------------------------------------------
// State

enum class status { planned, performed, reported };
[[nodiscard]] std::string_view to_string(status s) noexcept;

struct finding {
  std::string finding_id;
  finding_type kind = finding_type::observation;  // on the wire: "type"
  std::string reference;
  std::string text;
  std::string recorded_by;
};

struct state {
  std::uint64_t version = 0;  // events folded (the stream version)
  bool exists = false;
  status current = status::planned;
  planned programme_entry;
  std::optional<date> performed_on;
  std::vector<std::string> auditors;
  std::vector<finding> findings;  // in the order recorded
  std::optional<date> reported_on;

  [[nodiscard]] const finding* find_finding(std::string_view id) const noexcept;
  // The audit team: the lead auditor and every auditor recorded.
};

// The dispatcher's stream binding (route::bind): audit.plan is sent to
// "audit-<data.audit_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type,
                                                    std::string_view stream, const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The state precondition of the commands about an internal audit (plan,
// record_performed, record_finding, issue_report), written once: decide
// refuses with it, and the `audits` view lists the command types the audit's
// state admits (`admitted_commands`). nullopt: the state admits the command;
// decide still checks the payload and the actor (the audit team records, the
// lead auditor reports, nobody audits their own work).
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);

// The command types of the list above that `s` admits, in lifecycle order.
// Depends on the state alone, never on who asks.
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// Who may record the audit performed (the lead auditor, or an auditor of the
// team; the command may also name its sender in the team it records), record
// findings (the team) and issue the report (the lead auditor), written once:
// decide refuses with it, and the audits view lists it per audit (`actors`).
[[nodiscard]] std::vector<actor_limit> actor_limits(const state& s);

// Reaction: a finding of nonconformity (major or minor) recorded on an audit
// stream → "nc.raise" on "nc-<nonconformity::nc_id_for_finding(audit, finding)>"
// with source internal_audit, the finding's reference, severity major/minor,
// its text and the audit and finding ids. Other events and finding types: none.
[[nodiscard]] std::vector<follow_up> raise_nonconformity_from_finding(const recorded_event& event,
                                                                      const stream_reads& read);

}  // namespace isms::domain::internal_audit
