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

// A flag of an entity; `fallback` when absent, null or not a boolean.
bool flag(const json& j, const char* key, bool fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// A member that is an object or array, else an empty one of that kind.
json part(const json& j, const char* key, const json& empty) {
  const auto it = j.find(key);
  return it != j.end() && it->type() == empty.type() ? *it : empty;
}

std::string number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->dump() : std::string();
}

// "<level> (<score>)" of a rating {"level", "score"}, or "—".
std::string rating(const json& r) {
  if (!r.is_object() || text_of(r, "level").empty()) return "—";
  return html_escape(text_of(r, "level")) + " (" + number(r, "score") + ")";
}

// Users' names, escaped, joined.
std::string names(const views::all_views& v, const json& ids) {
  std::string out;
  for (const auto& id : ids)
    if (id.is_string()) out += (out.empty() ? "" : ", ") + html_escape(name_of(v, id.get<std::string>()));
  return out;
}

std::string or_dash(const std::string& escaped) { return escaped.empty() ? "—" : escaped; }

std::string row(const std::string& term, const std::string& escaped_value) {
  return "<dt>" + html_escape(term) + "</dt><dd>" + escaped_value + "</dd>\n";
}

// The head every printed document has: its title, what it is for, and the
// stamp that ties the paper to the log (position, its time, its hash), with
// `rows` (row() pairs) between them and the printing time.
std::string document_head(const views::all_views& v, const std::string& title, const std::string& purpose,
                          std::uint64_t position, const std::string& hash_hex, const std::string& rows,
                          const std::string& printed_at) {
  std::string h;
  h += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  h += "<title>" + html_escape(title) + ", position " + std::to_string(position) + "</title>\n";
  h += "<link rel=\"stylesheet\" href=\"/css/print.css\">\n</head>\n<body class=\"printable\">\n";
  h += "<header class=\"doc-head\">\n<h1>" + html_escape(title) + "</h1>\n";
  h += "<p class=\"doc-sub\">" + html_escape(purpose) + "</p>\n";
  h += "<dl class=\"stamp\">\n";
  h += "<dt>As of</dt><dd>position <b class=\"position\">" + std::to_string(position) + "</b> of the event log";
  if (position > 0) h += ", recorded " + html_escape(when(domain::format_instant(v.as_of)));
  h += "</dd>\n";
  h += "<dt>Hash at that position</dt><dd class=\"hash\">" + html_escape(hash_hex) + "</dd>\n";
  h += rows;
  h += "<dt>Printed</dt><dd>" + html_escape(when(printed_at)) + "</dd>\n</dl>\n</header>\n";
  return h;
}

std::string document_foot(std::uint64_t position, const std::string& hash_hex) {
  return "<footer class=\"doc-foot\"><p>Made by ISMS Ledger from its event log at position " +
         std::to_string(position) + " (hash " + html_escape(hash_hex.substr(0, 16)) +
         "…). An auditor ties this paper to the signed history with the inclusion proof of that position "
         "against a signed checkpoint.</p></footer>\n</body>\n</html>\n";
}

// A table: the header cells (class, label), then the rows (already built).
std::string table(std::initializer_list<std::pair<const char*, const char*>> columns, const std::string& rows) {
  std::string t = "<table>\n<thead><tr>";
  for (const auto& [cls, label] : columns) t += std::string("<th class=\"") + cls + "\">" + label + "</th>";
  return t + "</tr></thead>\n<tbody>\n" + rows + "</tbody>\n</table>\n";
}

std::string cell(const char* cls, const std::string& escaped) {
  return std::string("<td class=\"") + cls + "\">" + escaped + "</td>";
}

}  // namespace

