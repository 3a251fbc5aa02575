#pragma once
// The objectives view (ISO/IEC 27001:2022 6.2, 9.1): every information
// security objective with its terms in force and proposed, the latest measured
// value and the progress series, its state and whether it is overdue.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

// objective::terms with the due day as text.
struct objective_terms {
  std::string statement, measure;
  double target_value = 0;
  std::string unit, owner, due_on, resources, evaluation, related_policy;

  friend bool operator==(const objective_terms&, const objective_terms&) = default;
};
ISMS_VIEW_FIELDS(objective_terms, statement, measure, target_value,
                 unit, owner, due_on, resources, evaluation,
                 related_policy)

struct objective_measurement {
  double value = 0;
  std::string on;  // day
  std::string note;
  std::string by;

  friend bool operator==(const objective_measurement&, const objective_measurement&) = default;
};
ISMS_VIEW_FIELDS(objective_measurement, value, on, note, by)

struct objective_entry {
  std::string id;  // the <id> of "objective-<id>"
  std::string stream;
  // What objective::state holds.
  std::string objective_id;
  std::string state = "proposed";  // proposed | set | achieved | missed
  bool has_in_force = false;
  objective_terms in_force;
  objective_terms proposal;
  bool proposal_open = false;
  std::string pending_approval_id;
  std::vector<objective_measurement> progress;
  std::uint64_t version = 0;
  // Beyond the aggregate's state.
  std::string closed_on;     // achieved or missed on
  std::string closing_note;  // the achievement note or the reason it was missed
  std::vector<std::string> set_by;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const objective_entry&, const objective_entry&) = default;
};
ISMS_VIEW_FIELDS(objective_entry, id, stream, objective_id, state,
                 has_in_force, in_force, proposal, proposal_open,
                 pending_approval_id, progress, version, closed_on,
                 closing_note, set_by, changed, history)

struct objectives_view {
  std::map<std::string, objective_entry> objectives;  // by id

  friend bool operator==(const objectives_view&, const objectives_view&) = default;
};
ISMS_VIEW_FIELDS(objectives_view, objectives)

[[nodiscard]] objective::state objective_state_of(const objective_entry& o);

void fold_objective(objectives_view& v, const recorded_event& e, const objective::event& ev);

// objective::approval_content of the proposal.
[[nodiscard]] json objective_subject_content(const objective_entry& o);

// objective::overdue.
[[nodiscard]] bool objective_overdue(const objective_entry& o, date today);

[[nodiscard]] json objective_json(const objective_entry& o, date today);

// `objectives`: params {state?, owner?, overdue?: bool}.
[[nodiscard]] std::expected<json, rejection> query_objectives(const objectives_view& v,
                                                              const json& params, date today);

}  // namespace isms::domain::views
