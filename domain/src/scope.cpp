#include "isms/domain/scope.hpp"

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::scope {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<issue_kind, 2> issue_kinds{{
    {issue_kind::internal, "internal"},
    {issue_kind::external, "external"},
}};

// ---------------------------------------------------------------------------
// JSON of the parts

json to_json(const statement& s) {
  json ex = json::array();
  for (const auto& e : s.exclusions) ex.push_back({{"item", e.item}, {"justification", e.justification}});
  return {{"boundaries", s.boundaries},
          {"inclusions", wire::strings(s.inclusions)},
          {"exclusions", ex},
          {"interfaces", s.interfaces}};
}

json to_json(const issue& i) {
  return {{"issue_id", i.issue_id}, {"kind", to_string(i.kind)}, {"description", i.description}};
}

json to_json(const interested_party& p) {
  return {{"party_id", p.party_id}, {"name", p.name}, {"requirements", wire::strings(p.requirements)}};
}

statement read_statement(fields& f) {
  statement s;
  s.boundaries = f.text("boundaries");
  s.inclusions = f.texts("inclusions", false, wire::max_text);
  const json ex = f.array("exclusions");
  for (std::size_t i = 0; f.ok() && i < ex.size(); ++i) {
    if (!ex[i].is_object()) {
      f.fail("exclusions", "entries must be objects {item, justification}");
      break;
    }
    fields e = f.entry(ex[i], "exclusions", i);
    exclusion x{e.text("item", wire::max_line), e.text("justification")};
    f.adopt(e);
    s.exclusions.push_back(std::move(x));
  }
  if (ex.size() > wire::max_items) f.fail("exclusions", "must have at most 500 entries");
  s.interfaces = f.opt_text("interfaces");
  return s;
}

issue read_issue(fields& f) {
  issue i;
  i.issue_id = f.id("issue_id");
  i.kind = f.choice("kind", issue_kinds);
  i.description = f.text("description");
  return i;
}

interested_party read_party(fields& f) {
  interested_party p;
  p.party_id = f.id("party_id");
  p.name = f.text("name", wire::max_line);
  p.requirements = f.texts("requirements", true, wire::max_text);
  return p;
}

}  // namespace

std::string_view to_string(issue_kind k) noexcept { return wire::name_of(issue_kinds, k); }

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const statement_set& x) { return new_event{std::string(statement_set::type), to_json(x.value)}; },
          [](const issue_added& x) { return new_event{std::string(issue_added::type), to_json(x.value)}; },
          [](const issue_updated& x) { return new_event{std::string(issue_updated::type), to_json(x.value)}; },
          [](const issue_removed& x) {
            return new_event{std::string(issue_removed::type), {{"issue_id", x.issue_id}, {"reason", x.reason}}};
          },
          [](const interested_party_added& x) {
            return new_event{std::string(interested_party_added::type), to_json(x.value)};
          },
          [](const interested_party_updated& x) {
            return new_event{std::string(interested_party_updated::type), to_json(x.value)};
          },
          [](const interested_party_removed& x) {
            return new_event{std::string(interested_party_removed::type),
                             {{"party_id", x.party_id}, {"reason", x.reason}}};
          },
          [](const wire::approval_record auto& x) { return wire::event_of(x); },
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  if (type == statement_set::type)
    return wire::read_event<event>(type, data, [](fields& f) { return statement_set{read_statement(f)}; });
  if (type == issue_added::type)
    return wire::read_event<event>(type, data, [](fields& f) { return issue_added{read_issue(f)}; });
  if (type == issue_updated::type)
    return wire::read_event<event>(type, data, [](fields& f) { return issue_updated{read_issue(f)}; });
  if (type == issue_removed::type)
    return wire::read_event<event>(type, data, [](fields& f) {
      return issue_removed{f.id("issue_id"), f.opt_text("reason")};
    });
  if (type == interested_party_added::type)
    return wire::read_event<event>(type, data,
                                   [](fields& f) { return interested_party_added{read_party(f)}; });
  if (type == interested_party_updated::type)
    return wire::read_event<event>(type, data,
                                   [](fields& f) { return interested_party_updated{read_party(f)}; });
  if (type == interested_party_removed::type)
    return wire::read_event<event>(type, data, [](fields& f) {
      return interested_party_removed{f.id("party_id"), f.text("reason")};
    });
  if (type == approval_requested::type)
    return wire::read_event<event>(type, data, [](fields& f) { return read(f, wire::as<approval_requested>{}); });
  if (type == approved::type)
    return wire::read_event<event>(type, data, [](fields& f) { return read(f, wire::as<approved>{}); });
  if (type == rejected::type)
    return wire::read_event<event>(type, data, [](fields& f) { return read(f, wire::as<rejected>{}); });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