std::string soa_document(const views::all_views& v, std::uint64_t position, const std::string& hash_hex,
                         const std::string& printed_at) {
  const auto answer = views::query_soa(v.soa, v.risks, json::object());
  const json soa = answer ? *answer : json::object();
  const json counts = soa.value("counts", json::object());
  const int published = soa.value("published_version", 0);

  std::string rows = "<dt>Published</dt><dd>";
  if (published > 0) {
    rows += "version " + std::to_string(published);
    if (const std::string at = text_of(soa, "published_at"); !at.empty()) rows += ", " + html_escape(when(at));
    if (const std::string by = names(v, soa.value("published_by", json::array())); !by.empty())
      rows += ", approved by " + by;
    rows += soa.value("differs_from_published", false)
                ? ". The working copy below differs from it in " +
                      std::to_string(soa.value("differing_controls", 0)) + " control(s), marked ◆."
                : ". The working copy below is the published version.";
  } else {
    rows += "not yet: the working copy below has not been approved by top management.";
  }
  rows += "</dd>\n";
  rows += row("Controls", std::to_string(counts.value("total", 0)) + ": " +
                              std::to_string(counts.value("applicable", 0)) + " applicable (" +
                              std::to_string(counts.value("implemented", 0)) + " implemented), " +
                              std::to_string(counts.value("excluded", 0)) + " excluded, " +
                              std::to_string(counts.value("undecided", 0)) + " undecided");
  std::string h = document_head(v, "Statement of Applicability",
                                "ISO/IEC 27001:2022, clause 6.1.3 d): the controls of Annex A, whether each is "
                                "applicable and why, and how far it is implemented.",
                                position, hash_hex, rows, printed_at);

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
  h += document_foot(position, hash_hex);
  return h;
}

std::expected<std::string, domain::rejection> risk_treatment_plan_document(
    const views::all_views& v, const domain::actor& viewer, domain::date today, std::uint64_t position,
    const std::string& hash_hex, const std::string& printed_at) {
  const auto answer = views::query(v, "risks", json{{"sort", "inherent_score"}, {"order", "desc"}}, viewer, today);
  if (!answer) return std::unexpected(answer.error());
  const json& risks = answer->at("risks");
  const std::string day = domain::format_date(today);
  int live = 0, retired = 0, planned = 0, overdue = 0, accepted = 0, above = 0;
  std::string body;
  for (const auto& r : risks) {
    if (text_of(r, "state") == "retired") {
      ++retired;
      continue;
    }
    ++live;
    const json treatment = part(r, "treatment", json::object());
    const json acceptance = part(r, "acceptance", json::object());
    const std::string due = text_of(treatment, "due");
    const std::string implemented = text_of(treatment, "implemented_on");
    const bool is_planned = !text_of(treatment, "option").empty();
    const bool late = is_planned && implemented.empty() && !due.empty() && due < day;
    planned += is_planned ? 1 : 0;
    overdue += late ? 1 : 0;
    accepted += text_of(acceptance, "state") == "accepted" ? 1 : 0;
    // Above appetite once there is a residual rating to compare.
    const bool is_above = !text_of(part(r, "residual", json::object()), "level").empty() && !flag(r, "within_appetite", true);
    above += is_above ? 1 : 0;

    std::string controls;
    for (const auto& c : part(treatment, "controls", json::array()))
      if (c.is_string()) controls += (controls.empty() ? "" : ", ") + html_escape(c.get<std::string>());
    std::string plan = html_escape(words(text_of(treatment, "option")));
    if (const std::string actions = text_of(treatment, "actions"); !actions.empty())
      plan += (plan.empty() ? "" : ": ") + html_escape(actions);
    std::string when_done = due.empty() ? "" : "due " + html_escape(due);
    if (!implemented.empty()) when_done += (when_done.empty() ? "" : "; ") + std::string("implemented ") + html_escape(implemented);
    if (late) when_done += " <b class=\"late\">overdue</b>";
    std::string accept;
    const std::string astate = text_of(acceptance, "state");
    if (astate == "accepted")
      accept = "accepted by " + names(v, part(acceptance, "accepted_by", json::array())) + " until " +
               html_escape(text_of(acceptance, "accepted_until"));
    else if (!astate.empty())
      accept = html_escape(astate);
    body += "<tr class=\"risk" + std::string(is_above ? " above" : "") + "\">";
    body += cell("r-id", html_escape(text_of(r, "id")) + "<div class=\"r-title\">" + html_escape(text_of(r, "title")) + "</div>");
    body += cell("r-owner", html_escape(name_of(v, text_of(r, "owner"))));
    body += cell("r-inherent", rating(part(r, "inherent", json::object())));
    body += cell("r-plan", or_dash(plan));
    body += cell("r-controls", or_dash(controls));
    body += cell("r-due", or_dash(when_done));
    body += cell("r-residual", rating(part(r, "residual", json::object())) +
                                   (is_above ? "<div class=\"late\">above appetite</div>" : ""));
    body += cell("r-accept", or_dash(accept));
    body += "</tr>\n";
  }
  std::string rows = row("Risks", std::to_string(live) + " in the register, highest inherent rating first (" +
                                      std::to_string(retired) + " retired, not listed)");
  rows += row("Treatment", std::to_string(planned) + " planned, " + std::to_string(overdue) + " overdue on " +
                               html_escape(day));
  rows += row("Residual risk", std::to_string(accepted) + " accepted by their owners and, above appetite, top "
                               "management; " + std::to_string(above) + " above the risk appetite");
  std::string h = document_head(v, "Risk treatment plan",
                                "ISO/IEC 27001:2022, clauses 6.1.3 e–f and 8.3: each risk's treatment, the controls "
                                "it relies on, its due date and the residual risk its owner accepted.",
                                position, hash_hex, rows, printed_at);
  h += "<section>\n" +
       table({{"r-id", "Risk"}, {"r-owner", "Owner"}, {"r-inherent", "Inherent"}, {"r-plan", "Treatment"},
              {"r-controls", "Controls"}, {"r-due", "When"}, {"r-residual", "Residual"}, {"r-accept", "Acceptance"}},
             body) +
       "</section>\n";
  h += document_foot(position, hash_hex);
  return h;
}

