#pragma once
// The approval engine: a request that a subject (stream + version + content
// hash) be approved under a policy. Stream "approval-<approval id>".
//
// Lifecycle: opened (by a reaction to the subject's request) → reviewers
// approve or reject, each once → approved (policy met) | rejected (any
// reviewer rejects, with a comment) | voided (the subject changed first).
//
// Rules (segregation of duties, ISO/IEC 27001:2022 5.3; approvals of 5.1,
// 6.1.3 f, 6.2, 7.5.2, 9.3.3):
//   - the requester never approves or rejects their own request;
//   - a reviewer decides once;
//   - only reviewers the policy names (a required user, or a holder of a
//     required role) decide, and each approval fills one step of the policy,
//     so a single person holding two required roles does not count twice;
//   - ordered policies take the steps in order (required users first, then
//     required roles);
//   - the subject must not have changed since the request;
//   - every decision records the policy version it was taken under;
//   - a reviewer with a second factor confirms with it an approval that
//     matters (needs_confirmation), and the approval records how.
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
#include "isms/domain/reactions.hpp"

namespace isms::domain::approval {

enum class status { none, open, approved, rejected, voided };

[[nodiscard]] std::string_view to_string(status s) noexcept;

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

// approval.opened.v1
struct opened {
  static constexpr std::string_view type = "approval.opened.v1";
  std::string approval_id;
  std::string subject_stream;
  std::uint64_t subject_version = 0;
  std::string subject_kind;
  std::string content_hash;
  approval_policy policy;
  std::string on_approved;
  std::string on_rejected;
  std::string summary;
  std::string requested_by;
  friend bool operator==(const opened&, const opened&) = default;
};

// approval.reviewer_approved.v1
struct reviewer_approved {
  static constexpr std::string_view type = "approval.reviewer_approved.v1";
  std::string reviewer;
  std::vector<role> roles;  // the roles the reviewer held when deciding
  std::string step;         // the policy step filled: "user:<id>", "role:<role>" or "additional"
  std::string comment;
  int policy_version = 0;
  // How the reviewer confirmed this approval beyond their session: "totp",
  // "recovery_code", or empty (the session alone; also every approval
  // recorded before confirmations existed).
  std::string confirmed_with;
  friend bool operator==(const reviewer_approved&, const reviewer_approved&) = default;
};

// approval.reviewer_rejected.v1
struct reviewer_rejected {
  static constexpr std::string_view type = "approval.reviewer_rejected.v1";
  std::string reviewer;
  std::vector<role> roles;
  std::string comment;  // required: why
  int policy_version = 0;
  friend bool operator==(const reviewer_rejected&, const reviewer_rejected&) = default;
};

// approval.approved.v1 — completion: the policy is met
struct approved {
  static constexpr std::string_view type = "approval.approved.v1";
  std::string approval_id;
  std::string subject_stream;
  std::uint64_t subject_version = 0;
  std::string on_approved;
  std::string on_rejected;
  std::vector<std::string> approvers;
  std::string comment;  // the last reviewer's comment
  int policy_version = 0;
  friend bool operator==(const approved&, const approved&) = default;
};

// approval.rejected.v1 — completion: a reviewer rejected
struct rejected {
  static constexpr std::string_view type = "approval.rejected.v1";
  std::string approval_id;
  std::string subject_stream;
  std::uint64_t subject_version = 0;
  std::string on_approved;
  std::string on_rejected;
  std::vector<std::string> approvers;  // who approved before the rejection
  std::string rejected_by;
  std::string comment;
  int policy_version = 0;
  friend bool operator==(const rejected&, const rejected&) = default;
};

// approval.voided.v1 — the subject changed before completion
struct voided {
  static constexpr std::string_view type = "approval.voided.v1";
  std::string approval_id;
  std::string subject_stream;
  std::string reason;
  friend bool operator==(const voided&, const voided&) = default;
};

using event = std::variant<opened, reviewer_approved, reviewer_rejected, approved, rejected, voided>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands

// Who reviews an approval: the policy of each request names who must approve
// (roles and/or users) and decide checks it; these roles may send a review
// at all. Admin approves nothing.
inline constexpr role_set reviewers =
    roles_of({role::isms_manager, role::top_management, role::risk_owner, role::contributor});

// approval.open (system): the fields of `opened`.
struct open {
  static constexpr std::string_view type = "approval.open";
  static constexpr role_set allowed = system_only;
  opened request;
};
// approval.approve {comment?}
struct approve {
  static constexpr std::string_view type = "approval.approve";
  static constexpr role_set allowed = reviewers;
  std::string comment;
};
// approval.reject {comment} — the comment is required
struct reject {
  static constexpr std::string_view type = "approval.reject";
  static constexpr role_set allowed = reviewers;
  std::string comment;
};
// approval.void (system) {approval_id, reason, subject_version?}
struct void_request {
  static constexpr std::string_view type = "approval.void";
  static constexpr role_set allowed = system_only;
  std::string approval_id;
  std::string reason;
};

using command = std::variant<open, approve, reject, void_request>;

[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// The route's stream binding: approval.open must be sent to
// "approval-<data.approval_id>".
[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type,
                                                    std::string_view stream, const json& data);

// ---------------------------------------------------------------------------
// State and decisions

struct recorded_decision {
  std::string reviewer;
  bool approved = false;
  std::string step;  // approvals only
};

struct state {
  status status_ = status::none;
  opened request;
  std::vector<recorded_decision> decisions;
  std::string outcome_comment;
  std::string void_reason;

  [[nodiscard]] std::vector<std::string> approvers() const;
};

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());

// Whether approving this request is a decision that matters enough to ask
// the approver for a fresh proof that it is them: accepting a residual risk
// above the risk appetite (6.1.3 f; its policy asks top management),
// publishing the Statement of Applicability (6.1.3 d), approving a document
// version (a policy, 5.2 and 7.5.2) and approving management review minutes
// (9.3.3).
[[nodiscard]] bool needs_confirmation(const opened& request) noexcept;

// What an approval decision knows of its subject: open, approve and reject
// read the subject's stream, to check that the request is recorded there and
// that the subject has not changed since.
struct facts {
  std::uint64_t subject_version = 0;  // the subject stream's current version (0: no such stream)
  // The "approval" object of the subject event at the requested version, if
  // that event carries a well-formed one.
  std::optional<approval_request> request_at_version;
};
[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s,
                                                         const stream_reads& read);
// Holds every rule (who may send which command is checked before, by the
// dispatcher; the policy of each request says who must approve).
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// Who still must act on an open approval (the reviewers' inbox). Someone may
// act when they are one of `users`, or hold one of `roles`, and are not in
// `excluded` (the requester and those who already decided). All empty when
// the approval is not open.
struct pending_reviewers {
  std::vector<std::string> users;
  std::vector<role> roles;
  std::vector<std::string> excluded;
};

[[nodiscard]] pending_reviewers who_must_act(const state& s);

// True if `who` may approve or reject now (the same test decide applies,
// except the subject-unchanged check).
[[nodiscard]] bool awaits(const state& s, const actor& who);

}  // namespace isms::domain::approval
