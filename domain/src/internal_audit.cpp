#include "isms/domain/internal_audit.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "isms/domain/nonconformity.hpp"
#include "wire_fields.hpp"

namespace isms::domain::internal_audit {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<finding_type, 4> finding_types{{
    {finding_type::nonconformity_major, "nonconformity_major"},
    {finding_type::nonconformity_minor, "nonconformity_minor"},
    {finding_type::observation, "observation"},
    {finding_type::opportunity, "opportunity"},
}};

constexpr wire::names<status, 3> statuses{{
    {status::planned, "planned"},
    {status::performed, "performed"},
    {status::reported, "reported"},
}};

planned read_planned(fields& f) {
  planned x;
  x.audit_id = f.id("audit_id");
  x.scope = f.text("scope");
  x.criteria = f.text("criteria");
  x.lead_auditor = f.id("lead_auditor");
  x.area = f.text("area", wire::max_line);
  x.process_owner = f.id("process_owner");
  x.planned_start = f.day("planned_start");
  x.planned_end = f.day("planned_end");
  if (f.ok() && x.planned_end < x.planned_start) f.fail("planned_end", "must not be before planned_start");
  return x;
}

constexpr std::string_view stream_prefix = "audit-";

}  // namespace

std::string_view to_string(finding_type t) noexcept { return wire::name_of(finding_types, t); }
std::string_view to_string(status s) noexcept { return wire::name_of(statuses, s); }

const finding* state::find_finding(std::string_view id) const noexcept {
  for (const auto& f : findings)
    if (f.finding_id == id) return &f;
  return nullptr;
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const planned& x) {
            return new_event{std::string(planned::type),
                             {{"audit_id", x.audit_id},
                              {"scope", x.scope},
                              {"criteria", x.criteria},
                              {"lead_auditor", x.lead_auditor},
                              {"area", x.area},
                              {"process_owner", x.process_owner},
                              {"planned_start", format_date(x.planned_start)},
                              {"planned_end", format_date(x.planned_end)}}};
          },
          [](const performed& x) {
            return new_event{std::string(performed::type),
                             {{"performed_on", format_date(x.performed_on)},
                              {"auditors", wire::strings(x.auditors)},
                              {"summary", x.summary}}};
          },
          [](const finding_recorded& x) {
            return new_event{std::string(finding_recorded::type),
                             {{"finding_id", x.finding_id},
                              {"type", to_string(x.kind)},
                              {"reference", x.reference},
                              {"text", x.text},
                              {"recorded_by", x.recorded_by}}};
          },
          [](const report_issued& x) {
            return new_event{std::string(report_issued::type),
                             {{"summary", x.summary},
                              {"conclusion", x.conclusion},
                              {"issued_on", format_date(x.issued_on)},
                              {"issued_by", x.issued_by}}};
          },
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  using wire::read_event;
  if (type == planned::type)
    return read_event<event>(type, data, [](fields& f) { return read_planned(f); });
  if (type == performed::type)
    return read_event<event>(type, data, [](fields& f) {
      performed x;
      x.performed_on = f.day("performed_on");
      x.auditors = f.ids("auditors", false);
      x.summary = f.opt_text("summary");
      return x;
    });
  if (type == finding_recorded::type)
    return read_event<event>(type, data, [](fields& f) {
      finding_recorded x;
      x.finding_id = f.id("finding_id");
      x.kind = f.choice("type", finding_types);
      x.reference = f.requirement("reference");
      x.text = f.text("text");
      x.recorded_by = f.opt_text("recorded_by", wire::max_line);
      return x;
    });
  if (type == report_issued::type)
    return read_event<event>(type, data, [](fields& f) {
      report_issued x;
      x.summary = f.text("summary");
      x.conclusion = f.text("conclusion");
      x.issued_on = f.day("issued_on");
      x.issued_by = f.opt_text("issued_by", wire::max_line);
      return x;
    });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

// ---------------------------------------------------------------------------
// Commands

std::string_view command_type(const command& c) noexcept { return type_of(c); }

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  using wire::read_command;
  if (type == plan::type)
    return read_command<command>(data, [](fields& f) { return plan{read_planned(f)}; });
  if (type == record_performed::type)
    return read_command<command>(data, [](fields& f) {
      record_performed x;
      x.performed_on = f.day("performed_on");
      x.auditors = f.ids("auditors", false);
      x.summary = f.opt_text("summary");
      return x;
    });
  if (type == record_finding::type)
    return read_command<command>(data, [](fields& f) {
      record_finding x;
      x.finding_id = f.id("finding_id");
      x.kind = f.choice("type", finding_types);
      x.reference = f.requirement("reference");
      x.text = f.text("text");
      return x;
    });
  if (type == issue_report::type)
    return read_command<command>(data, [](fields& f) {
      issue_report x;
      x.summary = f.text("summary");
      x.conclusion = f.text("conclusion");
      return x;
    });
  return std::unexpected(
      rejection{rejection_kind::invalid, "type", "unknown command type '" + std::string(type) + "'"});
}

