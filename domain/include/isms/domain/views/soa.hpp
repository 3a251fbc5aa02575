#pragma once
// The Statement of Applicability view (ISO/IEC 27001:2022 6.1.3 d): the 93
// Annex A controls grouped by theme, each applicable or excluded with its
// justification, its implementation status and the risks it treats (as the
// SoA records them and as the risks' treatment plans link them), the
// published version, and whether the current entries differ from it.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::soa {
// An SoA entry's stored form in the views snapshot: {decided, applicable,
// justification, status, linked_risks}, status by its wire name.
void to_json(json& j, const entry& e);
void from_json(const json& j, entry& e);
// The binary snapshot's layout of an entry (common.hpp).
ISMS_VISIT_FIELDS(entry, decided, applicable, justification, status, linked_risks)
}  // namespace isms::domain::soa

namespace isms::domain::views {

struct risk_register;

struct soa_view {
  // What soa::state holds.
  std::vector<soa::entry> entries = soa::initial_state().entries;  // catalogue order
  std::uint64_t version = 0;
  std::string pending_approval_id;
  int proposed_version = 0;
  std::string pending_hash;
  int published_version = 0;
  std::string published_hash;
  // Beyond the aggregate's state.
  std::vector<soa::entry> published_entries;  // as approved; empty before the first publication
  std::string published_at;
  std::vector<std::string> published_by;
  std::map<std::string, last_change> entry_changed;  // control id → its last change
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const soa_view&, const soa_view&) = default;
};

ISMS_VIEW_FIELDS(soa_view, entries, version, pending_approval_id, proposed_version,
                 pending_hash, published_version, published_hash,
                 published_entries, published_at, published_by, entry_changed,
                 changed, history)

// The aggregate state the view mirrors (soa::content, soa::content_hash).
[[nodiscard]] soa::state soa_state_of(const soa_view& v);

void fold_soa(soa_view& v, const recorded_event& e, const soa::event& ev);

// soa::content of the current entries.
[[nodiscard]] json soa_subject_content(const soa_view& v);

// `soa`: params {theme?: organizational|people|physical|technological,
// applicability?: applicable|excluded|undecided, status?, differs_only?: bool}.
[[nodiscard]] std::expected<json, rejection> query_soa(const soa_view& v, const risk_register& risks,
                                                       const json& params);

}  // namespace isms::domain::views
