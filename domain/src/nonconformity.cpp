#include "isms/domain/nonconformity.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "isms/domain/internal_audit.hpp"
#include "wire_fields.hpp"

namespace isms::domain::nonconformity {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<source, 5> sources{{
    {source::internal_audit, "internal_audit"},
    {source::external_audit, "external_audit"},
    {source::incident, "incident"},
    {source::management_review, "management_review"},
    {source::other, "other"},
}};

constexpr wire::names<severity, 3> severities{{
    {severity::major, "major"},
    {severity::minor, "minor"},
    {severity::observation, "observation"},
}};

constexpr wire::names<action_status, 3> action_statuses{{
    {action_status::planned, "planned"},
    {action_status::done, "done"},
    {action_status::verified, "verified"},
}};

// A note recorded by someone on a day (containment, root cause).
json note(const std::string& description, date on, const std::string& by) {
  return {{"description", description}, {"recorded_on", format_date(on)}, {"recorded_by", by}};
}

}  // namespace

std::string_view to_string(source s) noexcept { return wire::name_of(sources, s); }
std::string_view to_string(severity s) noexcept { return wire::name_of(severities, s); }
std::string_view to_string(action_status s) noexcept { return wire::name_of(action_statuses, s); }

std::string nc_id_for_finding(std::string_view audit_id, std::string_view finding_id) {
  std::string id = std::string(audit_id) + "-" + std::string(finding_id);
  if (id.size() <= 64) return id;
  return "F-" + sha256_hex(std::string(audit_id) + "/" + std::string(finding_id)).substr(0, 40);
}

const corrective_action* state::action(std::string_view id) const noexcept {
  for (const auto& a : actions)
    if (a.action_id == id) return &a;
  return nullptr;
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const raised& x) {
            json d{{"nc_id", x.nc_id},
                   {"source", to_string(x.from)},
                   {"reference", x.reference},
                   {"severity", to_string(x.level)},
                   {"description", x.description},
                   {"raised_on", format_date(x.raised_on)},
                   {"raised_by", x.raised_by}};
            if (!x.audit_id.empty()) d["audit_id"] = x.audit_id;
            if (!x.finding_id.empty()) d["finding_id"] = x.finding_id;
            if (!x.review_id.empty()) d["review_id"] = x.review_id;
            if (!x.incident_id.empty()) d["incident_id"] = x.incident_id;
            return new_event{std::string(raised::type), d};
          },
          [](const containment_recorded& x) {
            return new_event{std::string(containment_recorded::type), note(x.description, x.recorded_on, x.recorded_by)};
          },
          [](const root_cause_recorded& x) {
            return new_event{std::string(root_cause_recorded::type), note(x.description, x.recorded_on, x.recorded_by)};
          },
          [](const similar_check_recorded& x) {
            return new_event{std::string(similar_check_recorded::type),
                             {{"similar_found", x.similar_found},
                              {"details", x.details},
                              {"related_ncs", wire::strings(x.related_ncs)},
                              {"recorded_on", format_date(x.recorded_on)},
                              {"recorded_by", x.recorded_by}}};
          },
          [](const action_planned& x) {
            return new_event{std::string(action_planned::type),
                             {{"action_id", x.action_id},
                              {"description", x.description},
                              {"owner", x.owner},
                              {"due_date", format_date(x.due_on)}}};
          },
          [](const action_completed& x) {
            return new_event{std::string(action_completed::type),
                             {{"action_id", x.action_id},
                              {"evidence", x.evidence},
                              {"completed_on", format_date(x.completed_on)},
                              {"completed_by", x.completed_by}}};
          },
          [](const action_verified& x) {
            return new_event{std::string(action_verified::type),
                             {{"action_id", x.action_id},
                              {"effective", x.effective},
                              {"notes", x.notes},
                              {"verified_on", format_date(x.verified_on)},
                              {"verified_by", x.verified_by}}};
          },
          [](const closed& x) {
            return new_event{std::string(closed::type),
                             {{"comment", x.comment},
                              {"closed_on", format_date(x.closed_on)},
                              {"closed_by", x.closed_by}}};
          },
      },
      e);
}

