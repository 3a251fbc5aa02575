#pragma once
// The nonconformities view (ISO/IEC 27001:2022 10.2): every nonconformity
// with its source, severity, state and corrective actions (owner, due date,
// state, overdue), counts by state, and for one nonconformity the 10.2 steps
// and how far each has come.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct nc_action_entry {
  std::string action_id, description, owner, due_on;
  std::string status = "planned";  // planned | done | verified
  std::string evidence, completed_on, completed_by, verified_by, verification_notes;
  int ineffective_verifications = 0;
  std::string verified_on;
  std::string planned_at;

  friend bool operator==(const nc_action_entry&, const nc_action_entry&) = default;
};
ISMS_VIEW_FIELDS(nc_action_entry, action_id, description, owner,
                 due_on, status, evidence, completed_on, completed_by,
                 verified_by, verification_notes,
                 ineffective_verifications, verified_on, planned_at)

struct nc_step_record {
  std::string description;
  std::string on;  // day
  std::string by;

  friend bool operator==(const nc_step_record&, const nc_step_record&) = default;
};
ISMS_VIEW_FIELDS(nc_step_record, description, on, by)

struct nc_entry {
  std::string id;  // the <id> of "nc-<id>"
  std::string stream;
  // What nonconformity::state holds.
  std::string nc_id, source, reference, severity, description, raised_on, raised_by;
  std::string audit_id, finding_id, review_id, incident_id;
  std::string containment, root_cause;
  bool similar_checked = false;
  bool similar_found = false;
  std::vector<nc_action_entry> actions;  // in the order planned
  bool closed = false;
  std::string closed_on;
  std::uint64_t version = 0;
  // Beyond the aggregate's state.
  nc_step_record containment_step, root_cause_step, similar_step;
  std::vector<std::string> related_ncs;
  std::string closed_by, closing_comment;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const nc_entry&, const nc_entry&) = default;
};
ISMS_VIEW_FIELDS(nc_entry, id, stream, nc_id, source, reference,
                 severity, description, raised_on, raised_by,
                 audit_id, finding_id, review_id, incident_id, containment,
                 root_cause, similar_checked, similar_found, actions,
                 closed, closed_on, version, containment_step,
                 root_cause_step, similar_step, related_ncs,
                 closed_by, closing_comment, changed, history)

struct nonconformities_view {
  std::map<std::string, nc_entry> ncs;  // by id

  friend bool operator==(const nonconformities_view&, const nonconformities_view&) = default;
};
ISMS_VIEW_FIELDS(nonconformities_view, ncs)

[[nodiscard]] nonconformity::state nc_state_of(const nc_entry& n);

void fold_nonconformity(nonconformities_view& v, const recorded_event& e,
                        const nonconformity::event& ev);

// Where the nonconformity stands: raised | contained | root_cause_recorded |
// similar_checked | actions_planned | actions_done | actions_verified | closed.
[[nodiscard]] std::string nc_state(const nc_entry& n);

// The ids of its actions overdue on `today` (nonconformity::overdue_actions).
[[nodiscard]] std::vector<std::string> nc_overdue_actions(const nc_entry& n, date today);

[[nodiscard]] json nc_json(const nc_entry& n, date today);

// `nonconformities`: params {state?, severity?, source?, owner?: action owner,
// overdue?: bool (only those with overdue actions)}.
[[nodiscard]] std::expected<json, rejection> query_nonconformities(const nonconformities_view& v,
                                                                   const json& params, date today);
// `nonconformity`: params {id} — one nonconformity with the 10.2 steps and its history.
[[nodiscard]] std::expected<json, rejection> query_nonconformity(const nonconformities_view& v,
                                                                 const json& params, date today);

}  // namespace isms::domain::views
