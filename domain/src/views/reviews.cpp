#include "isms/domain/views/reviews.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

#include "support.hpp"

namespace isms::domain::views {

namespace {

namespace mr = management_review;

mr::input input_named(std::string_view s) {
  for (std::size_t i = 0; i < mr::input_count; ++i)
    if (mr::to_string(static_cast<mr::input>(i)) == s) return static_cast<mr::input>(i);
  return mr::input::previous_actions;
}

mr::decision_kind decision_kind_named(std::string_view s) {
  return s == mr::to_string(mr::decision_kind::isms_change) ? mr::decision_kind::isms_change
                                                             : mr::decision_kind::improvement_opportunity;
}

constexpr mr::status statuses[] = {mr::status::scheduled,       mr::status::inputs_assembled,
                                   mr::status::open,            mr::status::minutes_pending,
                                   mr::status::minutes_approved, mr::status::closed};

std::optional<date> opt_day(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return parse_date(s);
}

}  // namespace

mr::state review_state_of(const review_entry& r) {
  mr::state s = mr::initial_state();
  s.version = r.version;
  s.exists = !r.review_id.empty();
  for (auto st : statuses)
    if (mr::to_string(st) == r.state) s.current = st;
  s.plan = mr::scheduled{r.review_id, opt_day(r.planned_on).value_or(date{}), r.chair, r.interval_months};
  if (r.has_inputs)
    s.inputs = mr::inputs_assembled{r.pack, r.pack_sha256, r.as_of_position,
                                    opt_day(r.assembled_on).value_or(date{})};
  s.held_on = opt_day(r.held_on);
  if (r.has_attendance) s.attendance = mr::attendance_recorded{r.attendees, r.apologies};
  for (const auto& i : r.items) s.items.push_back({i.item_id, input_named(i.input), i.discussion});
  for (const auto& d : r.decisions)
    s.decisions.push_back({d.decision_id, decision_kind_named(d.kind), d.text, d.item_id});
  for (const auto& a : r.actions)
    s.actions.push_back({a.action_id, a.description, a.owner, opt_day(a.due_on).value_or(date{}), a.decision_id,
                         a.done, a.evidence, opt_day(a.completed_on), a.completed_by});
  s.pending_approval_id = r.pending_approval_id;
  s.minutes_hash = r.minutes_hash;
  return s;
}

void fold_review(reviews_view& v, const recorded_event& e, const mr::event& ev) {
  review_entry& r = entry_of(v.reviews, e);
  const mr::state s = mr::evolve(review_state_of(r), ev);
  r.review_id = s.plan.review_id;
  r.planned_on = s.exists ? format_date(s.plan.planned_on) : std::string{};
  r.chair = s.plan.chair;
  r.interval_months = s.plan.interval_months;
  r.state = mr::to_string(s.current);
  r.has_inputs = s.inputs.has_value();
  if (s.inputs) {
    r.pack = s.inputs->pack;
    r.pack_sha256 = s.inputs->pack_sha256;
    r.as_of_position = s.inputs->as_of_position;
    r.assembled_on = format_date(s.inputs->assembled_on);
  }
  r.held_on = s.held_on ? format_date(*s.held_on) : std::string{};
  r.has_attendance = s.attendance.has_value();
  if (s.attendance) {
    r.attendees = s.attendance->attendees;
    r.apologies = s.attendance->apologies;
  }
  r.items.clear();
  for (const auto& i : s.items) r.items.push_back({i.item_id, std::string(mr::to_string(i.about)), i.discussion});
  r.decisions.clear();
  for (const auto& d : s.decisions)
    r.decisions.push_back({d.decision_id, std::string(mr::to_string(d.kind)), d.text, d.item_id});
  r.actions.clear();
  for (const auto& a : s.actions)
    r.actions.push_back({a.action_id, a.description, a.owner, format_date(a.due_on), a.decision_id, a.done,
                         a.evidence, a.completed_on ? format_date(*a.completed_on) : std::string{},
                         a.completed_by});
  r.pending_approval_id = s.pending_approval_id;
  r.minutes_hash = s.minutes_hash;
  r.version = e.version;
  r.changed = change_of(e);
  std::visit(overloaded{
                 [&](const mr::scheduled& x) {
                   r.history.push_back(history_of(e, "scheduled for " + format_date(x.planned_on) +
                                                         ", chaired by " + x.chair));
                 },
                 [&](const mr::inputs_assembled& x) {
                   r.history.push_back(history_of(e, "inputs pack assembled as of position " +
                                                         std::to_string(x.as_of_position)));
                 },
                 [&](const mr::opened& x) {
                   r.history.push_back(history_of(e, "opened on " + format_date(x.opened_on)));
                 },
                 [&](const mr::attendance_recorded& x) {
                   r.history.push_back(history_of(e, std::to_string(x.attendees.size()) + " attending"));
                 },
                 [&](const mr::item_recorded& x) {
                   r.history.push_back(history_of(e, "item " + x.item_id + " on " +
                                                         std::string(mr::to_string(x.about)),
                                                  x.discussion));
                 },
                 [&](const mr::decision_recorded& x) {
                   r.history.push_back(history_of(e, "decision " + x.decision_id + " (" +
                                                         std::string(mr::to_string(x.kind)) + ")",
                                                  x.text));
                 },
                 [&](const mr::action_recorded& x) {
                   r.history.push_back(history_of(e, "action " + x.action_id + " for " + x.owner + ", due " +
                                                         format_date(x.due_on),
                                                  x.description));
                 },
                 [&](const mr::action_completed& x) {
                   r.history.push_back(history_of(e, "action " + x.action_id + " done by " + x.completed_by,
                                                  x.evidence));
                 },
                 [&](const mr::minutes_approval_requested& x) {
                   r.history.push_back(history_of(e, "minutes approval requested: " + x.approval.summary));
                 },
                 [&](const mr::minutes_approved& x) {
                   r.minutes_approved_by = x.approvers;
                   r.history.push_back(history_of(e, "minutes approved", x.comment));
                 },
                 [&](const mr::minutes_rejected& x) {
                   r.history.push_back(history_of(e, "minutes rejected by " + x.rejected_by, x.comment));
                 },
                 [&](const mr::closed& x) {
                   r.closed_on = format_date(x.closed_on);
                   r.closed_by = x.closed_by;
                   r.history.push_back(history_of(e, "closed"));
                 },
             },
             ev);
}

json review_subject_content(const review_entry& r) { return mr::minutes(review_state_of(r)); }

std::vector<std::string> review_overdue_actions(const review_entry& r, date today) {
  std::vector<std::string> out;
  for (const auto& a : mr::overdue_actions(review_state_of(r), today)) out.push_back(a.action_id);
  return out;
}

ISMS_WIRE_MEMBERS(review_entry, id, stream, review_id, planned_on, chair, interval_months, state, pack_sha256,
                  assembled_on, baseline_position, held_on, attendees, apologies, pending_approval_id, minutes_hash,
                  minutes_approved_by, closed_on, version)

json review_json(const review_entry& r, date today, bool with_pack) {
  const auto overdue = review_overdue_actions(r, today);
  // What the state admits (the aggregate's own rule), the same for every reader.
  const mr::state st = review_state_of(r);
  json actions = support::actions_wire(r.actions, overdue, [&st](const std::string& id, json& a) {
    a["allowed_commands"] = mr::admitted_action_commands(st, id);
  });
  const auto next = mr::next_review_due_on(st);
  json j = wire_members(r);
  j["inputs_assembled"] = r.has_inputs;
  j["inputs_as_of_position"] = r.as_of_position;
  j["items"] = support::with_ids(r.items, &review_item_entry::item_id);
  j["decisions"] = support::with_ids(r.decisions, &review_decision_entry::decision_id);
  j["actions"] = std::move(actions);
  j["overdue_actions"] = overdue.size();
  j["next_review_due_on"] = next ? json(format_date(*next)) : json(nullptr);
  j["last_change"] = r.changed;
  j["allowed_commands"] = mr::admitted_commands(st);
  if (with_pack) j["pack"] = r.pack;
  return j;
}

const review_entry* previous_review(const reviews_view& v, const review_entry& r, std::uint64_t now_position) {
  const std::uint64_t limit = r.baseline_position != 0 ? r.baseline_position : now_position + 1;
  const review_entry* best = nullptr;
  for (const auto& [id, other] : v.reviews) {
    if (id == r.id || other.baseline_position == 0 || other.baseline_position >= limit) continue;
    if (best == nullptr || other.baseline_position > best->baseline_position) best = &other;
  }
  return best;
}

std::string next_review_due(const reviews_view& v) {
  const review_entry* latest = nullptr;
  for (const auto& [_, r] : v.reviews) {
    if (r.review_id.empty()) continue;
    if (latest == nullptr || std::tie(r.planned_on, r.held_on) >= std::tie(latest->planned_on, latest->held_on))
      latest = &r;
  }
  if (latest == nullptr) return {};
  const auto due = mr::next_review_due_on(review_state_of(*latest));
  return due ? format_date(*due) : std::string{};
}

std::expected<json, rejection> query_reviews(const reviews_view& v, const json& params, date today) {
  support::query_params p(params);
  std::vector<std::string_view> names;
  for (auto st : statuses) names.push_back(mr::to_string(st));
  const auto state = p.choice("state", names);
  if (!p.ok()) return p.failure();
  json list = json::array();
  for (const auto& [_, r] : v.reviews) {
    if (!state.empty() && r.state != state) continue;
    json j = review_json(r, today, false);
    const review_entry* prev = previous_review(v, r, std::numeric_limits<std::uint64_t>::max() - 1);
    j["previous_review_id"] = prev ? json(prev->id) : json(nullptr);
    j["previous_review_position"] = prev ? json(prev->baseline_position) : json(nullptr);
    list.push_back(std::move(j));
  }
  const std::string due = next_review_due(v);
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"reviews", std::move(list)},
              {"count", count},
              {"next_review_due_on", due.empty() ? json(nullptr) : json(due)},
              {"review_due", !due.empty() && due <= format_date(today)}};
}

}  // namespace isms::domain::views
