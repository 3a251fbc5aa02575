#include "isms/domain/views/approvals.hpp"

#include <algorithm>

#include "support.hpp"

namespace isms::domain::views {

namespace {

std::vector<std::string> role_names(const std::vector<role>& rs) {
  std::vector<std::string> out;
  for (role r : rs) out.emplace_back(to_string(r));
  return out;
}

approval_entry& entry_for(approvals_view& v, const std::string& id) {
  approval_entry& a = v.approvals[id];
  a.id = id;
  a.stream = approval_stream_for(id);
  return a;
}

// What is asked: from the subject's request, or from the approval's own
// opened event, which carries the same fields.
template <class Request>
void note_what_is_asked(approval_entry& a, const Request& r) {
  a.subject_kind = r.subject_kind;
  a.content_hash = r.content_hash;
  a.policy = json_text(to_json(r.policy));
  a.on_approved = r.on_approved;
  a.on_rejected = r.on_rejected;
  a.summary = r.summary;
}

}  // namespace

void note_approval_request(approvals_view& v, const recorded_event& e, const approval_request& req,
                           json content) {
  approval_entry& a = entry_for(v, req.approval_id);
  a.subject_stream = e.stream;
  a.subject_version = e.version;
  note_what_is_asked(a, req);
  a.requested_by = e.meta.actor;
  a.requested_at = format_instant(e.meta.recorded_at);
  a.subject_after = json_text(content);
  const auto before = v.last_approved.find(e.stream);
  a.previous_approval_id = before == v.last_approved.end() ? std::string{} : before->second;
  if (a.changed.position == 0) a.changed = change_of(e);
}

namespace {

bool recently_concluded(const approvals_view& v, const std::string& id) {
  return std::find(v.concluded.begin(), v.concluded.end(), id) != v.concluded.end();
}

bool last_approved_of_its_subject(const approvals_view& v, const approval_entry& a) {
  const auto it = v.last_approved.find(a.subject_stream);
  return it != v.last_approved.end() && it->second == a.id;
}

// Notes that `id` concluded and, unless everything is kept, lets the oldest
// concluded approvals beyond the bound leave the view.
void concluded(approvals_view& v, const std::string& id, bool keep_all) {
  std::erase(v.concluded, id);
  v.concluded.push_back(id);
  if (keep_all) return;
  while (v.concluded.size() > concluded_kept) {
    const std::string old = std::move(v.concluded.front());
    v.concluded.pop_front();
    if (auto it = v.approvals.find(old); it != v.approvals.end() && !last_approved_of_its_subject(v, it->second))
      v.approvals.erase(it);
  }
}

}  // namespace

std::vector<std::string> approval_streams_of(std::span<const recorded_event> subject_events) {
  // The requests the fold notes (evolve: a non-approval event carrying an
  // "approval" that parses), and no other.
  std::vector<std::string> out;
  for (const auto& e : subject_events) {
    if (!e.data.is_object() || !e.data.contains("approval")) continue;
    auto req = parse_approval_request(e.data.at("approval"), "approval");
    if (!req) continue;
    std::string stream = approval_stream_for(req->approval_id);
    if (std::find(out.begin(), out.end(), stream) == out.end()) out.push_back(std::move(stream));
  }
  return out;
}

void fold_approval(approvals_view& v, const recorded_event& e, const approval::event& ev, bool keep_all) {
  const std::string id = id_in_stream(e.stream);
  approval_entry& a = entry_for(v, id);
  a.version = e.version;
  a.changed = change_of(e);
  const std::string at = format_instant(e.meta.recorded_at);
  std::visit(overloaded{
                 [&](const approval::opened& x) {
                   a.state = "open";
                   a.subject_stream = x.subject_stream;
                   a.subject_version = x.subject_version;
                   note_what_is_asked(a, x);
                   a.requested_by = x.requested_by;
                   if (a.requested_at.empty()) a.requested_at = at;
                 },
                 [&](const approval::reviewer_approved& x) {
                   a.decisions.push_back({x.reviewer, true, x.step, role_names(x.roles), x.comment,
                                          x.policy_version, at, e.position, x.confirmed_with});
                 },
                 [&](const approval::reviewer_rejected& x) {
                   a.decisions.push_back({x.reviewer, false, "", role_names(x.roles), x.comment,
                                          x.policy_version, at, e.position});
                 },
                 [&](const approval::approved& x) {
                   a.state = "approved";
                   a.approvers = x.approvers;
                   a.outcome_comment = x.comment;
                   a.concluded_at = at;
                   if (!a.subject_after.is_null()) {
                     std::string& last = v.last_approved[a.subject_stream];
                     // The one it replaces stays only while it is among the recent.
                     if (!keep_all && !last.empty() && last != a.id && !recently_concluded(v, last))
                       v.approvals.erase(last);
                     last = a.id;
                   }
                 },
                 [&](const approval::rejected& x) {
                   a.state = "rejected";
                   a.approvers = x.approvers;
                   a.rejected_by = x.rejected_by;
                   a.outcome_comment = x.comment;
                   a.concluded_at = at;
                 },
                 [&](const approval::voided& x) {
                   a.state = "voided";
                   a.void_reason = x.reason;
                   a.concluded_at = at;
                 },
             },
             ev);
  // `a` may leave the map below.
  if (a.state == "approved" || a.state == "rejected" || a.state == "voided") concluded(v, id, keep_all);
}

approval::state approval_state_of(const approval_entry& a) {
  approval::state s = approval::initial_state();
  if (a.state == "open") s.status_ = approval::status::open;
  if (a.state == "approved") s.status_ = approval::status::approved;
  if (a.state == "rejected") s.status_ = approval::status::rejected;
  if (a.state == "voided") s.status_ = approval::status::voided;
  s.request.approval_id = a.id;
  s.request.subject_stream = a.subject_stream;
  s.request.subject_version = a.subject_version;
  s.request.subject_kind = a.subject_kind;
  s.request.content_hash = a.content_hash;
  if (auto p = parse_approval_policy(a.policy.value(), "policy")) s.request.policy = *p;
  s.request.on_approved = a.on_approved;
  s.request.on_rejected = a.on_rejected;
  s.request.summary = a.summary;
  s.request.requested_by = a.requested_by;
  for (const auto& d : a.decisions) s.decisions.push_back({d.reviewer, d.approved, d.step});
  s.outcome_comment = a.outcome_comment;
  s.void_reason = a.void_reason;
  return s;
}

ISMS_WIRE_MEMBERS(approval_entry, id, stream, state, subject_stream, subject_version, subject_kind, content_hash,
                  summary, policy, requested_by, requested_at, decisions, approvers, rejected_by, outcome_comment,
                  void_reason, concluded_at, version)

json approval_json(const approval_entry& a) {
  json j = wire_members(a);
  j["last_change"] = a.changed;
  return j;
}

json previously_approved(const approvals_view& v, const approval_entry& a) {
  if (a.previous_approval_id.empty()) return nullptr;
  const auto it = v.approvals.find(a.previous_approval_id);
  return it == v.approvals.end() ? json(nullptr) : it->second.subject_after.value();
}

std::expected<json, rejection> query_approvals(const approvals_view& v, const json& params,
                                               std::optional<row_window> window) {
  support::query_params p(params);
  const auto state = p.choice("state", {"requested", "open", "approved", "rejected", "voided"});
  const auto subject = p.text("subject_stream");
  const auto by = p.text("requested_by");
  const auto kind = p.text("kind");
  if (!p.ok()) return p.failure();
  json list = json::array();
  json counts = {{"requested", 0}, {"open", 0}, {"approved", 0}, {"rejected", 0}, {"voided", 0}};
  std::size_t matching = 0;
  for (const auto& [_, a] : v.approvals) {
    if (!state.empty() && a.state != state) continue;
    if (!subject.empty() && a.subject_stream != subject) continue;
    if (!by.empty() && a.requested_by != by) continue;
    if (!kind.empty() && a.subject_kind != kind) continue;
    if (!window || (matching >= window->offset && matching - window->offset < window->limit))
      list.push_back(approval_json(a));
    ++matching;
    counts[a.state] = counts.value(a.state, 0) + 1;
  }
  json out{{"approvals", std::move(list)}, {"count", matching}, {"by_state", counts}};
  if (window) out["window"] = true;
  return out;
}

}  // namespace isms::domain::views
