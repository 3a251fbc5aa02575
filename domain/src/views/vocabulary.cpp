#include "isms/domain/views/vocabulary.hpp"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/soa.hpp"

namespace isms::domain::views {

namespace {

// A state as people read it: its label, its tone (how it stands: "ok" done
// or in force, "info" under way, "warn" waiting for someone, "bad" failed or
// needing action, "neutral" begun, "muted" over) and, where a register
// groups its states into the steps of a clause, the step.
struct entry {
  std::string_view state;
  std::string_view label;
  std::string_view tone;
  std::string_view stage = {};
};

json states(std::initializer_list<entry> list) {
  json out = json::array();
  for (const auto& e : list) {
    json s = {{"state", e.state}, {"label", e.label}, {"tone", e.tone}};
    if (!e.stage.empty()) s["stage"] = e.stage;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

json vocabulary() {
  using rs = risk::status;
  using ms = management_review::status;
  using as = internal_audit::status;
  using is = incident::status;
  return {
      {"risks", states({{risk::to_string(rs::identified), "Identified", "neutral"},
                        {risk::to_string(rs::assessed), "Assessed", "info"},
                        {risk::to_string(rs::treatment_planned), "Treatment planned", "info"},
                        {risk::to_string(rs::acceptance_requested), "Acceptance requested", "warn"},
                        {risk::to_string(rs::accepted), "Accepted", "ok"},
                        {risk::to_string(rs::acceptance_expired), "Acceptance expired", "bad"},
                        {risk::to_string(rs::retired), "Retired", "muted"}})},
      // A document's state is its working version's stage, or retired.
      {"documents", states({{"draft", "Draft", "neutral"},
                            {"approval_requested", "Approval requested", "warn"},
                            {"approved", "Approved", "ok"},
                            {"published", "Published", "ok"},
                            {"retired", "Retired", "muted"}})},
      // 10.2 a–d, as the `nonconformities` view derives the state; the stage
      // is the step of 10.2 the state belongs to.
      {"nonconformities", states({{"raised", "Raised", "bad", "Raised"},
                                  {"contained", "Contained", "warn", "Contained, cause sought"},
                                  {"root_cause_recorded", "Root cause found", "warn", "Contained, cause sought"},
                                  {"similar_checked", "Similar checked", "warn", "Contained, cause sought"},
                                  {"actions_planned", "Actions planned", "info", "Actions planned"},
                                  {"actions_done", "Actions done", "info", "Actions done"},
                                  {"actions_verified", "Actions verified", "ok", "Effectiveness verified"},
                                  {"closed", "Closed", "muted", "Closed"}})},
      {"objectives", states({{"proposed", "Proposed", "neutral"},
                             {"set", "Set", "info"},
                             {"achieved", "Achieved", "ok"},
                             {"missed", "Missed", "bad"}})},
      {"approvals", states({{"open", "Open", "warn"},
                            {"approved", "Approved", "ok"},
                            {"rejected", "Rejected", "bad"},
                            {"voided", "Voided", "muted"}})},
      {"incidents", states({{incident::to_string(is::reported), "Reported", "bad"},
                            {incident::to_string(is::triaged), "Triaged", "warn"},
                            {incident::to_string(is::contained), "Contained", "info"},
                            {incident::to_string(is::resolved), "Resolved", "ok"},
                            {incident::to_string(is::closed), "Closed", "muted"}})},
      {"incident_severities", states({{"low", "Low", "neutral"},
                                      {"medium", "Medium", "warn"},
                                      {"high", "High", "bad"},
                                      {"critical", "Critical", "bad"}})},
      {"assets", states({{"in_use", "In use", "ok"}, {"retired", "Retired", "muted"}})},
      {"evidence", states({{"current", "Current", "ok"}, {"stale", "Stale: review due", "bad"}, {"withdrawn", "Withdrawn", "muted"}})},
      {"suppliers", states({{"registered", "Registered", "warn"}, {"accepted", "Accepted", "ok"}, {"terminated", "Terminated", "muted"}})},
      {"supplier_criticalities", states({{"low", "Low", "neutral"},
                                         {"medium", "Medium", "info"},
                                         {"high", "High", "warn"},
                                         {"critical", "Critical", "bad"}})},
      {"audits", states({{internal_audit::to_string(as::planned), "Planned", "neutral"},
                         {internal_audit::to_string(as::performed), "Performed", "info"},
                         {internal_audit::to_string(as::reported), "Reported", "ok"}})},
      {"reviews", states({{management_review::to_string(ms::scheduled), "Scheduled", "neutral"},
                          {management_review::to_string(ms::inputs_assembled), "Inputs assembled", "info"},
                          {management_review::to_string(ms::open), "Open", "warn"},
                          {management_review::to_string(ms::minutes_pending), "Minutes awaiting approval", "warn"},
                          {management_review::to_string(ms::minutes_approved), "Minutes approved", "ok"},
                          {management_review::to_string(ms::closed), "Closed", "muted"}})},
      // The SoA's two per-control choices (the `soa` view's `applicability`
      // and `status` filters) and a corrective action's progress.
      {"soa_applicability", states({{"applicable", "Applicable", "ok"},
                                    {"excluded", "Excluded", "muted"},
                                    {"undecided", "Undecided", "warn"}})},
      {"soa_status", states({{soa::to_string(soa::implementation::not_started), "Not started", "bad"},
                             {soa::to_string(soa::implementation::planned), "Planned", "neutral"},
                             {soa::to_string(soa::implementation::partial), "Partial", "warn"},
                             {soa::to_string(soa::implementation::implemented), "Implemented", "ok"}})},
      {"corrective_actions", states({{"planned", "Planned", "neutral"},
                                     {"done", "Done", "info"},
                                     {"verified", "Verified", "ok"}})},
  };
}

}  // namespace isms::domain::views
