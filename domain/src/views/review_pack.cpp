#include <algorithm>
#include <map>
#include <set>

#include "isms/domain/management_review.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/views/views.hpp"
#include "support.hpp"

namespace isms::domain::views {

namespace {

namespace mr = management_review;

std::string key(mr::input i) { return std::string(mr::to_string(i)); }

// The list under `name` of a baseline, or an empty list.
json list_of(const json& baseline, std::string_view name) {
  if (!baseline.is_object()) return json::array();
  const auto it = baseline.find(name);
  return it != baseline.end() && it->is_array() ? *it : json::array();
}

// Entries of a baseline list by id.
std::map<std::string, json> by_id(const json& list) {
  std::map<std::string, json> out;
  for (const auto& e : list)
    if (e.is_object() && e.contains("id") && e.at("id").is_string()) out[e.at("id").get<std::string>()] = e;
  return out;
}

std::string text_of(const json& j, std::string_view k) {
  const auto it = j.find(k);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::size_t count_of(const json& j, std::string_view k) {
  const auto it = j.find(k);
  return it != j.end() && it->is_number_unsigned() ? it->get<std::size_t>() : 0;
}

json issues_of(const scope::content& c) {
  json out = json::array();
  for (const auto& [id, i] : c.issues)
    out.push_back({{"id", id}, {"kind", scope::to_string(i.kind)}, {"description", i.description}});
  return out;
}

json parties_of(const scope::content& c) {
  json out = json::array();
  for (const auto& [id, p] : c.parties)
    out.push_back({{"id", id}, {"name", p.name}, {"requirements", p.requirements}});
  return out;
}

// A diff() reduced to what a reader of the pack needs.
json changes(const json& before, const json& after) {
  json d = diff(before, after);
  d.erase("equal");
  return d;
}

}  // namespace

json review_baseline(const all_views& v) {
  json risks = json::array();
  for (const auto& [id, r] : v.risks.risks)
    risks.push_back({{"id", id},
                     {"title", r.title},
                     {"state", r.state},
                     {"owner", r.owner},
                     {"inherent_level", r.inherent.level},
                     {"inherent_score", r.inherent.score},
                     {"residual_level", r.residual.level},
                     {"residual_score", r.residual.score},
                     {"within_appetite", r.within_appetite},
                     {"treatment_option", r.treatment_option},
                     {"controls", r.controls},
                     {"treatment_due", r.treatment_due},
                     {"acceptance", r.acceptance},
                     {"accepted_until", r.accepted_until}});
  const scope::content& sc = v.scope.has_effective ? v.scope.effective : v.scope.draft;
  json ncs = json::array();
  for (const auto& [id, n] : v.nonconformities.ncs) {
    std::size_t open = 0;
    for (const auto& a : n.actions) open += a.status != "verified" ? 1 : 0;
    ncs.push_back({{"id", id}, {"state", nc_state(n)}, {"severity", n.severity}, {"source", n.source},
                   {"reference", n.reference}, {"closed", n.closed}, {"open_actions", open}});
  }
  json objectives = json::array();
  for (const auto& [id, o] : v.objectives.objectives)
    objectives.push_back({{"id", id}, {"state", o.state}, {"measurements", o.progress.size()}});
  json audits = json::array();
  for (const auto& [id, a] : v.audits.audits)
    audits.push_back({{"id", id}, {"state", a.state}, {"findings", a.findings.size()}});
  json actions = json::array();
  for (const auto& [rid, r] : v.reviews.reviews)
    for (const auto& a : r.actions)
      actions.push_back({{"id", rid + "/" + a.action_id}, {"done", a.done}});
  json incidents = json::array();
  for (const auto& [id, i] : v.incidents.incidents)
    incidents.push_back({{"id", id}, {"state", i.state}, {"severity", i.severity}, {"classification", i.classification}});
  json assets = json::array();
  for (const auto& [id, a] : v.assets.assets)
    assets.push_back({{"id", id}, {"state", a.state}, {"classification", a.classification}});
  json suppliers = json::array();
  for (const auto& [id, s] : v.suppliers.suppliers)
    suppliers.push_back({{"id", id}, {"state", s.state}, {"assessments", s.assessments}, {"last_result", s.last_result}});
  return {{"position", v.position},
          {"at", format_instant(v.as_of)},
          {"risks", std::move(risks)},
          {"issues", issues_of(sc)},
          {"interested_parties", parties_of(sc)},
          {"nonconformities", std::move(ncs)},
          {"objectives", std::move(objectives)},
          {"audits", std::move(audits)},
          {"review_actions", std::move(actions)},
          {"incidents", std::move(incidents)},
          {"suppliers", std::move(suppliers)},
          {"assets", std::move(assets)}};
}

json review_pack(const json& previous, std::string_view previous_review_id, const all_views& now,
                 std::string_view review_id, date today) {
  const json current = review_baseline(now);
  json pack;
  pack["review_id"] = std::string(review_id);
  pack["previous_review_id"] = previous_review_id.empty() ? json(nullptr) : json(std::string(previous_review_id));
  pack["since_position"] = previous.is_object() ? previous.value("position", std::uint64_t{0}) : 0;
  pack["since"] = previous.is_object() ? previous.value("at", std::string{}) : std::string{};
  pack["as_of_position"] = now.position;
  pack["as_of"] = format_instant(now.as_of);
  pack["today"] = format_date(today);

  // a) status of actions from previous management reviews.
  {
    const auto before = by_id(list_of(previous, "review_actions"));
    json actions = json::array();
    std::size_t open = 0, done = 0, overdue = 0, done_since = 0;
    for (const auto& [rid, r] : now.reviews.reviews) {
      if (rid == review_id) continue;
      const auto late = review_overdue_actions(r, today);
      for (const auto& a : r.actions) {
        const bool is_late = std::find(late.begin(), late.end(), a.action_id) != late.end();
        const auto was = before.find(rid + "/" + a.action_id);
        const bool newly_done = a.done && (was == before.end() || !was->second.value("done", false));
        actions.push_back({{"id", rid + "/" + a.action_id}, {"review_id", rid}, {"action_id", a.action_id},
                           {"description", a.description}, {"owner", a.owner}, {"due_on", a.due_on},
                           {"done", a.done}, {"completed_on", a.completed_on}, {"overdue", is_late},
                           {"done_since_previous_review", newly_done}});
        (a.done ? done : open) += 1;
        overdue += is_late ? 1 : 0;
        done_since += newly_done ? 1 : 0;
      }
    }
    pack[key(mr::input::previous_actions)] = {{"actions", std::move(actions)}, {"open", open}, {"done", done},
                                              {"overdue", overdue}, {"done_since_previous_review", done_since}};
  }

  // b) and c) changes in issues and in interested parties' needs and expectations.
  // Changes in the assets (A.5.9): registered, retired and reclassified since.
  json assets_registered = json::array(), assets_retired = json::array(), assets_reclassified = json::array();
  {
    const auto before = by_id(list_of(previous, "assets"));
    for (const auto& [id, a] : now.assets.assets) {
      if (a.asset_id.empty()) continue;
      const auto was = before.find(id);
      const json line{{"id", id}, {"name", a.name}, {"type", a.type}, {"classification", a.classification},
                      {"owner", a.owner}};
      if (was == before.end()) assets_registered.push_back(line);
      if (a.state == "retired" && (was == before.end() || text_of(was->second, "state") != "retired"))
        assets_retired.push_back(line);
      if (was != before.end() && text_of(was->second, "classification") != a.classification) {
        json l = line;
        l["was"] = text_of(was->second, "classification");
        assets_reclassified.push_back(std::move(l));
      }
    }
  }
  pack[key(mr::input::issue_changes)] = {
      {"asset_changes",
       {{"registered_since_previous_review", assets_registered},
        {"retired_since_previous_review", assets_retired},
        {"reclassified_since_previous_review", assets_reclassified}}},
      {"changes", changes(list_of(previous, "issues"), current.at("issues"))},
      {"current", current.at("issues")},
      {"scope_effective", now.scope.has_effective},
      {"draft_pending_approval", !now.scope.pending_approval_id.empty()}};
  pack[key(mr::input::interested_party_changes)] = {
      {"changes", changes(list_of(previous, "interested_parties"), current.at("interested_parties"))},
      {"current", current.at("interested_parties")}};

  // d) feedback on information security performance.
  json external_ncs = json::array();
  {
    const auto before = by_id(list_of(previous, "nonconformities"));
    json raised = json::array(), closed = json::array();
    json open_by_severity = {{"major", 0}, {"minor", 0}, {"observation", 0}};
    json by_state = json::object();
    std::size_t open_before = 0, open_now = 0, actions_open = 0, actions_overdue = 0;
    for (const auto& [_, b] : before) open_before += b.value("closed", false) ? 0 : 1;
    for (const auto& [id, n] : now.nonconformities.ncs) {
      const std::string st = nc_state(n);
      by_state[st] = by_state.value(st, 0) + 1;
      const auto was = before.find(id);
      const json line{{"id", id}, {"severity", n.severity}, {"source", n.source}, {"reference", n.reference},
                      {"description", n.description}, {"state", st}};
      if (was == before.end()) {
        raised.push_back(line);
        if (n.source == "external_audit") external_ncs.push_back(line);
      }
      if (n.closed && (was == before.end() || !was->second.value("closed", false))) closed.push_back(line);
      if (!n.closed) {
        ++open_now;
        open_by_severity[n.severity] = open_by_severity.value(n.severity, 0) + 1;
      }
      for (const auto& a : n.actions) actions_open += a.status != "verified" ? 1 : 0;
      actions_overdue += nc_overdue_actions(n, today).size();
    }
    json objectives = json::array(), achieved = json::array(), missed = json::array(), overdue = json::array();
    const auto obj_before = by_id(list_of(previous, "objectives"));
    for (const auto& [id, o] : now.objectives.objectives) {
      const auto was = obj_before.find(id);
      const std::size_t seen = was == obj_before.end() ? 0 : count_of(was->second, "measurements");
      json since = json::array();
      for (std::size_t i = seen; i < o.progress.size(); ++i)
        since.push_back({{"date", o.progress[i].on}, {"value", o.progress[i].value}, {"note", o.progress[i].note}});
      const json j = objective_json(o, today);
      objectives.push_back({{"id", id}, {"statement", j.at("statement")}, {"target", j.at("target")},
                            {"unit", j.at("unit")}, {"state", o.state}, {"latest", j.at("latest")},
                            {"measurements_since_previous_review", since}});
      const std::string was_state = was == obj_before.end() ? std::string{} : text_of(was->second, "state");
      if (o.state == "achieved" && was_state != "achieved") achieved.push_back(id);
      if (o.state == "missed" && was_state != "missed") missed.push_back(id);
      if (objective_overdue(o, today)) overdue.push_back(id);
    }
    json audits = json::array();
    std::size_t planned = 0;
    const auto audits_before = by_id(list_of(previous, "audits"));
    for (const auto& [id, a] : now.audits.audits) {
      if (a.state == "planned") ++planned;
      const auto was = audits_before.find(id);
      const bool reported_since = a.state == "reported" && (was == audits_before.end() || text_of(was->second, "state") != "reported");
      const std::size_t seen = was == audits_before.end() ? 0 : count_of(was->second, "findings");
      if (!reported_since && seen >= a.findings.size()) continue;
      json findings = json::array();
      for (std::size_t i = seen; i < a.findings.size(); ++i) {
        json f = a.findings[i];
        f["id"] = a.findings[i].finding_id;
        findings.push_back(std::move(f));
      }
      audits.push_back({{"id", id}, {"area", a.area}, {"state", a.state}, {"reported_on", a.reported_on},
                        {"conclusion", a.conclusion}, {"findings_since_previous_review", std::move(findings)}});
    }
    // Information security incidents (A.5.24–5.28): what was reported and
    // closed since the previous review, what is open, and the trend.
    json incidents_reported = json::array(), incidents_closed = json::array();
    json incidents_open_by_severity = {{"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}, {"untriaged", 0}};
    std::size_t incidents_open_before = 0, incidents_open_now = 0, events_only = 0;
    const auto incidents_before = by_id(list_of(previous, "incidents"));
    for (const auto& [_, b] : incidents_before) incidents_open_before += text_of(b, "state") == "closed" ? 0 : 1;
    for (const auto& [id, i] : now.incidents.incidents) {
      const auto was = incidents_before.find(id);
      const json line{{"id", id}, {"title", i.title}, {"classification", i.classification},
                      {"severity", i.severity}, {"state", i.state}, {"reported_on", i.reported_on}};
      if (was == incidents_before.end()) {
        incidents_reported.push_back(line);
        events_only += i.classification == "event" ? 1 : 0;
      }
      if (i.state == "closed" && (was == incidents_before.end() || text_of(was->second, "state") != "closed"))
        incidents_closed.push_back(line);
      if (i.state != "closed") {
        ++incidents_open_now;
        const std::string sev = i.severity.empty() ? "untriaged" : i.severity;
        incidents_open_by_severity[sev] = incidents_open_by_severity.value(sev, 0) + 1;
      }
    }
    pack[key(mr::input::security_performance)] = {
        {"incidents",
         {{"reported_since_previous_review", incidents_reported},
          {"closed_since_previous_review", incidents_closed},
          {"events_not_incidents_since_previous_review", events_only},
          {"open_by_severity", incidents_open_by_severity},
          {"trend", {{"open_at_previous_review", incidents_open_before}, {"open_now", incidents_open_now}}}}},
        {"nonconformities",
         {{"raised_since_previous_review", raised}, {"closed_since_previous_review", closed},
          {"open_by_severity", open_by_severity}, {"by_state", by_state},
          {"trend", {{"open_at_previous_review", open_before}, {"open_now", open_now}}},
          {"corrective_actions_open", actions_open}, {"corrective_actions_overdue", actions_overdue}}},
        {"monitoring_and_measurement", objectives},
        {"audit_results", {{"audits", audits}, {"planned", planned}}},
        {"fulfilment_of_objectives",
         {{"achieved_since_previous_review", achieved}, {"missed_since_previous_review", missed},
          {"overdue", overdue}}}};
  }

  // e) feedback from interested parties: what reached the ISMS as external
  // audit nonconformities, and the interested parties' requirements as recorded.
  // Supplier performance (A.5.22): the assessments since the previous
  // review, those not satisfactory, and those due.
  json assessed = json::array(), not_satisfactory = json::array(), assessments_due = json::array();
  {
    const auto before = by_id(list_of(previous, "suppliers"));
    for (const auto& [id, s] : now.suppliers.suppliers) {
      if (s.supplier_id.empty() || s.state == "terminated") continue;
      const auto was = before.find(id);
      const std::size_t seen = was == before.end() ? 0 : count_of(was->second, "assessments");
      const json line{{"id", id}, {"name", s.terms.name}, {"criticality", s.terms.criticality},
                      {"result", s.last_result}, {"findings", s.last_findings}, {"assessed_on", s.last_assessed_on},
                      {"next_due", s.next_due}};
      if (s.assessments > seen) {
        assessed.push_back(line);
        if (s.last_result != "satisfactory") not_satisfactory.push_back(line);
      }
      if (supplier::assessment_due(supplier_state_of(s), today)) assessments_due.push_back(line);
    }
  }
  pack[key(mr::input::interested_party_feedback)] = {
      {"supplier_performance",
       {{"assessed_since_previous_review", assessed},
        {"not_satisfactory_since_previous_review", not_satisfactory},
        {"assessments_due", assessments_due}}},
      {"external_audit_nonconformities_since_previous_review", external_ncs},
      {"interested_parties", current.at("interested_parties").size()}};

  // f) results of risk assessment and status of the risk treatment plan.
  {
    const auto before = by_id(list_of(previous, "risks"));
    json identified = json::array(), retired = json::array(), above = json::array();
    json by_state = json::object();
    for (const auto& [id, r] : now.risks.risks) {
      const auto was = before.find(id);
      if (was == before.end()) identified.push_back({{"id", id}, {"title", r.title}, {"state", r.state}});
      if (r.state == "retired" && (was == before.end() || text_of(was->second, "state") != "retired"))
        retired.push_back({{"id", id}, {"title", r.title}, {"reason", r.retired_reason}});
      by_state[r.state] = by_state.value(r.state, 0) + 1;
      const bool rated = r.residual.score != 0 || r.inherent.score != 0;
      const bool within = r.residual.score != 0 ? r.within_appetite : r.inherent_within_appetite;
      if (r.state != "retired" && rated && !within)
        above.push_back({{"id", id}, {"title", r.title}, {"level", r.residual.score != 0 ? r.residual.level : r.inherent.level},
                         {"state", r.state}, {"owner", r.owner}});
    }
    const json due = due_at(now, today);
    const json register_now = query_risks(now.risks, json::object()).value_or(json::object());
    pack[key(mr::input::risk_assessment)] = {
        {"changes", changes(list_of(previous, "risks"), current.at("risks"))},
        {"identified_since_previous_review", identified},
        {"retired_since_previous_review", retired},
        {"above_appetite", above},
        {"by_state", by_state},
        {"by_level", register_now.value("by_level", json::object())},
        {"heat_map", register_now.value("heat_map", json::object())},
        {"treatment_plan",
         {{"treatments_overdue", due.at("treatments_overdue")},
          {"acceptances_expiring", due.at("acceptances_expiring")},
          {"acceptances_expired", due.at("acceptances_expired")}}}};
  }

  // g) opportunities for continual improvement.
  {
    json opportunities = json::array(), observations = json::array(), decisions = json::array();
    const auto audits_before = by_id(list_of(previous, "audits"));
    for (const auto& [id, a] : now.audits.audits) {
      const auto was = audits_before.find(id);
      const std::size_t seen = was == audits_before.end() ? 0 : count_of(was->second, "findings");
      for (std::size_t i = seen; i < a.findings.size(); ++i)
        if (a.findings[i].type == "opportunity")
          opportunities.push_back({{"id", id + "/" + a.findings[i].finding_id}, {"audit_id", id},
                                   {"reference", a.findings[i].reference}, {"text", a.findings[i].text}});
    }
    const auto ncs_before = by_id(list_of(previous, "nonconformities"));
    for (const auto& [id, n] : now.nonconformities.ncs)
      if (n.severity == "observation" && !ncs_before.contains(id))
        observations.push_back({{"id", id}, {"reference", n.reference}, {"description", n.description}});
    if (!previous_review_id.empty())
      if (const auto it = now.reviews.reviews.find(std::string(previous_review_id)); it != now.reviews.reviews.end())
        for (const auto& d : it->second.decisions)
          if (d.kind == "improvement_opportunity")
            decisions.push_back({{"id", d.decision_id}, {"text", d.text}});
    // The lessons learned from incidents closed since the previous review (A.5.27).
    json lessons = json::array();
    const auto incidents_before = by_id(list_of(previous, "incidents"));
    for (const auto& [id, i] : now.incidents.incidents) {
      const auto was = incidents_before.find(id);
      if (i.state == "closed" && !i.lessons.empty() &&
          (was == incidents_before.end() || text_of(was->second, "state") != "closed"))
        lessons.push_back({{"id", id}, {"title", i.title}, {"lessons", i.lessons}, {"nc_id", i.nc_id}});
    }
    pack[key(mr::input::improvement_opportunities)] = {
        {"audit_opportunities_since_previous_review", std::move(opportunities)},
        {"incident_lessons_since_previous_review", std::move(lessons)},
        {"observations_since_previous_review", std::move(observations)},
        {"previous_review_improvement_decisions", std::move(decisions)}};
  }
  return pack;
}

json review_pack(const all_views& previous, std::string_view previous_review_id, const all_views& now,
                 std::string_view review_id, date today) {
  return review_pack(review_baseline(previous), previous_review_id, now, review_id, today);
}

}  // namespace isms::domain::views