// ---------------------------------------------------------------------------
// Commands

std::string_view command_type(const command& c) noexcept { return type_of(c); }

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  using wire::read_command;
  if (type == set_statement::type)
    return read_command<command>(data, [&](fields& f) { return set_statement{read_statement(f)}; });
  if (type == add_issue::type)
    return read_command<command>(data, [](fields& f) { return add_issue{read_issue(f)}; });
  if (type == update_issue::type)
    return read_command<command>(data, [](fields& f) { return update_issue{read_issue(f)}; });
  if (type == remove_issue::type)
    return read_command<command>(data, [](fields& f) {
      return remove_issue{f.id("issue_id"), f.opt_text("reason")};
    });
  if (type == add_interested_party::type)
    return read_command<command>(data, [](fields& f) { return add_interested_party{read_party(f)}; });
  if (type == update_interested_party::type)
    return read_command<command>(data, [](fields& f) { return update_interested_party{read_party(f)}; });
  if (type == remove_interested_party::type)
    return read_command<command>(data, [](fields& f) {
      return remove_interested_party{f.id("party_id"), f.text("reason")};
    });
  if (type == request_approval::type)
    return read_command<command>(data, [](fields& f) {
      return request_approval{f.opt_text("summary", wire::max_line)};
    });
  if (type == approve::type || type == reject::type) {
    auto o = wire::outcome_in(data);
    if (!o) return std::unexpected(o.error());
    if (type == approve::type) return approve{std::move(*o)};
    return reject{std::move(*o)};
  }
  return std::unexpected(
      rejection{rejection_kind::invalid, "type", "unknown command type '" + std::string(type) + "'"});
}

// ---------------------------------------------------------------------------
// State

json to_json(const content& c) {
  json issues = json::array(), parties = json::array();
  for (const auto& [_, i] : c.issues) issues.push_back(to_json(i));
  for (const auto& [_, p] : c.parties) parties.push_back(to_json(p));
  return {{"statement", c.scope_statement ? to_json(*c.scope_statement) : json(nullptr)},
          {"issues", issues},
          {"interested_parties", parties}};
}

std::string content_hash(const content& c) { return canonical_hash(to_json(c)); }

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const bool concludes = std::holds_alternative<approved>(e) || std::holds_alternative<rejected>(e);
  if (!concludes) {
    // Any change of the draft voids a pending approval (the approval pattern).
    s.pending_approval_id.clear();
    s.under_approval.reset();
  }
  std::visit(overloaded{
                 [&](const statement_set& x) { s.draft.scope_statement = x.value; },
                 [&](const issue_added& x) { s.draft.issues[x.value.issue_id] = x.value; },
                 [&](const issue_updated& x) { s.draft.issues[x.value.issue_id] = x.value; },
                 [&](const issue_removed& x) { s.draft.issues.erase(x.issue_id); },
                 [&](const interested_party_added& x) { s.draft.parties[x.value.party_id] = x.value; },
                 [&](const interested_party_updated& x) { s.draft.parties[x.value.party_id] = x.value; },
                 [&](const interested_party_removed& x) { s.draft.parties.erase(x.party_id); },
                 [&](const approval_requested& x) {
                   s.pending_approval_id = x.approval.approval_id;
                   s.under_approval = s.draft;
                 },
                 [&](const approved& x) {
                   s.effective = s.under_approval ? *s.under_approval : s.draft;
                   s.effective_hash = x.content_hash;
                   s.pending_approval_id.clear();
                   s.under_approval.reset();
                 },
                 [&](const rejected&) {
                   s.pending_approval_id.clear();
                   s.under_approval.reset();
                 },
             },
             e);
  return s;
}

