#include "isms/domain/views/evidence.hpp"

#include <algorithm>
#include <array>

#include "support.hpp"

namespace isms::domain::views {

namespace {

namespace ev = evidence;

constexpr std::array kinds{ev::subject_kind::risk,      ev::subject_kind::control,  ev::subject_kind::nonconformity,
                           ev::subject_kind::audit,     ev::subject_kind::objective, ev::subject_kind::review,
                           ev::subject_kind::document,  ev::subject_kind::incident, ev::subject_kind::supplier,
                           ev::subject_kind::asset};

std::string day_text(const std::optional<date>& d) { return d ? format_date(*d) : std::string{}; }

std::string size_text(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024) return std::to_string((bytes + 512) / 1024) + " KiB";
  return std::to_string((bytes + 512 * 1024) / (1024 * 1024)) + " MiB";
}

}  // namespace

evidence::state evidence_state_of(const evidence_entry& x) {
  ev::state s = ev::initial_state();
  s.version = x.version;
  s.exists = !x.evidence_id.empty();
  s.evidence_id = x.evidence_id;
  s.kind = enum_named(kinds, x.subject_kind, ev::subject_kind::risk);
  s.subject_id = x.subject_id;
  s.part = x.part;
  s.purpose = x.purpose;
  s.content = {x.digest, x.name, x.media_type, x.size};
  s.owner = x.owner;
  s.attached_by = x.attached_by;
  s.review_by = parse_date(x.review_by);
  s.withdrawn = x.withdrawn;
  return s;
}

void fold_evidence(evidence_view& v, const recorded_event& e, const evidence::event& event) {
  evidence_entry& x = entry_of(v.files, e);
  const ev::state s = ev::evolve(evidence_state_of(x), event);
  x.version = e.version;
  x.changed = change_of(e);
  x.evidence_id = s.evidence_id;
  x.subject_kind = ev::to_string(s.kind);
  x.subject_id = s.subject_id;
  x.part = s.part;
  x.purpose = s.purpose;
  x.digest = s.content.digest;
  x.name = s.content.name;
  x.media_type = s.content.media_type;
  x.size = s.content.size;
  x.owner = s.owner;
  x.attached_by = s.attached_by;
  x.review_by = day_text(s.review_by);
  x.withdrawn = s.withdrawn;
  std::visit(overloaded{
                 [&](const ev::attached& a) {
                   x.attached_on = format_date(a.attached_on);
                   x.attached_position = e.position;
                   const std::string part =
                       a.part.empty() ? std::string{} : " (" + std::string(ev::part_name(a.kind)) + " " + a.part + ")";
                   x.history.push_back(history_of(e, "attached to " + x.subject_kind + " " + x.subject_id + part + ": " +
                                                         a.content.name + " (" + size_text(a.content.size) + ")",
                                                  a.purpose));
                 },
                 [&](const ev::reviewed& r) {
                   x.reviewed_on = format_date(r.reviewed_on);
                   x.reviewed_by = r.reviewed_by;
                   x.history.push_back(history_of(
                       e, r.review_by ? "reviewed; next review by " + format_date(*r.review_by) : "reviewed",
                       r.note));
                 },
                 [&](const ev::withdrawn& w) {
                   x.withdrawn_on = format_date(w.withdrawn_on);
                   x.withdrawn_by = w.withdrawn_by;
                   x.withdrawn_reason = w.reason;
                   x.history.push_back(history_of(e, "withdrawn", w.reason));
                 },
             },
             event);
}

std::string evidence_status(const evidence_entry& x, date today) {
  if (x.withdrawn) return "withdrawn";
  return ev::stale(evidence_state_of(x), today) ? "stale" : "current";
}

ISMS_WIRE_MEMBERS(evidence_entry, id, stream, evidence_id, subject_kind, subject_id, part, purpose, digest, name, media_type,
                  size, owner, attached_on, attached_by, review_by, reviewed_on, reviewed_by, withdrawn, withdrawn_on,
                  withdrawn_by, withdrawn_reason, version)

json evidence_json(const evidence_entry& x, date today) {
  json j = wire_members(x);
  const ev::state s = evidence_state_of(x);
  j["status"] = evidence_status(x, today);
  j["review_due"] = ev::review_due(s, today);
  j["last_change"] = x.changed;
  j["allowed_commands"] = ev::admitted_commands(s);
  j["download"] = "/api/evidence-files/" + x.evidence_id;
  j["part_name"] = std::string(ev::part_name(enum_named(kinds, x.subject_kind, ev::subject_kind::risk)));
  return j;
}

std::expected<json, rejection> query_evidence(const evidence_view& v, const json& params, date today) {
  support::query_params p(params);
  const auto kind = p.choice("subject_kind", {"risk", "control", "nonconformity", "audit", "objective", "review",
                                              "document", "incident", "supplier", "asset"});
  const auto subject = p.text("subject_id", 64);
  const auto part = p.text("part", 64);
  const auto owner = p.text("owner");
  const auto status = p.choice("status", {"current", "stale", "withdrawn"});
  const auto digest = p.text("digest", 64);
  if (!p.ok()) return p.failure();
  std::vector<const evidence_entry*> rows;
  json counts = {{"current", 0}, {"stale", 0}, {"withdrawn", 0}};
  std::size_t review_due = 0;
  for (const auto& [_, x] : v.files) {
    if (x.evidence_id.empty()) continue;
    if (!kind.empty() && x.subject_kind != kind) continue;
    if (!subject.empty() && x.subject_id != subject) continue;
    if (!part.empty() && x.part != part) continue;
    if (!owner.empty() && x.owner != owner) continue;
    if (!digest.empty() && x.digest != digest) continue;
    const std::string st = evidence_status(x, today);
    counts[st] = counts[st].get<int>() + 1;
    if (ev::review_due(evidence_state_of(x), today)) ++review_due;
    if (!status.empty() && st != status) continue;
    rows.push_back(&x);
  }
  // Newest first: the order in which they were attached.
  std::ranges::sort(rows, [](const evidence_entry* a, const evidence_entry* b) {
    return a->attached_position > b->attached_position;
  });
  json list = json::array();
  for (const auto* x : rows) list.push_back(evidence_json(*x, today));
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"evidence", std::move(list)}, {"count", count}, {"by_status", counts}, {"review_due", review_due}};
}

}  // namespace isms::domain::views
