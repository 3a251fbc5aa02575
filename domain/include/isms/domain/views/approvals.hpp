#pragma once
// The approvals view: every approval request with its policy, state and
// decisions (for auditors), what each request put to its reviewers and the
// difference from the previously approved version of its subject (for the
// reviewers' inbox).
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "isms/domain/approval.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct approval_decision_entry {
  std::string reviewer;
  bool approved = false;
  std::string step;                // the policy step an approval filled
  std::vector<std::string> roles;  // the roles the reviewer held
  std::string comment;
  int policy_version = 0;
  std::string at;
  std::uint64_t position = 0;
  std::string confirmed_with;      // "totp", "recovery_code", or empty: the session alone

  friend bool operator==(const approval_decision_entry&, const approval_decision_entry&) = default;
};
ISMS_VIEW_FIELDS(approval_decision_entry, reviewer, approved, step,
                 roles, comment, policy_version, at, position, confirmed_with)

struct approval_entry {
  std::string id;      // the approval id
  std::string stream;  // "approval-<id>"
  // requested: the subject asked, the approval stream is not opened yet;
  // then open | approved | rejected | voided.
  std::string state = "requested";
  std::string subject_stream;
  std::uint64_t subject_version = 0;
  std::string subject_kind;
  std::string content_hash;
  json_text policy{json::object()};  // reactions.hpp to_json(approval_policy)
  std::string on_approved;
  std::string on_rejected;
  std::string summary;
  std::string requested_by;
  std::string requested_at;
  std::vector<approval_decision_entry> decisions;
  std::vector<std::string> approvers;
  std::string rejected_by;
  std::string outcome_comment;
  std::string void_reason;
  std::string concluded_at;
  // The subject's approval-relevant content as put to approval, and the
  // approval that last approved the same subject before ("" when none): its
  // subject_after is what was approved then.
  json_text subject_after;
  std::string previous_approval_id;
  std::uint64_t version = 0;  // approval stream version
  last_change changed;

  friend bool operator==(const approval_entry&, const approval_entry&) = default;
};
ISMS_VIEW_FIELDS(approval_entry, id, stream, state, subject_stream,
                 subject_version, subject_kind, content_hash, policy,
                 on_approved, on_rejected, summary, requested_by,
                 requested_at, decisions, approvers, rejected_by,
                 outcome_comment, void_reason, concluded_at,
                 subject_after, previous_approval_id, version, changed)

// How many concluded approvals the views keep when they drop history
// (fold_approval with keep_all = false), besides each subject's last
// approved one. Default: 200 (the most recently concluded).
inline constexpr std::size_t concluded_kept = 200;

struct approvals_view {
  std::map<std::string, approval_entry> approvals;  // by approval id
  // Subject stream → the approval that last approved it.
  std::map<std::string, std::string> last_approved;
  // Concluded approvals, oldest first: all of them, or the latest
  // concluded_kept when older ones are dropped.
  std::deque<std::string> concluded;

  friend bool operator==(const approvals_view&, const approvals_view&) = default;
};
ISMS_VIEW_FIELDS(approvals_view, approvals, last_approved, concluded)

// A subject's request event (one carrying an "approval" object), folded
// after the subject's own view: `content` is the subject's approval-relevant
// content at that moment.
void note_approval_request(approvals_view& v, const recorded_event& e, const approval_request& req,
                           json content);

// Folds an approval stream's event. With keep_all = false, concluded
// approvals beyond the latest concluded_kept leave the view (each subject's
// last approved one stays: the next request of that subject is compared
// with it); they remain in their streams (approval_streams_of).
void fold_approval(approvals_view& v, const recorded_event& e, const approval::event& ev, bool keep_all = true);

// The approval streams the requests among a subject's events opened: with
// the subject's own stream, what the `approvals` answer for that subject is
// folded from when the views keep only recent approvals.
[[nodiscard]] std::vector<std::string> approval_streams_of(std::span<const recorded_event> subject_events);

// The aggregate state the entry mirrors (for approval::awaits / who_must_act).
[[nodiscard]] approval::state approval_state_of(const approval_entry& a);

[[nodiscard]] json approval_json(const approval_entry& a);

// What the previous approval of the same subject approved (null when none).
[[nodiscard]] json previously_approved(const approvals_view& v, const approval_entry& a);

// `approvals`: params {state?, subject_stream?, requested_by?, kind?}.
[[nodiscard]] std::expected<json, rejection> query_approvals(const approvals_view& v, const json& params,
                                                             std::optional<row_window> window = std::nullopt);

}  // namespace isms::domain::views
