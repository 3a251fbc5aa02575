#pragma once
// A risk of the risk register (ISO/IEC 27001:2022 6.1.2 risk assessment,
// 6.1.3 risk treatment, 8.2 and 8.3 performing them). Stream "risk-<id>".
//
// Lifecycle:
//   identified (title, asset, threat, vulnerability, owner, category)
//   → assessed (likelihood × impact on the risk matrix → score and level)
//   → treatment planned (modify / avoid / share / retain, Annex A controls,
//     actions, target residual likelihood × impact, due date)
//   → acceptance requested (approval: the risk owner, then top management when
//     the residual level is above the risk appetite)
//   → accepted (until its review date) | acceptance rejected (→ treatment planned)
//   → acceptance expired at the review date (→ must be reassessed)
//   → assessed again …; retired (with a reason) from any state.
// The ISMS manager may hand the risk to another owner at any time before it
// is retired; a pending acceptance request is then withdrawn.
// Assessing or re-planning while acceptance is pending withdraws the request
// (and a reaction voids its approval).
//
// Thread-safety: value types and pure functions.

#include <cstdint>
#include <expected>
#include <map>
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
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/user.hpp"

namespace isms::domain::risk {

enum class status {
  none,                  // no such risk yet
  identified,
  assessed,
  treatment_planned,
  acceptance_requested,
  accepted,
  acceptance_expired,    // the acceptance reached its review date: reassess
  retired,
};

// ISO/IEC 27001:2022 6.1.3 a) risk treatment options.
enum class treatment_option {
  modify,  // reduce the risk with controls
  avoid,   // stop the activity that gives rise to the risk
  share,   // transfer part of it (insurance, supplier)
  retain,  // keep it as it is, by informed decision
};

[[nodiscard]] std::string_view to_string(status s) noexcept;
[[nodiscard]] std::string_view to_string(treatment_option o) noexcept;
[[nodiscard]] std::optional<treatment_option> treatment_option_from_string(std::string_view s) noexcept;

// The approval policy version recorded with every acceptance request.
inline constexpr int acceptance_policy_version = 1;

// Days before an acceptance's review date from which it is "expiring".
inline constexpr int expiry_warning_days = 30;

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

// risk.identified.v2 — the risk names the registered assets it concerns
// (asset_ids, "A-3"); `asset` describes the asset in words, for what is not
// in the inventory. Events written before (risk.identified.v1, asset in
// words only) stay as they were written, hash chain and all, and are read
// through upcast_identified_v1.
struct identified {
  static constexpr std::string_view type = "risk.identified.v2";
  // The earlier wire type read as this one (upcast_identified_v1).
  static constexpr std::string_view upcast_from = "risk.identified.v1";
  std::string title;
  std::string description;
  std::string asset;
  std::string threat;
  std::string vulnerability;
  std::string owner;     // user id of the risk owner
  std::string category;
  std::vector<std::string> asset_ids;  // registered assets (asset-<id>)
  friend bool operator==(const identified&, const identified&) = default;
};

// The upcaster of a risk identified before risks referenced the asset
// inventory (risk.identified.v1): the same data with `asset_ids: []` (the
// words of `asset` kept as written), as risk.identified.v2. A pure function
// of the stored data, applied whenever such an event is read; the stored
// event is never rewritten.
[[nodiscard]] json upcast_identified_v1(const json& v1);

// risk.assets_linked.v1 — the registered assets the risk concerns, as a
// whole new set (a risk identified in words linked to the inventory, an
// asset added or no longer concerned).
struct assets_linked {
  static constexpr std::string_view type = "risk.assets_linked.v1";
  std::vector<std::string> asset_ids;
  std::vector<std::string> previous_asset_ids;
  std::string reason;
  friend bool operator==(const assets_linked&, const assets_linked&) = default;
};

// risk.assessed.v1 — also a reassessment (reassessment = true)
struct assessed {
  static constexpr std::string_view type = "risk.assessed.v1";
  int likelihood = 0;
  int impact = 0;
  int score = 0;                 // likelihood × impact
  std::string level;             // the matrix band of the score
  bool within_appetite = false;
  std::string rationale;         // why this likelihood and impact
  std::uint64_t matrix_version = 0;
  bool reassessment = false;
  friend bool operator==(const assessed&, const assessed&) = default;
};

// risk.treatment_planned.v1
struct treatment_planned {
  static constexpr std::string_view type = "risk.treatment_planned.v1";
  treatment_option option = treatment_option::modify;
  std::vector<std::string> controls;  // Annex A control ids
  std::string actions;
  int target_likelihood = 0;
  int target_impact = 0;
  int target_score = 0;
  std::string target_level;
  bool target_within_appetite = false;
  date due{};
  friend bool operator==(const treatment_planned&, const treatment_planned&) = default;
};

// risk.acceptance_requested.v1 — carries the "approval" object
struct acceptance_requested {
  static constexpr std::string_view type = "risk.acceptance_requested.v1";
  int residual_likelihood = 0;
  int residual_impact = 0;
  int residual_score = 0;
  std::string residual_level;
  bool above_appetite = false;
  date review_date{};   // until when the acceptance holds
  std::string comment;
  approval_request approval;
  friend bool operator==(const acceptance_requested&, const acceptance_requested&) = default;
};

// risk.accepted.v1 — issued by the system once the approval completed
struct accepted {
  static constexpr std::string_view type = "risk.accepted.v1";
  std::string approval_id;
  std::vector<std::string> approvers;
  std::string comment;
  date review_date{};
  friend bool operator==(const accepted&, const accepted&) = default;
};

// risk.acceptance_rejected.v1 — back to treatment planning
struct acceptance_rejected : approval_declined {
  static constexpr std::string_view type = "risk.acceptance_rejected.v1";
  friend bool operator==(const acceptance_rejected&, const acceptance_rejected&) = default;
};

// risk.acceptance_expired.v1 — the review date was reached; reassess
struct acceptance_expired {
  static constexpr std::string_view type = "risk.acceptance_expired.v1";
  date review_date{};
  date expired_on{};
  friend bool operator==(const acceptance_expired&, const acceptance_expired&) = default;
};

// risk.owner_changed.v1 — the risk has a new owner (a person left, a
// department was reorganised). A pending acceptance request is withdrawn
// (acceptance_withdrawn): the new owner is the one who accepts, so the
// manager requests acceptance again. An acceptance in force stays in force
// until its review date.
struct owner_changed {
  static constexpr std::string_view type = "risk.owner_changed.v1";
  std::string previous_owner;
  std::string owner;
  std::string reason;
  bool acceptance_withdrawn = false;
  friend bool operator==(const owner_changed&, const owner_changed&) = default;
};

// risk.treatment_implemented.v1 — the planned treatment is in place (8.3),
// with the evidence an auditor can check. Ends the treatment's due-date
// reminders; a new plan or assessment starts over.
struct treatment_implemented {
  static constexpr std::string_view type = "risk.treatment_implemented.v1";
  std::string evidence;
  date implemented_on{};
  friend bool operator==(const treatment_implemented&, const treatment_implemented&) = default;
};

// risk.retired.v1
struct retired {
  static constexpr std::string_view type = "risk.retired.v1";
  std::string reason;
  friend bool operator==(const retired&, const retired&) = default;
};

using event = std::variant<identified, assessed, treatment_planned, acceptance_requested, accepted,
                           acceptance_rejected, acceptance_expired, owner_changed, treatment_implemented,
                           retired, assets_linked>;

[[nodiscard]] new_event encode(const event& e);
// Unknown type or malformed data → an error naming the field; never throws.
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands

// risk.identify {title, description?, asset?, asset_ids?[], threat, vulnerability, owner, category}
// (asset in words, registered assets by id, or both; at least one)
struct identify {
  static constexpr std::string_view type = "risk.identify";
  // system: a risk an incident's lessons show (incident::identify_risk_from_lessons)
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner, role::system});
  static constexpr role_set any_entity = roles_of({role::isms_manager, role::system});  // the other roles: only what they own
  identified details;
};
// risk.assess {likelihood, impact, rationale}
struct assess {
  static constexpr std::string_view type = "risk.assess";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager, role::system});  // the other roles: only what they own
  int likelihood = 0;
  int impact = 0;
  std::string rationale;
};
// risk.plan_treatment {option, controls[], actions, target_likelihood, target_impact, due}
struct plan_treatment {
  static constexpr std::string_view type = "risk.plan_treatment";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager, role::system});  // the other roles: only what they own
  treatment_option option = treatment_option::modify;
  std::vector<std::string> controls;
  std::string actions;
  int target_likelihood = 0;
  int target_impact = 0;
  date due{};
};
// risk.request_acceptance {review_date?, comment?} — review date defaults to one year
struct request_acceptance {
  static constexpr std::string_view type = "risk.request_acceptance";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::optional<date> review_date;
  std::string comment;
};
// risk.accept / risk.reject_acceptance {approval_id, approvers, comment, rejected_by?} (system)
struct accept {
  static constexpr std::string_view type = "risk.accept";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject_acceptance {
  static constexpr std::string_view type = "risk.reject_acceptance";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
// risk.expire_acceptance {} (system, from the time rules)
struct expire_acceptance {
  static constexpr std::string_view type = "risk.expire_acceptance";
  static constexpr role_set allowed = system_only;
};
// risk.record_treatment_implemented {evidence}
struct record_treatment_implemented {
  static constexpr std::string_view type = "risk.record_treatment_implemented";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager, role::system});  // the other roles: only what they own
  std::string evidence;
};

