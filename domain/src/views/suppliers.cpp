#include "isms/domain/views/suppliers.hpp"

#include <array>

#include "support.hpp"

namespace isms::domain::views {

namespace {

namespace sp = supplier;

constexpr std::array criticalities{sp::criticality::low, sp::criticality::medium, sp::criticality::high,
                                   sp::criticality::critical};
constexpr std::array results{sp::result::satisfactory, sp::result::conditional, sp::result::unsatisfactory};
constexpr std::array statuses{sp::status::registered, sp::status::accepted, sp::status::terminated};

supplier_terms_entry entry_of_terms(const sp::terms& t) {
  return {t.name,  t.services, t.data_handled, std::string(sp::to_string(t.level)), t.security_requirements,
          t.agreement, t.owner, t.linked_risks};
}

sp::terms terms_of_entry(const supplier_terms_entry& e) {
  sp::terms t;
  t.name = e.name;
  t.services = e.services;
  t.data_handled = e.data_handled;
  t.level = enum_named(criticalities, e.criticality, sp::criticality::medium);
  t.security_requirements = e.security_requirements;
  t.agreement = e.agreement;
  t.owner = e.owner;
  t.linked_risks = e.linked_risks;
  return t;
}

}  // namespace

supplier::state supplier_state_of(const supplier_entry& s) {
  sp::state st = sp::initial_state();
  st.version = s.version;
  st.exists = !s.supplier_id.empty();
  st.supplier_id = s.supplier_id;
  st.current = enum_named(statuses, s.state, sp::status::registered);
  st.recorded = terms_of_entry(s.terms);
  if (s.has_accepted) st.accepted_terms = terms_of_entry(s.accepted);
  st.pending_approval_id = s.pending_approval_id;
  st.next_assessment_due = s.next_due.empty() ? std::nullopt : parse_date(s.next_due);
  if (!s.last_result.empty()) st.last_result = enum_named(results, s.last_result, sp::result::satisfactory);
  return st;
}

void fold_supplier(suppliers_view& v, const recorded_event& e, const supplier::event& ev) {
  supplier_entry& s = entry_of(v.suppliers, e);
  const sp::state st = sp::evolve(supplier_state_of(s), ev);
  s.version = e.version;
  s.changed = change_of(e);
  s.supplier_id = st.supplier_id;
  s.state = sp::to_string(st.current);
  s.terms = entry_of_terms(st.recorded);
  s.has_accepted = st.accepted_terms.has_value();
  if (st.accepted_terms) s.accepted = entry_of_terms(*st.accepted_terms);
  s.pending_approval_id = st.pending_approval_id;
  s.next_due = st.next_assessment_due ? format_date(*st.next_assessment_due) : std::string{};
  std::visit(overloaded{
                 [&](const sp::registered& x) {
                   s.registered_on = format_date(x.registered_on);
                   s.registered_by = x.registered_by;
                   s.history.push_back(history_of(e, "registered: " + x.recorded.name + " (" +
                                                         std::string(sp::to_string(x.recorded.level)) + ")",
                                                  x.recorded.services));
                 },
                 [&](const sp::changed& x) { s.history.push_back(history_of(e, "terms changed", x.reason)); },
                 [&](const sp::acceptance_requested&) { s.history.push_back(history_of(e, "acceptance requested")); },
                 [&](const sp::accepted& x) {
                   s.accepted_on = format_date(day_of(e.meta.recorded_at));
                   s.accepted_by = x.approvers;
                   s.history.push_back(history_of(e, "accepted", x.comment));
                 },
                 [&](const sp::acceptance_rejected& x) {
                   s.history.push_back(history_of(e, "acceptance rejected by " + x.rejected_by, x.comment));
                 },
                 [&](const sp::assessed& x) {
                   s.last_result = sp::to_string(x.outcome);
                   s.last_findings = x.findings;
                   s.last_assessed_on = format_date(x.assessed_on);
                   s.last_assessed_by = x.assessed_by;
                   ++s.assessments;
                   s.history.push_back(history_of(e, "assessed: " + s.last_result + ", next due " + s.next_due,
                                                  x.findings));
                 },
                 [&](const sp::terminated& x) {
                   s.terminated_on = format_date(x.terminated_on);
                   s.terminated_by = x.terminated_by;
                   s.termination_reason = x.reason;
                   s.history.push_back(history_of(e, "relationship terminated", x.reason));
                 },
             },
             ev);
}

bool changed_since_acceptance(const supplier_entry& s) {
  return s.has_accepted && !supplier_state_of(s).accepted_as_recorded();
}

json supplier_subject_content(const supplier_entry& s) { return sp::approval_content(supplier_state_of(s)); }

json supplier_json(const supplier_entry& s, date today) {
  const sp::state st = supplier_state_of(s);
  json j = sp::to_json(st.recorded);
  j["id"] = s.id;
  j["stream"] = s.stream;
  j["supplier_id"] = s.supplier_id;
  j["state"] = s.state;
  j["accepted"] = s.has_accepted;
  j["changed_since_acceptance"] = changed_since_acceptance(s);
  j["awaiting_acceptance"] = !s.pending_approval_id.empty();
  j["pending_approval_id"] = s.pending_approval_id;
  j["registered_on"] = s.registered_on;
  j["registered_by"] = s.registered_by;
  j["accepted_on"] = s.accepted_on;
  j["accepted_by"] = s.accepted_by;
  j["last_assessment"] = s.assessments == 0 ? json(nullptr)
                                            : json{{"result", s.last_result},
                                                   {"findings", s.last_findings},
                                                   {"on", s.last_assessed_on},
                                                   {"by", s.last_assessed_by}};
  j["assessments"] = s.assessments;
  j["next_due"] = s.next_due;
  j["assessment_due"] = sp::assessment_due(st, today);
  j["terminated_on"] = s.terminated_on;
  j["termination_reason"] = s.termination_reason;
  j["version"] = s.version;
  j["last_change"] = s.changed;
  j["allowed_commands"] = sp::admitted_commands(st);
  return j;
}

std::expected<json, rejection> query_suppliers(const suppliers_view& v, const json& params, date today) {
  support::query_params p(params);
  const auto state = p.choice("state", {"registered", "accepted", "terminated"});
  const auto criticality = p.choice("criticality", {"low", "medium", "high", "critical"});
  const auto owner = p.text("owner");
  const bool due_only = p.flag("assessment_due");
  if (!p.ok()) return p.failure();
  json list = json::array();
  json by_state = {{"registered", 0}, {"accepted", 0}, {"terminated", 0}};
  json by_criticality = {{"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}};
  json by_result = {{"satisfactory", 0}, {"conditional", 0}, {"unsatisfactory", 0}};
  std::size_t due = 0;
  for (const auto& [_, s] : v.suppliers) {
    if (s.supplier_id.empty()) continue;
    if (!state.empty() && s.state != state) continue;
    if (!criticality.empty() && s.terms.criticality != criticality) continue;
    if (!owner.empty() && s.terms.owner != owner) continue;
    json j = supplier_json(s, today);
    if (due_only && !j.at("assessment_due").get<bool>()) continue;
    by_state[s.state] = by_state.value(s.state, 0) + 1;
    by_criticality[s.terms.criticality] = by_criticality.value(s.terms.criticality, 0) + 1;
    if (!s.last_result.empty() && s.state != "terminated")
      by_result[s.last_result] = by_result.value(s.last_result, 0) + 1;
    due += j.at("assessment_due").get<bool>() ? 1 : 0;
    list.push_back(std::move(j));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"suppliers", std::move(list)},
              {"count", count},
              {"by_state", by_state},
              {"by_criticality", by_criticality},
              {"by_last_result", by_result},
              {"assessments_due", due}};
}

std::expected<json, rejection> query_supplier(const suppliers_view& v, const json& params, date today) {
  support::query_params p(params);
  const supplier_entry* found = p.entry(v.suppliers, "supplier", "supplier");
  if (!p.ok()) return p.failure();
  json j = supplier_json(*found, today);
  j["accepted_terms"] = found->has_accepted ? sp::to_json(terms_of_entry(found->accepted)) : json(nullptr);
  j["history"] = found->history;
  return j;
}

}  // namespace isms::domain::views
