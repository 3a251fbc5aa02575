#include "isms/domain/objective.hpp"

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::objective {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<status, 4> statuses{{
    {status::proposed, "proposed"},
    {status::set, "set"},
    {status::achieved, "achieved"},
    {status::missed, "missed"},
}};

json to_json(const terms& t) {
  return {{"statement", t.statement},   {"measure", t.measure},
          {"target_value", t.target_value}, {"unit", t.unit},
          {"owner", t.owner},           {"due_date", format_date(t.due_on)},
          {"resources", t.resources},   {"evaluation", t.evaluation},
          {"related_policy", t.related_policy}};
}

terms read_terms(fields& f) {
  terms t;
  t.statement = f.text("statement");
  t.measure = f.text("measure");
  t.target_value = f.number("target_value");
  t.unit = f.text("unit", 40);
  t.owner = f.id("owner");
  t.due_on = f.day("due_date");
  t.resources = f.text("resources");
  t.evaluation = f.text("evaluation");
  t.related_policy = f.opt_id("related_policy");
  return t;
}

}  // namespace

std::string_view to_string(status s) noexcept { return wire::name_of(statuses, s); }

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const proposed& x) {
            json d = to_json(x.proposal);
            d["objective_id"] = x.objective_id;
            return new_event{std::string(proposed::type), d};
          },
          [](const revised& x) {
            json d = to_json(x.proposal);
            d["reason"] = x.reason;
            return new_event{std::string(revised::type), d};
          },
          [](const wire::approval_record auto& x) { return wire::event_of(x); },
          [](const progress_recorded& x) {
            return new_event{std::string(progress_recorded::type),
                             {{"measured_value", x.measured_value},
                              {"measured_on", format_date(x.measured_on)},
                              {"note", x.note},
                              {"recorded_by", x.recorded_by}}};
          },
          [](const achieved& x) {
            return new_event{std::string(achieved::type),
                             {{"note", x.note}, {"achieved_on", format_date(x.achieved_on)}}};
          },
          [](const missed& x) {
            return new_event{std::string(missed::type),
                             {{"reason", x.reason}, {"missed_on", format_date(x.missed_on)}}};
          },
      },
      e);
}

