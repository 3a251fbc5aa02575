#include "isms/domain/management_review.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::management_review {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<input, input_count> inputs{{
    {input::previous_actions, "previous_actions"},
    {input::issue_changes, "issue_changes"},
    {input::interested_party_changes, "interested_party_changes"},
    {input::security_performance, "security_performance"},
    {input::interested_party_feedback, "interested_party_feedback"},
    {input::risk_assessment, "risk_assessment"},
    {input::improvement_opportunities, "improvement_opportunities"},
}};

// The letter of each input in 9.3.2, for messages.
constexpr std::array<std::string_view, input_count> letters{"a", "b", "c", "d", "e", "f", "g"};

constexpr wire::names<decision_kind, 2> decision_kinds{{
    {decision_kind::improvement_opportunity, "improvement_opportunity"},
    {decision_kind::isms_change, "isms_change"},
}};

constexpr wire::names<status, 6> statuses{{
    {status::scheduled, "scheduled"},
    {status::inputs_assembled, "inputs_assembled"},
    {status::open, "open"},
    {status::minutes_pending, "minutes_pending"},
    {status::minutes_approved, "minutes_approved"},
    {status::closed, "closed"},
}};

constexpr int max_interval = 36;
constexpr std::size_t max_pack = 1 << 20;  // bytes of the canonical pack

// The pack must hold every input of 9.3.2, by name.
json read_pack(fields& f) {
  json pack = f.object("pack");
  if (!f.ok()) return pack;
  for (std::size_t i = 0; i < input_count; ++i) {
    const auto name = std::string(inputs[i].second);
    if (!pack.contains(name) || pack.at(name).is_null()) {
      f.fail("pack", "must hold input " + std::string(letters[i]) + ") \"" + name + "\" (9.3.2)");
      return pack;
    }
  }
  const auto text = canonical::json_text(pack);
  if (!text)
    f.fail("pack", "must be plain JSON (finite numbers, at most " + std::to_string(canonical::max_depth) +
                       " levels deep)");
  else if (text->size() > max_pack)
    f.fail("pack", "must be at most " + std::to_string(max_pack) + " bytes");
  return pack;
}

json to_json(const review_action& a) {
  return {{"action_id", a.action_id},
          {"description", a.description},
          {"owner", a.owner},
          {"due_date", format_date(a.due_on)},
          {"decision_id", a.decision_id}};
}

}  // namespace

std::string_view to_string(input i) noexcept { return wire::name_of(inputs, i); }
std::string_view to_string(decision_kind k) noexcept { return wire::name_of(decision_kinds, k); }
std::string_view to_string(status s) noexcept { return wire::name_of(statuses, s); }

const review_action* state::action(std::string_view id) const noexcept {
  for (const auto& a : actions)
    if (a.action_id == id) return &a;
  return nullptr;
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const scheduled& x) {
            return new_event{std::string(scheduled::type),
                             {{"review_id", x.review_id},
                              {"planned_on", format_date(x.planned_on)},
                              {"chair", x.chair},
                              {"interval_months", x.interval_months}}};
          },
          [](const inputs_assembled& x) {
            return new_event{std::string(inputs_assembled::type),
                             {{"pack", x.pack},
                              {"pack_sha256", x.pack_sha256},
                              {"as_of_position", x.as_of_position},
                              {"assembled_on", format_date(x.assembled_on)}}};
          },
          [](const opened& x) {
            return new_event{std::string(opened::type),
                             {{"opened_on", format_date(x.opened_on)}, {"opened_by", x.opened_by}}};
          },
          [](const attendance_recorded& x) {
            return new_event{std::string(attendance_recorded::type),
                             {{"attendees", wire::strings(x.attendees)}, {"apologies", wire::strings(x.apologies)}}};
          },
          [](const item_recorded& x) {
            return new_event{std::string(item_recorded::type),
                             {{"item_id", x.item_id}, {"input", to_string(x.about)}, {"discussion", x.discussion}}};
          },
          [](const decision_recorded& x) {
            return new_event{std::string(decision_recorded::type),
                             {{"decision_id", x.decision_id},
                              {"kind", to_string(x.kind)},
                              {"text", x.text},
                              {"item_id", x.item_id}}};
          },
          [](const action_recorded& x) {
            return new_event{std::string(action_recorded::type),
                             {{"action_id", x.action_id},
                              {"description", x.description},
                              {"owner", x.owner},
                              {"due_date", format_date(x.due_on)},
                              {"decision_id", x.decision_id}}};
          },
          [](const action_completed& x) {
            return new_event{std::string(action_completed::type),
                             {{"action_id", x.action_id},
                              {"evidence", x.evidence},
                              {"completed_on", format_date(x.completed_on)},
                              {"completed_by", x.completed_by}}};
          },
          [](const wire::approval_record auto& x) { return wire::event_of(x); },
          [](const closed& x) {
            return new_event{std::string(closed::type),
                             {{"closed_on", format_date(x.closed_on)}, {"closed_by", x.closed_by}}};
          },
      },
      e);
}

