#include "isms/domain/views/incidents.hpp"

#include <algorithm>
#include <array>

#include "support.hpp"

namespace isms::domain::views {

namespace {

constexpr std::array classifications{incident::classification::event, incident::classification::incident};
constexpr std::array severities{incident::severity::low, incident::severity::medium, incident::severity::high,
                                incident::severity::critical};
constexpr std::array statuses{incident::status::reported, incident::status::triaged, incident::status::contained,
                              incident::status::resolved, incident::status::closed};

incident_record record_of(const std::string& description, date on, const std::string& by) {
  return {description, format_date(on), by};
}

}  // namespace

incident::state incident_state_of(const incident_entry& i) {
  incident::state s = incident::initial_state();
  s.version = i.version;
  s.exists = !i.incident_id.empty();
  s.report.incident_id = i.incident_id;
  s.current = enum_named(statuses, i.state, incident::status::reported);
  s.is_triaged = !i.classification.empty();
  s.triage.as = enum_named(classifications, i.classification, incident::classification::incident);
  s.triage.level = enum_named(severities, i.severity, incident::severity::medium);
  s.triage.handler = i.handler;
  s.containment = i.containment.description;
  s.resolution = i.resolution.description;
  s.evidence = i.evidence.size();
  return s;
}

void fold_incident(incidents_view& v, const recorded_event& e, const incident::event& ev) {
  incident_entry& i = entry_of(v.incidents, e);
  i.version = e.version;
  i.changed = change_of(e);
  std::visit(overloaded{
                 [&](const incident::reported& x) {
                   i.incident_id = x.incident_id;
                   i.title = x.title;
                   i.description = x.description;
                   i.occurred_on = x.occurred_on ? format_date(*x.occurred_on) : std::string{};
                   i.affected = x.affected;
                   i.reported_on = format_date(x.reported_on);
                   i.reported_by = x.reported_by;
                   i.state = "reported";
                   i.history.push_back(history_of(e, "reported: " + x.title, x.description));
                 },
                 [&](const incident::triaged& x) {
                   const bool again = !i.classification.empty();
                   i.classification = incident::to_string(x.as);
                   i.severity = incident::to_string(x.level);
                   i.category = x.category;
                   i.handler = x.handler;
                   i.triage_notes = x.notes;
                   i.related_risks = x.related_risks;
                   i.triaged_on = format_date(x.triaged_on);
                   i.triaged_by = x.triaged_by;
                   if (i.state == "reported") i.state = "triaged";
                   i.history.push_back(history_of(e,
                                                  std::string(again ? "triaged again: " : "triaged: ") +
                                                      i.classification + ", " + i.severity + " severity, handled by " +
                                                      x.handler,
                                                  x.notes));
                 },
                 [&](const incident::contained& x) {
                   i.containment = record_of(x.description, x.contained_on, x.contained_by);
                   i.state = "contained";
                   i.history.push_back(history_of(e, "contained", x.description));
                 },
                 [&](const incident::evidence_recorded& x) {
                   i.evidence.push_back(record_of(x.description, x.recorded_on, x.recorded_by));
                   i.history.push_back(history_of(e, "evidence recorded", x.description));
                 },
                 [&](const incident::resolved& x) {
                   i.resolution = record_of(x.description, x.resolved_on, x.resolved_by);
                   i.state = "resolved";
                   i.history.push_back(history_of(e, "resolved", x.description));
                 },
                 [&](const incident::closed& x) {
                   i.lessons = x.lessons;
                   i.closed_on = format_date(x.closed_on);
                   i.closed_by = x.closed_by;
                   i.state = "closed";
                   if (x.raise_nonconformity) i.nc_id = incident::nc_id_for_incident(i.incident_id);
                   if (x.identify_risk) i.risk_id = incident::risk_id_for_incident(i.incident_id);
                   std::string summary = "closed";
                   if (x.raise_nonconformity) summary += "; nonconformity " + i.nc_id + " raised";
                   if (x.identify_risk) summary += "; risk " + i.risk_id + " identified";
                   i.history.push_back(history_of(e, summary, x.lessons));
                 },
             },
             ev);
}

ISMS_WIRE_MEMBERS(incident_entry, id, stream, incident_id, title, description, occurred_on, affected, reported_on,
                  reported_by, state, classification, severity, category, handler, triage_notes, triaged_on,
                  triaged_by, related_risks, lessons, closed_on, closed_by, nc_id, risk_id, version)

json incident_json(const incident_entry& i) {
  json j = wire_members(i);
  j["containment"] = i.containment;
  j["resolution"] = i.resolution;
  j["evidence"] = i.evidence;
  j["last_change"] = i.changed;
  // What the state admits (the aggregate's own rule), the same for every reader.
  j["allowed_commands"] = incident::admitted_commands(incident_state_of(i));
  return j;
}

std::expected<json, rejection> query_incidents(const incidents_view& v, const json& params) {
  support::query_params p(params);
  const auto state = p.choice("state", {"reported", "triaged", "contained", "resolved", "closed", "open"});
  const auto severity = p.choice("severity", {"low", "medium", "high", "critical"});
  const auto classification = p.choice("classification", {"event", "incident"});
  const auto handler = p.text("handler");
  const auto year = p.integer("year", 1970, 9999, 0);
  if (!p.ok()) return p.failure();
  json list = json::array();
  json by_state = {{"reported", 0}, {"triaged", 0}, {"contained", 0}, {"resolved", 0}, {"closed", 0}};
  json by_severity = {{"low", 0}, {"medium", 0}, {"high", 0}, {"critical", 0}};
  std::size_t open = 0;
  for (const auto& [_, i] : v.incidents) {
    if (i.incident_id.empty()) continue;
    if (!state.empty() && (state == "open" ? i.state == "closed" : i.state != state)) continue;
    if (!severity.empty() && i.severity != severity) continue;
    if (!classification.empty() && i.classification != classification) continue;
    if (!handler.empty() && i.handler != handler) continue;
    if (year != 0 && !i.reported_on.starts_with(std::to_string(year))) continue;
    by_state[i.state] = by_state.value(i.state, 0) + 1;
    if (!i.severity.empty()) by_severity[i.severity] = by_severity.value(i.severity, 0) + 1;
    if (i.state != "closed") ++open;
    list.push_back(incident_json(i));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"incidents", std::move(list)},
              {"count", count},
              {"open", open},
              {"by_state", by_state},
              {"by_severity", by_severity}};
}

std::expected<json, rejection> query_incident(const incidents_view& v, const json& params) {
  support::query_params p(params);
  const incident_entry* found = p.entry(v.incidents, "incident", "incident");
  if (!p.ok()) return p.failure();
  json j = incident_json(*found);
  j["history"] = found->history;
  return j;
}

}  // namespace isms::domain::views
