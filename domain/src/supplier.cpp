#include "isms/domain/supplier.hpp"

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::supplier {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<criticality, 4> criticalities{{
    {criticality::low, "low"},
    {criticality::medium, "medium"},
    {criticality::high, "high"},
    {criticality::critical, "critical"},
}};

constexpr wire::names<result, 3> results{{
    {result::satisfactory, "satisfactory"},
    {result::conditional, "conditional"},
    {result::unsatisfactory, "unsatisfactory"},
}};

constexpr wire::names<status, 3> statuses{{
    {status::registered, "registered"},
    {status::accepted, "accepted"},
    {status::terminated, "terminated"},
}};

terms read_terms(fields& f) {
  terms t;
  t.name = f.text("name", wire::max_line);
  t.services = f.text("services");
  t.data_handled = f.text("data_handled");
  t.level = f.choice("criticality", criticalities);
  t.security_requirements = f.text("security_requirements");
  t.agreement = f.opt_text("agreement", wire::max_line);
  t.owner = f.id("owner");
  t.linked_risks = f.opt_ids("linked_risks");
  return t;
}

}  // namespace

std::string_view to_string(criticality c) noexcept { return wire::name_of(criticalities, c); }
std::string_view to_string(result r) noexcept { return wire::name_of(results, r); }
std::string_view to_string(status s) noexcept { return wire::name_of(statuses, s); }

json to_json(const terms& t) {
  return {{"name", t.name},
          {"services", t.services},
          {"data_handled", t.data_handled},
          {"criticality", to_string(t.level)},
          {"security_requirements", t.security_requirements},
          {"agreement", t.agreement},
          {"owner", t.owner},
          {"linked_risks", wire::strings(t.linked_risks)}};
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const registered& x) {
            json d = to_json(x.recorded);
            d["supplier_id"] = x.supplier_id;
            d["registered_on"] = format_date(x.registered_on);
            d["registered_by"] = x.registered_by;
            return new_event{std::string(registered::type), d};
          },
          [](const changed& x) {
            json d = to_json(x.recorded);
            d["reason"] = x.reason;
            return new_event{std::string(changed::type), d};
          },
          [](const wire::approval_record auto& x) { return wire::event_of(x); },
          [](const assessed& x) {
            return new_event{std::string(assessed::type),
                             {{"result", to_string(x.outcome)},
                              {"findings", x.findings},
                              {"assessed_on", format_date(x.assessed_on)},
                              {"next_due", format_date(x.next_due)},
                              {"assessed_by", x.assessed_by}}};
          },
          [](const terminated& x) {
            return new_event{std::string(terminated::type),
                             {{"reason", x.reason},
                              {"terminated_on", format_date(x.terminated_on)},
                              {"terminated_by", x.terminated_by}}};
          },
      },
      e);
}

