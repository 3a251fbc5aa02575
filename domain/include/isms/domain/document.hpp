#pragma once
// Documented information (ISO/IEC 27001:2022 5.2, 7.5): a policy, procedure or
// record, stream "document-<id>".
//
// Lifecycle of each version: drafted → approval requested → approved →
// published. Versions are numbered 1, 2, … and identified by the SHA-256 of
// their text. Who approves (the approval pattern, reactions.hpp): top
// management for a policy (5.2), the isms_manager role for a procedure or a
// record (7.5.2). The published version is exactly the approved one, byte for
// byte: publishing names the SHA-256 it publishes and it must be the approved
// one. Revising after approval starts a new draft version while the published
// version stays in force. A published document falls due for review its
// review interval after publication or its last review; reviews are recorded
// with their outcome. A retired document takes no further commands.
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

namespace isms::domain::document {

enum class document_kind { policy, procedure, record };
// Wire names: "public", "internal", "confidential", "restricted".
enum class classification { public_use, internal, confidential, restricted };
// The outcome of a periodic review (7.5.2: review for suitability and adequacy).
enum class review_outcome { suitable, revision_needed, retirement_proposed };

[[nodiscard]] std::string_view to_string(document_kind k) noexcept;
[[nodiscard]] std::string_view to_string(classification c) noexcept;
[[nodiscard]] std::string_view to_string(review_outcome o) noexcept;

// Title, owner, classification and review interval: what describes a document
// besides its text. Part of what is approved.
struct profile {
  std::string title;
  std::string owner;  // user id
  classification level = classification::internal;
  int review_interval_months = 12;  // 1–60

  friend bool operator==(const profile&, const profile&) = default;
};

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct drafted {  // document.drafted.v1 — version 1
  static constexpr std::string_view type = "document.drafted.v1";
  std::string document_id;
  document_kind kind = document_kind::policy;
  profile about;
  std::string text;
  std::string content_sha256;  // sha256_hex(text)
  std::string change_note;
};
// A new text or profile. document_version is the working version's number:
// the same while it is a draft, the next one when it revises an approved or
// published version.
struct revised {  // document.revised.v1
  static constexpr std::string_view type = "document.revised.v1";
  std::uint64_t document_version = 0;
  profile about;
  std::string text;
  std::string content_sha256;
  std::string change_note;
};
struct approval_requested {  // document.approval_requested.v1
  static constexpr std::string_view type = "document.approval_requested.v1";
  std::uint64_t document_version = 0;
  std::string content_sha256;
  approval_request approval;
};
struct approved {  // document.approved.v1
  static constexpr std::string_view type = "document.approved.v1";
  std::string approval_id;
  std::uint64_t document_version = 0;
  std::string content_sha256;
  std::vector<std::string> approvers;
  std::string comment;
};
struct rejected {  // document.rejected.v1 — the version goes back to draft
  static constexpr std::string_view type = "document.rejected.v1";
  std::string approval_id;
  std::uint64_t document_version = 0;
  std::string rejected_by;
  std::string comment;
};
struct published {  // document.published.v1
  static constexpr std::string_view type = "document.published.v1";
  std::uint64_t document_version = 0;
  std::string content_sha256;
  date published_on{};
};
struct reviewed {  // document.reviewed.v1
  static constexpr std::string_view type = "document.reviewed.v1";
  std::uint64_t document_version = 0;  // the published version that was reviewed
  review_outcome outcome = review_outcome::suitable;
  std::string notes;
  date reviewed_on{};
  std::string reviewed_by;
};
struct retired {  // document.retired.v1
  static constexpr std::string_view type = "document.retired.v1";
  std::string reason;
  date retired_on{};
};

using event = std::variant<drafted, revised, approval_requested, approved, rejected, published,
                           reviewed, retired>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("document.<verb>").

// document.draft {document_id, kind, title, owner, classification,
//                 review_interval_months, text, change_note?}
struct draft {
  static constexpr std::string_view type = "document.draft";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  std::string document_id;
  document_kind kind = document_kind::policy;
  profile about;
  std::string text;
  std::string change_note;
};
// document.revise {text?, title?, owner?, classification?, review_interval_months?,
//                  change_note} — absent fields keep their value
struct revise {
  static constexpr std::string_view type = "document.revise";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  std::optional<std::string> text;
  std::optional<std::string> title;
  std::optional<std::string> owner;
  std::optional<classification> level;
  std::optional<int> review_interval_months;
  std::string change_note;
};
struct request_approval {  // document.request_approval {summary?}
  static constexpr std::string_view type = "document.request_approval";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string summary;
};
struct approve {  // document.approve (system)
  static constexpr std::string_view type = "document.approve";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject {  // document.reject (system)
  static constexpr std::string_view type = "document.reject";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct publish {  // document.publish {content_sha256}
  static constexpr std::string_view type = "document.publish";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string content_sha256;
};
struct record_review {  // document.record_review {outcome, notes}
  static constexpr std::string_view type = "document.record_review";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::contributor});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // the other roles: only what they own
  review_outcome outcome = review_outcome::suitable;
  std::string notes;
};
struct retire {  // document.retire {reason}
  static constexpr std::string_view type = "document.retire";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string reason;
};

using command =
    std::variant<draft, revise, request_approval, approve, reject, publish, record_review, retire>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type,
                                                              const json& data);

// ---------------------------------------------------------------------------
// State

// Where the working version stands.
enum class stage { draft, approval_requested, approved, published };
[[nodiscard]] std::string_view to_string(stage s) noexcept;

struct version_in_force {
  std::uint64_t document_version = 0;
  std::string text;
  std::string content_sha256;
  date published_on{};
};

struct state {
  std::uint64_t version = 0;  // events folded (the stream version)
  bool exists = false;
  bool retired = false;
  std::string document_id;
  document_kind kind = document_kind::policy;
  profile about;
  // The working version: the latest text, whatever its stage.
  std::uint64_t document_version = 0;
  std::string text;
  std::string content_sha256;
  stage working = stage::draft;
  std::string pending_approval_id;
  std::optional<version_in_force> in_force;  // the published version
  std::optional<date> last_reviewed_on;
  std::optional<review_outcome> last_review_outcome;
};

// The approval-relevant content of the working version and its hash.
[[nodiscard]] json approval_content(const state& s);
// Who approves a version of a document of this kind.
[[nodiscard]] role approver_role(document_kind k) noexcept;

// The dispatcher's stream binding (route::bind): document.draft is sent to
// "document-<data.document_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type,
                                                    std::string_view stream, const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The state precondition of the commands people send about a document
// (draft, revise, request_approval, publish, record_review, retire), written
// once: decide refuses with it, and the views list the command types the
// document's state admits (`admitted_commands`). nullopt: the state admits
// the command; decide still checks the payload and the actor. The approval
// outcomes, which only the system sends, are not listed.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);

// The command types of the list above that `s` admits, in lifecycle order.
// Depends on the state alone, never on who asks.
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// ---------------------------------------------------------------------------
// Time rules (7.5.2)

// The day the published version falls due for review: its review interval
// after the later of publication and the last review. nullopt when nothing is
// published or the document is retired.
[[nodiscard]] std::optional<date> review_due_on(const state& s);
// True when the review is due on `today` or overdue.
[[nodiscard]] bool review_due(const state& s, date today);

}  // namespace isms::domain::document