namespace {

using wire::as;

// One reader per shape: a command and the event that records it read the same
// fields (events without the command bounds, fields.hpp).
template <class T>
  requires std::same_as<T, scheduled> || std::same_as<T, schedule>
T read(fields& f, as<T>) {
  T x;
  x.review_id = f.id("review_id");
  x.planned_on = f.day("planned_on");
  x.chair = f.id("chair");
  x.interval_months = static_cast<int>(f.integer("interval_months", 1, max_interval));
  return x;
}

template <class T>
  requires std::same_as<T, attendance_recorded> || std::same_as<T, record_attendance>
T read(fields& f, as<T>) {
  return T{f.ids("attendees", false), f.opt_ids("apologies")};
}

template <class T>
  requires std::same_as<T, item_recorded> || std::same_as<T, record_item>
T read(fields& f, as<T>) {
  return T{f.id("item_id"), f.choice("input", inputs), f.text("discussion")};
}

template <class T>
  requires std::same_as<T, decision_recorded> || std::same_as<T, record_decision>
T read(fields& f, as<T>) {
  return T{f.id("decision_id"), f.choice("kind", decision_kinds), f.text("text"), f.opt_id("item_id")};
}

template <class T>
  requires std::same_as<T, action_recorded> || std::same_as<T, record_action>
T read(fields& f, as<T>) {
  return T{f.id("action_id"), f.text("description"), f.id("owner"), f.day("due_date"), f.opt_id("decision_id")};
}

inputs_assembled read(fields& f, as<inputs_assembled>) {
  return {f.object("pack"), f.sha256("pack_sha256"),
          static_cast<std::uint64_t>(f.integer("as_of_position", 0, INT64_MAX)), f.day("assembled_on")};
}
opened read(fields& f, as<opened>) { return {f.day("opened_on"), f.opt_text("opened_by")}; }
action_completed read(fields& f, as<action_completed>) {
  return {f.id("action_id"), f.text("evidence"), f.day("completed_on"), f.opt_text("completed_by")};
}
closed read(fields& f, as<closed>) { return {f.day("closed_on"), f.opt_text("closed_by")}; }

assemble_inputs read(fields& f, as<assemble_inputs>) {
  assemble_inputs x;
  x.pack = read_pack(f);
  if (f.find("as_of_position", false))
    x.as_of_position = static_cast<std::uint64_t>(f.integer("as_of_position", 0, INT64_MAX));
  return x;
}
open read(fields&, as<open>) { return {}; }
complete_action read(fields& f, as<complete_action>) { return {f.id("action_id"), f.text("evidence")}; }
request_minutes_approval read(fields& f, as<request_minutes_approval>) {
  return {f.opt_text("summary", wire::max_line)};
}
approve_minutes read(fields& f, as<approve_minutes>) { return {wire::read_approval_outcome(f)}; }
reject_minutes read(fields& f, as<reject_minutes>) { return {wire::read_approval_outcome(f)}; }
close read(fields&, as<close>) { return {}; }

}  // namespace

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  return wire::decode_event<event>(type, data, [](fields& f, auto t) { return read(f, t); });
}

// ---------------------------------------------------------------------------
// Commands

std::string_view command_type(const command& c) noexcept { return type_of(c); }

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  return wire::parse_command<command>(type, data, [](fields& f, auto t) { return read(f, t); });
}

// ---------------------------------------------------------------------------
// State