namespace {

using wire::as;

// One reader per shape: a command and the event that records it read the same
// fields; the event adds when and by whom.
template <class T>
  requires std::same_as<T, raised> || std::same_as<T, raise>
T read(fields& f, as<T>) {
  T x;
  x.nc_id = f.id("nc_id");
  x.from = f.choice("source", sources);
  x.reference = f.requirement("reference");
  x.level = f.choice("severity", severities);
  x.description = f.text("description");
  if constexpr (std::same_as<T, raised>) {
    x.raised_on = f.day("raised_on");
    x.raised_by = f.opt_text("raised_by");
  }
  x.audit_id = f.opt_id("audit_id");
  x.finding_id = f.opt_id("finding_id");
  x.review_id = f.opt_id("review_id");
  x.incident_id = f.opt_id("incident_id");
  if constexpr (std::same_as<T, raise>) {
    if (!f.ok()) return x;
    if (x.audit_id.empty() != x.finding_id.empty())
      f.fail(x.audit_id.empty() ? "audit_id" : "finding_id",
             "is required with " + std::string(x.audit_id.empty() ? "finding_id" : "audit_id") +
                 ": a nonconformity from an audit names both the audit and the finding");
    else if (!x.audit_id.empty() && x.from != source::internal_audit)
      f.fail("source", "must be internal_audit for a nonconformity raised from an audit finding");
    else if (!x.review_id.empty() && x.from != source::management_review)
      f.fail("source", "must be management_review for a nonconformity raised from a management review");
    else if (!x.incident_id.empty() && x.from != source::incident)
      f.fail("source", "must be incident for a nonconformity raised from an incident");
    // Each origin asks for its own source, so a nonconformity names one origin at most.
  }
  return x;
}

template <class T>
  requires std::same_as<T, containment_recorded> || std::same_as<T, root_cause_recorded>
T read(fields& f, as<T>) {
  return T{f.text("description"), f.day("recorded_on"), f.opt_text("recorded_by")};
}

template <class T>
  requires std::same_as<T, record_containment> || std::same_as<T, record_root_cause>
T read(fields& f, as<T>) {
  return T{f.text("description")};
}

template <class T>
  requires std::same_as<T, similar_check_recorded> || std::same_as<T, record_similar_check>
T read(fields& f, as<T>) {
  T x;
  x.similar_found = f.boolean("similar_found");
  x.details = f.text("details");
  x.related_ncs = f.opt_ids("related_ncs");
  if constexpr (std::same_as<T, similar_check_recorded>) {
    x.recorded_on = f.day("recorded_on");
    x.recorded_by = f.opt_text("recorded_by");
  }
  return x;
}

template <class T>
  requires std::same_as<T, action_planned> || std::same_as<T, plan_action>
T read(fields& f, as<T>) {
  return T{f.id("action_id"), f.text("description"), f.id("owner"), f.day("due_date")};
}

action_completed read(fields& f, as<action_completed>) {
  return {f.id("action_id"), f.text("evidence"), f.day("completed_on"), f.opt_text("completed_by")};
}
complete_action read(fields& f, as<complete_action>) { return {f.id("action_id"), f.text("evidence")}; }
action_verified read(fields& f, as<action_verified>) {
  return {f.id("action_id"), f.boolean("effective"), f.opt_text("notes"), f.day("verified_on"),
          f.opt_text("verified_by")};
}
verify_action read(fields& f, as<verify_action>) {
  return {f.id("action_id"), f.boolean("effective"), f.text("notes")};
}
closed read(fields& f, as<closed>) { return {f.opt_text("comment"), f.day("closed_on"), f.opt_text("closed_by")}; }
close read(fields& f, as<close>) { return {f.text("comment")}; }

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

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                      const json& data) {
  return wire::stream_names_id(command_type, raise::type, stream, "nc", data, "nc_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const auto find = [&](const std::string& id) -> corrective_action* {
    for (auto& a : s.actions)
      if (a.action_id == id) return &a;
    return nullptr;
  };
  std::visit(overloaded{
                 [&](const raised& x) {
                   s.exists = true;
                   s.nc = x;
                 },
                 [&](const containment_recorded& x) { s.containment = x.description; },
                 [&](const root_cause_recorded& x) { s.root_cause = x.description; },
                 [&](const similar_check_recorded& x) {
                   s.similar_checked = true;
                   s.similar_found = x.similar_found;
                 },
                 [&](const action_planned& x) {
                   corrective_action a;
                   a.action_id = x.action_id;
                   a.description = x.description;
                   a.owner = x.owner;
                   a.due_on = x.due_on;
                   s.actions.push_back(std::move(a));
                 },
                 [&](const action_completed& x) {
                   if (auto* a = find(x.action_id)) {
                     a->status = action_status::done;
                     a->evidence = x.evidence;
                     a->completed_on = x.completed_on;
                     a->completed_by = x.completed_by;
                   }
                 },
                 [&](const action_verified& x) {
                   if (auto* a = find(x.action_id)) {
                     a->verified_by = x.verified_by;
                     a->verification_notes = x.notes;
                     if (x.effective) {
                       a->status = action_status::verified;
                     } else {
                       a->status = action_status::planned;
                       ++a->ineffective_verifications;
                     }
                   }
                 },
                 [&](const closed& x) {
                   s.closed = true;
                   s.closed_on = x.closed_on;
                 },
             },
             e);
  return s;
}

