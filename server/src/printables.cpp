#include "isms/server/printables.hpp"

#include <string_view>

#include "isms/domain/views/soa.hpp"
#include "isms/server/http_types.hpp"

namespace isms::server {

using json = nlohmann::json;
namespace views = domain::views;

namespace {

std::string text_of(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A user's name as the directory has it, else their id.
std::string name_of(const views::all_views& v, const std::string& user_id) {
  const auto it = v.users.users.find(user_id);
  return it != v.users.users.end() && !it->second.name.empty() ? it->second.name : user_id;
}

// "2026-03-02T09:00:00.000Z" → "2026-03-02 09:00 UTC".
std::string when(const std::string& instant) {
  if (instant.size() < 16) return instant;
  return instant.substr(0, 10) + " " + instant.substr(11, 5) + " UTC";
}

std::string words(std::string text) {
  for (auto& c : text)
    if (c == '_') c = ' ';
  return text;
}

}  // namespace

std::string soa_document(const views::all_views& v, std::uint64_t position, const std::string& hash_hex,
                         const std::string& printed_at) {
  const auto answer = views::query_soa(v.soa, v.risks, json::object());
  const json soa = answer ? *answer : json::object();
  const json counts = soa.value("counts", json::object());
  const int published = soa.value("published_version", 0);

  std::string h;
  h += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>Statement of Applicability, position " + std::to_string(position) + "</title>\n";
  h += "<link rel=\"stylesheet\" href=\"/css/print.css\">\n</head>\n<body class=\"printable\">\n";
  h += "<header class=\"doc-head\">\n<h1>Statement of Applicability</h1>\n";
  h += "<p class=\"doc-sub\">ISO/IEC 27001:2022, clause 6.1.3 d): the controls of Annex A, whether each is "
       "applicable and why, and how far it is implemented.</p>\n";
  h += "<dl class=\"stamp\">\n";
  h += "<dt>As of</dt><dd>position <b class=\"position\">" + std::to_string(position) + "</b> of the event log";
  if (position > 0) h += ", recorded " + html_escape(when(domain::format_instant(v.as_of)));
  h += "</dd>\n";
  h += "<dt>Hash at that position</dt><dd class=\"hash\">" + html_escape(hash_hex) + "</dd>\n";
  h += "<dt>Published</dt><dd>";
  if (published > 0) {
    h += "version " + std::to_string(published);
    if (const std::string at = text_of(soa, "published_at"); !at.empty()) h += ", " + html_escape(when(at));
    std::string by;
    for (const auto& id : soa.value("published_by", json::array()))
      if (id.is_string()) by += (by.empty() ? "" : ", ") + html_escape(name_of(v, id.get<std::string>()));
    if (!by.empty()) h += ", approved by " + by;
    h += soa.value("differs_from_published", false)
             ? ". The working copy below differs from it in " + std::to_string(soa.value("differing_controls", 0)) +
                   " control(s), marked ◆."
             : ". The working copy below is the published version.";
  } else {
    h += "not yet: the working copy below has not been approved by top management.";
  }
  h += "</dd>\n";
  h += "<dt>Controls</dt><dd>" + std::to_string(counts.value("total", 0)) + ": " +
       std::to_string(counts.value("applicable", 0)) + " applicable (" +
       std::to_string(counts.value("implemented", 0)) + " implemented), " +
       std::to_string(counts.value("excluded", 0)) + " excluded, " + std::to_string(counts.value("undecided", 0)) +
       " undecided</dd>\n";
  h += "<dt>Printed</dt><dd>" + html_escape(when(printed_at)) + "</dd>\n</dl>\n</header>\n";

  for (const auto& theme : soa.value("themes", json::array())) {
    h += "<section class=\"theme\">\n<h2>" + html_escape(text_of(theme, "title")) + " controls</h2>\n";
    h += "<table>\n<thead><tr><th class=\"c-id\">Control</th><th class=\"c-title\">Title</th>"
         "<th class=\"c-app\">Applicable</th><th class=\"c-why\">Justification</th>"
         "<th class=\"c-impl\">Implementation</th><th class=\"c-risks\">Risks</th></tr></thead>\n<tbody>\n";
    for (const auto& c : theme.value("controls", json::array())) {
      const std::string applicability = text_of(c, "applicability");
      const bool applicable = applicability == "applicable";
      std::string risks;
      for (const auto& r : c.value("linked_risks", json::array()))
        if (r.is_string()) risks += (risks.empty() ? "" : ", ") + html_escape(r.get<std::string>());
      h += "<tr class=\"control " + html_escape(applicability) + "\">";
      h += "<td class=\"c-id\">" + html_escape(text_of(c, "id")) +
           (c.value("differs_from_published", false) && published > 0 ? " ◆" : "") + "</td>";
      h += "<td class=\"c-title\">" + html_escape(text_of(c, "title")) + "</td>";
      h += "<td class=\"c-app\">" +
           std::string(applicable ? "Yes" : applicability == "excluded" ? "No" : "Not decided") + "</td>";
      h += "<td class=\"c-why\">" + html_escape(text_of(c, "justification")) + "</td>";
      h += "<td class=\"c-impl\">" + (applicable ? html_escape(words(text_of(c, "implementation_status"))) : "—") + "</td>";
      h += "<td class=\"c-risks\">" + risks + "</td></tr>\n";
    }
    h += "</tbody>\n</table>\n</section>\n";
  }
  h += "<footer class=\"doc-foot\"><p>Made by ISMS Ledger from its event log at position " + std::to_string(position) +
       " (hash " + html_escape(hash_hex.substr(0, 16)) +
       "…). An auditor ties this paper to the signed history with the inclusion proof of that position "
       "against a signed checkpoint.</p></footer>\n";
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace isms::server