// risk.change_owner {owner, reason}
struct change_owner {
  static constexpr std::string_view type = "risk.change_owner";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string owner;
  std::string reason;
};

// risk.link_assets {asset_ids[], reason}
struct link_assets {
  static constexpr std::string_view type = "risk.link_assets";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  std::vector<std::string> asset_ids;
  std::string reason;
};

// risk.retire {reason}
struct retire {
  static constexpr std::string_view type = "risk.retire";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string reason;
};

using command = std::variant<identify, assess, plan_treatment, request_acceptance, accept,
                             reject_acceptance, expire_acceptance, record_treatment_implemented, change_owner,
                             retire, link_assets>;

[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State and decisions

struct state {
  status status_ = status::none;
  std::string stream;          // set by fold(); "" before the first event
  std::uint64_t version = 0;   // set by fold(): the stream version folded
  identified details;
  std::optional<assessed> assessment;
  std::optional<treatment_planned> treatment;
  std::optional<treatment_implemented> implemented;  // of the current treatment plan
  std::optional<acceptance_requested> pending;  // the acceptance request awaiting approval
  std::optional<date> accepted_until;           // review date of the acceptance in force
  std::vector<std::string> accepted_by;
  std::string retired_reason;
};

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);

// Folds a risk stream's history (stream and version included). An undecodable
// event is a `rule` rejection naming its position.
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());

