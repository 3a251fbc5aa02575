#pragma once
// The risk register view (ISO/IEC 27001:2022 6.1.2, 6.1.3, 8.2, 8.3): every
// risk with its assessment, treatment, residual rating and acceptance, the
// risk matrix in force, and each risk's full history.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::risk_matrix {
// The binary snapshot's layout of the matrix a register holds (common.hpp).
ISMS_VISIT_FIELDS(level_band, name, min_score, max_score)
ISMS_VISIT_FIELDS(matrix, likelihood_labels, impact_labels, bands, appetite, version)
}  // namespace isms::domain::risk_matrix

namespace isms::domain::views {

// A rating on the risk matrix; all zero and level "" when not rated.
struct risk_rating {
  int likelihood = 0;
  int impact = 0;
  int score = 0;
  std::string level;

  friend bool operator==(const risk_rating&, const risk_rating&) = default;
};
ISMS_VIEW_FIELDS(risk_rating, likelihood, impact, score, level)

struct risk_entry {
  std::string id;      // "R-12"
  std::string stream;  // "risk-R-12"
  std::string title, description, asset, threat, vulnerability, owner, category;
  std::vector<std::string> asset_ids;  // the registered assets it concerns
  std::string state;   // risk::to_string(status): identified, assessed, treatment_planned, …

  risk_rating inherent;                 // the latest assessment
  bool inherent_within_appetite = false;
  std::string assessment_rationale;
  std::uint64_t matrix_version = 0;     // the matrix the assessment was made on

  std::string treatment_option;         // modify | avoid | share | retain; "" before planning
  std::vector<std::string> controls;    // linked Annex A control ids
  std::string treatment_actions;
  std::string treatment_due;            // day
  risk_rating treatment_target;         // the target residual rating of the treatment plan
  std::string treatment_implemented_on; // day the plan was recorded as implemented; "" until then
  std::string treatment_evidence;       // what shows it is implemented

  // The residual rating: the treatment's target, then the rating put to
  // acceptance once acceptance is requested.
  risk_rating residual;
  bool within_appetite = false;         // residual level at or below the appetite

  std::string acceptance;               // "" | requested | accepted | rejected | expired
  std::string pending_approval_id;      // the acceptance approval awaited, or ""
  std::string requested_review_date;    // the review date asked for in the pending request
  std::vector<std::string> accepted_by; // approvers of the acceptance in force (or the last one)
  std::string accepted_at;              // instant
  std::string accepted_until;           // day: the acceptance's review date
  std::string rejected_by;              // who rejected the last acceptance request
  std::string retired_reason;

  std::uint64_t version = 0;            // stream version
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const risk_entry&, const risk_entry&) = default;
};
ISMS_VIEW_FIELDS(risk_entry, id, stream, title, description, asset, asset_ids,
                 threat, vulnerability, owner, category, state,
                 inherent, inherent_within_appetite,
                 assessment_rationale, matrix_version,
                 treatment_option, controls, treatment_actions,
                 treatment_due, treatment_target, treatment_implemented_on,
                 treatment_evidence, residual, within_appetite,
                 acceptance, pending_approval_id,
                 requested_review_date, accepted_by, accepted_at,
                 accepted_until, rejected_by, retired_reason,
                 version, changed, history)

struct risk_register {
  std::map<std::string, risk_entry> risks;  // by id
  risk_matrix::matrix matrix = risk_matrix::default_matrix();

  friend bool operator==(const risk_register&, const risk_register&) = default;
};

// The stored form (the views snapshot); from_json throws on a malformed one.
void to_json(json& j, const risk_register& r);
void from_json(const json& j, risk_register& r);
ISMS_VISIT_FIELDS(risk_register, risks, matrix)

// Folds one decoded event of a risk stream / of the risk matrix configuration.
void fold_risk(risk_register& r, const recorded_event& e, const risk::event& ev);
void fold_risk_matrix(risk_register& r, const recorded_event& e, const risk_matrix::event& ev);

// One risk as the `risks` view lists it (without history).
[[nodiscard]] json risk_summary_json(const risk_entry& r);

// The approval-relevant content of a risk (what its acceptance puts to the
// approvers), for the difference an inbox shows.
[[nodiscard]] json risk_subject_content(const risk_entry& r);

// The folded aggregate state the risk's own time rules read (risk::due_on).
[[nodiscard]] risk::state risk_state_of(const risk_entry& r);

// `risks`: params {state?, owner?, asset_id?, level?, residual_level?, sort?: "id" | "inherent_score" |
// "residual_score" | "title" | "due", order?: "asc" | "desc"}.
[[nodiscard]] std::expected<json, rejection> query_risks(const risk_register& r, const json& params,
                                                         std::optional<row_window> window = std::nullopt);
// `risk`: params {id} — one risk with its full history.
[[nodiscard]] std::expected<json, rejection> query_risk(const risk_register& r, const json& params);

}  // namespace isms::domain::views
