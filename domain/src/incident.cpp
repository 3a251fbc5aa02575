#include "isms/domain/incident.hpp"

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::incident {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<classification, 2> classifications{{
    {classification::event, "event"},
    {classification::incident, "incident"},
}};

constexpr wire::names<severity, 4> severities{{
    {severity::low, "low"},
    {severity::medium, "medium"},
    {severity::high, "high"},
    {severity::critical, "critical"},
}};

constexpr wire::names<status, 5> statuses{{
    {status::reported, "reported"},
    {status::triaged, "triaged"},
    {status::contained, "contained"},
    {status::resolved, "resolved"},
    {status::closed, "closed"},
}};

// The severities of the nonconformity an incident's lessons may raise
// (nonconformity::severity's wire names).
constexpr std::string_view nc_severities[] = {"major", "minor", "observation"};

json note(const std::string& description, date on, const std::string& by, std::string_view on_key,
          std::string_view by_key) {
  return {{"description", description}, {std::string(on_key), format_date(on)}, {std::string(by_key), by}};
}

}  // namespace

std::string_view to_string(classification c) noexcept { return wire::name_of(classifications, c); }
std::string_view to_string(severity s) noexcept { return wire::name_of(severities, s); }
std::string_view to_string(status s) noexcept { return wire::name_of(statuses, s); }

std::string nc_id_for_incident(std::string_view incident_id) {
  std::string id = std::string(incident_id) + "-NC";
  if (id.size() <= 64) return id;
  return "I-" + sha256_hex(std::string(incident_id)).substr(0, 40);
}

std::string risk_id_for_incident(std::string_view incident_id) {
  std::string id = std::string(incident_id) + "-R";
  if (id.size() <= 64) return id;
  return "I-" + sha256_hex(id).substr(0, 40);
}

namespace {

json new_risk_json(const new_risk& r) {
  return {{"title", r.title},   {"asset", r.asset}, {"threat", r.threat}, {"vulnerability", r.vulnerability},
          {"owner", r.owner},   {"category", r.category}};
}

}  // namespace

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const reported& x) {
            json d{{"incident_id", x.incident_id},
                   {"title", x.title},
                   {"description", x.description},
                   {"reported_on", format_date(x.reported_on)},
                   {"reported_by", x.reported_by}};
            if (x.occurred_on) d["occurred_on"] = format_date(*x.occurred_on);
            if (!x.affected.empty()) d["affected"] = x.affected;
            return new_event{std::string(reported::type), d};
          },
          [](const triaged& x) {
            return new_event{std::string(triaged::type),
                             {{"classification", to_string(x.as)},
                              {"severity", to_string(x.level)},
                              {"category", x.category},
                              {"handler", x.handler},
                              {"notes", x.notes},
                              {"related_risks", wire::strings(x.related_risks)},
                              {"triaged_on", format_date(x.triaged_on)},
                              {"triaged_by", x.triaged_by}}};
          },
          [](const contained& x) {
            return new_event{std::string(contained::type),
                             note(x.description, x.contained_on, x.contained_by, "contained_on", "contained_by")};
          },
          [](const evidence_recorded& x) {
            return new_event{std::string(evidence_recorded::type),
                             note(x.description, x.recorded_on, x.recorded_by, "recorded_on", "recorded_by")};
          },
          [](const resolved& x) {
            return new_event{std::string(resolved::type),
                             note(x.description, x.resolved_on, x.resolved_by, "resolved_on", "resolved_by")};
          },
          [](const closed& x) {
            json d{{"lessons", x.lessons},
                   {"raise_nonconformity", x.raise_nonconformity},
                   {"closed_on", format_date(x.closed_on)},
                   {"closed_by", x.closed_by}};
            if (x.raise_nonconformity) {
              d["nc_reference"] = x.nc_reference;
              d["nc_severity"] = x.nc_severity;
            }
            if (x.identify_risk) d["new_risk"] = new_risk_json(*x.identify_risk);
            return new_event{std::string(closed::type), d};
          },
      },
      e);
}