namespace {

using wire::as;

registered read(fields& f, as<registered>) {
  registered x;
  x.supplier_id = f.id("supplier_id");
  x.recorded = read_terms(f);
  x.registered_on = f.day("registered_on");
  x.registered_by = f.opt_text("registered_by");
  return x;
}
register_supplier read(fields& f, as<register_supplier>) {
  register_supplier x;
  x.supplier_id = f.id("supplier_id");
  x.recorded = read_terms(f);
  return x;
}
changed read(fields& f, as<changed>) {
  changed x;
  x.recorded = read_terms(f);
  x.reason = f.opt_text("reason");
  return x;
}
change read(fields& f, as<change>) {
  change x;
  const auto some = [&](std::string_view key) { return f.find(key, false) != nullptr; };
  if (some("name")) x.name = f.text("name", wire::max_line);
  if (some("services")) x.services = f.text("services");
  if (some("data_handled")) x.data_handled = f.text("data_handled");
  if (some("security_requirements")) x.security_requirements = f.text("security_requirements");
  if (some("agreement")) x.agreement = f.opt_text("agreement", wire::max_line);
  if (some("owner")) x.owner = f.id("owner");
  if (some("criticality")) x.level = f.choice("criticality", criticalities);
  if (some("linked_risks")) x.linked_risks = f.opt_ids("linked_risks");
  x.reason = f.text("reason");
  return x;
}
request_acceptance read(fields& f, as<request_acceptance>) { return {f.opt_text("summary", wire::max_line)}; }
accept read(fields& f, as<accept>) { return {wire::read_approval_outcome(f)}; }
reject_acceptance read(fields& f, as<reject_acceptance>) { return {wire::read_approval_outcome(f)}; }

template <class T>
  requires std::same_as<T, assessed> || std::same_as<T, record_assessment>
T read(fields& f, as<T>) {
  T x;
  x.outcome = f.choice("result", results);
  x.findings = f.text("findings");
  x.next_due = f.day("next_due");
  if constexpr (std::same_as<T, assessed>) {
    x.assessed_on = f.day("assessed_on");
    x.assessed_by = f.opt_text("assessed_by");
  }
  return x;
}
terminated read(fields& f, as<terminated>) {
  return {f.text("reason"), f.day("terminated_on"), f.opt_text("terminated_by")};
}
terminate read(fields& f, as<terminate>) { return {f.text("reason")}; }

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
  json j = to_json(s.recorded);
  j["supplier_id"] = s.supplier_id;
  return j;
}

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream, const json& data) {
  return wire::stream_names_id(command_type, register_supplier::type, stream, "supplier", data, "supplier_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const bool concludes = std::holds_alternative<accepted>(e) || std::holds_alternative<acceptance_rejected>(e);
  if (!concludes) s.pending_approval_id.clear();  // any change voids a pending approval
  std::visit(overloaded{
                 [&](const registered& x) {
                   s.exists = true;
                   s.supplier_id = x.supplier_id;
                   s.recorded = x.recorded;
                 },
                 [&](const changed& x) { s.recorded = x.recorded; },
                 [&](const acceptance_requested& x) { s.pending_approval_id = x.approval.approval_id; },
                 [&](const accepted&) {
                   s.accepted_terms = s.recorded;
                   if (s.current == status::registered) s.current = status::accepted;
                   s.pending_approval_id.clear();
                 },
                 [&](const acceptance_rejected&) { s.pending_approval_id.clear(); },
                 [&](const assessed& x) {
                   s.next_assessment_due = x.next_due;
                   s.last_result = x.outcome;
                 },
                 [&](const terminated&) { s.current = status::terminated; },
             },
             e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == register_supplier::type) {
    if (s.exists) return wire::refusal("supplier " + s.supplier_id + " is already registered");
    return std::nullopt;
  }
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such supplier; register it first"};
  if (type == accept::type || type == reject_acceptance::type) return std::nullopt;  // the outcome's own check
  if (s.current == status::terminated)
    return wire::refusal("the relationship with supplier " + s.supplier_id + " is terminated");
  if (type == request_acceptance::type) {
    if (!s.pending_approval_id.empty())
      return wire::refusal("supplier " + s.supplier_id + " already awaits acceptance (" + s.pending_approval_id + ")");
    if (s.accepted_as_recorded())
      return wire::refusal("supplier " + s.supplier_id + " is accepted as recorded; change its terms first");
  } else if (type == record_assessment::type) {
    if (!s.accepted_terms)
      return wire::refusal("a supplier is assessed once it is accepted (A.5.19, A.5.22); request its acceptance first");
  }
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {register_supplier::type, change::type, request_acceptance::type,
                                record_assessment::type, terminate::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

bool assessment_due(const state& s, date today) {
  return s.exists && s.current == status::accepted && s.next_assessment_due && *s.next_assessment_due <= today;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;
  const std::string_view type = command_type(c);
  if (auto r = state_refusal(type, s)) return std::unexpected(*r);
  return std::visit(
      overloaded{
          [&](const register_supplier& x) -> decision {
            return one(encode(registered{x.supplier_id, x.recorded, today, who}));
          },
          [&](const change& x) -> decision {
            terms t = s.recorded;
            if (x.name) t.name = *x.name;
            if (x.services) t.services = *x.services;
            if (x.data_handled) t.data_handled = *x.data_handled;
            if (x.security_requirements) t.security_requirements = *x.security_requirements;
            if (x.agreement) t.agreement = *x.agreement;
            if (x.owner) t.owner = *x.owner;
            if (x.level) t.level = *x.level;
            if (x.linked_risks) t.linked_risks = *x.linked_risks;
            if (t == s.recorded) return rule("the change changes none of the supplier's terms");
            return one(encode(changed{std::move(t), x.reason}));
          },
          [&](const request_acceptance& x) -> decision {
            const std::string hash = canonical_hash(approval_content(s));
            const std::string summary =
                x.summary.empty()
                    ? std::string(s.accepted_terms ? "Accept the changed terms of supplier " : "Accept supplier ") +
                          s.supplier_id + ": " + s.recorded.name + " (" + std::string(to_string(s.recorded.level)) +
                          ")"
                    : x.summary;
            auto req = wire::approval_for("supplier-" + s.supplier_id, s.version + 1, "supplier.acceptance",
                                          role::top_management, std::string(accept::type),
                                          std::string(reject_acceptance::type), wire::clip(summary, wire::max_line),
                                          hash);
            return one(encode(acceptance_requested{hash, std::move(req)}));
          },
          [&](const accept& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id)) return std::unexpected(*r);
            return one(encode(accepted{x.outcome.approval_id, x.outcome.approvers, x.outcome.comment,
                                       canonical_hash(approval_content(s))}));
          },
          [&](const reject_acceptance& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id)) return std::unexpected(*r);
            return one(encode(acceptance_rejected{x.outcome.approval_id, x.outcome.rejected_by, x.outcome.comment}));
          },
          [&](const record_assessment& x) -> decision {
            if (acts_only_on_own(ctx.by, record_assessment::type) && who != s.recorded.owner)
              return refuse(rejection_kind::forbidden, "",
                            "a risk owner assesses only the suppliers whose relationship they own (owner: " +
                                s.recorded.owner + ")");
            if (x.next_due <= today)
              return refuse(rejection_kind::rule, "data.next_due",
                            "the next assessment is due after today, not on " + format_date(x.next_due));
            return one(encode(assessed{x.outcome, x.findings, today, x.next_due, who}));
          },
          [&](const terminate& x) -> decision { return one(encode(terminated{x.reason, today, who})); },
      },
      c);
}

}  // namespace isms::domain::supplier
