#pragma once
// Documents to print, as HTML with a print stylesheet (webui/css/print.css:
// A4, the table header repeated on every page, page numbers): what an auditor
// is handed on paper. Each names the position it was made from and the hash
// of the event there, so that the paper can be tied back to the signed
// history (GET /api/proof/inclusion?position=N, docs/auditors.md). Every
// text from the log is escaped; the page runs no script.
// Thread-safety: pure functions of their arguments.

#include <cstdint>
#include <expected>
#include <string>

#include "isms/domain/views/views.hpp"

namespace isms::server {

// The Statement of Applicability as `v` holds it at `position`: per Annex A
// theme, each control with its applicability, justification, implementation
// and the risks it treats; which version top management published, when and
// by whom, and whether the working copy differs from it.
[[nodiscard]] std::string soa_document(const domain::views::all_views& v, std::uint64_t position,
                                       const std::string& hash_hex, const std::string& printed_at);

// The risk treatment plan (6.1.3 e–f, 8.3) as `viewer` may read it: every
// risk not retired, highest inherent rating first, with its treatment,
// controls, due and implementation dates, residual rating and acceptance.
[[nodiscard]] std::expected<std::string, domain::rejection> risk_treatment_plan_document(
    const domain::views::all_views& v, const domain::actor& viewer, domain::date today, std::uint64_t position,
    const std::string& hash_hex, const std::string& printed_at);

// The minutes of management review `review_id` (9.3): chair, attendance,
// the inputs discussed, decisions, actions, and who approved the minutes and
// how they confirmed it. not_found when there is no such review.
[[nodiscard]] std::expected<std::string, domain::rejection> review_minutes_document(
    const domain::views::all_views& v, const domain::actor& viewer, domain::date today, const std::string& review_id,
    std::uint64_t position, const std::string& hash_hex, const std::string& printed_at);

// The report of nonconformity `nc_id` (10.2): what, where from, the steps
// of 10.2, reaction, cause, and each corrective action with its
// verification. not_found when there is no such nonconformity.
[[nodiscard]] std::expected<std::string, domain::rejection> nonconformity_report_document(
    const domain::views::all_views& v, const domain::actor& viewer, domain::date today, const std::string& nc_id,
    std::uint64_t position, const std::string& hash_hex, const std::string& printed_at);

}  // namespace isms::server
