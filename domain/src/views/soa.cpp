#include "isms/domain/views/soa.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "isms/domain/annex_a.hpp"
#include "isms/domain/views/risk_register.hpp"
#include "support.hpp"

namespace isms::domain::views {

namespace {

json entry_json(const soa::entry& e) {
  return {{"decided", e.decided},
          {"applicable", e.applicable},
          {"justification", e.justification},
          {"status", soa::to_string(e.status)},
          {"linked_risks", e.linked_risks}};
}

soa::entry entry_from(const json& j) {
  soa::entry e;
  e.decided = j.at("decided").get<bool>();
  e.applicable = j.at("applicable").get<bool>();
  e.justification = j.at("justification").get<std::string>();
  e.status = soa::implementation_from_string(j.at("status").get<std::string>())
                 .value_or(soa::implementation::not_started);
  e.linked_risks = j.at("linked_risks").get<std::vector<std::string>>();
  return e;
}

json entries_json(const std::vector<soa::entry>& v) {
  json out = json::array();
  for (const auto& e : v) out.push_back(entry_json(e));
  return out;
}

std::vector<soa::entry> entries_from(const json& j) {
  std::vector<soa::entry> out;
  for (const auto& e : j) out.push_back(entry_from(e));
  return out;
}

std::string applicability(const soa::entry& e) {
  if (!e.decided) return "undecided";
  return e.applicable ? "applicable" : "excluded";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

json to_json(const soa_view& v) {
  return {{"entries", entries_json(v.entries)},
          {"version", v.version},
          {"pending_approval_id", v.pending_approval_id},
          {"proposed_version", v.proposed_version},
          {"pending_hash", v.pending_hash},
          {"published_version", v.published_version},
          {"published_hash", v.published_hash},
          {"published_entries", entries_json(v.published_entries)},
          {"published_at", v.published_at},
          {"published_by", v.published_by},
          {"entry_changed", v.entry_changed},
          {"changed", v.changed},
          {"history", v.history}};
}

std::expected<soa_view, std::string> soa_view_from_json(const json& j) {
  try {
    soa_view v;
    v.entries = entries_from(j.at("entries"));
    v.version = j.at("version").get<std::uint64_t>();
    v.pending_approval_id = j.at("pending_approval_id").get<std::string>();
    v.proposed_version = j.at("proposed_version").get<int>();
    v.pending_hash = j.at("pending_hash").get<std::string>();
    v.published_version = j.at("published_version").get<int>();
    v.published_hash = j.at("published_hash").get<std::string>();
    v.published_entries = entries_from(j.at("published_entries"));
    v.published_at = j.at("published_at").get<std::string>();
    v.published_by = j.at("published_by").get<std::vector<std::string>>();
    v.entry_changed = j.at("entry_changed").get<std::map<std::string, last_change>>();
    v.changed = j.at("changed").get<last_change>();
    v.history = j.at("history").get<std::vector<history_entry>>();
    return v;
  } catch (const std::exception& ex) {
    return std::unexpected(std::string("soa: ") + ex.what());
  }
}

soa::state soa_state_of(const soa_view& v) {
  soa::state s = soa::initial_state();
  s.entries = v.entries;
  s.version = v.version;
  if (!v.pending_approval_id.empty()) {
    soa::publication_requested p;
    p.proposed_version = v.proposed_version;
    p.content_hash = v.pending_hash;
    p.approval.approval_id = v.pending_approval_id;
    s.pending = std::move(p);
  }
  s.published_version = v.published_version;
  s.published_hash = v.published_hash;
  return s;
}

void fold_soa(soa_view& v, const recorded_event& e, const soa::event& ev) {
  const soa::state s = soa::evolve(soa_state_of(v), ev);
  v.entries = s.entries;
  v.version = e.version;
  v.pending_approval_id = s.pending ? s.pending->approval.approval_id : std::string{};
  v.proposed_version = s.pending ? s.pending->proposed_version : 0;
  v.pending_hash = s.pending ? s.pending->content_hash : std::string{};
  v.published_version = s.published_version;
  v.published_hash = s.published_hash;
  v.changed = change_of(e);
  std::visit(overloaded{
                 [&](const soa::control_decided& x) {
                   v.entry_changed[x.control_id] = change_of(e);
                   v.history.push_back(history_of(
                       e, "control " + x.control_id + (x.applicable ? " applicable" : " excluded"),
                       x.justification));
                 },
                 [&](const soa::implementation_status_set& x) {
                   v.entry_changed[x.control_id] = change_of(e);
                   v.history.push_back(history_of(
                       e, "control " + x.control_id + " " + std::string(soa::to_string(x.status)), x.comment));
                 },
                 [&](const soa::publication_requested& x) {
                   v.history.push_back(history_of(
                       e, "publication of version " + std::to_string(x.proposed_version) + " requested",
                       x.comment));
                 },
                 [&](const soa::published& x) {
                   v.published_entries = v.entries;
                   v.published_at = format_instant(e.meta.recorded_at);
                   v.published_by = x.approvers;
                   v.history.push_back(history_of(e, "version " + std::to_string(x.version) + " published",
                                                  x.comment));
                 },
                 [&](const soa::publication_rejected& x) {
                   v.history.push_back(history_of(e, "publication rejected by " + x.rejected_by, x.comment));
                 },
             },
             ev);
}

json soa_subject_content(const soa_view& v) { return soa::content(soa_state_of(v)); }

std::expected<json, rejection> query_soa(const soa_view& v, const risk_register& risks, const json& params) {
  if (auto bad = support::check_params(params)) return std::unexpected(*bad);
  auto theme = support::choice_param(params, "theme", {"organizational", "people", "physical", "technological"});
  if (!theme) return std::unexpected(theme.error());
  auto appl = support::choice_param(params, "applicability", {"applicable", "excluded", "undecided"});
  if (!appl) return std::unexpected(appl.error());
  auto status = support::choice_param(params, "status", {"not_started", "planned", "partial", "implemented"});
  if (!status) return std::unexpected(status.error());
  bool differs_only = false;
  if (params.is_object() && params.contains("differs_only") && !params.at("differs_only").is_null()) {
    if (!params.at("differs_only").is_boolean())
      return support::bad_param("differs_only", "must be true or false");
    differs_only = params.at("differs_only").get<bool>();
  }

  // Control id → the live risks whose treatment plans link it.
  std::map<std::string, std::set<std::string>> treated_by;
  for (const auto& [id, r] : risks.risks)
    if (r.state != "retired")
      for (const auto& c : r.controls) treated_by[c].insert(id);

  const auto cat = annex_a::catalogue();
  const bool published = v.published_version > 0;
  json themes = json::array();
  json counts = {{"applicable", 0}, {"excluded", 0}, {"undecided", 0}, {"implemented", 0}, {"total", 0}};
  std::size_t differing = 0;
  std::string current_theme;
  for (std::size_t i = 0; i < cat.size() && i < v.entries.size(); ++i) {
    const auto& c = cat[i];
    const auto& en = v.entries[i];
    const bool differs = published ? (i >= v.published_entries.size() || !(v.published_entries[i] == en))
                                   : en.decided;
    if (differs) ++differing;
    const std::string th = lower(annex_a::to_string(c.theme_));
    const std::string ap = applicability(en);
    counts[ap] = counts[ap].get<int>() + 1;
    counts["total"] = counts["total"].get<int>() + 1;
    if (en.decided && en.applicable && en.status == soa::implementation::implemented)
      counts["implemented"] = counts["implemented"].get<int>() + 1;
    if (!theme->empty() && th != *theme) continue;
    if (!appl->empty() && ap != *appl) continue;
    if (!status->empty() && soa::to_string(en.status) != *status) continue;
    if (differs_only && !differs) continue;

    std::set<std::string> linked(en.linked_risks.begin(), en.linked_risks.end());
    const auto t = treated_by.find(std::string(c.id));
    if (t != treated_by.end()) linked.insert(t->second.begin(), t->second.end());
    json control{{"id", c.id},
                 {"title", c.title},
                 {"theme", th},
                 {"applicability", ap},
                 {"applicable", en.decided ? json(en.applicable) : json(nullptr)},
                 {"justification", en.justification},
                 {"implementation_status", soa::to_string(en.status)},
                 {"linked_risks", std::vector<std::string>(linked.begin(), linked.end())},
                 {"soa_linked_risks", en.linked_risks},
                 {"treating_risks", t == treated_by.end() ? std::vector<std::string>{}
                                                           : std::vector<std::string>(t->second.begin(), t->second.end())},
                 {"differs_from_published", differs}};
    const auto ch = v.entry_changed.find(std::string(c.id));
    control["last_change"] = ch == v.entry_changed.end() ? json(nullptr) : json(ch->second);
    if (themes.empty() || current_theme != th) {
      themes.push_back({{"theme", th}, {"title", annex_a::to_string(c.theme_)}, {"controls", json::array()}});
      current_theme = th;
    }
    themes.back()["controls"].push_back(std::move(control));
  }
  return json{{"themes", themes},
              {"counts", counts},
              {"published_version", v.published_version},
              {"published_hash", v.published_hash},
              {"published_at", v.published_at},
              {"published_by", v.published_by},
              {"pending_approval_id", v.pending_approval_id},
              {"proposed_version", v.proposed_version},
              {"differs_from_published", differing > 0},
              {"differing_controls", differing},
              {"version", v.version},
              {"last_change", v.changed}};
}

}  // namespace isms::domain::views