std::expected<std::string, domain::rejection> review_minutes_document(
    const views::all_views& v, const domain::actor& viewer, domain::date today, const std::string& review_id,
    std::uint64_t position, const std::string& hash_hex, const std::string& printed_at) {
  const auto answer = views::query(v, "reviews", json::object(), viewer, today);
  if (!answer) return std::unexpected(answer.error());
  const json* review = nullptr;
  for (const auto& r : answer->at("reviews"))
    if (text_of(r, "id") == review_id) review = &r;
  if (!review)
    return std::unexpected(domain::rejection{domain::rejection_kind::not_found, "id",
                                             "no management review '" + review_id + "' at this position"});
  const json& r = *review;
  std::string rows = row("Chair", html_escape(name_of(v, text_of(r, "chair"))));
  rows += row("Held", or_dash(html_escape(text_of(r, "held_on"))) + " (planned for " +
                          html_escape(text_of(r, "planned_on")) + ")");
  rows += row("Attendees", or_dash(names(v, part(r, "attendees", json::array()))));
  if (!part(r, "apologies", json::array()).empty()) rows += row("Apologies", names(v, part(r, "apologies", json::array())));
  if (!number(r, "inputs_as_of_position").empty() && number(r, "inputs_as_of_position") != "0")
    rows += row("Inputs", "the pack assembled at position " + number(r, "inputs_as_of_position") +
                              (text_of(r, "pack_sha256").empty() ? "" : ", SHA-256 " + html_escape(text_of(r, "pack_sha256"))));
  const json approved_by = part(r, "minutes_approved_by", json::array());
  rows += row("Minutes", approved_by.empty()
                             ? std::string(text_of(r, "pending_approval_id").empty() ? "not yet put to approval"
                                                                                     : "waiting for approval")
                             : "approved by " + names(v, approved_by) +
                                   (text_of(r, "minutes_hash").empty() ? "" : " (minutes hash " + html_escape(text_of(r, "minutes_hash")) + ")"));
  rows += row("State", html_escape(words(text_of(r, "state"))) +
                           (text_of(r, "closed_on").empty() ? "" : ", closed " + html_escape(text_of(r, "closed_on"))));
  std::string h = document_head(v, "Management review " + review_id + ": minutes",
                                "ISO/IEC 27001:2022, clause 9.3: the inputs top management considered (9.3.2), "
                                "its decisions (9.3.3) and the actions that follow from them.",
                                position, hash_hex, rows, printed_at);
  std::string items;
  for (const auto& i : part(r, "items", json::array()))
    items += "<tr>" + cell("m-input", html_escape(words(text_of(i, "input")))) +
             cell("m-text", html_escape(text_of(i, "discussion"))) + "</tr>\n";
  h += "<section>\n<h2>Inputs discussed (9.3.2)</h2>\n" +
       (items.empty() ? std::string("<p>None recorded.</p>\n") : table({{"m-input", "Input"}, {"m-text", "Discussion"}}, items)) +
       "</section>\n";
  std::string decisions;
  for (const auto& d : part(r, "decisions", json::array()))
    decisions += "<tr>" + cell("m-id", html_escape(text_of(d, "id"))) +
                 cell("m-input", html_escape(words(text_of(d, "kind")))) + cell("m-text", html_escape(text_of(d, "text"))) +
                 "</tr>\n";
  h += "<section>\n<h2>Decisions (9.3.3)</h2>\n" +
       (decisions.empty() ? std::string("<p>None recorded.</p>\n")
                          : table({{"m-id", "No."}, {"m-input", "Kind"}, {"m-text", "Decision"}}, decisions)) +
       "</section>\n";
  std::string actions;
  for (const auto& a : part(r, "actions", json::array())) {
    std::string status = flag(a, "done", false) ? "done " + html_escape(text_of(a, "completed_on"))
                                                : std::string(flag(a, "overdue", false) ? "<b class=\"late\">overdue</b>" : "open");
    actions += "<tr>" + cell("m-id", html_escape(text_of(a, "id"))) + cell("m-text", html_escape(text_of(a, "description"))) +
               cell("m-owner", html_escape(name_of(v, text_of(a, "owner")))) + cell("m-due", html_escape(text_of(a, "due_on"))) +
               cell("m-status", status) + "</tr>\n";
  }
  h += "<section>\n<h2>Actions</h2>\n" +
       (actions.empty() ? std::string("<p>None recorded.</p>\n")
                        : table({{"m-id", "No."}, {"m-text", "Action"}, {"m-owner", "Owner"}, {"m-due", "Due"}, {"m-status", "Status"}},
                                actions)) +
       "</section>\n";
  // Who approved the minutes, when, and how they confirmed it.
  std::string approvals;
  if (auto ap = views::query(v, "approvals", json::object(), viewer, today))
    for (const auto& a : ap->at("approvals")) {
      if (text_of(a, "subject_stream") != text_of(r, "stream") || text_of(a, "subject_kind") != "review.minutes") continue;
      for (const auto& d : part(a, "decisions", json::array())) {
        const std::string confirmed = text_of(d, "confirmed_with");
        approvals += "<tr>" + cell("m-owner", html_escape(name_of(v, text_of(d, "reviewer")))) +
                     cell("m-status", flag(d, "approved", false) ? "approved" : "rejected") +
                     cell("m-due", html_escape(when(text_of(d, "at")))) +
                     cell("m-text", html_escape(text_of(d, "comment")) +
                                        (confirmed.empty() ? "" : " <i>(confirmed with " + html_escape(words(confirmed)) + ")</i>")) +
                     "</tr>\n";
      }
    }
  if (!approvals.empty())
    h += "<section>\n<h2>Approval of the minutes</h2>\n" +
         table({{"m-owner", "Reviewer"}, {"m-status", "Decision"}, {"m-due", "When"}, {"m-text", "Comment"}}, approvals) +
         "</section>\n";
  h += document_foot(position, hash_hex);
  return h;
}

