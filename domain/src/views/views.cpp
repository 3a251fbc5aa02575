#include "isms/domain/views/views.hpp"

#include <algorithm>

#include "isms/domain/approval.hpp"
#include "isms/domain/asset.hpp"
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/user.hpp"
#include "binary_codec.hpp"
#include "support.hpp"
#include "../wire_fields.hpp"

namespace isms::domain::views {

namespace {

// Which stream an event type's aggregate writes to: the prefix of the type
// ("risk" of "risk.assessed.v1") and the stream it must be recorded on.
struct event_home {
  std::string_view type_prefix;
  std::string_view stream_prefix;  // "<kind>-", or the whole singleton stream
  bool singleton;
  stored_view view;  // the view its events fold into
};

constexpr event_home homes[] = {
    {"risk", "risk-", false, stored_view::risks},
    {"risk_matrix", "config-risk-matrix", true, stored_view::risks},
    {"user", "user-", false, stored_view::users},
    {"approval", "approval-", false, stored_view::approvals},
    {"soa", "soa-main", true, stored_view::soa},
    {"scope", "scope-main", true, stored_view::scope},
    {"document", "document-", false, stored_view::documents},
    {"objective", "objective-", false, stored_view::objectives},
    {"nc", "nc-", false, stored_view::nonconformities},
    {"audit", "audit-", false, stored_view::audits},
    {"review", "review-", false, stored_view::reviews},
    {"incident", "incident-", false, stored_view::incidents},
    {"supplier", "supplier-", false, stored_view::suppliers},
    {"asset", "asset-", false, stored_view::assets},
    {"classification", "config-classification", true, stored_view::assets},
    {"evidence", "evidence-", false, stored_view::evidence},
};

const event_home* home_of(std::string_view type) {
  const auto dot = type.find('.');
  if (dot == std::string_view::npos) return nullptr;
  const auto prefix = type.substr(0, dot);
  for (const auto& h : homes)
    if (h.type_prefix == prefix) return &h;
  return nullptr;
}

bool on_home_stream(const event_home& h, std::string_view stream) {
  if (h.singleton) return stream == h.stream_prefix;
  return stream.size() > h.stream_prefix.size() && stream.starts_with(h.stream_prefix);
}

// Decodes with the aggregate's own decoder and folds into its view; the
// decoder's error otherwise.
template <class Decode, class Fold>
std::optional<std::string> apply(const recorded_event& e, Decode decode, Fold fold) {
  auto ev = decode(e.type, e.data);
  if (!ev) return ev.error();
  fold(*ev);
  return std::nullopt;
}

std::optional<std::string> fold_event(all_views& v, const recorded_event& e) {
  const event_home* h = home_of(e.type);
  if (h == nullptr) return "unknown event type '" + e.type + "'";
  if (!on_home_stream(*h, e.stream))
    return "event type '" + e.type + "' does not belong on stream '" + e.stream + "'";
  const std::string_view p = h->type_prefix;
  if (p == "risk") return apply(e, risk::decode, [&](const risk::event& x) { fold_risk(v.risks, e, x); });
  if (p == "risk_matrix")
    return apply(e, risk_matrix::decode, [&](const risk_matrix::event& x) { fold_risk_matrix(v.risks, e, x); });
  if (p == "user") return apply(e, user::decode, [&](const user::event& x) { fold_user(v.users, e, x); });
  if (p == "approval")
    return apply(e, approval::decode, [&](const approval::event& x) { fold_approval(v.approvals, e, x, v.keep_history); });
  if (p == "soa") return apply(e, soa::decode, [&](const soa::event& x) { fold_soa(v.soa, e, x); });
  if (p == "scope") return apply(e, scope::decode, [&](const scope::event& x) { fold_scope(v.scope, e, x); });
  if (p == "document")
    return apply(e, document::decode, [&](const document::event& x) { fold_document(v.documents, e, x); });
  if (p == "objective")
    return apply(e, objective::decode, [&](const objective::event& x) { fold_objective(v.objectives, e, x); });
  if (p == "nc")
    return apply(e, nonconformity::decode,
                 [&](const nonconformity::event& x) { fold_nonconformity(v.nonconformities, e, x); });
  if (p == "asset") return apply(e, asset::decode, [&](const asset::event& x) { fold_asset(v.assets, e, x); });
  if (p == "classification")
    return apply(e, classification_scheme::decode,
                 [&](const classification_scheme::event& x) { fold_classification_scheme(v.assets, e, x); });
  if (p == "evidence")
    return apply(e, evidence::decode, [&](const evidence::event& x) { fold_evidence(v.evidence, e, x); });
  if (p == "supplier")
    return apply(e, supplier::decode, [&](const supplier::event& x) { fold_supplier(v.suppliers, e, x); });
  if (p == "incident")
    return apply(e, incident::decode, [&](const incident::event& x) { fold_incident(v.incidents, e, x); });
  if (p == "audit")
    return apply(e, internal_audit::decode, [&](const internal_audit::event& x) { fold_audit(v.audits, e, x); });
  if (p == "review")
    return apply(e, management_review::decode, [&](const management_review::event& x) {
      fold_review(v.reviews, e, x);
      if (std::holds_alternative<management_review::inputs_assembled>(x)) {
        // What the next review's pack will compare against.
        review_entry& r = v.reviews.reviews[id_in_stream(e.stream)];
        r.baseline = review_baseline(v);
        r.baseline_position = e.position;
      }
    });
  return "unknown event type '" + e.type + "'";
}

}  // namespace

view_set views_read_by(std::string_view view) {
  // Each of these queries reads its own view (soa also the risk register),
  // and the folds of these views read nothing but their own view and the
  // event. The approvals fold reads its subjects' views, the reviews fold
  // all of them (a review's baseline), the activity feed every title: those
  // and the views that combine several need every view.
  using enum stored_view;
  if (view == "risks" || view == "risk") return {risks};
  if (view == "soa") return {soa, risks, evidence};
  if (view == "objectives") return {objectives};
  if (view == "nonconformities" || view == "nonconformity") return {nonconformities};
  if (view == "documents" || view == "document") return {documents};
  if (view == "audits") return {audits};
  if (view == "scope") return {scope};
  if (view == "users") return {users};
  if (view == "incidents" || view == "incident") return {incidents};
  if (view == "suppliers" || view == "supplier") return {suppliers};
  if (view == "assets" || view == "asset") return {assets};
  if (view == "evidence") return {evidence};
  return view_set::every();
}

bool folds_into(view_set held, std::string_view type) {
  // Every event leaves a line in the feed and may carry an approval request.
  if (held.has(stored_view::activity) || held.has(stored_view::approvals)) return true;
  const event_home* h = home_of(type);
  return h != nullptr && held.has(h->view);
}

std::string subject_title(const all_views& v, const std::string& stream) {
  const std::string id = id_in_stream(stream);
  const auto cut = [](std::string s) {
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
  };
  if (stream.starts_with("risk-"))
    if (auto it = v.risks.risks.find(id); it != v.risks.risks.end()) return cut(it->second.title);
  if (stream.starts_with("document-"))
    if (auto it = v.documents.documents.find(id); it != v.documents.documents.end()) return cut(it->second.title);
  if (stream.starts_with("objective-"))
    if (auto it = v.objectives.objectives.find(id); it != v.objectives.objectives.end()) {
      const auto& o = it->second;
      return cut(o.has_in_force ? o.in_force.statement : o.proposal.statement);
    }
  if (stream.starts_with("nc-"))
    if (auto it = v.nonconformities.ncs.find(id); it != v.nonconformities.ncs.end())
      return cut(it->second.description);
  if (stream.starts_with("user-"))
    if (auto it = v.users.users.find(id); it != v.users.users.end()) return cut(it->second.name);
  if (stream.starts_with("approval-"))
    if (auto it = v.approvals.approvals.find(id); it != v.approvals.approvals.end()) return cut(it->second.summary);
  if (stream.starts_with("audit-"))
    if (auto it = v.audits.audits.find(id); it != v.audits.audits.end()) return cut(it->second.area);
  if (stream.starts_with("incident-"))
    if (auto it = v.incidents.incidents.find(id); it != v.incidents.incidents.end()) return cut(it->second.title);
  if (stream.starts_with("supplier-"))
    if (auto it = v.suppliers.suppliers.find(id); it != v.suppliers.suppliers.end()) return cut(it->second.terms.name);
  if (stream.starts_with("asset-"))
    if (auto it = v.assets.assets.find(id); it != v.assets.assets.end()) return cut(it->second.name);
  if (stream.starts_with("evidence-"))
    if (auto it = v.evidence.files.find(id); it != v.evidence.files.end()) return cut(it->second.name);
  return {};
}

namespace {

bool holds(const actor& a, std::initializer_list<role> rs) {
  for (role r : rs)
    if (a.has(r)) return true;
  return false;
}

// Each control of a `soa` answer gains its evidence files' counts by status
// ("evidence": {current, stale, withdrawn}): a control whose evidence is all
// stale shows it.
void note_control_evidence(json& answer, const evidence_view& files, date today) {
  std::map<std::string, json, std::less<>> by_control;
  for (const auto& [_, x] : files.files) {
    if (x.subject_kind != "control" || x.evidence_id.empty()) continue;
    json& counts = by_control.try_emplace(x.subject_id, json{{"current", 0}, {"stale", 0}, {"withdrawn", 0}})
                       .first->second;
    const std::string status = evidence_status(x, today);
    counts[status] = counts[status].get<int>() + 1;
  }
  const json none{{"current", 0}, {"stale", 0}, {"withdrawn", 0}};
  auto themes = answer.find("themes");
  if (themes == answer.end() || !themes->is_array()) return;
  for (auto& theme : *themes)
    for (auto& control : theme["controls"]) {
      const auto it = by_control.find(control.value("id", ""));
      control["evidence"] = it == by_control.end() ? none : it->second;
    }
}

std::expected<json, rejection> query_review_pack(const all_views& v, const json& params, date today) {
  support::query_params p(params);
  const review_entry* r = p.entry(v.reviews.reviews, "review", "management review");
  if (!p.ok()) return p.failure();
  const review_entry* prev = previous_review(v.reviews, *r, v.position);
  json pack = review_pack(prev ? prev->baseline : json(nullptr), prev ? prev->id : std::string{}, v, r->id, today);
  return json{{"id", r->id}, {"previous_review_position", prev ? prev->baseline_position : 0}, {"pack", std::move(pack)}};
}

// The history of the entity living on `stream`, or nullptr.
std::vector<history_entry>* history_on(all_views& v, std::string_view stream) {
  const std::string id = id_in_stream(stream);
  const auto in = [&id](auto& map) -> std::vector<history_entry>* {
    auto it = map.find(id);
    return it == map.end() ? nullptr : &it->second.history;
  };
  if (stream.starts_with("risk-")) return in(v.risks.risks);
  if (stream.starts_with("document-")) return in(v.documents.documents);
  if (stream.starts_with("nc-")) return in(v.nonconformities.ncs);
  if (stream.starts_with("objective-")) return in(v.objectives.objectives);
  if (stream.starts_with("audit-")) return in(v.audits.audits);
  if (stream.starts_with("review-")) return in(v.reviews.reviews);
  if (stream.starts_with("incident-")) return in(v.incidents.incidents);
  if (stream.starts_with("supplier-")) return in(v.suppliers.suppliers);
  if (stream.starts_with("asset-")) return in(v.assets.assets);
  if (stream.starts_with("evidence-")) return in(v.evidence.files);
  if (stream == soa::stream_id) return &v.soa.history;
  if (stream == scope::stream_id) return &v.scope.history;
  return nullptr;
}

}  // namespace

all_views initial_views() { return all_views{}; }

std::string history_stream(std::string_view view, const json& answer) {
  if (view == "scope") return std::string(scope::stream_id);
  if (view != "risk" && view != "document" && view != "nonconformity" && view != "incident" &&
      view != "supplier" && view != "asset")
    return {};
  if (!answer.is_object()) return {};
  auto stream = answer.find("stream");
  return stream != answer.end() && stream->is_string() ? stream->get<std::string>() : std::string{};
}

json stream_history(std::span<const recorded_event> events) {
  if (events.empty()) return json::array();
  all_views v;
  for (const auto& e : events) evolve_in_place(v, e);
  const auto* h = history_on(v, events.front().stream);
  return h ? json(*h) : json::array();
}

all_views evolve(all_views v, const recorded_event& e) {
  evolve_in_place(v, e);
  return v;
}

void evolve_in_place(all_views& v, const recorded_event& e) {
  if (e.position != 0 && e.position <= v.position) return;  // already folded
  v.position = e.position;
  v.as_of = e.meta.recorded_at;
  if (!v.held.whole() && !folds_into(v.held, e.type)) return;
  std::optional<std::string> error;
  try {
    error = fold_event(v, e);
    if (!error && v.held.has(stored_view::approvals) && !e.stream.starts_with("approval-") && e.data.is_object() &&
        e.data.contains("approval")) {
      // A subject asked for approval: remember what it put to the reviewers.
      if (auto req = parse_approval_request(e.data.at("approval"), "approval"))
        note_approval_request(v.approvals, e, *req, subject_content(v, e.stream));
    }
  } catch (const std::exception& ex) {
    error = std::string("malformed event: ") + ex.what();
  }
  if (error) {
    ++v.skipped;
    v.skipped_recent.push_back(skipped_event{e.position, e.stream, e.type, *error});
    while (v.skipped_recent.size() > skipped_kept) v.skipped_recent.pop_front();
  }
  if (e.position >= v.activity_from && v.held.has(stored_view::activity))
    fold_activity(v.activity, e, error ? std::string{} : subject_title(v, e.stream), !error);
  if (!v.keep_history)
    if (auto* h = history_on(v, e.stream)) {
      h->clear();
      h->shrink_to_fit();
    }
}

namespace {

// Each view a snapshot holds, under its name in the snapshot: the one list
// the snapshot codecs write and read. `Views` is all_views, const or not.
template <class Views, class F>
void each_stored_view(Views& v, F&& f) {
  using enum stored_view;
  f("risks", risks, v.risks);
  f("soa", soa, v.soa);
  f("objectives", objectives, v.objectives);
  f("nonconformities", nonconformities, v.nonconformities);
  f("approvals", approvals, v.approvals);
  f("documents", documents, v.documents);
  f("audits", audits, v.audits);
  f("reviews", reviews, v.reviews);
  f("scope", scope, v.scope);
  f("users", users, v.users);
  f("incidents", incidents, v.incidents);
  f("suppliers", suppliers, v.suppliers);
  f("assets", assets, v.assets);
  f("evidence", evidence, v.evidence);
  f("activity", activity, v.activity);
}

}  // namespace

json snapshot(const all_views& v) {
  json j{{"format", snapshot_format},
         {"position", v.position},
         {"as_of", format_instant(v.as_of)},
         {"skipped", v.skipped},
         {"skipped_recent", v.skipped_recent}};
  each_stored_view(v, [&j](const char* name, stored_view, const auto& view) { j[name] = view; });
  return j;
}

std::expected<all_views, std::string> restore_snapshot(const json& j) {
  if (!j.is_object()) return std::unexpected("snapshot: must be a JSON object");
  const auto format = j.find("format");
  if (format == j.end() || !format->is_number_integer() || format->get<int>() != snapshot_format)
    return std::unexpected("snapshot: format must be " + std::to_string(snapshot_format));
  all_views v;
  std::string part = "position";
  try {
    v.position = j.at("position").get<std::uint64_t>();
    part = "as_of";
    const auto as_of = parse_instant(j.at("as_of").get<std::string>());
    if (!as_of) return std::unexpected("snapshot: as_of is not an instant");
    v.as_of = *as_of;
    part = "skipped";
    v.skipped = j.at("skipped").get<std::uint64_t>();
    v.skipped_recent = j.at("skipped_recent").get<std::deque<skipped_event>>();
    // `part` names the view that failed.
    each_stored_view(v, [&](const char* name, stored_view, auto& view) {
      part = name;
      j.at(part).get_to(view);
    });
  } catch (const std::exception& ex) {
    return std::unexpected("snapshot: " + part + ": " + ex.what());
  }
  return v;
}

namespace {

// The binary snapshot's header: a tag no MessagePack or JSON document starts
// with, the format, and the fingerprint of the views' layout. Format 1 wrote
// the views one after the other; format 2 puts each in a section prefixed by
// its length (fixed64), so that a reader can step over the views it does not
// need.
constexpr std::string_view binary_magic = "\xffISMS-views";
constexpr std::uint64_t binary_format = 2;
constexpr std::uint64_t binary_format_unsectioned = 1;

// The layout of everything a binary snapshot holds after its header, in the
// order written: the skipped events kept, then each stored view by name.
std::uint64_t stored_fingerprint() {
  static const std::uint64_t fingerprint = [] {
    std::string text;
    binary::describe<std::deque<skipped_event>>(text);
    const all_views sample;
    each_stored_view(sample, [&text](const char* name, stored_view, const auto& view) {
      text += name;
      binary::describe<std::remove_cvref_t<decltype(view)>>(text);
    });
    return binary::fingerprint_of(text);
  }();
  return fingerprint;
}

}  // namespace

bool is_binary_snapshot(std::string_view bytes) { return bytes.starts_with(binary_magic); }

std::string encode_snapshot(const all_views& v, std::size_t size_hint) {
  binary::writer w;
  if (size_hint > 0) w.reserve(size_hint + size_hint / 8);
  w.raw(binary_magic);
  w.varint(binary_format);
  w.fixed64(stored_fingerprint());
  w.varint(v.position);
  binary::put(w, static_cast<std::int64_t>(v.as_of.time_since_epoch().count()));
  w.varint(v.skipped);
  binary::put(w, v.skipped_recent);
  each_stored_view(v, [&w](const char*, stored_view, const auto& view) {
    const std::size_t length_at = w.hold64();
    binary::put(w, view);
    w.fill64(length_at, w.size() - length_at - 8);
  });
  return std::move(w).take();
}

namespace {

// The header of a binary snapshot, up to the first section.
struct snapshot_header {
  bool sectioned = false;
  all_views v;  // position, as_of, skipped, skipped_recent
};

std::expected<snapshot_header, std::string> read_header(binary::reader& r) {
  snapshot_header h;
  const auto format = r.varint();
  if (r.failed()) return std::unexpected("snapshot: header: " + r.error());
  if (format != binary_format && format != binary_format_unsectioned)
    return std::unexpected("snapshot: binary format " + std::to_string(format) + " instead of " +
                           std::to_string(binary_format));
  h.sectioned = format == binary_format;
  if (r.fixed64() != stored_fingerprint())
    return std::unexpected("snapshot: written by a build whose views have another layout");
  h.v.position = r.varint();
  std::int64_t ms = 0;
  binary::get(r, ms);
  h.v.as_of = instant{std::chrono::milliseconds{ms}};
  h.v.skipped = r.varint();
  binary::get(r, h.v.skipped_recent);
  if (r.failed()) return std::unexpected("snapshot: header: " + r.error());
  return h;
}

}  // namespace

std::optional<std::size_t> snapshot_bytes_for(std::string_view prefix, view_set only) {
  if (!is_binary_snapshot(prefix)) return std::nullopt;
  binary::reader r(prefix.substr(binary_magic.size()));
  auto h = read_header(r);
  if (!h || !h->sectioned) return std::nullopt;
  std::size_t at = prefix.size() - r.remaining();  // where the next section's length is
  view_set done;
  std::optional<std::size_t> end;
  each_stored_view(h->v, [&](const char*, stored_view id, const auto&) {
    if (end || at == SIZE_MAX) return;
    if (done.covers(only)) {
      end = at;
      return;
    }
    if (at + 8 > prefix.size()) {
      at = SIZE_MAX;  // its length is not read yet
      return;
    }
    const std::uint64_t length = binary::reader(prefix.substr(at, 8)).fixed64();
    if (length > SIZE_MAX / 2) {
      at = SIZE_MAX;  // damaged: decode will say so, from the whole snapshot
      return;
    }
    at += 8 + static_cast<std::size_t>(length);
    if (only.has(id)) done = done.with(id);
  });
  if (!end && at != SIZE_MAX && done.covers(only)) end = at;  // the last section was needed
  return end;
}

std::expected<all_views, std::string> decode_snapshot(std::string_view bytes, view_set only) {
  if (!is_binary_snapshot(bytes)) return std::unexpected("snapshot: not a binary snapshot");
  binary::reader r(bytes.substr(binary_magic.size()));
  auto header = read_header(r);
  if (!header) return std::unexpected(header.error());
  const bool sectioned = header->sectioned;
  all_views v = std::move(header->v);
  std::string part = "header";
  std::string failure;
  // Of a snapshot with sections, only the bytes up to the last section asked
  // for are read (snapshot_bytes_for): what follows may be absent.
  view_set done;
  bool stopped = false;
  each_stored_view(v, [&](const char* name, stored_view id, auto& view) {
    if (r.failed() || !failure.empty() || stopped) return;
    if (sectioned && done.covers(only)) {
      stopped = true;
      return;
    }
    part = name;
    if (!sectioned) return binary::get(r, view);
    const std::uint64_t length = r.fixed64();
    if (length > r.remaining()) return r.fail("a section of " + std::to_string(length) + " bytes exceeds the bytes left");
    const std::string_view section = r.raw(static_cast<std::size_t>(length));
    if (!only.has(id)) return;
    done = done.with(id);
    binary::reader in(section);
    binary::get(in, view);
    if (in.failed()) failure = in.error();
    else if (in.remaining() != 0) failure = std::to_string(in.remaining()) + " bytes after the view";
  });
  if (r.failed()) return std::unexpected("snapshot: " + part + ": " + r.error());
  if (!failure.empty()) return std::unexpected("snapshot: " + part + ": " + failure);
  if (sectioned) v.held = only;
  if (!stopped && r.remaining() != 0)
    return std::unexpected("snapshot: " + std::to_string(r.remaining()) + " bytes after the last view");
  return v;
}

std::vector<std::string_view> view_names() {
  return {"risks",   "risk",    "soa",         "objectives", "nonconformities", "nonconformity",
          "inbox",   "approvals", "documents", "document",  "audits",          "reviews",
          "review_pack", "scope", "users",     "incidents", "incident",  "suppliers", "supplier", "assets", "asset", "evidence", "activity",   "due"};
}

json subject_content(const all_views& v, std::string_view stream) {
  const std::string id = id_in_stream(stream);
  if (stream.starts_with("risk-"))
    if (auto it = v.risks.risks.find(id); it != v.risks.risks.end()) return risk_subject_content(it->second);
  if (stream.starts_with("document-"))
    if (auto it = v.documents.documents.find(id); it != v.documents.documents.end())
      return document_subject_content(it->second);
  if (stream.starts_with("objective-"))
    if (auto it = v.objectives.objectives.find(id); it != v.objectives.objectives.end())
      return objective_subject_content(it->second);
  if (stream.starts_with("review-"))
    if (auto it = v.reviews.reviews.find(id); it != v.reviews.reviews.end()) return review_subject_content(it->second);
  if (stream.starts_with("supplier-"))
    if (auto it = v.suppliers.suppliers.find(id); it != v.suppliers.suppliers.end())
      return supplier_subject_content(it->second);
  if (stream.starts_with("asset-"))
    if (auto it = v.assets.assets.find(id); it != v.assets.assets.end()) return asset_subject_content(it->second);
  if (stream == soa::stream_id) return soa_subject_content(v.soa);
  if (stream == scope::stream_id) return scope_subject_content(v.scope);
  return nullptr;
}

std::expected<json, rejection> query(const all_views& v, std::string_view view, const json& params,
                                     const actor& viewer, date today, std::optional<row_window> window) {
  if (viewer.roles.empty())
    return std::unexpected(rejection{rejection_kind::forbidden, "", "the viewer holds no role"});
  if (auto bad = support::check_params(params)) return std::unexpected(*bad);
  std::expected<json, rejection> out = std::unexpected(rejection{});
  if (view == "risks") out = query_risks(v.risks, params, window);
  else if (view == "risk") out = query_risk(v.risks, params);
  else if (view == "soa") {
    out = query_soa(v.soa, v.risks, params);
    if (out) note_control_evidence(*out, v.evidence, today);
  }
  else if (view == "objectives") out = query_objectives(v.objectives, params, today);
  else if (view == "nonconformities") out = query_nonconformities(v.nonconformities, params, today);
  else if (view == "nonconformity") out = query_nonconformity(v.nonconformities, params, today);
  else if (view == "inbox") out = inbox_of(v, viewer, today);
  else if (view == "approvals") out = query_approvals(v.approvals, params, window);
  else if (view == "documents") out = query_documents(v.documents, params, today);
  else if (view == "document") out = query_document(v.documents, params, today);
  else if (view == "audits") out = query_audits(v.audits, params, today);
  else if (view == "reviews") out = query_reviews(v.reviews, params, today);
  else if (view == "review_pack") out = query_review_pack(v, params, today);
  else if (view == "scope") out = query_scope(v.scope, params);
  else if (view == "users") {
    out = query_users(v.users, params);
    // Identity only: contact details for those who manage users and the ISMS.
    if (out && !holds(viewer, {role::admin, role::isms_manager}))
      for (auto& u : (*out)["users"]) u.erase("email");
  } else if (view == "incidents") out = query_incidents(v.incidents, params);
  else if (view == "incident") out = query_incident(v.incidents, params);
  else if (view == "suppliers") out = query_suppliers(v.suppliers, params, today);
  else if (view == "supplier") out = query_supplier(v.suppliers, params, today);
  else if (view == "assets") out = query_assets(v.assets, params);
  else if (view == "asset") out = query_asset(v.assets, params);
  else if (view == "evidence") out = query_evidence(v.evidence, params, today);
  else if (view == "activity") out = query_activity(v.activity, params);
  else if (view == "due") out = due_at(v, today);
  else
    return std::unexpected(
        rejection{rejection_kind::invalid, "view", "unknown view '" + std::string(view) + "'"});
  if (!out) return out;
  (*out)["view"] = std::string(view);
  (*out)["position"] = v.position;
  (*out)["as_of"] = format_instant(v.as_of);
  (*out)["today"] = format_date(today);
  // Days a form suggests (a due date a month ahead, a review in a year),
  // counted with the domain's own month arithmetic (the same day of the
  // month, clamped to its last day), so no client counts months itself.
  json ahead = json::object();
  for (int m : {1, 2, 3, 6, 12}) ahead[std::to_string(m)] = format_date(wire::add_months(today, m));
  (*out)["months_ahead"] = std::move(ahead);
  return out;
}

}  // namespace isms::domain::views
