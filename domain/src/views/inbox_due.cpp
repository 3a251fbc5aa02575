#include <algorithm>

#include "isms/domain/approval.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/views/views.hpp"

namespace isms::domain::views {

namespace {

std::string role_list(const actor& a) {
  std::string out;
  for (role r : a.roles) out += (out.empty() ? "" : ",") + std::string(to_string(r));
  return out;
}

// Every action of `entries` (nonconformities or management reviews, each
// with its actions) overdue on `today`, of `owner` ("" = anyone's), as inbox
// and due entries of `kind`.
template <class Entries, class Overdue>
json overdue_actions(const Entries& entries, Overdue overdue_of, std::string_view kind, date today,
                     const std::string& owner) {
  json out = json::array();
  for (const auto& [id, entry] : entries)
    for (const auto& aid : overdue_of(entry, today))
      for (const auto& a : entry.actions) {
        if (a.action_id != aid || (!owner.empty() && a.owner != owner)) continue;
        out.push_back({{"id", entry.stream + "/" + a.action_id},
                       {"kind", kind},
                       {"stream", entry.stream},
                       {"action_id", a.action_id},
                       {"description", a.description},
                       {"owner", a.owner},
                       {"due_on", a.due_on}});
      }
  return out;
}

json overdue_nc_actions(const all_views& v, date today, const std::string& owner) {
  return overdue_actions(v.nonconformities.ncs, nc_overdue_actions, "corrective_action", today, owner);
}

json overdue_review_actions(const all_views& v, date today, const std::string& owner) {
  return overdue_actions(v.reviews.reviews, review_overdue_actions, "review_action", today, owner);
}

}  // namespace

json inbox_of(const all_views& v, const actor& viewer, date today) {
  json approvals = json::array();
  json mine = json::array();
  for (const auto& [id, a] : v.approvals.approvals) {
    if (a.state != "open") continue;
    if (a.requested_by == viewer.user_id)
      mine.push_back({{"id", a.id}, {"subject_stream", a.subject_stream}, {"summary", a.summary},
                      {"requested_at", a.requested_at}, {"decisions", a.decisions}});
    const approval::state st = approval_state_of(a);
    if (!approval::awaits(st, viewer)) continue;
    json item{{"id", a.id},
              {"approval_id", a.id},
              {"stream", a.stream},
              {"subject_stream", a.subject_stream},
              {"subject_kind", a.subject_kind},
              {"subject_version", a.subject_version},
              {"summary", a.summary},
              {"content_hash", a.content_hash},
              {"requested_by", a.requested_by},
              {"requested_at", a.requested_at},
              {"policy", a.policy.value()},
              {"decisions", a.decisions},
              {"content", a.subject_after.value()},
              {"previously_approved", previously_approved(v.approvals, a)},
              {"previously_approved_by", a.previous_approval_id},
              // Approving it asks a reviewer with a second factor for a code.
              {"needs_confirmation", approval::needs_confirmation(st.request)}};
    const json& before = item.at("previously_approved");
    item["difference"] = before.is_null() ? json(nullptr) : diff(before, item.at("content"));
    approvals.push_back(std::move(item));
  }
  json actions = overdue_nc_actions(v, today, viewer.user_id);
  for (auto& a : overdue_review_actions(v, today, viewer.user_id)) actions.push_back(std::move(a));
  // Incidents waiting for the viewer: reports to triage (ISMS managers) and
  // open incidents they handle.
  json incidents = json::array();
  const bool triages = viewer.has(role::isms_manager);
  for (const auto& [id, i] : v.incidents.incidents) {
    if (i.incident_id.empty() || i.state == "closed") continue;
    const bool to_triage = triages && i.state == "reported";
    const bool handles = i.handler == viewer.user_id;
    if (!to_triage && !handles) continue;
    incidents.push_back({{"id", i.stream},
                         {"stream", i.stream},
                         {"incident_id", i.incident_id},
                         {"title", i.title},
                         {"state", i.state},
                         {"severity", i.severity},
                         {"reported_on", i.reported_on},
                         {"waits_for", to_triage ? "triage" : "handling"}});
  }
  const std::size_t count = approvals.size() + actions.size() + incidents.size();
  return {{"user_id", viewer.user_id},
          {"roles", role_list(viewer)},
          {"approvals", std::move(approvals)},
          {"overdue_actions", std::move(actions)},
          {"incidents", std::move(incidents)},
          {"my_open_requests", std::move(mine)},
          {"count", count}};
}

json due_at(const all_views& v, date today) {
  // Risk acceptances and treatments, by the risk aggregate's own time rules.
  std::vector<risk::state> states;
  for (const auto& [_, r] : v.risks.risks) states.push_back(risk_state_of(r));
  json expiring = json::array(), expired = json::array(), treatment = json::array();
  for (const auto& d : risk::due_on(states, today)) {
    json item{{"id", d.stream},
              {"stream", d.stream},
              {"due", format_date(d.due)},
              {"key", d.key},
              {"message", d.message}};
    if (const auto it = v.risks.risks.find(id_in_stream(d.stream)); it != v.risks.risks.end())
      item["owner"] = it->second.owner;
    if (d.command) item["command"] = {{"type", d.command->command_type},
                                      {"stream", d.command->stream},
                                      {"data", d.command->data},
                                      {"command_id", d.command->command_id}};
    switch (d.kind) {
      case risk::due_kind::acceptance_expiring: expiring.push_back(std::move(item)); break;
      case risk::due_kind::acceptance_expired: expired.push_back(std::move(item)); break;
      case risk::due_kind::treatment_overdue: treatment.push_back(std::move(item)); break;
    }
  }
  json documents = json::array();
  for (const auto& [id, d] : v.documents.documents) {
    const std::string due = document_review_due(d);
    if (due.empty() || due > format_date(today)) continue;
    documents.push_back({{"id", id}, {"stream", d.stream}, {"title", d.title}, {"owner", d.owner},
                         {"review_due_on", due}, {"overdue", due < format_date(today)}});
  }
  json objectives = json::array();
  for (const auto& [id, o] : v.objectives.objectives)
    if (objective_overdue(o, today))
      objectives.push_back({{"id", id}, {"stream", o.stream}, {"statement", o.in_force.statement},
                            {"owner", o.in_force.owner}, {"due_on", o.in_force.due_on}});
  json actions = overdue_nc_actions(v, today, "");
  for (auto& a : overdue_review_actions(v, today, "")) actions.push_back(std::move(a));
  // 5.22: the periodic assessment of an accepted supplier, by the supplier
  // aggregate's own time rule.
  json suppliers = json::array();
  for (const auto& [id, s] : v.suppliers.suppliers)
    if (supplier::assessment_due(supplier_state_of(s), today))
      suppliers.push_back({{"id", id}, {"stream", s.stream}, {"title", s.terms.name}, {"owner", s.terms.owner},
                           {"due_on", s.next_due}, {"overdue", s.next_due < format_date(today)}});
  // Evidence whose review day is near or past (evidence::review_due), for its owner.
  json evidence_due = json::array();
  for (const auto& [id, x] : v.evidence.files)
    if (const auto s = evidence_state_of(x); evidence::review_due(s, today))
      evidence_due.push_back({{"id", id}, {"stream", x.stream}, {"title", x.name}, {"owner", x.owner},
                              {"subject_kind", x.subject_kind}, {"subject_id", x.subject_id},
                              {"subject_stream", s.kind == evidence::subject_kind::control
                                                     ? std::string(soa::stream_id)
                                                     : evidence::subject_stream(s.kind, s.subject_id)},
                              {"due_on", x.review_by}, {"overdue", x.review_by < format_date(today)}});
  const std::string review_due_on = next_review_due(v.reviews);
  const bool review_due = !review_due_on.empty() && review_due_on <= format_date(today);
  // Counted before the lists are moved into the answer.
  const std::size_t count = expiring.size() + expired.size() + treatment.size() + documents.size() + actions.size() +
                            objectives.size() + suppliers.size() + evidence_due.size() + (review_due ? 1 : 0);
  return {{"acceptances_expiring", std::move(expiring)},
          {"acceptances_expired", std::move(expired)},
          {"treatments_overdue", std::move(treatment)},
          {"documents_review_due", std::move(documents)},
          {"actions_overdue", std::move(actions)},
          {"objectives_overdue", std::move(objectives)},
          {"supplier_assessments_due", std::move(suppliers)},
          {"evidence_review_due", std::move(evidence_due)},
          {"management_review", {{"next_due_on", review_due_on.empty() ? json(nullptr) : json(review_due_on)},
                                 {"due", review_due}}},
          {"count", count}};
}

}  // namespace isms::domain::views