std::expected<std::string, domain::rejection> nonconformity_report_document(
    const views::all_views& v, const domain::actor& viewer, domain::date today, const std::string& nc_id,
    std::uint64_t position, const std::string& hash_hex, const std::string& printed_at) {
  const auto answer = views::query(v, "nonconformity", json{{"id", nc_id}}, viewer, today);
  if (!answer) return std::unexpected(answer.error());
  const json& n = *answer;
  std::string source = html_escape(words(text_of(n, "source")));
  if (const std::string audit = text_of(n, "audit_id"); !audit.empty())
    source += ", audit " + html_escape(audit) + (text_of(n, "finding_id").empty() ? "" : " finding " + html_escape(text_of(n, "finding_id")));
  if (const std::string rv = text_of(n, "review_id"); !rv.empty()) source += ", management review " + html_escape(rv);
  std::string rows = row("Severity", html_escape(text_of(n, "severity")));
  rows += row("Source", source);
  if (!text_of(n, "reference").empty()) rows += row("Requirement", html_escape(text_of(n, "reference")));
  rows += row("Raised", html_escape(text_of(n, "raised_on")) + " by " + html_escape(name_of(v, text_of(n, "raised_by"))));
  rows += row("State", html_escape(words(text_of(n, "state"))) +
                           (text_of(n, "closed_on").empty() ? "" : ", closed " + html_escape(text_of(n, "closed_on"))));
  std::string h = document_head(v, "Nonconformity " + nc_id + ": report",
                                "ISO/IEC 27001:2022, clause 10.2: the nonconformity, the reaction to it, its cause, "
                                "the corrective actions and whether they were effective.",
                                position, hash_hex, rows, printed_at);
  h += "<section>\n<h2>The nonconformity</h2>\n<p class=\"prose\">" + html_escape(text_of(n, "description")) + "</p>\n</section>\n";
  std::string steps;
  for (const auto& st : part(n, "steps", json::array()))
    steps += "<tr class=\"step" + std::string(flag(st, "done", false) ? " done" : "") + "\">" +
             cell("m-id", html_escape(text_of(st, "step"))) + cell("m-text", html_escape(text_of(st, "title"))) +
             cell("m-status", flag(st, "done", false) ? "done" : "open") + "</tr>\n";
  h += "<section>\n<h2>The steps of 10.2</h2>\n" +
       table({{"m-id", "Step"}, {"m-text", "What the standard asks"}, {"m-status", "Status"}}, steps) + "</section>\n";
  h += "<section>\n<h2>Reaction and cause</h2>\n<dl class=\"facts\">\n";
  h += row("Containment and correction (10.2 a)", or_dash(html_escape(text_of(n, "containment"))));
  h += row("Root cause (10.2 b 2)", or_dash(html_escape(text_of(n, "root_cause"))));
  h += row("Similar nonconformities (10.2 b 3)",
           !flag(n, "similar_checked", false) ? "not yet checked"
           : flag(n, "similar_found", false)  ? "checked: similar ones exist or could occur"
                                              : "checked: none found");
  h += "</dl>\n</section>\n";
  std::string actions;
  for (const auto& a : part(n, "actions", json::array())) {
    std::string status = html_escape(words(text_of(a, "status")));
    if (!text_of(a, "completed_on").empty())
      status += ", done " + html_escape(text_of(a, "completed_on")) + " by " + html_escape(name_of(v, text_of(a, "completed_by")));
    if (!text_of(a, "verified_on").empty())
      status += ", verified " + html_escape(text_of(a, "verified_on")) + " by " + html_escape(name_of(v, text_of(a, "verified_by")));
    if (flag(a, "overdue", false)) status += " <b class=\"late\">overdue</b>";
    std::string detail = html_escape(text_of(a, "description"));
    if (!text_of(a, "evidence").empty()) detail += "<div class=\"muted\">Evidence: " + html_escape(text_of(a, "evidence")) + "</div>";
    if (!text_of(a, "verification_notes").empty())
      detail += "<div class=\"muted\">Effectiveness (10.2 d): " + html_escape(text_of(a, "verification_notes")) + "</div>";
    actions += "<tr>" + cell("m-id", html_escape(text_of(a, "id"))) + cell("m-text", detail) +
               cell("m-owner", html_escape(name_of(v, text_of(a, "owner")))) + cell("m-due", html_escape(text_of(a, "due_on"))) +
               cell("m-status", status) + "</tr>\n";
  }
  h += "<section>\n<h2>Corrective actions (10.2 c–d)</h2>\n" +
       (actions.empty() ? std::string("<p>None planned yet.</p>\n")
                        : table({{"m-id", "No."}, {"m-text", "Action"}, {"m-owner", "Owner"}, {"m-due", "Due"}, {"m-status", "Status"}},
                                actions)) +
       "</section>\n";
  h += document_foot(position, hash_hex);
  return h;
}

}  // namespace isms::server