std::optional<rejection> state_refusal(std::string_view command_type, const state& s) {
  if (command_type != request_approval::type) return std::nullopt;
  if (!s.pending_approval_id.empty())
    return wire::refusal("the draft scope already awaits approval (" + s.pending_approval_id + ")");
  if (!s.draft.scope_statement) return wire::refusal("the ISMS scope must be stated before it is approved (4.3)");
  if (s.effective && content_hash(s.draft) == s.effective_hash)
    return wire::refusal("nothing to approve: the draft equals the effective scope");
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {set_statement::type, add_issue::type, update_issue::type, remove_issue::type,
                                add_interested_party::type, update_interested_party::type,
                                remove_interested_party::type, request_approval::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  return std::visit(
      overloaded{
          [&](const set_statement& x) -> decision {
            if (s.draft.scope_statement == x.value)
              return rule("the draft scope statement already reads exactly so; nothing changes");
            return one(encode(statement_set{x.value}));
          },
          [&](const add_issue& x) -> decision {
            if (s.draft.issues.contains(x.value.issue_id))
              return refuse(rejection_kind::rule, "data.issue_id",
                            "issue " + x.value.issue_id + " is already recorded (4.1)");
            return one(encode(issue_added{x.value}));
          },
          [&](const update_issue& x) -> decision {
            const auto it = s.draft.issues.find(x.value.issue_id);
            if (it == s.draft.issues.end())
              return refuse(rejection_kind::not_found, "data.issue_id",
                            "no issue " + x.value.issue_id + " in the draft context");
            if (it->second == x.value) return rule("issue " + x.value.issue_id + " already reads exactly so");
            return one(encode(issue_updated{x.value}));
          },
          [&](const remove_issue& x) -> decision {
            if (!s.draft.issues.contains(x.issue_id))
              return refuse(rejection_kind::not_found, "data.issue_id",
                            "no issue " + x.issue_id + " in the draft context");
            return one(encode(issue_removed{x.issue_id, x.reason}));
          },
          [&](const add_interested_party& x) -> decision {
            if (s.draft.parties.contains(x.value.party_id))
              return refuse(rejection_kind::rule, "data.party_id",
                            "interested party " + x.value.party_id + " is already recorded (4.2)");
            return one(encode(interested_party_added{x.value}));
          },
          [&](const update_interested_party& x) -> decision {
            const auto it = s.draft.parties.find(x.value.party_id);
            if (it == s.draft.parties.end())
              return refuse(rejection_kind::not_found, "data.party_id",
                            "no interested party " + x.value.party_id + " in the draft context");
            if (it->second == x.value)
              return rule("interested party " + x.value.party_id + " already reads exactly so");
            return one(encode(interested_party_updated{x.value}));
          },
          [&](const remove_interested_party& x) -> decision {
            if (!s.draft.parties.contains(x.party_id))
              return refuse(rejection_kind::not_found, "data.party_id",
                            "no interested party " + x.party_id + " in the draft context");
            return one(encode(interested_party_removed{x.party_id, x.reason}));
          },
          [&](const request_approval& x) -> decision {
            if (auto r = state_refusal(request_approval::type, s)) return std::unexpected(*r);
            const std::string hash = content_hash(s.draft);
            auto req = wire::approval_for(
                stream_id, s.version + 1, "scope.change", role::top_management, std::string(approve::type),
                std::string(reject::type),
                x.summary.empty() ? "Approve the ISMS context and scope (4.1-4.4)" : x.summary, hash);
            return one(encode(approval_requested{hash, std::move(req)}));
          },
          [&](const approve& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            const std::string hash = content_hash(s.under_approval ? *s.under_approval : s.draft);
            return one(encode(approved{x.outcome.approval_id, x.outcome.approvers, x.outcome.comment, hash}));
          },
          [&](const reject& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id))
              return std::unexpected(*r);
            return one(encode(rejected{x.outcome.approval_id, x.outcome.rejected_by, x.outcome.comment}));
          },
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

}  // namespace isms::domain::scope
