#include "isms/domain/views/scope.hpp"

#include "support.hpp"

namespace isms::domain::scope {

void to_json(json& j, const content& c) { j = to_json(c); }

// The inverse of to_json(content).
void from_json(const json& j, content& c) {
  c = content{};
  const json& st = j.at("statement");
  if (!st.is_null()) {
    scope::statement s;
    s.boundaries = st.at("boundaries").get<std::string>();
    s.inclusions = st.at("inclusions").get<std::vector<std::string>>();
    for (const auto& x : st.at("exclusions"))
      s.exclusions.push_back({x.at("item").get<std::string>(), x.at("justification").get<std::string>()});
    s.interfaces = st.at("interfaces").get<std::string>();
    c.scope_statement = std::move(s);
  }
  for (const auto& i : j.at("issues")) {
    scope::issue x;
    x.issue_id = i.at("issue_id").get<std::string>();
    x.kind = i.at("kind").get<std::string>() == "external" ? scope::issue_kind::external
                                                            : scope::issue_kind::internal;
    x.description = i.at("description").get<std::string>();
    c.issues[x.issue_id] = std::move(x);
  }
  for (const auto& p : j.at("interested_parties")) {
    scope::interested_party x;
    x.party_id = p.at("party_id").get<std::string>();
    x.name = p.at("name").get<std::string>();
    x.requirements = p.at("requirements").get<std::vector<std::string>>();
    c.parties[x.party_id] = std::move(x);
  }
}

}  // namespace isms::domain::scope

namespace isms::domain::views {

namespace {

// scope::to_json with an "id" on every issue and interested party, so that
// diff() matches them by id.
json with_ids(const scope::content& c) {
  json j = scope::to_json(c);
  for (auto& i : j["issues"]) i["id"] = i.at("issue_id");
  for (auto& p : j["interested_parties"]) p["id"] = p.at("party_id");
  return j;
}

}  // namespace

void fold_scope(scope_view& v, const recorded_event& e, const scope::event& ev) {
  v.version = e.version;
  v.changed = change_of(e);
  const bool concludes =
      std::holds_alternative<scope::approved>(ev) || std::holds_alternative<scope::rejected>(ev);
  if (!concludes) {
    // Any change of the draft withdraws a pending approval (the approval pattern).
    v.pending_approval_id.clear();
    v.under_approval = {};
  }
  std::visit(overloaded{
                 [&](const scope::statement_set& x) {
                   v.draft.scope_statement = x.value;
                   v.history.push_back(history_of(e, "scope statement set"));
                 },
                 [&](const scope::issue_added& x) {
                   v.draft.issues[x.value.issue_id] = x.value;
                   v.history.push_back(history_of(e, std::string(scope::to_string(x.value.kind)) +
                                                         " issue " + x.value.issue_id + " added: " +
                                                         x.value.description));
                 },
                 [&](const scope::issue_updated& x) {
                   v.draft.issues[x.value.issue_id] = x.value;
                   v.history.push_back(history_of(e, std::string(scope::to_string(x.value.kind)) + " issue " +
                                                         x.value.issue_id + " updated: " + x.value.description));
                 },
                 [&](const scope::issue_removed& x) {
                   v.draft.issues.erase(x.issue_id);
                   v.history.push_back(history_of(e, "issue " + x.issue_id + " removed", x.reason));
                 },
                 [&](const scope::interested_party_added& x) {
                   v.draft.parties[x.value.party_id] = x.value;
                   v.history.push_back(history_of(e, "interested party " + x.value.party_id + " (" +
                                                         x.value.name + ") added"));
                 },
                 [&](const scope::interested_party_updated& x) {
                   v.draft.parties[x.value.party_id] = x.value;
                   v.history.push_back(history_of(e, "interested party " + x.value.party_id + " (" +
                                                         x.value.name + ") updated"));
                 },
                 [&](const scope::interested_party_removed& x) {
                   v.draft.parties.erase(x.party_id);
                   v.history.push_back(history_of(e, "interested party " + x.party_id + " removed", x.reason));
                 },
                 [&](const scope::approval_requested& x) {
                   v.pending_approval_id = x.approval.approval_id;
                   v.under_approval = v.draft;
                   v.history.push_back(history_of(e, "approval requested: " + x.approval.summary));
                 },
                 [&](const scope::approved& x) {
                   v.effective = v.pending_approval_id.empty() ? v.draft : v.under_approval;
                   v.has_effective = true;
                   v.effective_hash = x.content_hash;
                   v.effective_since = format_date(day_of(e.meta.recorded_at));
                   v.approved_by = x.approvers;
                   v.pending_approval_id.clear();
                   v.under_approval = {};
                   v.history.push_back(history_of(e, "approved by top management", x.comment));
                 },
                 [&](const scope::rejected& x) {
                   v.pending_approval_id.clear();
                   v.under_approval = {};
                   v.history.push_back(history_of(e, "rejected by " + x.rejected_by, x.comment));
                 },
             },
             ev);
}

json scope_subject_content(const scope_view& v) {
  return scope::to_json(v.pending_approval_id.empty() ? v.draft : v.under_approval);
}

namespace {

// The aggregate state its state rule reads.
scope::state scope_state_of(const scope_view& v) {
  scope::state s = scope::initial_state();
  s.version = v.version;
  s.draft = v.draft;
  if (v.has_effective) s.effective = v.effective;
  s.effective_hash = v.effective_hash;
  s.pending_approval_id = v.pending_approval_id;
  if (!v.pending_approval_id.empty()) s.under_approval = v.under_approval;
  return s;
}

}  // namespace

std::expected<json, rejection> query_scope(const scope_view& v, const json& params) {
  support::query_params p(params);
  if (!p.ok()) return p.failure();
  json effective = v.has_effective ? with_ids(v.effective) : json(nullptr);
  return json{{"effective", effective},
              {"effective_hash", v.effective_hash},
              {"effective_since", v.effective_since},
              {"approved_by", v.approved_by},
              {"draft", scope::to_json(v.draft)},
              {"draft_differs", !v.has_effective || !(v.draft == v.effective)},
              {"pending_approval_id", v.pending_approval_id},
              {"version", v.version},
              {"last_change", v.changed},
              {"history", v.history},
              // What the scope's state admits (the aggregate's own rule), the
              // same for every reader.
              {"allowed_commands", scope::admitted_commands(scope_state_of(v))}};
}

}  // namespace isms::domain::views
