#pragma once
// The context and scope view (ISO/IEC 27001:2022 4.1–4.4): the effective
// (approved) scope, its internal and external issues and interested parties,
// and the draft awaiting or preparing approval.
//
// Thread-safety: value types and pure functions only.

#include <expected>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::scope {
// The content's stored form in the views snapshot: scope::to_json(content),
// and its inverse.
void to_json(json& j, const content& c);
void from_json(const json& j, content& c);
}  // namespace isms::domain::scope

namespace isms::domain::views {

struct scope_view {
  scope::content draft;
  bool has_effective = false;     // false until top management first approved a scope
  scope::content effective;
  std::string effective_hash;
  std::string effective_since;    // day of the approval
  std::vector<std::string> approved_by;
  std::string pending_approval_id;
  scope::content under_approval;  // the draft as put to approval (valid while pending)
  std::uint64_t version = 0;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const scope_view&, const scope_view&) = default;
};

ISMS_VIEW_FIELDS(scope_view, draft, has_effective, effective, effective_hash,
                 effective_since, approved_by, pending_approval_id, under_approval,
                 version, changed, history)

void fold_scope(scope_view& v, const recorded_event& e, const scope::event& ev);

// The approval-relevant content (scope::to_json) of the draft.
[[nodiscard]] json scope_subject_content(const scope_view& v);

// `scope`: no params. {effective, effective_hash, effective_since, approved_by,
// draft, draft_differs, pending_approval_id, version, last_change, history}.
[[nodiscard]] std::expected<json, rejection> query_scope(const scope_view& v, const json& params);

}  // namespace isms::domain::views