// ---------------------------------------------------------------------------
// State

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                      const json& data) {
  return wire::stream_names_id(command_type, plan::type, stream, "audit", data, "audit_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  std::visit(overloaded{
                 [&](const planned& x) {
                   s.exists = true;
                   s.current = status::planned;
                   s.programme_entry = x;
                 },
                 [&](const performed& x) {
                   s.current = status::performed;
                   s.performed_on = x.performed_on;
                   s.auditors = x.auditors;
                 },
                 [&](const finding_recorded& x) {
                   s.findings.push_back(finding{x.finding_id, x.kind, x.reference, x.text, x.recorded_by});
                 },
                 [&](const report_issued& x) {
                   s.current = status::reported;
                   s.reported_on = x.issued_on;
                 },
             },
             e);
  return s;
}

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  const std::string& id = s.programme_entry.audit_id;
  if (type == plan::type) {
    if (s.exists) return wire::refusal("internal audit " + id + " is already in the programme");
    return std::nullopt;
  }
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such internal audit; plan it first"};
  if (type == record_performed::type) {
    if (s.current != status::planned)
      return wire::refusal("internal audit " + id + " is already " + std::string(to_string(s.current)));
  } else if (type == record_finding::type) {
    if (s.current == status::planned) return wire::refusal("record that the audit was performed before recording its findings");
    if (s.current == status::reported)
      return wire::refusal("the report of internal audit " + id + " is issued; its findings are final");
  } else if (type == issue_report::type) {
    if (s.current == status::planned) return wire::refusal("an audit is reported after it has been performed");
    if (s.current == status::reported) return wire::refusal("the report is already issued");
  }
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {plan::type, record_performed::type, record_finding::type, issue_report::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

std::vector<actor_limit> actor_limits(const state& s) {
  if (!s.exists) return {};
  const auto& lead = s.programme_entry.lead_auditor;
  std::vector<std::string> team{lead};
  for (const auto& a : s.auditors)
    if (a != lead) team.push_back(a);
  return {actor_limit{record_performed::type, team, {}}, actor_limit{record_finding::type, team, {}},
          actor_limit{issue_report::type, {lead}, {}}};
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;

  if (const auto* x = std::get_if<plan>(&c)) {
    if (auto r = state_refusal(plan::type, s)) return std::unexpected(*r);
    if (x->entry.lead_auditor == x->entry.process_owner)
      return refuse(rejection_kind::rule, "data.lead_auditor",
                    "an auditor does not audit their own work: the lead auditor " + x->entry.lead_auditor +
                        " owns the audited process (9.2.2 c, objectivity and impartiality)");
    return one(encode(x->entry));
  }
  if (!s.exists) return refuse(rejection_kind::not_found, "", "no such internal audit; plan it first");
  const auto& entry = s.programme_entry;

  return std::visit(
      overloaded{
          [&](const plan&) -> decision { return rule("unreachable"); },
          [&](const record_performed& x) -> decision {
            if (auto r = state_refusal(record_performed::type, s)) return std::unexpected(*r);
            if (!wire::admits(actor_limits(s), record_performed::type, who) &&
                std::find(x.auditors.begin(), x.auditors.end(), who) == x.auditors.end())
              return refuse(rejection_kind::forbidden, "",
                            "only the audit team records that the audit was performed (lead auditor: " +
                                entry.lead_auditor + ")");
            if (std::find(x.auditors.begin(), x.auditors.end(), entry.process_owner) != x.auditors.end())
              return refuse(rejection_kind::rule, "data.auditors",
                            "an auditor does not audit their own work: " + entry.process_owner +
                                " owns the audited process (9.2.2 c)");
            if (x.performed_on > today)
              return refuse(rejection_kind::rule, "data.performed_on",
                            "an audit is recorded as performed once it has been (" + format_date(x.performed_on) +
                                " is in the future)");
            std::vector<std::string> team = x.auditors;
            if (std::find(team.begin(), team.end(), entry.lead_auditor) == team.end())
              team.insert(team.begin(), entry.lead_auditor);
            return one(encode(performed{x.performed_on, team, x.summary}));
          },
          [&](const record_finding& x) -> decision {
            if (auto r = state_refusal(record_finding::type, s)) return std::unexpected(*r);
            if (!wire::admits(actor_limits(s), record_finding::type, who))
              return refuse(rejection_kind::forbidden, "", "only the audit team records findings");
            if (s.find_finding(x.finding_id))
              return refuse(rejection_kind::rule, "data.finding_id",
                            "finding " + x.finding_id + " is already recorded");
            return one(encode(finding_recorded{x.finding_id, x.kind, x.reference, x.text, who}));
          },
          [&](const issue_report& x) -> decision {
            if (auto r = state_refusal(issue_report::type, s)) return std::unexpected(*r);
            if (!wire::admits(actor_limits(s), issue_report::type, who))
              return refuse(rejection_kind::forbidden, "",
                            "the lead auditor (" + entry.lead_auditor + ") issues the audit report");
            return one(encode(report_issued{x.summary, x.conclusion, today, who}));
          },
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::vector<follow_up> raise_nonconformity_from_finding(const recorded_event& event, const stream_reads&) {
  if (event.type != finding_recorded::type || !event.stream.starts_with(stream_prefix)) return {};
  const auto decoded = decode(event.type, event.data);
  if (!decoded) return {};
  const auto& f = std::get<finding_recorded>(*decoded);
  if (f.kind != finding_type::nonconformity_major && f.kind != finding_type::nonconformity_minor) return {};
  const std::string audit_id = event.stream.substr(stream_prefix.size());
  const std::string nc_id = nonconformity::nc_id_for_finding(audit_id, f.finding_id);
  json data{{"nc_id", nc_id},
            {"source", "internal_audit"},
            {"reference", f.reference},
            {"severity", f.kind == finding_type::nonconformity_major ? "major" : "minor"},
            {"description",
             wire::clip("Internal audit " + audit_id + ", finding " + f.finding_id + ": " + f.text, wire::max_text)},
            {"audit_id", audit_id},
            {"finding_id", f.finding_id}};
  return {follow_up{"nc.raise", "nc-" + nc_id, std::move(data), {}}};
}

}  // namespace isms::domain::internal_audit
