#pragma once
// The supplier register (ISO/IEC 27001:2022 Annex A 5.19–5.23): every
// supplier with its services, the information it handles, its criticality,
// the security requirements of its agreement, its owner and linked risks;
// whether top management accepted it (and whether its terms changed since),
// its last assessment and when the next is due; counts by state, criticality
// and assessment result.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct supplier_terms_entry {
  std::string name, services, data_handled, criticality, security_requirements, agreement, owner;
  std::vector<std::string> linked_risks;

  friend bool operator==(const supplier_terms_entry&, const supplier_terms_entry&) = default;
};
ISMS_VIEW_FIELDS(supplier_terms_entry, name, services, data_handled, criticality, security_requirements, agreement,
                 owner, linked_risks)

struct supplier_entry {
  std::string id;  // the <id> of "supplier-<id>"
  std::string stream;
  std::string supplier_id;
  supplier_terms_entry terms;     // as recorded now
  bool has_accepted = false;
  supplier_terms_entry accepted;  // as the last acceptance approved
  std::string state = "registered";  // registered | accepted | terminated
  std::string pending_approval_id;
  std::string registered_on, registered_by, accepted_on;
  std::vector<std::string> accepted_by;
  std::string last_result, last_findings, last_assessed_on, last_assessed_by, next_due;
  std::uint64_t assessments = 0;
  std::string terminated_on, terminated_by, termination_reason;
  std::uint64_t version = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const supplier_entry&, const supplier_entry&) = default;
};
ISMS_VIEW_FIELDS(supplier_entry, id, stream, supplier_id, terms, has_accepted, accepted, state, pending_approval_id,
                 registered_on, registered_by, accepted_on, accepted_by, last_result, last_findings,
                 last_assessed_on, last_assessed_by, next_due, assessments, terminated_on, terminated_by,
                 termination_reason, version, changed, history)

struct suppliers_view {
  std::map<std::string, supplier_entry> suppliers;  // by id

  friend bool operator==(const suppliers_view&, const suppliers_view&) = default;
};
ISMS_VIEW_FIELDS(suppliers_view, suppliers)

[[nodiscard]] supplier::state supplier_state_of(const supplier_entry& s);

void fold_supplier(suppliers_view& v, const recorded_event& e, const supplier::event& ev);

// Accepted once, and the terms recorded now are not the ones accepted
// (supplier::state::accepted_as_recorded).
[[nodiscard]] bool changed_since_acceptance(const supplier_entry& s);

[[nodiscard]] json supplier_json(const supplier_entry& s, date today);

// What an acceptance of the supplier binds (supplier::approval_content).
[[nodiscard]] json supplier_subject_content(const supplier_entry& s);

// `suppliers`: params {state?: registered | accepted | terminated, criticality?,
// owner?, assessment_due?: bool (only those whose assessment is due)}.
[[nodiscard]] std::expected<json, rejection> query_suppliers(const suppliers_view& v, const json& params,
                                                             date today);
// `supplier`: params {id} — one supplier with its history.
[[nodiscard]] std::expected<json, rejection> query_supplier(const suppliers_view& v, const json& params, date today);

}  // namespace isms::domain::views
