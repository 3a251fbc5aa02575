#pragma once
// The incident register (ISO/IEC 27001:2022 Annex A 5.24–5.28, 6.8): every
// information security event and incident reported, how it was triaged
// (event or incident, severity, handler, the risks it touches), contained,
// resolved and closed with the lessons learned, the evidence collected, and
// the nonconformity its lessons raised; counts by state and severity.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/incident.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct incident_record {
  std::string description;
  std::string on;  // day
  std::string by;

  friend bool operator==(const incident_record&, const incident_record&) = default;
};
ISMS_VIEW_FIELDS(incident_record, description, on, by)

struct incident_entry {
  std::string id;  // the <id> of "incident-<id>"
  std::string stream;
  std::string incident_id, title, description, occurred_on, affected, reported_on, reported_by;
  std::string state = "reported";  // reported | triaged | contained | resolved | closed
  std::string classification;      // event | incident; empty before triage
  std::string severity;            // low | medium | high | critical; empty before triage
  std::string category, handler, triage_notes, triaged_on, triaged_by;
  std::vector<std::string> related_risks;
  incident_record containment, resolution;
  std::vector<incident_record> evidence;
  std::string lessons, closed_on, closed_by;
  std::string nc_id;  // the nonconformity the lessons raised, else ""
  std::string risk_id;  // the risk the lessons identified, else ""
  std::uint64_t version = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const incident_entry&, const incident_entry&) = default;
};
ISMS_VIEW_FIELDS(incident_entry, id, stream, incident_id, title, description, occurred_on, affected,
                 reported_on, reported_by, state, classification, severity, category, handler,
                 triage_notes, triaged_on, triaged_by, related_risks, containment, resolution,
                 evidence, lessons, closed_on, closed_by, nc_id, risk_id, version, changed, history)

struct incidents_view {
  std::map<std::string, incident_entry> incidents;  // by id

  friend bool operator==(const incidents_view&, const incidents_view&) = default;
};
ISMS_VIEW_FIELDS(incidents_view, incidents)

[[nodiscard]] incident::state incident_state_of(const incident_entry& i);

void fold_incident(incidents_view& v, const recorded_event& e, const incident::event& ev);

[[nodiscard]] json incident_json(const incident_entry& i);

// `incidents`: params {state?: one state or "open", severity?, classification?,
// handler?, year?: year reported}.
[[nodiscard]] std::expected<json, rejection> query_incidents(const incidents_view& v, const json& params);
// `incident`: params {id} — one incident with its evidence and history.
[[nodiscard]] std::expected<json, rejection> query_incident(const incidents_view& v, const json& params);

}  // namespace isms::domain::views
