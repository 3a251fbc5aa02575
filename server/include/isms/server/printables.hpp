#pragma once
// Documents to print, as HTML with a print stylesheet (webui/css/print.css:
// A4, the table header repeated on every page, page numbers): what an auditor
// is handed on paper. Each names the position it was made from and the hash
// of the event there, so that the paper can be tied back to the signed
// history (GET /api/proof/inclusion?position=N, docs/auditors.md). Every
// text from the log is escaped; the page runs no script.
// Thread-safety: pure functions of their arguments.

#include <cstdint>
#include <string>

#include "isms/domain/views/views.hpp"

namespace isms::server {

// The Statement of Applicability as `v` holds it at `position`: per Annex A
// theme, each control with its applicability, justification, implementation
// and the risks it treats; which version top management published, when and
// by whom, and whether the working copy differs from it.
[[nodiscard]] std::string soa_document(const domain::views::all_views& v, std::uint64_t position,
                                       const std::string& hash_hex, const std::string& printed_at);

}  // namespace isms::server