// What a risk decision knows of other streams. reads() names the streams,
// the server reads them, facts_from() folds them; decide checks them.
struct facts {
  // The risk matrix in force (config-risk-matrix), for assess, plan_treatment
  // and request_acceptance; the default matrix otherwise.
  risk_matrix::matrix matrix = risk_matrix::default_matrix();
  // The user record of the owner that identify or change_owner names.
  user::state owner;
  // What the inventory holds of each asset that identify or link_assets
  // names (asset-<id>): on record, and not retired.
  struct asset_fact {
    bool registered = false;
    bool retired = false;
  };
  std::map<std::string, asset_fact> assets;
};

[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s,
                                                         const stream_reads& read);

// Holds every rule of the risk (who may send which command is checked before,
// by the dispatcher).
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// The state precondition of the commands people send about a risk (identify,
// assess, plan_treatment, request_acceptance, record_treatment_implemented,
// change_owner, retire), written once: decide refuses with it, and the views
// list the command types the risk's state admits (`admitted_commands`).
// nullopt: the state admits the command; decide still checks the payload, the
// actor (roles, own risks, segregation of duties), the matrix and the date.
// The approval outcomes and the expiry, which only the system sends, are
// decided with the approval they conclude and are not listed.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);

// The command types of the list above that `s` admits, in lifecycle order.
// Depends on the state alone, never on who asks.
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// The approval-relevant content of a pending acceptance, as hashed into the
// request's content_hash.
[[nodiscard]] json acceptance_content(const state& s, const acceptance_requested& r);

// ---------------------------------------------------------------------------
// Time rules (6.1.2 / 8.2: reassess at planned intervals; 6.1.3: treatment on time)

enum class due_kind {
  acceptance_expiring,  // review date within expiry_warning_days: notify the owner and ISMS manager
  acceptance_expired,   // review date reached: issue risk.expire_acceptance
  treatment_overdue,    // treatment due date passed and the treatment is not recorded as implemented
};

[[nodiscard]] std::string_view to_string(due_kind k) noexcept;

struct due_item {
  due_kind kind;
  std::string stream;            // the risk
  date due{};                    // the review date or treatment due date
  std::string key;               // stable per (kind, risk, date): notify / issue once
  std::optional<follow_up> command;  // the command to issue (expired only)
  std::string message;           // one line for the notification
};

// What is due on `today` for the given risks (stream → folded state).
// Expiring: accepted and today ∈ [review_date − 30 days, review_date).
// Expired: accepted and today ≥ review_date → risk.expire_acceptance with
// command id "time:risk.expire_acceptance:<stream>:<review date>".
// Overdue: treatment planned or acceptance requested and today > due.
[[nodiscard]] std::vector<due_item> due_on(std::span<const state> risks, date today);

}  // namespace isms::domain::risk
