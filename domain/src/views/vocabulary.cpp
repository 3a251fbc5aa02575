#include "isms/domain/views/vocabulary.hpp"

#include <initializer_list>
#include <string_view>
#include <utility>

#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/risk.hpp"

namespace isms::domain::views {

namespace {

using entry = std::pair<std::string_view, std::string_view>;  // state, label

json states(std::initializer_list<entry> list) {
  json out = json::array();
  for (const auto& [state, label] : list) out.push_back({{"state", state}, {"label", label}});
  return out;
}

}  // namespace

json vocabulary() {
  using rs = risk::status;
  using ms = management_review::status;
  using as = internal_audit::status;
  return {
      {"risks", states({{risk::to_string(rs::identified), "Identified"},
                        {risk::to_string(rs::assessed), "Assessed"},
                        {risk::to_string(rs::treatment_planned), "Treatment planned"},
                        {risk::to_string(rs::acceptance_requested), "Acceptance requested"},
                        {risk::to_string(rs::accepted), "Accepted"},
                        {risk::to_string(rs::acceptance_expired), "Acceptance expired"},
                        {risk::to_string(rs::retired), "Retired"}})},
      // A document's state is its working version's stage, or retired.
      {"documents", states({{"draft", "Draft"},
                            {"approval_requested", "Approval requested"},
                            {"approved", "Approved"},
                            {"published", "Published"},
                            {"retired", "Retired"}})},
      // 10.2 a–d, as the `nonconformities` view derives the state.
      {"nonconformities", states({{"raised", "Raised"},
                                  {"contained", "Contained"},
                                  {"root_cause_recorded", "Root cause found"},
                                  {"similar_checked", "Similar checked"},
                                  {"actions_planned", "Actions planned"},
                                  {"actions_done", "Actions done"},
                                  {"actions_verified", "Actions verified"},
                                  {"closed", "Closed"}})},
      {"objectives", states({{"proposed", "Proposed"}, {"set", "Set"}, {"achieved", "Achieved"}, {"missed", "Missed"}})},
      {"approvals", states({{"open", "Open"}, {"approved", "Approved"}, {"rejected", "Rejected"}, {"voided", "Voided"}})},
      {"audits", states({{internal_audit::to_string(as::planned), "Planned"},
                         {internal_audit::to_string(as::performed), "Performed"},
                         {internal_audit::to_string(as::reported), "Reported"}})},
      {"reviews", states({{management_review::to_string(ms::scheduled), "Scheduled"},
                          {management_review::to_string(ms::inputs_assembled), "Inputs assembled"},
                          {management_review::to_string(ms::open), "Open"},
                          {management_review::to_string(ms::minutes_pending), "Minutes awaiting approval"},
                          {management_review::to_string(ms::minutes_approved), "Minutes approved"},
                          {management_review::to_string(ms::closed), "Closed"}})},
  };
}

}  // namespace isms::domain::views
