#include "isms/domain/views/objectives.hpp"

#include <array>
#include <cstdio>

#include "support.hpp"

namespace isms::domain::views {

namespace {

constexpr std::array statuses{objective::status::proposed, objective::status::set,
                              objective::status::achieved, objective::status::missed};

objective_terms terms_of(const objective::terms& t) {
  return {t.statement, t.measure,   t.target_value, t.unit,          t.owner,
          format_date(t.due_on), t.resources, t.evaluation, t.related_policy};
}

objective::terms terms_from(const objective_terms& t) {
  return {t.statement, t.measure, t.target_value, t.unit, t.owner,
          parse_date(t.due_on).value_or(date{}), t.resources, t.evaluation, t.related_policy};
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

objective::state objective_state_of(const objective_entry& o) {
  objective::state s = objective::initial_state();
  s.version = o.version;
  s.exists = !o.objective_id.empty();
  s.objective_id = o.objective_id;
  for (auto st : statuses)
    if (objective::to_string(st) == o.state) s.current = st;
  if (o.has_in_force) s.in_force = terms_from(o.in_force);
  s.proposal = terms_from(o.proposal);
  s.proposal_open = o.proposal_open;
  s.pending_approval_id = o.pending_approval_id;
  for (const auto& m : o.progress)
    s.progress.push_back({m.value, parse_date(m.on).value_or(date{}), m.note, m.by});
  return s;
}

void fold_objective(objectives_view& v, const recorded_event& e, const objective::event& ev) {
  objective_entry& o = entry_of(v.objectives, e);
  const objective::state s = objective::evolve(objective_state_of(o), ev);
  o.objective_id = s.objective_id;
  o.state = objective::to_string(s.current);
  o.has_in_force = s.in_force.has_value();
  o.in_force = s.in_force ? terms_of(*s.in_force) : objective_terms{};
  o.proposal = terms_of(s.proposal);
  o.proposal_open = s.proposal_open;
  o.pending_approval_id = s.pending_approval_id;
  o.progress.clear();
  for (const auto& m : s.progress) o.progress.push_back({m.value, format_date(m.on), m.note, m.by});
  o.version = e.version;
  o.changed = change_of(e);
  std::visit(overloaded{
                 [&](const objective::proposed& x) {
                   o.history.push_back(history_of(e, "proposed: " + x.proposal.statement));
                 },
                 [&](const objective::revised& x) {
                   o.history.push_back(history_of(e, "revision proposed: " + x.proposal.statement, x.reason));
                 },
                 [&](const objective::approval_requested& x) {
                   o.history.push_back(history_of(e, "approval requested: " + x.approval.summary));
                 },
                 [&](const objective::objective_set& x) {
                   o.set_by = x.approvers;
                   o.history.push_back(history_of(e, "set by top management", x.comment));
                 },
                 [&](const objective::rejected& x) {
                   o.history.push_back(history_of(e, "proposal rejected by " + x.rejected_by, x.comment));
                 },
                 [&](const objective::progress_recorded& x) {
                   o.history.push_back(history_of(e, "progress " + number_text(x.measured_value) + " on " +
                                                         format_date(x.measured_on),
                                                  x.note));
                 },
                 [&](const objective::achieved& x) {
                   o.closed_on = format_date(x.achieved_on);
                   o.closing_note = x.note;
                   o.history.push_back(history_of(e, "achieved", x.note));
                 },
                 [&](const objective::missed& x) {
                   o.closed_on = format_date(x.missed_on);
                   o.closing_note = x.reason;
                   o.history.push_back(history_of(e, "missed", x.reason));
                 },
             },
             ev);
}

json objective_subject_content(const objective_entry& o) {
  return objective::approval_content(objective_state_of(o));
}

bool objective_overdue(const objective_entry& o, date today) {
  return objective::overdue(objective_state_of(o), today);
}

ISMS_WIRE_MEMBERS(objective_entry, id, stream, state, pending_approval_id, set_by, closed_on, closing_note, version)
ISMS_WIRE_MEMBERS(objective_terms, statement, measure, unit, owner, due_on)

json objective_json(const objective_entry& o, date today) {
  const objective_terms& t = o.has_in_force ? o.in_force : o.proposal;
  json latest = nullptr;
  if (!o.progress.empty()) {
    // The latest measurement is the one with the latest day (recording order breaks ties).
    const objective_measurement* best = &o.progress.front();
    for (const auto& m : o.progress)
      if (m.on >= best->on) best = &m;
    latest = {{"date", best->on}, {"value", best->value}};
  }
  json series = o.progress;
  for (auto& m : series) {
    m["date"] = std::move(m.at("on"));
    m.erase("on");
  }
  json j = wire_members(o);
  j.update(wire_members(t));
  j["target"] = t.target_value;
  j["overdue"] = objective_overdue(o, today);
  j["latest"] = std::move(latest);
  j["progress"] = std::move(series);
  j["terms_in_force"] = o.has_in_force ? json(o.in_force) : json(nullptr);
  j["proposal"] = o.proposal_open ? json(o.proposal) : json(nullptr);
  j["last_change"] = o.changed;
  // What the objective's state admits (the aggregate's own rule); the same
  // for every reader, so a shared reply stays right.
  j["allowed_commands"] = objective::admitted_commands(objective_state_of(o));
  return j;
}

std::expected<json, rejection> query_objectives(const objectives_view& v, const json& params, date today) {
  support::query_params p(params);
  const auto state = p.choice("state", {"proposed", "set", "achieved", "missed"});
  const auto owner = p.text("owner");
  if (!p.ok()) return p.failure();
  bool overdue_only = false;
  if (params.is_object() && params.contains("overdue") && !params.at("overdue").is_null()) {
    if (!params.at("overdue").is_boolean()) return support::bad_param("overdue", "must be true or false");
    overdue_only = params.at("overdue").get<bool>();
  }
  json list = json::array();
  json counts = {{"proposed", 0}, {"set", 0}, {"achieved", 0}, {"missed", 0}, {"overdue", 0}};
  for (const auto& [_, o] : v.objectives) {
    json j = objective_json(o, today);
    if (!state.empty() && o.state != state) continue;
    if (!owner.empty() && j.at("owner") != owner) continue;
    if (overdue_only && !j.at("overdue").get<bool>()) continue;
    counts[o.state] = counts.value(o.state, 0) + 1;
    if (j.at("overdue").get<bool>()) counts["overdue"] = counts["overdue"].get<int>() + 1;
    list.push_back(std::move(j));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"objectives", std::move(list)}, {"count", count}, {"by_state", counts}};
}

}  // namespace isms::domain::views