namespace {

std::optional<rejection> existence_refusal(const state& s) {
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such nonconformity; raise it first"};
  if (s.closed) return rejection{rejection_kind::rule, "", "nonconformity " + s.nc.nc_id + " is closed"};
  return std::nullopt;
}

}  // namespace

std::optional<rejection> state_refusal(std::string_view type, const state& s, std::string_view action_id) {
  if (type == raise::type) {
    if (s.exists) return wire::refusal("nonconformity " + s.nc.nc_id + " is already raised");
    return std::nullopt;
  }
  if (auto r = existence_refusal(s)) return r;
  if (type == record_root_cause::type) {
    if (s.containment.empty())
      return wire::refusal("react first: record how the nonconformity is contained and corrected (10.2 a) "
                    "before its root cause (10.2 b)");
  } else if (type == record_similar_check::type) {
    if (s.root_cause.empty())
      return wire::refusal("determine the root cause (10.2 b 2) before checking for similar "
                    "nonconformities (10.2 b 3)");
  } else if (type == plan_action::type) {
    if (s.root_cause.empty() || !s.similar_checked)
      return wire::refusal("corrective action follows the evaluation of the need for action: record the root "
                    "cause and the check for similar nonconformities first (10.2 b, c)");
  } else if (type == complete_action::type || type == verify_action::type) {
    const auto* a = s.action(action_id);
    if (!a)
      return rejection{rejection_kind::not_found, "data.action_id",
                       "no corrective action " + std::string(action_id) + " on nonconformity " + s.nc.nc_id};
    if (type == complete_action::type && a->status != action_status::planned)
      return wire::refusal("corrective action " + a->action_id + " is already " + std::string(to_string(a->status)));
    if (type == verify_action::type && a->status != action_status::done)
      return wire::refusal("only a completed action is verified; " + a->action_id + " is " +
                    std::string(to_string(a->status)));
  } else if (type == close::type) {
    for (const auto& a : s.actions)
      if (a.status != action_status::verified)
        return wire::refusal("corrective action " + a.action_id + " is " + std::string(to_string(a.status)) +
                      "; a nonconformity closes only when every action is done and verified effective "
                      "(10.2 d)");
    if (s.nc.level != severity::observation) {
      if (s.containment.empty()) return wire::refusal("record the containment (10.2 a) before closing");
      if (s.root_cause.empty()) return wire::refusal("record the root cause (10.2 b 2) before closing");
      if (!s.similar_checked)
        return wire::refusal("record the check for similar nonconformities (10.2 b 3) before closing");
      if (s.actions.empty())
        return wire::refusal("a " + std::string(to_string(s.nc.level)) +
                      " nonconformity closes only after corrective action (10.2 c); only an "
                      "observation may close without one");
    }
  }
  // record_containment: any nonconformity raised and not closed.
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {raise::type, record_containment::type, record_root_cause::type,
                                record_similar_check::type, plan_action::type, close::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

std::vector<std::string> admitted_action_commands(const state& s, std::string_view action_id) {
  std::vector<std::string> out;
  for (std::string_view type : {complete_action::type, verify_action::type})
    if (!state_refusal(type, s, action_id)) out.emplace_back(type);
  return out;
}

std::vector<actor_limit> action_actor_limits(const state& s, std::string_view action_id) {
  const auto* a = s.action(action_id);
  if (a == nullptr || a->completed_by.empty()) return {};
  return {actor_limit{verify_action::type, {}, {a->completed_by}}};
}

namespace {

decision decide_rules(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;

  if (const auto* x = std::get_if<raise>(&c)) {
    if (auto r = state_refusal(raise::type, s)) return std::unexpected(*r);
    return one(encode(raised{x->nc_id, x->from, x->reference, x->level, x->description, today, who,
                             x->audit_id, x->finding_id, x->review_id, x->incident_id}));
  }
  if (auto r = existence_refusal(s)) return std::unexpected(*r);

  const auto missing_action = [&](const std::string& id) {
    return refuse(rejection_kind::not_found, "data.action_id",
                  "no corrective action " + id + " on nonconformity " + s.nc.nc_id);
  };

  return std::visit(
      overloaded{
          [&](const raise&) -> decision { return rule("unreachable"); },
          [&](const record_containment& x) -> decision {
            if (auto r = state_refusal(record_containment::type, s)) return std::unexpected(*r);
            return one(encode(containment_recorded{x.description, today, who}));
          },
          [&](const record_root_cause& x) -> decision {
            if (auto r = state_refusal(record_root_cause::type, s)) return std::unexpected(*r);
            return one(encode(root_cause_recorded{x.description, today, who}));
          },
          [&](const record_similar_check& x) -> decision {
            if (auto r = state_refusal(record_similar_check::type, s)) return std::unexpected(*r);
            return one(encode(similar_check_recorded{x.similar_found, x.details, x.related_ncs, today, who}));
          },
          [&](const plan_action& x) -> decision {
            if (auto r = state_refusal(plan_action::type, s)) return std::unexpected(*r);
            if (s.action(x.action_id))
              return refuse(rejection_kind::rule, "data.action_id",
                            "corrective action " + x.action_id + " is already planned");
            if (x.due_on < today)
              return refuse(rejection_kind::rule, "data.due_date",
                            "the due date " + format_date(x.due_on) + " has already passed");
            return one(encode(action_planned{x.action_id, x.description, x.owner, x.due_on}));
          },
          [&](const complete_action& x) -> decision {
            const auto* a = s.action(x.action_id);
            if (!a) return missing_action(x.action_id);
            if (acts_only_on_own(ctx.by, complete_action::type) && who != a->owner)
              return refuse(rejection_kind::forbidden, "",
                            "a contributor completes only the actions they own (owner: " + a->owner + ")");
            if (auto r = state_refusal(complete_action::type, s, x.action_id)) return std::unexpected(*r);
            return one(encode(action_completed{x.action_id, x.evidence, today, who}));
          },
          [&](const verify_action& x) -> decision {
            const auto* a = s.action(x.action_id);
            if (!a) return missing_action(x.action_id);
            if (auto r = state_refusal(verify_action::type, s, x.action_id)) return std::unexpected(*r);
            if (!wire::admits(action_actor_limits(s, x.action_id), verify_action::type, who))
              return refuse(rejection_kind::forbidden, "",
                            "the implementer of corrective action " + x.action_id +
                                " does not verify its effectiveness (10.2 d, segregation of duties)");
            return one(encode(action_verified{x.action_id, x.effective, x.notes, today, who}));
          },
          [&](const close& x) -> decision {
            if (auto r = state_refusal(close::type, s)) return std::unexpected(*r);
            return one(encode(closed{x.comment, today, who}));
          },
      },
      c);
}

}  // namespace

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

namespace {

// The audit a raise names, when it is raised from a finding of one.
const raise* from_finding(const command& c, const state& s) {
  const auto* x = std::get_if<raise>(&c);
  return x != nullptr && !x->audit_id.empty() && !s.exists ? x : nullptr;
}

}  // namespace

std::vector<std::string> reads(const command& c, const state& s) {
  if (const auto* x = from_finding(c, s)) return {"audit-" + x->audit_id};
  return {};
}

std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read) {
  facts f;
  if (const auto* x = from_finding(c, s)) {
    auto audit = internal_audit::fold(read.history("audit-" + x->audit_id));
    if (!audit) return std::unexpected(audit.error());
    f.audit_exists = audit->exists;
    f.finding_exists = audit->find_finding(x->finding_id) != nullptr;
  }
  return f;
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  if (const auto* x = from_finding(c, s)) {
    // The finding a nonconformity is raised from must be on record.
    if (!f.audit_exists)
      return wire::refuse(rejection_kind::not_found, "data.audit_id", "no internal audit " + x->audit_id);
    if (!f.finding_exists)
      return wire::refuse(rejection_kind::not_found, "data.finding_id",
                          "internal audit " + x->audit_id + " has no finding " + x->finding_id);
  }
  return decide_rules(c, s, ctx);
}

std::vector<corrective_action> overdue_actions(const state& s, date today) {
  std::vector<corrective_action> out;
  if (!s.exists || s.closed) return out;
  for (const auto& a : s.actions)
    if (a.status == action_status::planned && a.due_on < today) out.push_back(a);
  return out;
}

}  // namespace isms::domain::nonconformity
