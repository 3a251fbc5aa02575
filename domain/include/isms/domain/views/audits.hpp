#pragma once
// The audit programme view (ISO/IEC 27001:2022 9.2): every internal audit
// planned, performed and reported, with its findings and the nonconformities
// they raised.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct audit_finding_entry {
  std::string finding_id;
  std::string type;  // nonconformity_major | nonconformity_minor | observation | opportunity
  std::string reference;
  std::string text;
  std::string recorded_by;
  std::string recorded_at;
  std::string nc_id;  // the nonconformity a finding of nonconformity raises, else ""

  friend bool operator==(const audit_finding_entry&, const audit_finding_entry&) = default;
};
ISMS_VIEW_FIELDS(audit_finding_entry, finding_id, type, reference, text,
                 recorded_by, recorded_at, nc_id)

struct audit_entry {
  std::string id;  // the <id> of "audit-<id>"
  std::string stream;
  std::string audit_id, scope, criteria, lead_auditor, area, process_owner, planned_start, planned_end;
  std::string state = "planned";  // planned | performed | reported
  std::string performed_on;
  std::vector<std::string> auditors;
  std::string performed_summary;
  std::vector<audit_finding_entry> findings;
  std::string reported_on, report_summary, conclusion, issued_by;
  std::uint64_t version = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const audit_entry&, const audit_entry&) = default;
};
ISMS_VIEW_FIELDS(audit_entry, id, stream, audit_id, scope, criteria,
                 lead_auditor, area, process_owner, planned_start,
                 planned_end, state, performed_on, auditors,
                 performed_summary, findings, reported_on,
                 report_summary, conclusion, issued_by, version,
                 changed, history)

struct audits_view {
  std::map<std::string, audit_entry> audits;  // by id

  friend bool operator==(const audits_view&, const audits_view&) = default;
};
ISMS_VIEW_FIELDS(audits_view, audits)

void fold_audit(audits_view& v, const recorded_event& e, const internal_audit::event& ev);

[[nodiscard]] json audit_json(const audit_entry& a, date today);

// `audits`: params {state?, auditor?: lead or team member, year?: planned start year}.
[[nodiscard]] std::expected<json, rejection> query_audits(const audits_view& v, const json& params,
                                                          date today);

}  // namespace isms::domain::views
