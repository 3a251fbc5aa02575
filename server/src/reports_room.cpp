#include "isms/server/reports_room.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "isms/domain/core.hpp"
#include "isms/server/printables.hpp"
#include "isms/server/registers_csv.hpp"

namespace isms::server {

namespace {
// Read first by spreadsheet programs to learn that the text is UTF-8.
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
}  // namespace

reports_room::reports_room(worker_pool& pool, reports_room_parts parts) : pool_(pool), parts_(std::move(parts)) {}

void reports_room::add_routes(router& routes) {
  routes.on_prefix(std::string(csv_prefix), {"GET"},
                   on_pool(pool_, [this](const http_request& r) { return csv_file(r); },
                           "the register export failed"));
  routes.on_prefix(std::string(print_prefix), {"GET"},
                   on_pool(pool_, [this](const http_request& r) { return printable(r); }, "the document failed"));
}

std::expected<std::uint64_t, http_response> reports_room::position_of(const http_request& request) const {
  std::string position_text, time_text;
  const bool by_position = query_param(request.query, "position", position_text);
  const bool by_time = query_param(request.query, "time", time_text);
  if (by_position && by_time)
    return std::unexpected(json_error(400, "bad_request", "ask for a position or a time, not both"));
  const std::uint64_t now = parts_.views_position();
  if (by_position) {
    const auto p = parse_decimal(position_text);
    if (!p) return std::unexpected(json_error(400, "bad_request", "position must be a position (decimal digits only)"));
    if (*p > now)
      return std::unexpected(json_error(
          400, "bad_request",
          "position " + std::to_string(*p) + " is beyond the log, which ends at " + std::to_string(now)));
    return *p;
  }
  if (by_time) {
    const auto instant = domain::parse_instant(time_text);
    if (!instant)
      return std::unexpected(json_error(400, "bad_request", "time must be RFC 3339 UTC, e.g. 2026-11-29T10:00:00Z"));
    const auto at =
        parts_.position_at(std::chrono::duration_cast<std::chrono::milliseconds>(instant->time_since_epoch()).count());
    if (!at) return std::unexpected(json_error(500, "internal", at.error()));
    return std::min(*at, now);
  }
  return now;
}

http_response reports_room::csv_file(const http_request& request) const {
  auto who = require_caller(parts_.identify, request);
  if (!who) return who.error();
  if (who->actor.roles.empty()) return json_error(403, "forbidden", "the viewer holds no role");
  const std::string_view file = std::string_view(request.path).substr(csv_prefix.size());
  if (!file.ends_with(".csv") || file.find('/') != std::string_view::npos)
    return json_error(404, "not_found", "no such register; the files are named <register>.csv");
  const auto position = position_of(request);
  if (!position) return position.error();
  const auto views = parts_.views_at(*position);
  if (!views) return json_error(500, "internal", views.error());
  const auto files = registers_csv(**views, *position);
  const auto it = std::ranges::find(files, file, &register_csv::name);
  if (it == files.end()) return json_error(404, "not_found", "no register named " + std::string(file));
  http_response r;
  r.content_type = "text/csv; charset=utf-8";
  r.body.reserve(utf8_bom.size() + it->text.size());
  r.body += utf8_bom;
  r.body += it->text;
  const std::string stem(file.substr(0, file.size() - 4));
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"isms-" + stem + "-" + std::to_string(*position) + ".csv\"");
  r.headers.emplace_back("X-Position", std::to_string(*position));
  return r;
}

http_response reports_room::printable(const http_request& request) const {
  auto who = require_caller(parts_.identify, request);
  if (!who) return who.error();
  if (who->actor.roles.empty()) return json_error(403, "forbidden", "the viewer holds no role");
  const std::string_view name = std::string_view(request.path).substr(print_prefix.size());
  // soa.html, risk-treatment-plan.html, review-<id>.html, nonconformity-<id>.html
  const auto id_in = [&](std::string_view prefix) -> std::string {
    if (!name.starts_with(prefix) || !name.ends_with(".html")) return {};
    return std::string(name.substr(prefix.size(), name.size() - prefix.size() - 5));
  };
  const std::string review_id = id_in("review-"), nc_id = id_in("nonconformity-");
  if (name != "soa.html" && name != "risk-treatment-plan.html" && review_id.empty() && nc_id.empty())
    return json_error(404, "not_found",
                      "no such document; there are soa.html, risk-treatment-plan.html, review-<id>.html and "
                      "nonconformity-<id>.html");
  const auto position = position_of(request);
  if (!position) return position.error();
  const auto views = parts_.views_at(*position);
  if (!views) return json_error(500, "internal", views.error());
  const auto hash = parts_.hash_at(*position);
  if (!hash) return json_error(500, "internal", hash.error());
  const auto now = domain::instant{std::chrono::milliseconds{parts_.clock()}};
  const auto printed = domain::format_instant(now);
  const auto today = std::chrono::floor<std::chrono::days>(now);
  std::expected<std::string, domain::rejection> document = std::unexpected(domain::rejection{});
  if (name == "soa.html")
    document = soa_document(**views, *position, *hash, printed);
  else if (name == "risk-treatment-plan.html")
    document = risk_treatment_plan_document(**views, who->actor, today, *position, *hash, printed);
  else if (!review_id.empty())
    document = review_minutes_document(**views, who->actor, today, review_id, *position, *hash, printed);
  else
    document = nonconformity_report_document(**views, who->actor, today, nc_id, *position, *hash, printed);
  if (!document) {
    const auto& e = document.error();
    if (e.kind == domain::rejection_kind::not_found) return json_error(404, "not_found", e.message);
    if (e.kind == domain::rejection_kind::forbidden) return json_error(403, "forbidden", e.message);
    return json_error(400, "bad_request", e.message);
  }
  http_response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(*document);
  // Its stylesheet and nothing else: no script runs in a printed document.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
                         "frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  r.headers.emplace_back("X-Position", std::to_string(*position));
  return r;
}

}  // namespace isms::server
