#pragma once
// The management reviews view (ISO/IEC 27001:2022 9.3): every review with its
// schedule, inputs pack, session (attendance, items, decisions, actions),
// minutes approval and closing; and, for each review whose inputs were
// assembled, the baseline of the views at that moment, from which the next
// review's pack computes what changed since (review_pack.hpp).
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct review_item_entry {
  std::string item_id, input, discussion;
  friend bool operator==(const review_item_entry&, const review_item_entry&) = default;
};
ISMS_VIEW_FIELDS(review_item_entry, item_id, input, discussion)

struct review_decision_entry {
  std::string decision_id, kind, text, item_id;
  friend bool operator==(const review_decision_entry&, const review_decision_entry&) = default;
};
ISMS_VIEW_FIELDS(review_decision_entry, decision_id, kind, text, item_id)

struct review_action_entry {
  std::string action_id, description, owner, due_on, decision_id;
  bool done = false;
  std::string evidence, completed_on, completed_by;
  friend bool operator==(const review_action_entry&, const review_action_entry&) = default;
};
ISMS_VIEW_FIELDS(review_action_entry, action_id, description, owner,
                 due_on, decision_id, done, evidence, completed_on,
                 completed_by)

struct review_entry {
  std::string id;  // the <id> of "review-<id>"
  std::string stream;
  // What management_review::state holds.
  std::string review_id, planned_on, chair;
  int interval_months = 12;
  std::string state = "scheduled";  // management_review::to_string(status)
  bool has_inputs = false;
  json pack;                        // the inputs pack as recorded
  std::string pack_sha256;
  std::uint64_t as_of_position = 0; // the position the pack was assembled at
  std::string assembled_on;
  std::string held_on;
  bool has_attendance = false;
  std::vector<std::string> attendees, apologies;
  std::vector<review_item_entry> items;
  std::vector<review_decision_entry> decisions;
  std::vector<review_action_entry> actions;
  std::string pending_approval_id;
  std::string minutes_hash;
  std::uint64_t version = 0;
  // Beyond the aggregate's state.
  std::vector<std::string> minutes_approved_by;
  std::string closed_on, closed_by;
  // The views at the moment the inputs were assembled (review_pack.hpp), and
  // the position they were taken at; 0 when not assembled yet.
  json baseline;
  std::uint64_t baseline_position = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const review_entry&, const review_entry&) = default;
};
ISMS_VIEW_FIELDS(review_entry, id, stream, review_id, planned_on, chair,
                 interval_months, state, has_inputs, pack, pack_sha256,
                 as_of_position, assembled_on, held_on, has_attendance,
                 attendees, apologies, items, decisions, actions,
                 pending_approval_id, minutes_hash, version,
                 minutes_approved_by, closed_on, closed_by, baseline,
                 baseline_position, changed, history)

struct reviews_view {
  std::map<std::string, review_entry> reviews;  // by id

  friend bool operator==(const reviews_view&, const reviews_view&) = default;
};
ISMS_VIEW_FIELDS(reviews_view, reviews)

[[nodiscard]] management_review::state review_state_of(const review_entry& r);

void fold_review(reviews_view& v, const recorded_event& e, const management_review::event& ev);

// management_review::minutes of the review (what its minutes approval binds).
[[nodiscard]] json review_subject_content(const review_entry& r);

// Action ids overdue on `today` (management_review::overdue_actions).
[[nodiscard]] std::vector<std::string> review_overdue_actions(const review_entry& r, date today);

[[nodiscard]] json review_json(const review_entry& r, date today, bool with_pack);

// The review before `r`: the one with the latest baseline taken before
// r's own (before `now_position` when r has none); nullptr when none.
[[nodiscard]] const review_entry* previous_review(const reviews_view& v, const review_entry& r,
                                                  std::uint64_t now_position);

// When the next management review is due, by the latest review of the
// programme (management_review::next_review_due_on); "" when none is scheduled.
[[nodiscard]] std::string next_review_due(const reviews_view& v);

// `reviews`: params {state?} — the programme, with the next review due.
[[nodiscard]] std::expected<json, rejection> query_reviews(const reviews_view& v, const json& params,
                                                           date today);

}  // namespace isms::domain::views
