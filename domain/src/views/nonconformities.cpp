#include "isms/domain/views/nonconformities.hpp"

#include <algorithm>
#include <array>

#include "support.hpp"

namespace isms::domain::views {

namespace {

constexpr std::array sources{nonconformity::source::internal_audit, nonconformity::source::external_audit,
                             nonconformity::source::incident, nonconformity::source::management_review,
                             nonconformity::source::other};
constexpr std::array severities{nonconformity::severity::major, nonconformity::severity::minor,
                                nonconformity::severity::observation};
constexpr std::array action_statuses{nonconformity::action_status::planned,
                                     nonconformity::action_status::done,
                                     nonconformity::action_status::verified};

std::string opt_day_text(const std::optional<date>& d) { return d ? format_date(*d) : std::string{}; }

nc_action_entry* find_action(nc_entry& n, const std::string& id) {
  for (auto& a : n.actions)
    if (a.action_id == id) return &a;
  return nullptr;
}

json step_json(std::string step, std::string title, bool done, json detail) {
  return {{"step", std::move(step)}, {"title", std::move(title)}, {"done", done}, {"detail", std::move(detail)}};
}

}  // namespace

nonconformity::state nc_state_of(const nc_entry& n) {
  nonconformity::state s = nonconformity::initial_state();
  s.version = n.version;
  s.exists = !n.nc_id.empty();
  s.nc.nc_id = n.nc_id;
  s.nc.from = enum_named(sources, n.source, nonconformity::source::other);
  s.nc.reference = n.reference;
  s.nc.level = enum_named(severities, n.severity, nonconformity::severity::minor);
  s.nc.description = n.description;
  s.nc.raised_on = parse_date(n.raised_on).value_or(date{});
  s.nc.raised_by = n.raised_by;
  s.nc.audit_id = n.audit_id;
  s.nc.finding_id = n.finding_id;
  s.nc.review_id = n.review_id;
  s.nc.incident_id = n.incident_id;
  s.containment = n.containment;
  s.root_cause = n.root_cause;
  s.similar_checked = n.similar_checked;
  s.similar_found = n.similar_found;
  for (const auto& a : n.actions) {
    nonconformity::corrective_action c;
    c.action_id = a.action_id;
    c.description = a.description;
    c.owner = a.owner;
    c.due_on = parse_date(a.due_on).value_or(date{});
    c.status = enum_named(action_statuses, a.status, nonconformity::action_status::planned);
    c.evidence = a.evidence;
    if (!a.completed_on.empty()) c.completed_on = parse_date(a.completed_on);
    c.completed_by = a.completed_by;
    c.verified_by = a.verified_by;
    c.verification_notes = a.verification_notes;
    c.ineffective_verifications = a.ineffective_verifications;
    s.actions.push_back(std::move(c));
  }
  s.closed = n.closed;
  if (!n.closed_on.empty()) s.closed_on = parse_date(n.closed_on);
  return s;
}

void fold_nonconformity(nonconformities_view& v, const recorded_event& e, const nonconformity::event& ev) {
  nc_entry& n = entry_of(v.ncs, e);
  const nonconformity::state s = nonconformity::evolve(nc_state_of(n), ev);
  n.nc_id = s.nc.nc_id;
  n.source = nonconformity::to_string(s.nc.from);
  n.reference = s.nc.reference;
  n.severity = nonconformity::to_string(s.nc.level);
  n.description = s.nc.description;
  n.raised_on = s.exists ? format_date(s.nc.raised_on) : std::string{};
  n.raised_by = s.nc.raised_by;
  n.audit_id = s.nc.audit_id;
  n.finding_id = s.nc.finding_id;
  n.review_id = s.nc.review_id;
  n.incident_id = s.nc.incident_id;
  n.containment = s.containment;
  n.root_cause = s.root_cause;
  n.similar_checked = s.similar_checked;
  n.similar_found = s.similar_found;
  std::vector<nc_action_entry> actions;
  for (const auto& a : s.actions) {
    nc_action_entry x;
    if (const auto* old = find_action(n, a.action_id)) x = *old;
    x.action_id = a.action_id;
    x.description = a.description;
    x.owner = a.owner;
    x.due_on = format_date(a.due_on);
    x.status = nonconformity::to_string(a.status);
    x.evidence = a.evidence;
    x.completed_on = opt_day_text(a.completed_on);
    x.completed_by = a.completed_by;
    x.verified_by = a.verified_by;
    x.verification_notes = a.verification_notes;
    x.ineffective_verifications = a.ineffective_verifications;
    actions.push_back(std::move(x));
  }
  n.actions = std::move(actions);
  n.closed = s.closed;
  n.closed_on = opt_day_text(s.closed_on);
  n.version = e.version;
  n.changed = change_of(e);
  std::visit(overloaded{
                 [&](const nonconformity::raised& x) {
                   n.history.push_back(history_of(e, std::string(nonconformity::to_string(x.level)) +
                                                         " nonconformity raised against " + x.reference +
                                                         " (" + std::string(nonconformity::to_string(x.from)) + ")",
                                                  x.description));
                 },
                 [&](const nonconformity::containment_recorded& x) {
                   n.containment_step = {x.description, format_date(x.recorded_on), x.recorded_by};
                   n.history.push_back(history_of(e, "containment recorded (10.2 a)", x.description));
                 },
                 [&](const nonconformity::root_cause_recorded& x) {
                   n.root_cause_step = {x.description, format_date(x.recorded_on), x.recorded_by};
                   n.history.push_back(history_of(e, "root cause recorded (10.2 b)", x.description));
                 },
                 [&](const nonconformity::similar_check_recorded& x) {
                   n.similar_step = {x.details, format_date(x.recorded_on), x.recorded_by};
                   n.related_ncs = x.related_ncs;
                   n.history.push_back(history_of(
                       e, x.similar_found ? "similar nonconformities found (10.2 b)" : "no similar nonconformities (10.2 b)",
                       x.details));
                 },
                 [&](const nonconformity::action_planned& x) {
                   if (auto* a = find_action(n, x.action_id)) a->planned_at = format_instant(e.meta.recorded_at);
                   n.history.push_back(history_of(e, "corrective action " + x.action_id + " planned for " +
                                                         x.owner + ", due " + format_date(x.due_on),
                                                  x.description));
                 },
                 [&](const nonconformity::action_completed& x) {
                   n.history.push_back(history_of(e, "corrective action " + x.action_id + " done by " +
                                                         x.completed_by,
                                                  x.evidence));
                 },
                 [&](const nonconformity::action_verified& x) {
                   if (auto* a = find_action(n, x.action_id)) a->verified_on = format_date(x.verified_on);
                   n.history.push_back(history_of(e, "corrective action " + x.action_id + " verified " +
                                                         (x.effective ? "effective" : "not effective") +
                                                         " by " + x.verified_by,
                                                  x.notes));
                 },
                 [&](const nonconformity::closed& x) {
                   n.closed_by = x.closed_by;
                   n.closing_comment = x.comment;
                   n.history.push_back(history_of(e, "closed", x.comment));
                 },
             },
             ev);
}

std::string nc_state(const nc_entry& n) {
  if (n.closed) return "closed";
  if (!n.actions.empty()) {
    const bool all_verified = std::all_of(n.actions.begin(), n.actions.end(),
                                          [](const nc_action_entry& a) { return a.status == "verified"; });
    if (all_verified) return "actions_verified";
    const bool all_done = std::all_of(n.actions.begin(), n.actions.end(),
                                      [](const nc_action_entry& a) { return a.status != "planned"; });
    return all_done ? "actions_done" : "actions_planned";
  }
  if (n.similar_checked) return "similar_checked";
  if (!n.root_cause.empty()) return "root_cause_recorded";
  if (!n.containment.empty()) return "contained";
  return "raised";
}

std::vector<std::string> nc_overdue_actions(const nc_entry& n, date today) {
  std::vector<std::string> out;
  for (const auto& a : nonconformity::overdue_actions(nc_state_of(n), today)) out.push_back(a.action_id);
  return out;
}

ISMS_WIRE_MEMBERS(nc_entry, id, stream, severity, source, reference, description, raised_on, raised_by, audit_id,
                  finding_id, review_id, incident_id, containment, root_cause, similar_checked, similar_found, closed_on, version)

json nc_json(const nc_entry& n, date today) {
  const auto overdue = nc_overdue_actions(n, today);
  // What the state admits (the aggregate's own rule), the same for every reader.
  const nonconformity::state st = nc_state_of(n);
  json actions = support::actions_wire(n.actions, overdue, [&st](const std::string& id, json& a) {
    a["allowed_commands"] = nonconformity::admitted_action_commands(st, id);
    a["actors"] = support::actors_json(nonconformity::action_actor_limits(st, id));
  });
  json j = wire_members(n);
  j["state"] = nc_state(n);
  j["actions"] = std::move(actions);
  j["overdue_actions"] = overdue.size();
  j["last_change"] = n.changed;
  j["allowed_commands"] = nonconformity::admitted_commands(st);
  return j;
}

std::expected<json, rejection> query_nonconformities(const nonconformities_view& v, const json& params,
                                                     date today) {
  support::query_params p(params);
  const auto state = p.choice("state",
                                     {"raised", "contained", "root_cause_recorded", "similar_checked",
                                      "actions_planned", "actions_done", "actions_verified", "closed", "open"});
  const auto severity = p.choice("severity", {"major", "minor", "observation"});
  const auto source = p.choice("source", {"internal_audit", "external_audit", "incident",
                                                          "management_review", "other"});
  const auto owner = p.text("owner");
  const bool overdue_only = p.flag("overdue");
  if (!p.ok()) return p.failure();

  json list = json::array();
  json by_state = json::object();
  json by_severity = {{"major", 0}, {"minor", 0}, {"observation", 0}};
  std::size_t open_actions = 0, overdue_actions = 0;
  for (const auto& [_, n] : v.ncs) {
    const std::string st = nc_state(n);
    if (!state.empty() && (state == "open" ? n.closed : st != state)) continue;
    if (!severity.empty() && n.severity != severity) continue;
    if (!source.empty() && n.source != source) continue;
    if (!owner.empty() &&
        std::none_of(n.actions.begin(), n.actions.end(), [&](const nc_action_entry& a) { return a.owner == owner; }))
      continue;
    json j = nc_json(n, today);
    if (overdue_only && j.at("overdue_actions").get<std::size_t>() == 0) continue;
    by_state[st] = by_state.value(st, 0) + 1;
    by_severity[n.severity] = by_severity.value(n.severity, 0) + 1;
    for (const auto& a : n.actions)
      if (a.status != "verified") ++open_actions;
    overdue_actions += j.at("overdue_actions").get<std::size_t>();
    list.push_back(std::move(j));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"nonconformities", std::move(list)},
              {"count", count},
              {"by_state", by_state},
              {"by_severity", by_severity},
              {"open_actions", open_actions},
              {"overdue_actions", overdue_actions}};
}