namespace {

using wire::as;

// One reader per shape: a command and the event that records it read the same
// fields; the event adds when and by whom.
template <class T>
  requires std::same_as<T, proposed> || std::same_as<T, propose>
T read(fields& f, as<T>) {
  auto id = f.id("objective_id");
  return T{std::move(id), read_terms(f)};
}

template <class T>
  requires std::same_as<T, progress_recorded> || std::same_as<T, record_progress>
T read(fields& f, as<T>) {
  T x;
  x.measured_value = f.number("measured_value");
  x.measured_on = f.day("measured_on");
  x.note = f.opt_text("note");
  if constexpr (std::same_as<T, progress_recorded>) x.recorded_by = f.opt_text("recorded_by");
  return x;
}

revised read(fields& f, as<revised>) {
  auto proposal = read_terms(f);
  return {std::move(proposal), f.opt_text("reason")};
}
achieved read(fields& f, as<achieved>) { return {f.opt_text("note"), f.day("achieved_on")}; }
missed read(fields& f, as<missed>) { return {f.opt_text("reason"), f.day("missed_on")}; }

request_approval read(fields& f, as<request_approval>) { return {f.opt_text("summary", wire::max_line)}; }
approve read(fields& f, as<approve>) { return {wire::read_approval_outcome(f)}; }
reject read(fields& f, as<reject>) { return {wire::read_approval_outcome(f)}; }
revise read(fields& f, as<revise>) {
  revise x;
  const auto some = [&](std::string_view key) { return f.find(key, false) != nullptr; };
  if (some("statement")) x.statement = f.text("statement");
  if (some("measure")) x.measure = f.text("measure");
  if (some("target_value")) x.target_value = f.number("target_value");
  if (some("unit")) x.unit = f.text("unit", 40);
  if (some("owner")) x.owner = f.id("owner");
  if (some("due_date")) x.due_on = f.day("due_date");
  if (some("resources")) x.resources = f.text("resources");
  if (some("evaluation")) x.evaluation = f.text("evaluation");
  if (some("related_policy")) x.related_policy = f.id("related_policy");
  x.reason = f.text("reason");
  return x;
}
mark_achieved read(fields& f, as<mark_achieved>) { return {f.text("note")}; }
mark_missed read(fields& f, as<mark_missed>) { return {f.text("reason")}; }

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

json approval_content(const state& s) {
  json j = to_json(s.proposal);
  j["objective_id"] = s.objective_id;
  return j;
}

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                      const json& data) {
  return wire::stream_names_id(command_type, propose::type, stream, "objective", data, "objective_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const bool concludes = std::holds_alternative<objective_set>(e) || std::holds_alternative<rejected>(e);
  if (!concludes) s.pending_approval_id.clear();  // any change voids a pending approval
  std::visit(overloaded{
                 [&](const proposed& x) {
                   s.exists = true;
                   s.objective_id = x.objective_id;
                   s.current = status::proposed;
                   s.proposal = x.proposal;
                   s.proposal_open = true;
                 },
                 [&](const revised& x) {
                   s.proposal = x.proposal;
                   s.proposal_open = true;
                 },
                 [&](const approval_requested& x) { s.pending_approval_id = x.approval.approval_id; },
                 [&](const objective_set&) {
                   s.in_force = s.proposal;
                   s.proposal_open = false;
                   s.current = status::set;
                   s.pending_approval_id.clear();
                 },
                 [&](const rejected&) { s.pending_approval_id.clear(); },
                 [&](const progress_recorded& x) {
                   s.progress.push_back(measurement{x.measured_value, x.measured_on, x.note, x.recorded_by});
                 },
                 [&](const achieved&) { s.current = status::achieved; },
                 [&](const missed&) { s.current = status::missed; },
             },
             e);
  return s;
}

namespace {

std::optional<rejection> existence_refusal(const state& s) {
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such objective; propose it first"};
  if (s.current == status::achieved || s.current == status::missed)
    return rejection{rejection_kind::rule, "",
                     "objective " + s.objective_id + " is " + std::string(to_string(s.current)) +
                         " and takes no further changes"};
  return std::nullopt;
}

}  // namespace

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == propose::type) {
    if (s.exists) return wire::refusal("objective " + s.objective_id + " already exists; revise it instead");
    return std::nullopt;
  }
  if (auto r = existence_refusal(s)) return r;
  if (type == request_approval::type) {
    if (!s.pending_approval_id.empty())
      return wire::refusal("the objective already awaits approval (" + s.pending_approval_id + ")");
    if (!s.proposal_open) return wire::refusal("nothing to approve: the terms in force are the latest; revise them first");
  } else if (type == record_progress::type) {
    if (s.current != status::set || !s.in_force)
      return wire::refusal("progress is measured against an objective top management has set (6.2, 9.1)");
  } else if (type == mark_achieved::type) {
    if (s.current != status::set) return wire::refusal("only a set objective is achieved");
    if (s.progress.empty()) return wire::refusal("achievement must be shown by at least one recorded measurement (9.1)");
  } else if (type == mark_missed::type) {
    if (s.current != status::set) return wire::refusal("only a set objective is missed");
  }
  // revise: any objective that exists and is not closed.
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {propose::type, revise::type, request_approval::type, record_progress::type,
                                mark_achieved::type, mark_missed::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);

  if (const auto* x = std::get_if<propose>(&c)) {
    if (auto r = state_refusal(propose::type, s)) return std::unexpected(*r);
    if (x->proposal.due_on < today)
      return refuse(rejection_kind::rule, "data.due_date", "the due date " + format_date(x->proposal.due_on) +
                                                               " has already passed (6.2 i)");
    return one(encode(proposed{x->objective_id, x->proposal}));
  }
  if (auto r = existence_refusal(s)) return std::unexpected(*r);

  return std::visit(
      overloaded{
          [&](const propose&) -> decision { return rule("unreachable"); },
          [&](const revise& x) -> decision {
            terms t = s.proposal;
            if (x.statement) t.statement = *x.statement;
            if (x.measure) t.measure = *x.measure;
            if (x.target_value) t.target_value = *x.target_value;
            if (x.unit) t.unit = *x.unit;
            if (x.owner) t.owner = *x.owner;
            if (x.due_on) t.due_on = *x.due_on;
            if (x.resources) t.resources = *x.resources;
            if (x.evaluation) t.evaluation = *x.evaluation;
            if (x.related_policy) t.related_policy = *x.related_policy;
            if (t == s.proposal) return rule("the revision changes none of the objective's terms");
            if (x.due_on && *x.due_on < today)
              return refuse(rejection_kind::rule, "data.due_date",
                            "the due date " + format_date(*x.due_on) + " has already passed (6.2 i)");
            return one(encode(revised{t, x.reason}));
          },
          [&](const request_approval& x) -> decision {
            if (auto r = state_refusal(request_approval::type, s)) return std::unexpected(*r);
            const std::string hash = canonical_hash(approval_content(s));
            const std::string summary =
                x.summary.empty() ? std::string(s.in_force ? "Approve the revised objective " : "Set the objective ") +
                                        s.objective_id + ": " + s.proposal.statement
                                  : x.summary;
            auto req = wire::approval_for("objective-" + s.objective_id, s.version + 1, "objective.setting",
                                          role::top_management, std::string(approve::type), std::string(reject::type),
                                          wire::clip(summary, wire::max_line), hash);
            return one(encode(approval_requested{hash, std::move(req)}));
          },
          [&](const approve& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(objective_set{x.outcome.approval_id, x.outcome.approvers, x.outcome.comment,
                                            canonical_hash(approval_content(s))}));
          },
          [&](const reject& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(rejected{x.outcome.approval_id, x.outcome.rejected_by, x.outcome.comment}));
          },
          [&](const record_progress& x) -> decision {
            if (auto r = state_refusal(record_progress::type, s)) return std::unexpected(*r);
            if (acts_only_on_own(ctx.by, record_progress::type) && ctx.by.user_id != s.in_force->owner)
              return refuse(rejection_kind::forbidden, "",
                            "a contributor records progress only on objectives they own (owner: " +
                                s.in_force->owner + ")");
            if (x.measured_on > today)
              return refuse(rejection_kind::rule, "data.measured_on",
                            "a measurement cannot be dated in the future (" + format_date(x.measured_on) + ")");
            return one(encode(progress_recorded{x.measured_value, x.measured_on, x.note, ctx.by.user_id}));
          },
          [&](const mark_achieved& x) -> decision {
            if (auto r = state_refusal(mark_achieved::type, s)) return std::unexpected(*r);
            return one(encode(achieved{x.note, today}));
          },
          [&](const mark_missed& x) -> decision {
            if (auto r = state_refusal(mark_missed::type, s)) return std::unexpected(*r);
            return one(encode(missed{x.reason, today}));
          },
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

bool overdue(const state& s, date today) {
  return s.exists && s.current == status::set && s.in_force && s.in_force->due_on < today;
}

}  // namespace isms::domain::objective
