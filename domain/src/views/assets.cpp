#include "isms/domain/views/assets.hpp"

#include <array>

#include "support.hpp"

namespace isms::domain::views {

namespace {

namespace as = asset;

constexpr std::array kinds{as::kind::information, as::kind::software, as::kind::hardware, as::kind::service,
                           as::kind::people,      as::kind::site,     as::kind::other};
constexpr std::array levels{as::classification::public_, as::classification::internal,
                            as::classification::confidential, as::classification::strictly_confidential};
constexpr std::array statuses{as::status::in_use, as::status::retired};

}  // namespace

asset::state asset_state_of(const asset_entry& a) {
  as::state s = as::initial_state();
  s.version = a.version;
  s.exists = !a.asset_id.empty();
  s.asset_id = a.asset_id;
  s.current = enum_named(statuses, a.state, as::status::in_use);
  s.recorded = {a.name, enum_named(kinds, a.type, as::kind::other), a.description, a.owner, a.location,
                a.acceptable_use};
  s.level = enum_named(levels, a.classification, as::classification::internal);
  if (!a.proposed_classification.empty())
    s.proposed = enum_named(levels, a.proposed_classification, as::classification::internal);
  s.proposal_reason = a.proposal_reason;
  s.pending_approval_id = a.pending_approval_id;
  return s;
}

void fold_asset(assets_view& v, const recorded_event& e, const asset::event& ev) {
  asset_entry& a = entry_of(v.assets, e);
  const std::string before = a.classification;
  const as::state s = as::evolve(asset_state_of(a), ev);
  a.version = e.version;
  a.changed = change_of(e);
  a.asset_id = s.asset_id;
  a.name = s.recorded.name;
  a.type = as::to_string(s.recorded.type);
  a.description = s.recorded.description;
  a.owner = s.recorded.owner;
  a.location = s.recorded.location;
  a.acceptable_use = s.recorded.acceptable_use;
  a.classification = as::to_string(s.level);
  a.proposed_classification = s.proposed ? std::string(as::to_string(*s.proposed)) : std::string{};
  a.proposal_reason = s.proposed ? s.proposal_reason : std::string{};
  a.pending_approval_id = s.pending_approval_id;
  a.state = as::to_string(s.current);
  std::visit(overloaded{
                 [&](const as::registered& x) {
                   a.registered_on = format_date(x.registered_on);
                   a.registered_by = x.registered_by;
                   a.classified_on = a.registered_on;
                   a.history.push_back(history_of(e, "registered: " + x.recorded.name + ", " + a.classification,
                                                  x.recorded.description));
                 },
                 [&](const as::changed& x) { a.history.push_back(history_of(e, "terms changed", x.reason)); },
                 [&](const as::reclassification_proposed& x) {
                   a.history.push_back(history_of(e, "reclassification to " + std::string(as::to_string(x.level)) +
                                                         " proposed",
                                                  x.reason));
                 },
                 [&](const as::reclassification_requested&) {
                   a.history.push_back(history_of(e, "reclassification put to approval"));
                 },
                 [&](const as::reclassified& x) {
                   a.classified_on = format_date(day_of(e.meta.recorded_at));
                   a.history.push_back(history_of(e, "classified " + a.classification + " (was " + before + ")",
                                                  x.comment));
                 },
                 [&](const as::reclassification_rejected& x) {
                   a.history.push_back(history_of(e, "reclassification rejected by " + x.rejected_by, x.comment));
                 },
                 [&](const as::retired& x) {
                   a.disposal_method = x.disposal_method;
                   a.disposal_record = x.disposal_record;
                   a.retired_on = format_date(x.retired_on);
                   a.retired_by = x.retired_by;
                   a.history.push_back(history_of(e, "retired: " + x.disposal_method, x.disposal_record));
                 },
             },
             ev);
}

json asset_subject_content(const asset_entry& a) { return as::approval_content(asset_state_of(a)); }

ISMS_WIRE_MEMBERS(asset_entry, id, stream, asset_id, name, type, description, owner, location, acceptable_use,
                  classification, proposed_classification, proposal_reason, pending_approval_id, state,
                  registered_on, registered_by, classified_on, disposal_method, disposal_record, retired_on,
                  retired_by, version)

json asset_json(const asset_entry& a) {
  json j = wire_members(a);
  j["last_change"] = a.changed;
  j["allowed_commands"] = as::admitted_commands(asset_state_of(a));
  return j;
}

std::expected<json, rejection> query_assets(const assets_view& v, const json& params) {
  support::query_params p(params);
  const auto state = p.choice("state", {"in_use", "retired"});
  const auto type = p.choice("type", {"information", "software", "hardware", "service", "people", "site", "other"});
  const auto classification = p.choice("classification", {"public", "internal", "confidential", "strictly_confidential"});
  const auto owner = p.text("owner");
  if (!p.ok()) return p.failure();
  json list = json::array();
  json by_type = json::object();
  json by_classification = {{"public", 0}, {"internal", 0}, {"confidential", 0}, {"strictly_confidential", 0}};
  std::size_t awaiting = 0;
  for (const auto& [_, a] : v.assets) {
    if (a.asset_id.empty()) continue;
    if (!state.empty() && a.state != state) continue;
    if (!type.empty() && a.type != type) continue;
    if (!classification.empty() && a.classification != classification) continue;
    if (!owner.empty() && a.owner != owner) continue;
    if (a.state == "in_use") {
      by_type[a.type] = by_type.value(a.type, 0) + 1;
      by_classification[a.classification] = by_classification.value(a.classification, 0) + 1;
    }
    awaiting += a.pending_approval_id.empty() ? 0 : 1;
    list.push_back(asset_json(a));
  }
  return json{{"assets", list},
              {"count", list.size()},
              {"by_type", by_type},
              {"by_classification", by_classification},
              {"reclassifications_awaiting_approval", awaiting}};
}

std::expected<json, rejection> query_asset(const assets_view& v, const json& params) {
  support::query_params p(params);
  const asset_entry* found = p.entry(v.assets, "asset", "asset");
  if (!p.ok()) return p.failure();
  json j = asset_json(*found);
  j["history"] = found->history;
  return j;
}

}  // namespace isms::domain::views
