#include "isms/domain/views/assets.hpp"

#include <array>
#include <map>

#include "support.hpp"

namespace isms::domain::views {

namespace {

namespace as = asset;

constexpr std::array kinds{as::kind::information, as::kind::software, as::kind::hardware, as::kind::service,
                           as::kind::people,      as::kind::site,     as::kind::other};
constexpr std::array statuses{as::status::in_use, as::status::retired};

// The scheme as the views show it: its levels in order, and its version.
json scheme_json(const classification_scheme::scheme& s) {
  json j = classification_scheme::to_json(s);
  j["version"] = s.version;
  return j;
}

}  // namespace

asset::state asset_state_of(const asset_entry& a) {
  as::state s = as::initial_state();
  s.version = a.version;
  s.exists = !a.asset_id.empty();
  s.asset_id = a.asset_id;
  s.current = enum_named(statuses, a.state, as::status::in_use);
  s.recorded = {a.name, enum_named(kinds, a.type, as::kind::other), a.description, a.owner, a.location,
                a.acceptable_use};
  s.level = a.classification;
  if (!a.proposed_classification.empty()) s.proposed = a.proposed_classification;
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
  a.classification = s.level;
  a.proposed_classification = s.proposed.value_or(std::string{});
  a.proposal_reason = s.proposed ? s.proposal_reason : std::string{};
  a.pending_approval_id = s.pending_approval_id;
  a.state = as::to_string(s.current);
  std::visit(overloaded{
                 [&](const as::registered& x) {
                   a.registered_on = format_date(x.registered_on);
                   a.registered_by = x.registered_by;
                   a.classified_on = a.registered_on;
                   a.history.push_back(history_of(e, "registered: " + x.recorded.name + ", " + v.scheme.name_of(a.classification),
                                                  x.recorded.description));
                 },
                 [&](const as::changed& x) { a.history.push_back(history_of(e, "terms changed", x.reason)); },
                 [&](const as::reclassification_proposed& x) {
                   a.history.push_back(history_of(e, "reclassification to " + v.scheme.name_of(x.level) +
                                                         " proposed",
                                                  x.reason));
                 },
                 [&](const as::reclassification_requested&) {
                   a.history.push_back(history_of(e, "reclassification put to approval"));
                 },
                 [&](const as::reclassified& x) {
                   a.classified_on = format_date(day_of(e.meta.recorded_at));
                   a.history.push_back(history_of(e, "classified " + v.scheme.name_of(a.classification) + " (was " + v.scheme.name_of(before) + ")",
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

void fold_classification_scheme(assets_view& v, const recorded_event& e, const classification_scheme::event& ev) {
  std::visit(
      [&](const classification_scheme::configured& c) {
        v.scheme = c.content;
        v.scheme.version = e.version;
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
  std::vector<std::string_view> level_ids;
  for (const auto& l : v.scheme.levels) level_ids.push_back(l.id);
  const auto classification = p.choice("classification", level_ids);
  const auto owner = p.text("owner");
  if (!p.ok()) return p.failure();
  json list = json::array();
  json by_type = json::object();
  json by_classification = json::object();
  for (const auto& l : v.scheme.levels) by_classification[l.id] = 0;
  std::size_t awaiting = 0;
  std::map<std::string, std::size_t, std::less<>> in_use_at;  // every asset in use, whatever the filters
  for (const auto& [_, a] : v.assets) {
    if (a.asset_id.empty()) continue;
    if (a.state == "in_use") ++in_use_at[a.classification];
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
  json scheme = scheme_json(v.scheme);
  for (auto& level : scheme.at("levels")) level["assets_in_use"] = in_use_at[level.at("id").get<std::string>()];
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"assets", std::move(list)},
              {"count", count},
              {"classification_scheme", std::move(scheme)},
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
  j["classification_scheme"] = scheme_json(v.scheme);
  return j;
}

}  // namespace isms::domain::views
