#pragma once
// Information security incident (ISO/IEC 27001:2022 Annex A 5.24–5.28, 6.8),
// stream "incident-<id>".
//
// Lifecycle: reported by anyone who signs in (6.8: the simplest form in the
// product: a title and what happened) → triaged by an ISMS manager (5.25: an
// information security *event* or an *incident*, its severity, who handles
// it, the risks it touches) → contained (5.26) → resolved → closed with the
// lessons learned (5.27), which may raise a nonconformity (a reaction issues
// nc.raise, source incident). Evidence is recorded along the way (5.28). An
// event that is not an incident closes straight after its triage, with the
// reason. Triage may be repeated until the incident is resolved (a severity
// revised, another handler).
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
#include "isms/domain/dispatch.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/user.hpp"
#include "isms/domain/wire_type.hpp"

namespace isms::domain::incident {

inline constexpr std::string_view stream_prefix = "incident-";

enum class classification { event, incident };
enum class severity { low, medium, high, critical };
enum class status { reported, triaged, contained, resolved, closed };

[[nodiscard]] std::string_view to_string(classification c) noexcept;
[[nodiscard]] std::string_view to_string(severity s) noexcept;
[[nodiscard]] std::string_view to_string(status s) noexcept;

// The id of the nonconformity an incident's lessons raise:
// "<incident_id>-NC", or "I-" + 40 hex digits of its SHA-256 when that would
// be longer than 64 characters. Deterministic, so a reaction that runs twice
// raises one nonconformity.
[[nodiscard]] std::string nc_id_for_incident(std::string_view incident_id);
// The id of the risk an incident's lessons identify: "<incident_id>-R", or
// "I-" + 40 hex digits of its SHA-256 (of "<incident_id>-R") when longer
// than 64 characters. Deterministic, like nc_id_for_incident.
[[nodiscard]] std::string risk_id_for_incident(std::string_view incident_id);

// A risk the lessons learned show, to be identified when the incident closes
// (the fields of risk.identify; 6.1.2 a: incidents are a source of risks).
struct new_risk {
  std::string title;
  std::string asset;
  std::string threat;
  std::string vulnerability;
  std::string owner;  // user id of its risk owner
  std::string category;
  friend bool operator==(const new_risk&, const new_risk&) = default;
};

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct reported {  // incident.reported.v1 — 6.8
  static constexpr std::string_view type = "incident.reported.v1";
  std::string incident_id;
  std::string title;
  std::string description;
  std::optional<date> occurred_on;  // when it happened, if the reporter knows
  std::string affected;             // what is affected (systems, data, people), free text
  date reported_on{};
  std::string reported_by;
};
struct triaged {  // incident.triaged.v1 — 5.25
  static constexpr std::string_view type = "incident.triaged.v1";
  classification as = classification::incident;
  severity level = severity::medium;
  std::string category;  // e.g. phishing, malware, loss of a device; may be empty
  std::string handler;   // user id of who handles it
  std::string notes;
  std::vector<std::string> related_risks;  // risk ids it touches, may be empty
  date triaged_on{};
  std::string triaged_by;
};
struct contained {  // incident.contained.v1 — 5.26
  static constexpr std::string_view type = "incident.contained.v1";
  std::string description;
  date contained_on{};
  std::string contained_by;
};
struct evidence_recorded {  // incident.evidence_recorded.v1 — 5.28
  static constexpr std::string_view type = "incident.evidence_recorded.v1";
  std::string description;  // what was collected and where it is kept
  date recorded_on{};
  std::string recorded_by;
};
struct resolved {  // incident.resolved.v1
  static constexpr std::string_view type = "incident.resolved.v1";
  std::string description;
  date resolved_on{};
  std::string resolved_by;
};
struct closed {  // incident.closed.v1 — 5.27
  static constexpr std::string_view type = "incident.closed.v1";
  std::string lessons;              // the lessons learned; for an event, why it is not an incident
  bool raise_nonconformity = false;
  std::string nc_reference;         // clause or Annex A control of the nonconformity, when raised
  std::string nc_severity;          // major | minor | observation, when raised
  date closed_on{};
  std::string closed_by;
  std::optional<new_risk> identify_risk;  // a risk the lessons show, identified by a reaction
};

using event = std::variant<reported, triaged, contained, evidence_recorded, resolved, closed>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("incident.<verb>").

// incident.report {incident_id, title, description, occurred_on?, affected?}
struct report {
  static constexpr std::string_view type = "incident.report";
  static constexpr role_set allowed =
      roles_of({role::admin, role::isms_manager, role::top_management, role::risk_owner, role::contributor,
                role::internal_auditor});
  std::string incident_id;
  std::string title;
  std::string description;
  std::optional<date> occurred_on;
  std::string affected;
};
// incident.triage {classification, severity, handler, category?, notes?, related_risks?}
struct triage {
  static constexpr std::string_view type = "incident.triage";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  classification as = classification::incident;
  severity level = severity::medium;
  std::string category;
  std::string handler;
  std::string notes;
  std::vector<std::string> related_risks;
};
struct record_containment {  // incident.record_containment {description}
  static constexpr std::string_view type = "incident.record_containment";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the others: incidents they handle
  std::string description;
};
struct record_evidence {  // incident.record_evidence {description}
  static constexpr std::string_view type = "incident.record_evidence";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});
  std::string description;
};
struct resolve {  // incident.resolve {description}
  static constexpr std::string_view type = "incident.resolve";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});
  std::string description;
};
// incident.close {lessons, raise_nonconformity?, nc_reference?, nc_severity?,
//                 new_risk?: {title, asset, threat, vulnerability, owner, category}}
struct close {
  static constexpr std::string_view type = "incident.close";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string lessons;
  bool raise_nonconformity = false;
  std::string nc_reference;
  std::string nc_severity;
  std::optional<new_risk> identify_risk;
};

using command = std::variant<report, triage, record_containment, record_evidence, resolve, close>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State

struct state {
  std::uint64_t version = 0;
  bool exists = false;
  reported report;
  status current = status::reported;
  bool is_triaged = false;
  triaged triage;  // the latest triage
  std::string containment, resolution;
  std::size_t evidence = 0;  // evidence records
};

// The dispatcher's stream binding: incident.report is sent to
// "incident-<data.incident_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                                    const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
// What a decision knows of other streams: a close that identifies a risk
// reads the user record of that risk's owner ("user-<owner>"), who must be
// registered and enabled, as risk.identify will require.
struct facts {
  std::optional<user::state> risk_owner;
};
[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read);
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// The state precondition of every incident command, written once: decide
// refuses with it, and the views list the command types the state admits.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// Reaction: incident.closed.v1 with raise_nonconformity → nc.raise
// (source incident) on "nc-<nc_id_for_incident>".
[[nodiscard]] std::vector<follow_up> raise_nonconformity_from_lessons(const recorded_event& event,
                                                                      const stream_reads& read);

// Reaction: incident.closed.v1 with new_risk → risk.identify on
// "risk-<risk_id_for_incident>", its description naming the incident and
// the lessons.
[[nodiscard]] std::vector<follow_up> identify_risk_from_lessons(const recorded_event& event, const stream_reads& read);

}  // namespace isms::domain::incident
