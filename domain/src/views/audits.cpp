#include "isms/domain/views/audits.hpp"

#include <algorithm>

#include "isms/domain/nonconformity.hpp"
#include "support.hpp"

namespace isms::domain::views {

void fold_audit(audits_view& v, const recorded_event& e, const internal_audit::event& ev) {
  audit_entry& a = entry_of(v.audits, e);
  a.version = e.version;
  a.changed = change_of(e);
  std::visit(overloaded{
                 [&](const internal_audit::planned& x) {
                   a.audit_id = x.audit_id;
                   a.scope = x.scope;
                   a.criteria = x.criteria;
                   a.lead_auditor = x.lead_auditor;
                   a.area = x.area;
                   a.process_owner = x.process_owner;
                   a.planned_start = format_date(x.planned_start);
                   a.planned_end = format_date(x.planned_end);
                   a.state = "planned";
                   a.history.push_back(history_of(e, "planned: " + x.area + " from " + a.planned_start +
                                                         " to " + a.planned_end + ", lead " + x.lead_auditor));
                 },
                 [&](const internal_audit::performed& x) {
                   a.state = "performed";
                   a.performed_on = format_date(x.performed_on);
                   a.auditors = x.auditors;
                   a.performed_summary = x.summary;
                   a.history.push_back(history_of(e, "performed on " + a.performed_on, x.summary));
                 },
                 [&](const internal_audit::finding_recorded& x) {
                   audit_finding_entry f{x.finding_id, std::string(internal_audit::to_string(x.kind)),
                                         x.reference, x.text, x.recorded_by,
                                         format_instant(e.meta.recorded_at), ""};
                   if (x.kind == internal_audit::finding_type::nonconformity_major ||
                       x.kind == internal_audit::finding_type::nonconformity_minor)
                     f.nc_id = nonconformity::nc_id_for_finding(a.audit_id.empty() ? a.id : a.audit_id, x.finding_id);
                   a.findings.push_back(std::move(f));
                   a.history.push_back(history_of(e, "finding " + x.finding_id + " (" +
                                                         std::string(internal_audit::to_string(x.kind)) +
                                                         ") against " + x.reference,
                                                  x.text));
                 },
                 [&](const internal_audit::report_issued& x) {
                   a.state = "reported";
                   a.reported_on = format_date(x.issued_on);
                   a.report_summary = x.summary;
                   a.conclusion = x.conclusion;
                   a.issued_by = x.issued_by;
                   a.history.push_back(history_of(e, "report issued", x.conclusion));
                 },
             },
             ev);
}

// The aggregate state its rules read: the audit exists, its status, its team.
internal_audit::state audit_state_of(const audit_entry& a) {
  internal_audit::state s = internal_audit::initial_state();
  s.exists = !a.audit_id.empty();
  s.programme_entry.audit_id = a.audit_id;
  s.programme_entry.lead_auditor = a.lead_auditor;
  s.programme_entry.process_owner = a.process_owner;
  s.auditors = a.auditors;
  for (auto st : {internal_audit::status::planned, internal_audit::status::performed, internal_audit::status::reported})
    if (internal_audit::to_string(st) == a.state) s.current = st;
  return s;
}

ISMS_WIRE_MEMBERS(audit_entry, id, stream, audit_id, scope, criteria, area, process_owner, lead_auditor, auditors,
                  planned_start, planned_end, state, performed_on, performed_summary, reported_on, report_summary,
                  conclusion, version)

json audit_json(const audit_entry& a, date today) {
  json by_type = {{"nonconformity_major", 0}, {"nonconformity_minor", 0}, {"observation", 0}, {"opportunity", 0}};
  for (const auto& f : a.findings) by_type[f.type] = by_type.value(f.type, 0) + 1;
  json j = wire_members(a);
  json findings = support::with_ids(a.findings, &audit_finding_entry::finding_id);
  j["overdue"] = a.state == "planned" && support::before(a.planned_end, today);
  j["findings"] = std::move(findings);
  j["findings_by_type"] = std::move(by_type);
  j["last_change"] = a.changed;
  // What the audit's state admits (the aggregate's own rule); the same for
  // every reader, so a shared reply stays right.
  const internal_audit::state st = audit_state_of(a);
  j["allowed_commands"] = internal_audit::admitted_commands(st);
  // Who among the users may send them (the aggregate's rule), the same for
  // every reader.
  j["actors"] = support::actors_json(internal_audit::actor_limits(st));
  return j;
}

std::expected<json, rejection> query_audits(const audits_view& v, const json& params, date today) {
  support::query_params p(params);
  const auto state = p.choice("state", {"planned", "performed", "reported"});
  const auto auditor = p.text("auditor");
  const auto year = p.integer("year", 1970, 9999, 0);
  if (!p.ok()) return p.failure();
  json list = json::array();
  json counts = {{"planned", 0}, {"performed", 0}, {"reported", 0}};
  for (const auto& [_, a] : v.audits) {
    if (!state.empty() && a.state != state) continue;
    if (!auditor.empty() && a.lead_auditor != auditor &&
        std::find(a.auditors.begin(), a.auditors.end(), auditor) == a.auditors.end())
      continue;
    if (year != 0 && !a.planned_start.starts_with(std::to_string(year))) continue;
    counts[a.state] = counts.value(a.state, 0) + 1;
    list.push_back(audit_json(a, today));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"audits", std::move(list)}, {"count", count}, {"by_state", counts}};
}

}  // namespace isms::domain::views