namespace {

using wire::as;

// One reader per shape: a command and the event that records it read the
// same fields; the event adds when and by whom.
template <class T>
  requires std::same_as<T, reported> || std::same_as<T, report>
T read(fields& f, as<T>) {
  T x;
  x.incident_id = f.id("incident_id");
  x.title = f.text("title", wire::max_line);
  x.description = f.text("description");
  x.occurred_on = f.opt_day("occurred_on");
  x.affected = f.opt_text("affected", wire::max_line);
  if constexpr (std::same_as<T, reported>) {
    x.reported_on = f.day("reported_on");
    x.reported_by = f.opt_text("reported_by");
  }
  return x;
}

template <class T>
  requires std::same_as<T, triaged> || std::same_as<T, triage>
T read(fields& f, as<T>) {
  T x;
  x.as = f.choice("classification", classifications);
  x.level = f.choice("severity", severities);
  x.category = f.opt_text("category", wire::max_line);
  x.handler = f.id("handler");
  x.notes = f.opt_text("notes");
  x.related_risks = f.opt_ids("related_risks");
  if constexpr (std::same_as<T, triaged>) {
    x.triaged_on = f.day("triaged_on");
    x.triaged_by = f.opt_text("triaged_by");
  }
  return x;
}

contained read(fields& f, as<contained>) {
  return {f.text("description"), f.day("contained_on"), f.opt_text("contained_by")};
}
evidence_recorded read(fields& f, as<evidence_recorded>) {
  return {f.text("description"), f.day("recorded_on"), f.opt_text("recorded_by")};
}
resolved read(fields& f, as<resolved>) {
  return {f.text("description"), f.day("resolved_on"), f.opt_text("resolved_by")};
}

template <class T>
  requires std::same_as<T, record_containment> || std::same_as<T, record_evidence> || std::same_as<T, resolve>
T read(fields& f, as<T>) {
  return T{f.text("description")};
}

template <class T>
  requires std::same_as<T, closed> || std::same_as<T, close>
T read(fields& f, as<T>) {
  T x;
  x.lessons = f.text("lessons");
  x.raise_nonconformity = f.opt_boolean("raise_nonconformity", false);
  if (x.raise_nonconformity) {
    x.nc_reference = f.requirement("nc_reference");
    x.nc_severity = f.text("nc_severity", wire::max_line);
    if (f.ok() && std::ranges::find(nc_severities, x.nc_severity) == std::end(nc_severities))
      f.fail("nc_severity", "must be one of: major, minor, observation");
  }
  // The risk's terms as risk.identify reads them.
  if (const json* v = f.find("new_risk", false); v != nullptr && !v->is_null()) {
    fields n = f.nested("new_risk");
    new_risk r;
    r.title = n.text("title", wire::max_line);
    r.asset = n.text("asset", wire::max_line);
    r.threat = n.text("threat", wire::max_line);
    r.vulnerability = n.text("vulnerability", wire::max_line);
    r.owner = n.id("owner");
    r.category = n.text("category", 64);
    f.adopt(n);
    x.identify_risk = std::move(r);
  }
  if constexpr (std::same_as<T, closed>) {
    x.closed_on = f.day("closed_on");
    x.closed_by = f.opt_text("closed_by");
  }
  return x;
}

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

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream, const json& data) {
  return wire::stream_names_id(command_type, report::type, stream, "incident", data, "incident_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  std::visit(overloaded{
                 [&](const reported& x) {
                   s.exists = true;
                   s.report = x;
                   s.current = status::reported;
                 },
                 [&](const triaged& x) {
                   s.is_triaged = true;
                   s.triage = x;
                   if (s.current == status::reported) s.current = status::triaged;
                 },
                 [&](const contained& x) {
                   s.containment = x.description;
                   s.current = status::contained;
                 },
                 [&](const evidence_recorded&) { ++s.evidence; },
                 [&](const resolved& x) {
                   s.resolution = x.description;
                   s.current = status::resolved;
                 },
                 [&](const closed&) { s.current = status::closed; },
             },
             e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == report::type) {
    if (s.exists) return wire::refusal("incident " + s.report.incident_id + " is already reported");
    return std::nullopt;
  }
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such incident; report it first"};
  if (s.current == status::closed) return wire::refusal("incident " + s.report.incident_id + " is closed");
  const bool an_event = s.is_triaged && s.triage.as == classification::event;
  if (type == triage::type) {
    if (s.current == status::resolved)
      return wire::refusal("incident " + s.report.incident_id + " is resolved; close it with the lessons learned");
  } else if (type == record_evidence::type) {
    // Evidence is collected from the report on (5.28).
  } else if (!s.is_triaged) {
    return wire::refusal("triage the report first: an event or an incident, how severe, who handles it (A.5.25)");
  } else if (type == record_containment::type) {
    if (an_event) return wire::refusal("an information security event that is not an incident is not contained; close it");
    if (s.current != status::triaged) return wire::refusal("incident " + s.report.incident_id + " is already contained");
  } else if (type == resolve::type) {
    if (an_event) return wire::refusal("an information security event that is not an incident is not resolved; close it");
    if (s.current != status::contained)
      return wire::refusal("record how the incident is contained (A.5.26) before it is resolved");
  } else if (type == close::type) {
    if (!an_event && s.current != status::resolved)
      return wire::refusal("an incident closes once it is resolved, with the lessons learned (A.5.27)");
  }
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {report::type, triage::type, record_containment::type, record_evidence::type,
                                resolve::type, close::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

namespace {
decision decide_rules(const command& c, const state& s, const command_context& ctx);
}  // namespace

std::vector<std::string> reads(const command& c, const state&) {
  if (const auto* x = std::get_if<close>(&c); x != nullptr && x->identify_risk)
    return {"user-" + x->identify_risk->owner};
  return {};
}

std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read) {
  facts f;
  for (const auto& stream : reads(c, s)) {
    auto owner = user::fold(read.history(stream));
    if (!owner) return std::unexpected(owner.error());
    f.risk_owner = std::move(*owner);
  }
  return f;
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  if (const auto* x = std::get_if<close>(&c); x != nullptr && x->identify_risk && f.risk_owner) {
    const std::string& owner = x->identify_risk->owner;
    if (!f.risk_owner->registered)
      return wire::refuse(rejection_kind::not_found, "data.new_risk.owner",
                          "the risk owner '" + owner + "' is not a registered user");
    if (!f.risk_owner->enabled)
      return wire::refuse(rejection_kind::rule, "data.new_risk.owner", "the risk owner '" + owner + "' is disabled");
  }
  return decide_rules(c, s, ctx);
}

