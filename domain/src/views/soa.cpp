#include "isms/domain/views/soa.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "isms/domain/annex_a.hpp"
#include "isms/domain/views/risk_register.hpp"
#include "support.hpp"

namespace isms::domain::soa {

void to_json(json& j, const entry& e) {
  j = {{"decided", e.decided},
       {"applicable", e.applicable},
       {"justification", e.justification},
       {"status", to_string(e.status)},
       {"linked_risks", e.linked_risks}};
}

void from_json(const json& j, entry& e) {
  e.decided = j.at("decided").get<bool>();
  e.applicable = j.at("applicable").get<bool>();
  e.justification = j.at("justification").get<std::string>();
  e.status = implementation_from_string(j.at("status").get<std::string>()).value_or(implementation::not_started);
  e.linked_risks = j.at("linked_risks").get<std::vector<std::string>>();
}

}  // namespace isms::domain::soa

namespace isms::domain::views {

namespace {

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

ISMS_WIRE_MEMBERS(soa_view, published_version, published_hash, published_at, published_by, pending_approval_id,
                  proposed_version, version)

std::expected<json, rejection> query_soa(const soa_view& v, const risk_register& risks, const json& params) {
  support::query_params p(params);
  const auto theme = p.choice("theme", {"organizational", "people", "physical", "technological"});
  const auto appl = p.choice("applicability", {"applicable", "excluded", "undecided"});
  const auto status = p.choice("status", {"not_started", "planned", "partial", "implemented"});
  if (!p.ok()) return p.failure();
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
    if (!theme.empty() && th != theme) continue;
    if (!appl.empty() && ap != appl) continue;
    if (!status.empty() && soa::to_string(en.status) != status) continue;
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
  json j = wire_members(v);
  j["themes"] = std::move(themes);
  j["counts"] = std::move(counts);
  j["differs_from_published"] = differing > 0;
  j["differing_controls"] = differing;
  j["last_change"] = v.changed;
  // What the SoA's state admits (the aggregate's own rule), the same for every reader.
  j["allowed_commands"] = soa::admitted_commands(soa_state_of(v));
  return j;
}

}  // namespace isms::domain::views
