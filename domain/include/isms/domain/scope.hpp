#pragma once
// Context of the organization and scope of the ISMS (ISO/IEC 27001:2022
// 4.1–4.4), the singleton stream "scope-main".
//
// The ISMS manager keeps a draft: the scope statement (boundaries, what is in,
// what is excluded and why, interfaces and dependencies), the internal and
// external issues (4.1) and the interested parties with their requirements
// (4.2). A draft becomes the effective scope only when top management approves
// it (the approval pattern, reactions.hpp): the effective scope is the last
// approved one, the draft is visible separately.
//
// Thread-safety: value types and pure functions only.

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

namespace isms::domain::scope {

// The stream of the singleton.
inline constexpr std::string_view stream_id = "scope-main";

enum class issue_kind { internal, external };

[[nodiscard]] std::string_view to_string(issue_kind k) noexcept;

// Something left out of the scope, and why (4.3).
struct exclusion {
  std::string item;
  std::string justification;

  friend bool operator==(const exclusion&, const exclusion&) = default;
};

// The scope statement (4.3).
struct statement {
  std::string boundaries;               // organisational, physical, technical boundaries
  std::vector<std::string> inclusions;  // what the ISMS covers
  std::vector<exclusion> exclusions;    // what it does not, each justified
  std::string interfaces;               // interfaces and dependencies with others (4.3 c), may be empty

  friend bool operator==(const statement&, const statement&) = default;
};

// An internal or external issue relevant to the ISMS (4.1).
struct issue {
  std::string issue_id;
  issue_kind kind = issue_kind::internal;
  std::string description;

  friend bool operator==(const issue&, const issue&) = default;
};

// An interested party and its requirements relevant to information security (4.2).
struct interested_party {
  std::string party_id;
  std::string name;
  std::vector<std::string> requirements;

  friend bool operator==(const interested_party&, const interested_party&) = default;
};

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.
// Wire types "scope.<past_tense>.v1"; every one except approved/rejected
// changes the draft.

struct statement_set {  // scope.statement_set.v1
  static constexpr std::string_view type = "scope.statement_set.v1";
  statement value;
};
struct issue_added {  // scope.issue_added.v1
  static constexpr std::string_view type = "scope.issue_added.v1";
  issue value;
};
// An issue's kind or description revised: the whole issue as it now reads.
struct issue_updated {  // scope.issue_updated.v1
  static constexpr std::string_view type = "scope.issue_updated.v1";
  issue value;
};
struct issue_removed {  // scope.issue_removed.v1
  static constexpr std::string_view type = "scope.issue_removed.v1";
  std::string issue_id;
  std::string reason;  // may be empty
};
struct interested_party_added {  // scope.interested_party_added.v1
  static constexpr std::string_view type = "scope.interested_party_added.v1";
  interested_party value;
};
struct interested_party_updated {  // scope.interested_party_updated.v1
  static constexpr std::string_view type = "scope.interested_party_updated.v1";
  interested_party value;
};
struct interested_party_removed {  // scope.interested_party_removed.v1
  static constexpr std::string_view type = "scope.interested_party_removed.v1";
  std::string party_id;
  std::string reason;  // why the party is no longer relevant to the ISMS (4.2)
};
// The draft, as it stands, is put to top management. data.approval is the
// approval pattern's request object; content_hash is the hash of the draft.
struct approval_requested : approval_asked {  // scope.approval_requested.v1
  static constexpr std::string_view type = "scope.approval_requested.v1";
};
// The draft under approval becomes the effective scope.
struct approved : approval_granted {  // scope.approved.v1
  static constexpr std::string_view type = "scope.approved.v1";
};
struct rejected : approval_refused {  // scope.rejected.v1
  static constexpr std::string_view type = "scope.rejected.v1";
};

using event = std::variant<statement_set, issue_added, issue_removed, interested_party_added,
                           interested_party_updated, interested_party_removed, approval_requested, approved,
                           rejected, issue_updated>;

[[nodiscard]] new_event encode(const event& e);
// Unknown type or malformed data → an error naming the type and field; never throws.
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("scope.<verb>").

struct set_statement {  // scope.set_statement {boundaries, inclusions, exclusions[{item, justification}], interfaces?}
  static constexpr std::string_view type = "scope.set_statement";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  statement value;
};
struct add_issue {  // scope.add_issue {issue_id, kind: internal|external, description}
  static constexpr std::string_view type = "scope.add_issue";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  issue value;
};
// An issue whose circumstances changed (a regulation took effect, a supplier
// became critical) is revised in place rather than removed and added again.
struct update_issue {  // scope.update_issue {issue_id, kind, description}
  static constexpr std::string_view type = "scope.update_issue";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  issue value;
};
struct remove_issue {  // scope.remove_issue {issue_id, reason?}
  static constexpr std::string_view type = "scope.remove_issue";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string issue_id;
  std::string reason;
};
struct add_interested_party {  // scope.add_interested_party {party_id, name, requirements[]}
  static constexpr std::string_view type = "scope.add_interested_party";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  interested_party value;
};
struct update_interested_party {  // scope.update_interested_party {party_id, name, requirements[]}
  static constexpr std::string_view type = "scope.update_interested_party";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  interested_party value;
};
struct remove_interested_party {  // scope.remove_interested_party {party_id, reason}
  static constexpr std::string_view type = "scope.remove_interested_party";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string party_id;
  std::string reason;
};
struct request_approval {  // scope.request_approval {summary?}
  static constexpr std::string_view type = "scope.request_approval";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string summary;
};
struct approve {  // scope.approve (system) {approval_id, approvers, comment}
  static constexpr std::string_view type = "scope.approve";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject {  // scope.reject (system) {approval_id, approvers, comment, rejected_by}
  static constexpr std::string_view type = "scope.reject";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};

using command = std::variant<set_statement, add_issue, update_issue, remove_issue, add_interested_party,
                             update_interested_party, remove_interested_party, request_approval, approve, reject>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
// Validates every field; the rejection (kind invalid) names the field and rule.
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type,
                                                              const json& data);

// ---------------------------------------------------------------------------
// State

// The context and scope as a whole: what is drafted, approved and effective.
struct content {
  std::optional<statement> scope_statement;
  std::map<std::string, issue> issues;                   // by issue_id
  std::map<std::string, interested_party> parties;       // by party_id

  friend bool operator==(const content&, const content&) = default;
};

// The approval-relevant JSON of a content and its hash (approval binding).
[[nodiscard]] json to_json(const content& c);
[[nodiscard]] std::string content_hash(const content& c);

struct state {
  std::uint64_t version = 0;        // events folded so far (the stream version)
  content draft;                    // the working copy
  std::optional<content> effective;  // the last approved scope; nullopt before the first approval
  std::string effective_hash;       // content_hash(*effective), empty before
  std::optional<date> effective_since;  // the day it was approved
  std::string pending_approval_id;  // empty when nothing awaits approval
  std::optional<content> under_approval;  // the draft as it was put to approval
};

// The state precondition of the commands people send about the context and
// scope, written once: decide refuses with it, and the scope view lists what
// the state admits (`admitted_commands`). Only the request for approval
// depends on the state (nothing pending, a statement, a draft that differs
// from the effective scope); the edits are refused on their payload alone.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The dispatcher's entry point (dispatch.hpp).

}  // namespace isms::domain::scope