namespace {
decision decide_rules(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;
  const std::string_view type = command_type(c);
  if (auto r = state_refusal(type, s)) return std::unexpected(*r);
  // Risk owners and contributors act on the incidents they handle.
  if (acts_only_on_own(ctx.by, type) && who != s.triage.handler)
    return refuse(rejection_kind::forbidden, "",
                  "only an ISMS manager or the handler of incident " + s.report.incident_id + " (" +
                      (s.triage.handler.empty() ? std::string("none yet") : s.triage.handler) + ") records this");
  return std::visit(
      overloaded{
          [&](const report& x) -> decision {
            if (x.occurred_on && *x.occurred_on > today)
              return refuse(rejection_kind::rule, "data.occurred_on",
                            "the day it happened, " + format_date(*x.occurred_on) + ", is in the future");
            return one(encode(reported{x.incident_id, x.title, x.description, x.occurred_on, x.affected, today, who}));
          },
          [&](const triage& x) -> decision {
            return one(encode(triaged{x.as, x.level, x.category, x.handler, x.notes, x.related_risks, today, who}));
          },
          [&](const record_containment& x) -> decision {
            return one(encode(contained{x.description, today, who}));
          },
          [&](const record_evidence& x) -> decision {
            return one(encode(evidence_recorded{x.description, today, who}));
          },
          [&](const resolve& x) -> decision { return one(encode(resolved{x.description, today, who})); },
          [&](const close& x) -> decision {
            return one(encode(
                closed{x.lessons, x.raise_nonconformity, x.nc_reference, x.nc_severity, today, who, x.identify_risk}));
          },
      },
      c);
}
}  // namespace

namespace {

// An incident closed, as the reactions to its lessons read it: the
// incident's id and the closing event; nothing for any other event.
std::optional<std::pair<std::string, closed>> closed_incident(const recorded_event& event) {
  if (event.type != closed::type || !event.stream.starts_with(stream_prefix)) return std::nullopt;
  auto decoded = decode(event.type, event.data);
  if (!decoded) return std::nullopt;
  return std::pair{event.stream.substr(stream_prefix.size()), std::get<closed>(std::move(*decoded))};
}

}  // namespace

std::vector<follow_up> raise_nonconformity_from_lessons(const recorded_event& event, const stream_reads&) {
  const auto c = closed_incident(event);
  if (!c || !c->second.raise_nonconformity) return {};
  const auto& [incident_id, x] = *c;
  const std::string nc_id = nc_id_for_incident(incident_id);
  json data{{"nc_id", nc_id},
            {"source", "incident"},
            {"reference", x.nc_reference},
            {"severity", x.nc_severity},
            {"description", wire::clip("Incident " + incident_id + ", lessons learned: " + x.lessons, wire::max_text)},
            {"incident_id", incident_id}};
  return {follow_up{"nc.raise", "nc-" + nc_id, std::move(data), {}}};
}

std::vector<follow_up> identify_risk_from_lessons(const recorded_event& event, const stream_reads&) {
  const auto c = closed_incident(event);
  if (!c || !c->second.identify_risk) return {};
  const auto& [incident_id, x] = *c;
  json data = new_risk_json(*x.identify_risk);
  data["description"] =
      wire::clip("Identified from the lessons learned of incident " + incident_id + ": " + x.lessons, wire::max_text);
  return {follow_up{"risk.identify", "risk-" + risk_id_for_incident(incident_id), std::move(data), {}}};
}

}  // namespace isms::domain::incident
