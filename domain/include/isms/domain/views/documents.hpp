#pragma once
// The documents view (ISO/IEC 27001:2022 5.2, 7.5): every policy, procedure
// and record with its versions, where the working version stands, the
// published version and its hash, and when it falls due for review.
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct document_version_entry {
  std::uint64_t document_version = 0;
  std::string content_sha256;
  std::string change_note;
  std::string drafted_at;
  std::string drafted_by;
  std::string state;                     // draft | approval_requested | approved | rejected | published | superseded
  std::vector<std::string> approved_by;
  std::string published_on;

  friend bool operator==(const document_version_entry&, const document_version_entry&) = default;
};
ISMS_VIEW_FIELDS(document_version_entry, document_version,
                 content_sha256, change_note, drafted_at, drafted_by,
                 state, approved_by, published_on)

struct document_entry {
  std::string id;      // the <id> of "document-<id>"
  std::string stream;
  // What document::state holds, so that the aggregate's own rules
  // (approval_content, review_due_on) apply to the view.
  std::string document_id, kind, title, owner, classification;
  int review_interval_months = 12;
  std::uint64_t document_version = 0;  // the working version
  std::string text;
  std::string content_sha256;
  std::string working;                 // draft | approval_requested | approved | published
  std::string pending_approval_id;
  bool has_published = false;
  std::uint64_t published_version = 0;
  std::string published_text;
  std::string published_sha256;
  std::string published_on;
  std::string last_reviewed_on;
  std::string last_review_outcome;
  bool retired = false;
  std::uint64_t version = 0;           // stream version
  // Beyond the aggregate's state.
  std::string last_reviewed_by;
  std::string last_review_notes;
  std::string retired_reason;
  std::string retired_on;
  std::vector<document_version_entry> versions;
  last_change changed;
  std::vector<history_entry> history;

  friend bool operator==(const document_entry&, const document_entry&) = default;
};
ISMS_VIEW_FIELDS(document_entry, id, stream, document_id, kind, title,
                 owner, classification, review_interval_months,
                 document_version, text, content_sha256, working,
                 pending_approval_id, has_published,
                 published_version, published_text, published_sha256,
                 published_on, last_reviewed_on, last_review_outcome,
                 retired, version, last_reviewed_by,
                 last_review_notes, retired_reason, retired_on,
                 versions, changed, history)

struct documents_view {
  std::map<std::string, document_entry> documents;  // by id

  friend bool operator==(const documents_view&, const documents_view&) = default;
};
ISMS_VIEW_FIELDS(documents_view, documents)

// The aggregate state the entry mirrors.
[[nodiscard]] document::state document_state_of(const document_entry& d);

void fold_document(documents_view& v, const recorded_event& e, const document::event& ev);

// The approval-relevant content (document::approval_content) plus the text.
[[nodiscard]] json document_subject_content(const document_entry& d);

// The review due day ("" when nothing is published or the document is retired).
[[nodiscard]] std::string document_review_due(const document_entry& d);

// `documents`: params {kind?, state?: working stage, owner?, review_due?: bool,
// include_text?: bool (default false)}.
[[nodiscard]] std::expected<json, rejection> query_documents(const documents_view& v,
                                                             const json& params, date today);
// `document`: params {id, include_text?: bool (default true)} — one document with its history.
[[nodiscard]] std::expected<json, rejection> query_document(const documents_view& v,
                                                            const json& params, date today);

}  // namespace isms::domain::views
