#include "isms/domain/soa.hpp"

#include <algorithm>
#include <array>

#include "isms/domain/annex_a.hpp"
#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::soa {

namespace {

using wire::fields;

constexpr std::array<std::pair<implementation, std::string_view>, 4> implementation_names{{
    {implementation::not_started, "not_started"},
    {implementation::planned, "planned"},
    {implementation::partial, "partial"},
    {implementation::implemented, "implemented"},
}};

using wire::rule;

// An Annex A control id of the catalogue ("5.23").
std::string control_id(fields& f) {
  const json* v = f.find("control_id", true);
  if (v == nullptr) return {};
  if (!v->is_string()) return f.fail("control_id", "must be a string"), std::string{};
  const auto& id = v->get_ref<const std::string&>();
  if (!annex_a::find(id))
    f.fail("control_id", "'" + wire::clip(id, 16) + "' is not an ISO/IEC 27001:2022 Annex A control");
  return id;
}

implementation status_in(fields& f) {
  const auto name = f.raw_text("status", 32);
  const auto st = implementation_from_string(name);
  if (f.ok() && !st) f.fail("status", "must be one of not_started, planned, partial, implemented");
  return st.value_or(implementation::not_started);
}

std::expected<event, std::string> decode_event(std::string_view type, const json& data) {
  using wire::read_event;
  if (type == control_decided::type)
    return read_event<event>(type, data, [](fields& f) {
      return control_decided{control_id(f), f.boolean("applicable"), f.opt_text("justification"),
                             f.strings("linked_risks")};
    });
  if (type == implementation_status_set::type)
    return read_event<event>(type, data, [](fields& f) {
      return implementation_status_set{control_id(f), status_in(f), f.opt_text("comment")};
    });
  if (type == publication_requested::type)
    return read_event<event>(type, data, [](fields& f) {
      return publication_requested{static_cast<int>(f.integer("proposed_version", INT32_MIN, INT32_MAX)),
                                   f.raw_text("content_hash"), f.opt_text("comment"),
                                   wire::read_approval_request(f, "approval")};
    });
  if (type == published::type)
    return read_event<event>(type, data, [](fields& f) {
      return published{static_cast<int>(f.integer("version", INT32_MIN, INT32_MAX)), f.raw_text("approval_id"),
                       f.strings("approvers"), f.raw_text("content_hash"), f.opt_text("comment")};
    });
  if (type == publication_rejected::type)
    return read_event<event>(type, data, [](fields& f) {
      return read(f, wire::as<publication_rejected>{});
    });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

command read_decide_control(fields& f) {
  control_decided d;
  d.control_id = control_id(f);
  d.applicable = f.boolean("applicable");
  d.justification = f.opt_text("justification");
  if (f.ok() && !d.applicable && d.justification.find_first_not_of(" \t\r\n") == std::string::npos)
    f.fail("justification", "is required when a control is excluded");
  d.linked_risks = f.opt_ids("linked_risks");
  for (std::size_t i = 0; i < d.linked_risks.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (d.linked_risks[k] == d.linked_risks[i]) f.fail("linked_risks[" + std::to_string(i) + "]", "risk listed twice");
  return decide_control{std::move(d)};
}

const entry& entry_of(const state& s, std::string_view control) {
  return s.entries[*annex_a::index_of(control)];
}

decision one(const event& e) { return std::vector<new_event>{encode(e)}; }

}  // namespace

std::string_view to_string(implementation i) noexcept { return wire::name_of(implementation_names, i); }

std::optional<implementation> implementation_from_string(std::string_view s) noexcept {
  return wire::value_of(implementation_names, s);
}

new_event encode(const event& e) {
  return std::visit(
      [](const auto& v) -> new_event {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, control_decided>) {
          return {std::string(control_decided::type),
                  {{"control_id", v.control_id}, {"applicable", v.applicable},
                   {"justification", v.justification}, {"linked_risks", v.linked_risks}}};
        } else if constexpr (std::is_same_v<T, implementation_status_set>) {
          return {std::string(implementation_status_set::type),
                  {{"control_id", v.control_id}, {"status", to_string(v.status)}, {"comment", v.comment}}};
        } else if constexpr (std::is_same_v<T, publication_requested>) {
          return {std::string(publication_requested::type),
                  {{"proposed_version", v.proposed_version}, {"content_hash", v.content_hash},
                   {"comment", v.comment}, {"approval", to_json(v.approval)}}};
        } else if constexpr (std::is_same_v<T, published>) {
          return {std::string(published::type),
                  {{"version", v.version}, {"approval_id", v.approval_id}, {"approvers", v.approvers},
                   {"content_hash", v.content_hash}, {"comment", v.comment}}};
        } else {
          return wire::event_of(v);
        }
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  return decode_event(type, data);
}

std::expected<command, rejection> parse_command(std::string_view type, const json& d) {
  using wire::read_command;
  if (type == decide_control::type) return read_command<command>(d, read_decide_control);
  if (type == set_implementation_status::type)
    return read_command<command>(d, [](fields& f) {
      return command{set_implementation_status{control_id(f), status_in(f), f.opt_text("comment")}};
    });
  if (type == request_publication::type)
    return read_command<command>(d, [](fields& f) { return command{request_publication{f.opt_text("comment")}}; });
  if (type == publish::type || type == reject_publication::type) {
    auto o = wire::outcome_in(d);
    if (!o) return std::unexpected(o.error());
    if (type == publish::type) return publish{std::move(*o)};
    return reject_publication{std::move(*o)};
  }
  return std::unexpected(rejection{rejection_kind::invalid, "type",
                                   "unknown Statement of Applicability command '" + std::string(type) + "'"});
}

state initial_state() {
  state s;
  s.entries.resize(annex_a::catalogue().size());
  return s;
}

state evolve(state s, const event& e) {
  ++s.version;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, control_decided>) {
          if (const auto i = annex_a::index_of(v.control_id)) {
            auto& en = s.entries[*i];
            en.decided = true;
            en.applicable = v.applicable;
            en.justification = v.justification;
            en.linked_risks = v.linked_risks;
            if (!v.applicable) en.status = implementation::not_started;
          }
          s.pending.reset();
        } else if constexpr (std::is_same_v<T, implementation_status_set>) {
          if (const auto i = annex_a::index_of(v.control_id)) s.entries[*i].status = v.status;
          s.pending.reset();
        } else if constexpr (std::is_same_v<T, publication_requested>) {
          s.pending = v;
        } else if constexpr (std::is_same_v<T, published>) {
          s.published_version = v.version;
          s.published_hash = v.content_hash;
          s.pending.reset();
        } else {
          s.pending.reset();
        }
      },
      e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

json content(const state& s) {
  json out = json::array();
  const auto cat = annex_a::catalogue();
  for (std::size_t i = 0; i < cat.size() && i < s.entries.size(); ++i) {
    const auto& en = s.entries[i];
    out.push_back({{"control", cat[i].id},
                   {"decided", en.decided},
                   {"applicable", en.applicable},
                   {"justification", en.justification},
                   {"status", to_string(en.status)},
                   {"linked_risks", en.linked_risks}});
  }
  return out;
}

std::string content_hash(const state& s) { return canonical_hash(content(s)); }

std::vector<std::string> reads(const command& c, const state&) {
  std::vector<std::string> out;
  if (const auto* d = std::get_if<decide_control>(&c))
    for (const auto& risk : d->decision.linked_risks) out.push_back("risk-" + risk);
  return out;
}

std::expected<facts, rejection> facts_from(const command& c, const state&, const stream_reads& read) {
  facts f;
  if (const auto* d = std::get_if<decide_control>(&c))
    for (const auto& risk : d->decision.linked_risks)
      if (!read.history("risk-" + risk).empty()) f.risks_on_record.push_back(risk);
  return f;
}

std::optional<rejection> state_refusal(std::string_view command_type, const state& s) {
  if (command_type != request_publication::type) return std::nullopt;
  if (s.pending) return wire::refusal("publication is already requested (approval " + s.pending->approval.approval_id + ")");
  const auto cat = annex_a::catalogue();
  std::size_t undecided = 0;
  std::string first_undecided, first_unjustified;
  for (std::size_t i = 0; i < cat.size(); ++i) {
    if (!s.entries[i].decided) {
      if (undecided++ == 0) first_undecided = std::string(cat[i].id);
    } else if (s.entries[i].justification.find_first_not_of(" \t\r\n") == std::string::npos &&
               first_unjustified.empty()) {
      first_unjustified = std::string(cat[i].id);
    }
  }
  if (undecided > 0)
    return wire::refusal("every Annex A control needs a decision before the SoA is published (6.1.3 d): " +
                  std::to_string(undecided) + " undecided, first " + first_undecided);
  if (!first_unjustified.empty())
    return wire::refusal("every control needs its justification for inclusion or exclusion (6.1.3 d): "
                  "control " + first_unjustified + " has none");
  if (s.published_version > 0 && content_hash(s) == s.published_hash)
    return wire::refusal("nothing changed since the published version " + std::to_string(s.published_version));
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out{std::string(decide_control::type), std::string(set_implementation_status::type)};
  if (!state_refusal(request_publication::type, s)) out.emplace_back(request_publication::type);
  return out;
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  return std::visit(
      [&](const auto& cmd) -> decision {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, decide_control>) {
          const auto& d = cmd.decision;
          for (std::size_t i = 0; i < d.linked_risks.size(); ++i)
            if (std::find(f.risks_on_record.begin(), f.risks_on_record.end(), d.linked_risks[i]) ==
                f.risks_on_record.end())
              return std::unexpected(rejection{rejection_kind::not_found,
                                               "data.linked_risks[" + std::to_string(i) + "]",
                                               "no risk " + d.linked_risks[i] + " in the register"});
          const auto& current = entry_of(s, d.control_id);
          if (current.decided && current.applicable == d.applicable &&
              current.justification == d.justification && current.linked_risks == d.linked_risks)
            return rule("control " + d.control_id + " is already decided this way");
          return one(d);
        } else if constexpr (std::is_same_v<T, set_implementation_status>) {
          const auto& current = entry_of(s, cmd.control_id);
          if (!current.decided || !current.applicable)
            return rule("control " + cmd.control_id +
                            " is not decided applicable: only applicable controls are implemented",
                        "data.control_id");
          if (current.status == cmd.status)
            return rule("control " + cmd.control_id + " is already " + std::string(to_string(cmd.status)),
                        "data.status");
          return one(implementation_status_set{cmd.control_id, cmd.status, cmd.comment});
        } else if constexpr (std::is_same_v<T, request_publication>) {
          if (auto r = state_refusal(request_publication::type, s)) return std::unexpected(*r);
          const auto hash = content_hash(s);
          publication_requested e;
          e.proposed_version = s.published_version + 1;
          e.content_hash = hash;
          e.comment = cmd.comment;
          e.approval.approval_id = approval_id_for(stream_id, s.version + 1);
          e.approval.subject_kind = "soa.publication";
          e.approval.policy.required_roles = {role::top_management};
          e.approval.policy.min_approvals = 1;
          e.approval.policy.ordered = false;
          e.approval.policy.version = publication_policy_version;
          e.approval.on_approved = std::string(publish::type);
          e.approval.on_rejected = std::string(reject_publication::type);
          e.approval.summary = "Publish the Statement of Applicability version " +
                               std::to_string(e.proposed_version);
          e.approval.content_hash = hash;
          return one(e);
        } else if constexpr (std::is_same_v<T, publish>) {
          const std::string pending = s.pending ? s.pending->approval.approval_id : std::string{};
          if (auto r = check_approval_outcome(ctx, cmd.outcome, pending)) return std::unexpected(*r);
          return one(published{s.pending->proposed_version, cmd.outcome.approval_id,
                               cmd.outcome.approvers, s.pending->content_hash, cmd.outcome.comment});
        } else {
          const std::string pending = s.pending ? s.pending->approval.approval_id : std::string{};
          if (auto r = check_approval_outcome(ctx, cmd.outcome, pending)) return std::unexpected(*r);
          if (cmd.outcome.rejected_by.empty())
            return std::unexpected(rejection{rejection_kind::invalid, "data.rejected_by", "is required"});
          return one(publication_rejected{cmd.outcome.approval_id, cmd.outcome.approvers,
                                          cmd.outcome.rejected_by, cmd.outcome.comment});
        }
      },
      c);
}

}  // namespace isms::domain::soa
