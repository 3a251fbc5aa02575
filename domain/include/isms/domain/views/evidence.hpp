#pragma once
// The evidence files on record: for each, the subject it is evidence for,
// what it shows, the file's digest, name, media type and size, its owner
// and review day, and whether it is current, stale (past its review day) or
// withdrawn.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct evidence_entry {
  std::string id;  // the <id> of "evidence-<id>"
  std::string stream;
  std::string evidence_id, subject_kind, subject_id, purpose;
  std::string part;  // the part of the subject (evidence::part_name), "" for the whole
  std::string digest, name, media_type;
  std::uint64_t size = 0;
  std::string owner, attached_on, attached_by;
  std::uint64_t attached_position = 0;  // where it was attached: the list's order
  std::string review_by, reviewed_on, reviewed_by;  // "" when none
  bool withdrawn = false;
  std::string withdrawn_on, withdrawn_by, withdrawn_reason;
  std::uint64_t version = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const evidence_entry&, const evidence_entry&) = default;
};
ISMS_VIEW_FIELDS(evidence_entry, id, stream, evidence_id, subject_kind, subject_id, part, purpose, digest, name,
                 media_type, size, owner, attached_on, attached_by, attached_position, review_by, reviewed_on, reviewed_by, withdrawn,
                 withdrawn_on, withdrawn_by, withdrawn_reason, version, changed, history)

struct evidence_view {
  std::map<std::string, evidence_entry> files;  // by id

  friend bool operator==(const evidence_view&, const evidence_view&) = default;
};
ISMS_VIEW_FIELDS(evidence_view, files)

[[nodiscard]] evidence::state evidence_state_of(const evidence_entry& x);

void fold_evidence(evidence_view& v, const recorded_event& e, const evidence::event& ev);

// "current", "stale" or "withdrawn" on `today`.
[[nodiscard]] std::string evidence_status(const evidence_entry& x, date today);

[[nodiscard]] json evidence_json(const evidence_entry& x, date today);

// `evidence`: params {subject_kind?, subject_id?, part?, owner?, status?: current |
// stale | withdrawn, digest?} — newest first, with counts by status.
[[nodiscard]] std::expected<json, rejection> query_evidence(const evidence_view& v, const json& params, date today);

}  // namespace isms::domain::views
