#pragma once
// The asset inventory (ISO/IEC 27001:2022 Annex A 5.9–5.12): every asset with
// its type, owner, classification (and a reclassification awaiting its
// owner's approval), location and acceptable-use rules; retired assets with
// their disposal record; counts by type and classification; the
// classification scheme in force (config-classification).
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/asset.hpp"
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::classification_scheme {
// The stored layout of the scheme an inventory holds (common.hpp).
ISMS_VIEW_FIELDS(level, id, name, description, handling, retired)
ISMS_VIEW_FIELDS(scheme, levels, version)
}  // namespace isms::domain::classification_scheme

namespace isms::domain::views {

struct asset_entry {
  std::string id;  // the <id> of "asset-<id>"
  std::string stream;
  std::string asset_id, name, type, description, owner, location, acceptable_use;
  std::string classification;  // in force
  std::string proposed_classification, proposal_reason, pending_approval_id;
  std::string state = "in_use";  // in_use | retired
  std::string registered_on, registered_by, classified_on;
  std::string disposal_method, disposal_record, retired_on, retired_by;
  std::uint64_t version = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const asset_entry&, const asset_entry&) = default;
};
ISMS_VIEW_FIELDS(asset_entry, id, stream, asset_id, name, type, description, owner, location, acceptable_use,
                 classification, proposed_classification, proposal_reason, pending_approval_id, state,
                 registered_on, registered_by, classified_on, disposal_method, disposal_record, retired_on,
                 retired_by, version, changed, history)

struct assets_view {
  std::map<std::string, asset_entry> assets;  // by id
  classification_scheme::scheme scheme = classification_scheme::default_scheme();

  friend bool operator==(const assets_view&, const assets_view&) = default;
};
ISMS_VIEW_FIELDS(assets_view, assets, scheme)

[[nodiscard]] asset::state asset_state_of(const asset_entry& a);

void fold_asset(assets_view& v, const recorded_event& e, const asset::event& ev);
void fold_classification_scheme(assets_view& v, const recorded_event& e, const classification_scheme::event& ev);

[[nodiscard]] json asset_json(const asset_entry& a);

// What a reclassification of the asset binds (asset::approval_content).
[[nodiscard]] json asset_subject_content(const asset_entry& a);

// `assets`: params {state?: in_use | retired, type?, classification? (a level
// of the scheme), owner?}. Carries the scheme in force (`classification_scheme`,
// its levels in order, with `assets_in_use` per level).
[[nodiscard]] std::expected<json, rejection> query_assets(const assets_view& v, const json& params);
// `asset`: params {id} — one asset with its history.
[[nodiscard]] std::expected<json, rejection> query_asset(const assets_view& v, const json& params);

}  // namespace isms::domain::views
