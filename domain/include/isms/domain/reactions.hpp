#pragma once
// Workflows across aggregates: given one recorded event (and the other
// streams it names, read by the caller), which commands follow. The server runs react() from the
// store's subscription with a persisted checkpoint and issues every follow-up
// as the `system` actor, with the causing event as causation id.
//
// Also here: the subject side of the approval pattern, shared by every
// aggregate whose transitions need approval (risk acceptance, SoA publication,
// document approval, objective setting, scope change, review minutes):
//
//   1. The subject's request command emits an event whose data holds an
//      object "approval" (approval_request_json below). The event's version is
//      the subject version the approval binds to; approval_id =
//      approval_id_for(subject stream, that version).
//   2. Reaction: that event → "approval.open" on stream "approval-<approval_id>".
//   3. Reviewers send approval.approve / approval.reject to the approval stream.
//   4. Reaction: approval.approved.v1 / approval.rejected.v1 → the subject's
//      on_approved / on_rejected command, data {"approval_id", "approvers",
//      "comment"} (plus "rejected_by" on rejection), issued as `system`. The
//      subject accepts it only from `system` and only for its pending id
//      (check_approval_outcome).
//   5. Reaction: any later event on the subject stream while the approval is
//      still open → "approval.void" with the reason.
//
// Thread-safety: pure functions over values.

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"

namespace isms::domain {

// ---------------------------------------------------------------------------
// Reactions

// A command that follows from a recorded event.
struct follow_up {
  std::string command_type;  // e.g. "approval.open"
  std::string stream;        // e.g. "approval-risk-R-12.v5"
  json data;
  std::string command_id;    // follow_up_command_id(...), set by react()

  friend bool operator==(const follow_up&, const follow_up&) = default;
};

// One reaction: the follow-ups of one event, command_id left empty (react()
// names them). Must be pure and deterministic: the same event and the same
// streams read give the same follow-ups.
using reaction = std::vector<follow_up> (*)(const recorded_event&, const stream_reads&);
// The other streams a reaction looks at for an event, given those read so
// far (a stream named by what another holds is named once that one is read).
using reaction_reads_fn = std::vector<std::string> (*)(const recorded_event&, const stream_reads&);

struct named_reaction {
  std::string_view name;  // what the reaction does, for logs
  reaction run;
  reaction_reads_fn reads = nullptr;  // nullptr: looks at no other stream
};

// All reactions, in the order react() runs them (see reactions.cpp).
[[nodiscard]] std::span<const named_reaction> reactions() noexcept;

// The command id of a follow-up, derived from what it is, never from where it
// stands among the others: "react:<causing position>:<command type>:<stream>",
// with "#<occurrence>" appended for the second and later follow-ups of the
// same type on the same stream from the same event. An id longer than 160
// bytes becomes "react:<causing position>:h<40 hex digits of the SHA-256 of
// the part after the position>".
[[nodiscard]] std::string follow_up_command_id(std::uint64_t causing_position, std::string_view command_type,
                                               std::string_view stream, std::size_t occurrence);

// The streams react() needs for `event` that `read` does not hold yet. The
// caller reads them, adds them to `read` and asks again until the answer is
// empty (at most a few rounds: a reaction's second read depends on its
// first), then calls react().
[[nodiscard]] std::vector<std::string> reaction_reads(const recorded_event& event, const stream_reads& read);

// Runs every reaction on `event` and names the follow-ups with
// follow_up_command_id, so running react twice on the same event yields the
// same command ids (the store deduplicates them). The reactions see `read`
// as of the event: only events at positions up to event.position, so a re-run
// after a crash decides on what the first run saw, not on what was written
// since (its own follow-ups included).
// Never throws: a reaction that meets malformed data yields nothing.
[[nodiscard]] std::vector<follow_up> react(const recorded_event& event, const stream_reads& read);

// The approval pattern's reactions (steps 2, 4, 5 above).
[[nodiscard]] std::vector<follow_up> open_requested_approval(const recorded_event& event, const stream_reads& read);
[[nodiscard]] std::vector<follow_up> conclude_approved_subject(const recorded_event& event,
                                                               const stream_reads& read);
[[nodiscard]] std::vector<follow_up> void_approval_on_subject_change(const recorded_event& event,
                                                                     const stream_reads& read);
// Step 5 reads the subject's stream, then the approval stream of the request
// it holds.
[[nodiscard]] std::vector<std::string> void_approval_reads(const recorded_event& event, const stream_reads& read);

// ---------------------------------------------------------------------------
// The approval pattern, subject side

// Who must approve. Completion needs: every required user approved, for every
// required role at least one approver holding it, and at least min_approvals
// distinct approvers. Ordered: required users (in order) first, then required
// roles (in order); a reviewer may act only on the first step not yet met.
struct approval_policy {
  std::vector<role> required_roles;
  std::vector<std::string> required_users;
  int min_approvals = 1;
  bool ordered = false;
  int version = 1;  // recorded with every decision taken under it

  friend bool operator==(const approval_policy&, const approval_policy&) = default;
};

[[nodiscard]] json to_json(const approval_policy& p);
// Validates: roles known and not system/external_auditor, users non-empty
// strings, at least one required role or user, 1 ≤ min_approvals ≤ 20,
// version ≥ 1. `field` prefixes the field named in a rejection ("data.policy").
[[nodiscard]] std::expected<approval_policy, rejection> parse_approval_policy(
    const json& j, std::string_view field);

// The "approval" object a subject's request event carries.
struct approval_request {
  std::string approval_id;   // approval_id_for(subject stream, subject version)
  std::string subject_kind;  // "risk.acceptance", "soa.publication", "document.approval", …
  approval_policy policy;
  std::string on_approved;   // command type on the subject, e.g. "risk.accept"
  std::string on_rejected;   // e.g. "risk.reject_acceptance"
  std::string summary;       // one line: what is asked
  std::string content_hash;  // canonical_hash(approval-relevant content)

  friend bool operator==(const approval_request&, const approval_request&) = default;
};

[[nodiscard]] json to_json(const approval_request& r);
[[nodiscard]] std::expected<approval_request, rejection> parse_approval_request(
    const json& j, std::string_view field);

// The approval id of a request recorded at `subject_version` of
// `subject_stream`: "<stream>.v<version>", or, when that would exceed the
// 64 characters of a stream id, "h" + the first 40 hex digits of its SHA-256.
[[nodiscard]] std::string approval_id_for(std::string_view subject_stream,
                                          std::uint64_t subject_version);

// "approval-<approval_id>".
[[nodiscard]] std::string approval_stream_for(std::string_view approval_id);

// The payload of the on_approved / on_rejected command (step 4).
struct approval_outcome {
  std::string approval_id;
  std::vector<std::string> approvers;  // user ids, in the order they approved
  std::string comment;                 // the deciding reviewer's comment
  std::string rejected_by;             // user id on rejection, else empty

  friend bool operator==(const approval_outcome&, const approval_outcome&) = default;
};

[[nodiscard]] json to_json(const approval_outcome& o);
[[nodiscard]] std::expected<approval_outcome, rejection> parse_approval_outcome(const json& data);

// The subject-side rule for an outcome command: issued by `system` only, and
// only for the approval the subject is waiting for (`pending_approval_id`,
// empty when nothing is pending). nullopt when it may proceed.
[[nodiscard]] std::optional<rejection> check_approval_outcome(
    const command_context& ctx, const approval_outcome& outcome,
    std::string_view pending_approval_id);

}  // namespace isms::domain