std::expected<json, rejection> query_nonconformity(const nonconformities_view& v, const json& params, date today) {
  support::query_params p(params);
  const nc_entry* found = p.entry(v.ncs, "nc", "nonconformity");
  if (!p.ok()) return p.failure();
  const nc_entry& n = *found;
  json j = nc_json(n, today);
  const bool any_actions = !n.actions.empty();
  const bool all_done = any_actions && std::all_of(n.actions.begin(), n.actions.end(),
                                                   [](const nc_action_entry& a) { return a.status != "planned"; });
  const bool all_verified = any_actions && std::all_of(n.actions.begin(), n.actions.end(),
                                                       [](const nc_action_entry& a) { return a.status == "verified"; });
  json steps = json::array();
  steps.push_back(step_json("10.2 a", "React to the nonconformity: control and correct it, deal with the consequences",
                            !n.containment.empty(), n.containment_step));
  steps.push_back(step_json("10.2 b 1", "Review the nonconformity", !n.nc_id.empty(),
                            {{"description", n.description}, {"on", n.raised_on}, {"by", n.raised_by}}));
  steps.push_back(step_json("10.2 b 2", "Determine the causes", !n.root_cause.empty(), n.root_cause_step));
  json similar = n.similar_step;
  similar["similar_found"] = n.similar_found;
  similar["related_ncs"] = n.related_ncs;
  steps.push_back(step_json("10.2 b 3", "Determine if similar nonconformities exist or could occur",
                            n.similar_checked, similar));
  steps.push_back(step_json("10.2 c", "Implement any action needed", all_done,
                            {{"planned", n.actions.size()},
                             {"done", std::count_if(n.actions.begin(), n.actions.end(),
                                                    [](const nc_action_entry& a) { return a.status != "planned"; })}}));
  steps.push_back(step_json("10.2 d", "Review the effectiveness of any corrective action taken", all_verified,
                            {{"verified", std::count_if(n.actions.begin(), n.actions.end(),
                                                        [](const nc_action_entry& a) { return a.status == "verified"; })},
                             {"ineffective_verifications",
                              [&] {
                                int k = 0;
                                for (const auto& a : n.actions) k += a.ineffective_verifications;
                                return k;
                              }()}}));
  steps.push_back(step_json("10.2 f-g", "Closed, retained as documented information", n.closed,
                            {{"on", n.closed_on}, {"by", n.closed_by}, {"comment", n.closing_comment}}));
  j["steps"] = steps;
  j["history"] = n.history;
  return j;
}

}  // namespace isms::domain::views
