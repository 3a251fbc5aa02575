#include "isms/domain/views/documents.hpp"

#include <array>

#include "support.hpp"

namespace isms::domain::views {

namespace {

constexpr std::array kinds{document::document_kind::policy, document::document_kind::procedure,
                           document::document_kind::record};
constexpr std::array levels{document::classification::public_use, document::classification::internal,
                            document::classification::confidential,
                            document::classification::restricted};
constexpr std::array outcomes{document::review_outcome::suitable,
                              document::review_outcome::revision_needed,
                              document::review_outcome::retirement_proposed};
constexpr std::array stages{document::stage::draft, document::stage::approval_requested,
                            document::stage::approved, document::stage::published};

std::optional<date> opt_day(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return parse_date(s);
}

// The entry's record of a document version, created on first sight.
document_version_entry& version_entry(document_entry& d, std::uint64_t n) {
  for (auto& v : d.versions)
    if (v.document_version == n) return v;
  d.versions.push_back(document_version_entry{});
  d.versions.back().document_version = n;
  return d.versions.back();
}

ISMS_WIRE_MEMBERS(document_entry, id, stream, document_id, kind, title, owner, classification,
                  review_interval_months, pending_approval_id, published_sha256, published_on, last_reviewed_on,
                  last_review_outcome, last_reviewed_by, retired, retired_reason, versions, version)

json document_json(const document_entry& d, date today, bool include_text) {
  const std::string due = document_review_due(d);
  json j = wire_members(d);
  j["working_version"] = d.document_version;
  j["working_sha256"] = d.content_sha256;
  j["state"] = d.retired ? std::string("retired") : d.working;
  j["approval_state"] = d.working;
  j["published_version"] = d.has_published ? json(d.published_version) : json(nullptr);
  j["review_due_on"] = due;
  j["review_due"] = !due.empty() && due <= format_date(today);
  j["last_change"] = d.changed;
  // What the document's state admits (the aggregate's own rule); the same
  // for every reader, so a shared reply stays right.
  j["allowed_commands"] = document::admitted_commands(document_state_of(d));
  if (include_text) {
    j["text"] = d.text;
    j["published_text"] = d.published_text;
  }
  return j;
}

}  // namespace

document::state document_state_of(const document_entry& d) {
  document::state s = document::initial_state();
  s.version = d.version;
  s.exists = !d.document_id.empty();
  s.retired = d.retired;
  s.document_id = d.document_id;
  s.kind = enum_named(kinds, d.kind, document::document_kind::policy);
  s.about = {d.title, d.owner, enum_named(levels, d.classification, document::classification::internal),
             d.review_interval_months};
  s.document_version = d.document_version;
  s.text = d.text;
  s.content_sha256 = d.content_sha256;
  s.working = enum_named(stages, d.working, document::stage::draft);
  s.pending_approval_id = d.pending_approval_id;
  if (d.has_published)
    s.in_force = document::version_in_force{d.published_version, d.published_text, d.published_sha256,
                                            opt_day(d.published_on).value_or(date{})};
  s.last_reviewed_on = opt_day(d.last_reviewed_on);
  if (!d.last_review_outcome.empty())
    s.last_review_outcome = enum_named(outcomes, d.last_review_outcome, document::review_outcome::suitable);
  return s;
}

void fold_document(documents_view& v, const recorded_event& e, const document::event& ev) {
  document_entry& d = entry_of(v.documents, e);
  // The aggregate's own evolve decides the state; the entry mirrors it.
  const document::state s = document::evolve(document_state_of(d), ev);
  d.document_id = s.document_id;
  d.kind = document::to_string(s.kind);
  d.title = s.about.title;
  d.owner = s.about.owner;
  d.classification = document::to_string(s.about.level);
  d.review_interval_months = s.about.review_interval_months;
  const std::uint64_t previous_working = d.document_version;
  d.document_version = s.document_version;
  d.text = s.text;
  d.content_sha256 = s.content_sha256;
  d.working = document::to_string(s.working);
  d.pending_approval_id = s.pending_approval_id;
  d.has_published = s.in_force.has_value();
  if (s.in_force) {
    d.published_version = s.in_force->document_version;
    d.published_text = s.in_force->text;
    d.published_sha256 = s.in_force->content_sha256;
    d.published_on = format_date(s.in_force->published_on);
  }
  d.last_reviewed_on = s.last_reviewed_on ? format_date(*s.last_reviewed_on) : std::string{};
  d.last_review_outcome = s.last_review_outcome ? std::string(document::to_string(*s.last_review_outcome)) : "";
  d.retired = s.retired;
  d.version = e.version;
  d.changed = change_of(e);

  std::visit(overloaded{
                 [&](const document::drafted& x) {
                   auto& ver = version_entry(d, 1);
                   ver = {1, x.content_sha256, x.change_note, format_instant(e.meta.recorded_at),
                          e.meta.actor, "draft", {}, ""};
                   d.history.push_back(history_of(e, "drafted " + d.kind + " \"" + x.about.title + "\" v1",
                                                  x.change_note));
                 },
                 [&](const document::revised& x) {
                   if (x.document_version != previous_working)
                     for (auto& ver : d.versions)
                       if (ver.state == "draft" || ver.state == "approval_requested" || ver.state == "rejected")
                         ver.state = "superseded";
                   auto& ver = version_entry(d, x.document_version);
                   ver.content_sha256 = x.content_sha256;
                   ver.change_note = x.change_note;
                   ver.drafted_at = format_instant(e.meta.recorded_at);
                   ver.drafted_by = e.meta.actor;
                   ver.state = "draft";
                   ver.approved_by.clear();
                   d.history.push_back(history_of(e, "revised v" + std::to_string(x.document_version), x.change_note));
                 },
                 [&](const document::approval_requested& x) {
                   version_entry(d, x.document_version).state = "approval_requested";
                   d.history.push_back(history_of(e, "approval requested for v" +
                                                         std::to_string(x.document_version) + ": " +
                                                         x.approval.summary));
                 },
                 [&](const document::approved& x) {
                   auto& ver = version_entry(d, x.document_version);
                   ver.state = "approved";
                   ver.approved_by = x.approvers;
                   d.history.push_back(history_of(e, "v" + std::to_string(x.document_version) + " approved", x.comment));
                 },
                 [&](const document::rejected& x) {
                   version_entry(d, x.document_version).state = "rejected";
                   d.history.push_back(history_of(e, "v" + std::to_string(x.document_version) +
                                                         " rejected by " + x.rejected_by,
                                                  x.comment));
                 },
                 [&](const document::published& x) {
                   for (auto& ver : d.versions)
                     if (ver.state == "published") ver.state = "superseded";
                   auto& ver = version_entry(d, x.document_version);
                   ver.state = "published";
                   ver.published_on = format_date(x.published_on);
                   d.history.push_back(history_of(e, "v" + std::to_string(x.document_version) + " published"));
                 },
                 [&](const document::reviewed& x) {
                   d.last_reviewed_by = x.reviewed_by;
                   d.last_review_notes = x.notes;
                   d.history.push_back(history_of(e, "reviewed: " + std::string(document::to_string(x.outcome)),
                                                  x.notes));
                 },
                 [&](const document::retired& x) {
                   d.retired_reason = x.reason;
                   d.retired_on = format_date(x.retired_on);
                   d.history.push_back(history_of(e, "retired", x.reason));
                 },
             },
             ev);
}

json document_subject_content(const document_entry& d) {
  json j = document::approval_content(document_state_of(d));
  j["text"] = d.text;
  return j;
}

std::string document_review_due(const document_entry& d) {
  const auto due = document::review_due_on(document_state_of(d));
  return due ? format_date(*due) : std::string{};
}

std::expected<json, rejection> query_documents(const documents_view& v, const json& params, date today) {
  support::query_params p(params);
  const auto kind = p.choice("kind", {"policy", "procedure", "record"});
  const auto state = p.choice("state",
                                     {"draft", "approval_requested", "approved", "published", "retired"});
  const auto owner = p.text("owner");
  const bool due_only = p.flag("review_due", false);
  const bool include_text = p.flag("include_text", false);
  if (!p.ok()) return p.failure();
  json list = json::array();
  for (const auto& [_, d] : v.documents) {
    if (!kind.empty() && d.kind != kind) continue;
    if (!owner.empty() && d.owner != owner) continue;
    json j = document_json(d, today, include_text);
    if (!state.empty() && j.at("state") != state) continue;
    if (due_only && !j.at("review_due").get<bool>()) continue;
    list.push_back(std::move(j));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"documents", std::move(list)}, {"count", count}};
}

std::expected<json, rejection> query_document(const documents_view& v, const json& params, date today) {
  support::query_params p(params);
  const document_entry* d = p.entry(v.documents, "document", "document");
  const bool include_text = p.flag("include_text", true);
  if (!p.ok()) return p.failure();
  json j = document_json(*d, today, include_text);
  j["history"] = d->history;
  return j;
}

}  // namespace isms::domain::views