json minutes(const state& s) {
  json items = json::array(), decisions = json::array(), actions = json::array();
  for (const auto& i : s.items)
    items.push_back({{"item_id", i.item_id}, {"input", to_string(i.about)}, {"discussion", i.discussion}});
  for (const auto& d : s.decisions)
    decisions.push_back(
        {{"decision_id", d.decision_id}, {"kind", to_string(d.kind)}, {"text", d.text}, {"item_id", d.item_id}});
  for (const auto& a : s.actions) actions.push_back(to_json(a));
  return {{"review_id", s.plan.review_id},
          {"planned_on", format_date(s.plan.planned_on)},
          {"chair", s.plan.chair},
          {"held_on", s.held_on ? json(format_date(*s.held_on)) : json(nullptr)},
          {"inputs_sha256", s.inputs ? json(s.inputs->pack_sha256) : json(nullptr)},
          {"attendees", s.attendance ? wire::strings(s.attendance->attendees) : json::array()},
          {"apologies", s.attendance ? wire::strings(s.attendance->apologies) : json::array()},
          {"items", items},
          {"decisions", decisions},
          {"actions", actions}};
}

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                      const json& data) {
  return wire::stream_names_id(command_type, schedule::type, stream, "review", data, "review_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const bool concludes =
      std::holds_alternative<minutes_approved>(e) || std::holds_alternative<minutes_rejected>(e);
  if (!concludes && !s.pending_approval_id.empty()) {
    // Any change of the minutes voids a pending approval: the review is open again.
    s.pending_approval_id.clear();
    if (s.current == status::minutes_pending) s.current = status::open;
  }
  std::visit(overloaded{
                 [&](const scheduled& x) {
                   s.exists = true;
                   s.current = status::scheduled;
                   s.plan = x;
                 },
                 [&](const inputs_assembled& x) {
                   s.inputs = x;
                   s.current = status::inputs_assembled;
                 },
                 [&](const opened& x) {
                   s.held_on = x.opened_on;
                   s.current = status::open;
                 },
                 [&](const attendance_recorded& x) { s.attendance = x; },
                 [&](const item_recorded& x) { s.items.push_back(x); },
                 [&](const decision_recorded& x) { s.decisions.push_back(x); },
                 [&](const action_recorded& x) {
                   s.actions.push_back(review_action{x.action_id, x.description, x.owner, x.due_on,
                                                     x.decision_id, false, {}, std::nullopt, {}});
                 },
                 [&](const action_completed& x) {
                   for (auto& a : s.actions)
                     if (a.action_id == x.action_id) {
                       a.done = true;
                       a.evidence = x.evidence;
                       a.completed_on = x.completed_on;
                       a.completed_by = x.completed_by;
                     }
                 },
                 [&](const minutes_approval_requested& x) {
                   s.pending_approval_id = x.approval.approval_id;
                   s.current = status::minutes_pending;
                 },
                 [&](const minutes_approved& x) {
                   s.pending_approval_id.clear();
                   s.minutes_hash = x.content_hash;
                   s.current = status::minutes_approved;
                 },
                 [&](const minutes_rejected&) {
                   s.pending_approval_id.clear();
                   s.current = status::open;
                 },
                 [&](const closed&) { s.current = status::closed; },
             },
             e);
  return s;
}

std::optional<rejection> state_refusal(std::string_view type, const state& s, std::string_view action_id) {
  if (type == schedule::type) {
    if (s.exists) return wire::refusal("management review " + s.plan.review_id + " is already scheduled");
    return std::nullopt;
  }
  if (!s.exists)
    return rejection{rejection_kind::not_found, "", "no such management review; schedule it first"};
  const auto in_session = [&](std::string_view what) -> std::optional<rejection> {
    if (s.current == status::open) return std::nullopt;
    if (s.current == status::minutes_pending)
      return wire::refusal("the minutes await top management's approval; " + std::string(what) +
                    " is recorded once they are approved or rejected");
    return wire::refusal(std::string(what) + " is recorded while the review is open (it is " +
                  std::string(to_string(s.current)) + ")");
  };
  if (type == assemble_inputs::type) {
    if (s.current != status::scheduled && s.current != status::inputs_assembled)
      return wire::refusal("the inputs are assembled before the review opens");
  } else if (type == open::type) {
    if (s.current == status::scheduled)
      return wire::refusal("assemble the inputs pack first: the review considers the inputs of 9.3.2 a-g");
    if (s.current != status::inputs_assembled) return wire::refusal("the review is already opened");
  } else if (type == record_attendance::type) {
    return in_session("attendance");
  } else if (type == record_item::type) {
    return in_session("an item");
  } else if (type == record_decision::type) {
    return in_session("a decision");
  } else if (type == record_action::type) {
    return in_session("an action");
  } else if (type == complete_action::type) {
    const auto* a = s.action(action_id);
    if (!a)
      return rejection{rejection_kind::not_found, "data.action_id",
                       "no action " + std::string(action_id) + " in this review"};
    if (a->done) return wire::refusal("action " + a->action_id + " is already done");
    if (s.current == status::minutes_pending)
      return wire::refusal("the minutes await top management's approval; record the completion once they "
                    "are approved or rejected");
  } else if (type == request_minutes_approval::type) {
    if (s.current == status::minutes_pending)
      return wire::refusal("the minutes already await approval (" + s.pending_approval_id + ")");
    if (s.current != status::open) return wire::refusal("minutes are approved for an open review");
  } else if (type == close::type) {
    if (s.current == status::closed) return wire::refusal("the review is already closed");
    if (s.current != status::minutes_approved)
      return wire::refusal("a review closes once top management has approved its minutes (9.3.3)");
  }
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {schedule::type, assemble_inputs::type, open::type, record_attendance::type,
                                record_item::type, record_decision::type, record_action::type,
                                request_minutes_approval::type, close::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

std::vector<std::string> admitted_action_commands(const state& s, std::string_view action_id) {
  std::vector<std::string> out;
  if (!state_refusal(complete_action::type, s, action_id)) out.emplace_back(complete_action::type);
  return out;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;

  if (const auto* x = std::get_if<schedule>(&c)) {
    if (auto r = state_refusal(schedule::type, s)) return std::unexpected(*r);
    if (x->planned_on < today)
      return refuse(rejection_kind::rule, "data.planned_on",
                    "a review is scheduled for today or later, not " + format_date(x->planned_on));
    return one(encode(scheduled{x->review_id, x->planned_on, x->chair, x->interval_months}));
  }
  if (!s.exists) return refuse(rejection_kind::not_found, "", "no such management review; schedule it first");

  const auto refused = [&](std::string_view type) -> std::optional<std::unexpected<rejection>> {
    if (auto r = state_refusal(type, s)) return std::unexpected(std::move(*r));
    return std::nullopt;
  };

  return std::visit(
      overloaded{
          [&](const schedule&) -> decision { return rule("unreachable"); },
          [&](const assemble_inputs& x) -> decision {
            if (auto r = refused(assemble_inputs::type)) return *r;
            return one(encode(inputs_assembled{x.pack, canonical_hash(x.pack), x.as_of_position, today}));
          },
          [&](const open&) -> decision {
            if (auto r = refused(open::type)) return *r;
            return one(encode(opened{today, who}));
          },
          [&](const record_attendance& x) -> decision {
            if (auto r = refused(record_attendance::type)) return *r;
            if (std::find(x.attendees.begin(), x.attendees.end(), s.plan.chair) == x.attendees.end())
              return refuse(rejection_kind::rule, "data.attendees",
                            "top management reviews the ISMS (9.3.1): the chair " + s.plan.chair +
                                " must attend");
            return one(encode(attendance_recorded{x.attendees, x.apologies}));
          },
          [&](const record_item& x) -> decision {
            if (auto r = refused(record_item::type)) return *r;
            if (!s.attendance) return rule("record the attendance before the items discussed");
            for (const auto& i : s.items)
              if (i.item_id == x.item_id)
                return refuse(rejection_kind::rule, "data.item_id", "item " + x.item_id + " is already recorded");
            return one(encode(item_recorded{x.item_id, x.about, x.discussion}));
          },
          [&](const record_decision& x) -> decision {
            if (auto r = refused(record_decision::type)) return *r;
            for (const auto& d : s.decisions)
              if (d.decision_id == x.decision_id)
                return refuse(rejection_kind::rule, "data.decision_id",
                              "decision " + x.decision_id + " is already recorded");
            if (!x.item_id.empty() &&
                std::none_of(s.items.begin(), s.items.end(), [&](const auto& i) { return i.item_id == x.item_id; }))
              return refuse(rejection_kind::not_found, "data.item_id", "no item " + x.item_id + " in this review");
            return one(encode(decision_recorded{x.decision_id, x.kind, x.text, x.item_id}));
          },
          [&](const record_action& x) -> decision {
            if (auto r = refused(record_action::type)) return *r;
            if (s.action(x.action_id))
              return refuse(rejection_kind::rule, "data.action_id", "action " + x.action_id + " is already recorded");
            if (!x.decision_id.empty() && std::none_of(s.decisions.begin(), s.decisions.end(), [&](const auto& d) {
                  return d.decision_id == x.decision_id;
                }))
              return refuse(rejection_kind::not_found, "data.decision_id",
                            "no decision " + x.decision_id + " in this review");
            if (x.due_on < today)
              return refuse(rejection_kind::rule, "data.due_date",
                            "the due date " + format_date(x.due_on) + " has already passed");
            return one(encode(action_recorded{x.action_id, x.description, x.owner, x.due_on, x.decision_id}));
          },
          [&](const complete_action& x) -> decision {
            const auto* a = s.action(x.action_id);
            if (!a)
              return refuse(rejection_kind::not_found, "data.action_id",
                            "no action " + x.action_id + " in this review");
            if (acts_only_on_own(ctx.by, complete_action::type) && who != a->owner)
              return refuse(rejection_kind::forbidden, "",
                            "a contributor completes only the actions they own (owner: " + a->owner + ")");
            if (auto r = state_refusal(complete_action::type, s, x.action_id)) return std::unexpected(*r);
            return one(encode(action_completed{x.action_id, x.evidence, today, who}));
          },
          [&](const request_minutes_approval& x) -> decision {
            if (auto r = refused(request_minutes_approval::type)) return *r;
            if (!s.attendance) return rule("the minutes record who attended (9.3): record the attendance");
            std::string missing;
            for (std::size_t i = 0; i < input_count; ++i)
              if (std::none_of(s.items.begin(), s.items.end(),
                               [&](const auto& it) { return it.about == inputs[i].first; }))
                missing += (missing.empty() ? "" : ", ") + std::string(letters[i]) + ") " +
                           std::string(inputs[i].second);
            if (!missing.empty())
              return rule("the review has not yet considered every input of 9.3.2; missing: " + missing);
            const std::string hash = canonical_hash(minutes(s));
            const std::string summary = x.summary.empty()
                                            ? "Approve the minutes of management review " + s.plan.review_id +
                                                  " held on " + format_date(*s.held_on)
                                            : x.summary;
            auto req = wire::approval_for("review-" + s.plan.review_id, s.version + 1, "review.minutes",
                                          role::top_management, std::string(approve_minutes::type),
                                          std::string(reject_minutes::type), wire::clip(summary, wire::max_line), hash);
            return one(encode(minutes_approval_requested{hash, std::move(req)}));
          },
          [&](const approve_minutes& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(minutes_approved{x.outcome.approval_id, x.outcome.approvers, x.outcome.comment,
                                               canonical_hash(minutes(s))}));
          },
          [&](const reject_minutes& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(minutes_rejected{x.outcome.approval_id, x.outcome.rejected_by, x.outcome.comment}));
          },
          [&](const close&) -> decision {
            if (auto r = refused(close::type)) return *r;
            return one(encode(closed{today, who}));
          },
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

// ---------------------------------------------------------------------------
// Time rules

std::optional<date> next_review_due_on(const state& s) {
  if (!s.exists) return std::nullopt;
  if (!s.held_on) return s.plan.planned_on;
  return wire::add_months(*s.held_on, s.plan.interval_months);
}

bool review_due(const state& s, date today) {
  const auto due = next_review_due_on(s);
  return due && *due <= today;
}

std::vector<review_action> overdue_actions(const state& s, date today) {
  std::vector<review_action> out;
  for (const auto& a : s.actions)
    if (!a.done && a.due_on < today) out.push_back(a);
  return out;
}

}  // namespace isms::domain::management_review
