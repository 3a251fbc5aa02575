#include "isms/domain/asset.hpp"

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::asset {

namespace {

using wire::fields;
using wire::overloaded;

constexpr wire::names<kind, 7> kinds{{
    {kind::information, "information"},
    {kind::software, "software"},
    {kind::hardware, "hardware"},
    {kind::service, "service"},
    {kind::people, "people"},
    {kind::site, "site"},
    {kind::other, "other"},
}};

constexpr wire::names<status, 2> statuses{{
    {status::in_use, "in_use"},
    {status::retired, "retired"},
}};

terms read_terms(fields& f) {
  terms t;
  t.name = f.text("name", wire::max_line);
  t.type = f.choice("type", kinds);
  t.description = f.opt_text("description");
  t.owner = f.id("owner");
  t.location = f.opt_text("location", wire::max_line);
  t.acceptable_use = f.opt_text("acceptable_use", wire::max_line);
  return t;
}

}  // namespace

std::string_view to_string(kind k) noexcept { return wire::name_of(kinds, k); }
std::string_view to_string(status s) noexcept { return wire::name_of(statuses, s); }

json to_json(const terms& t) {
  return {{"name", t.name},       {"type", to_string(t.type)},   {"description", t.description},
          {"owner", t.owner},     {"location", t.location},      {"acceptable_use", t.acceptable_use}};
}

// ---------------------------------------------------------------------------
// Events

new_event encode(const event& e) {
  return std::visit(
      overloaded{
          [](const registered& x) {
            json d = to_json(x.recorded);
            d["asset_id"] = x.asset_id;
            d["classification"] = x.level;
            d["registered_on"] = format_date(x.registered_on);
            d["registered_by"] = x.registered_by;
            return new_event{std::string(registered::type), d};
          },
          [](const changed& x) {
            json d = to_json(x.recorded);
            d["reason"] = x.reason;
            return new_event{std::string(changed::type), d};
          },
          [](const reclassification_proposed& x) {
            return new_event{std::string(reclassification_proposed::type),
                             {{"classification", x.level}, {"reason", x.reason}}};
          },
          [](const wire::approval_record auto& x) { return wire::event_of(x); },
          [](const retired& x) {
            return new_event{std::string(retired::type),
                             {{"disposal_method", x.disposal_method},
                              {"disposal_record", x.disposal_record},
                              {"retired_on", format_date(x.retired_on)},
                              {"retired_by", x.retired_by}}};
          },
      },
      e);
}

namespace {

using wire::as;

registered read(fields& f, as<registered>) {
  registered x;
  x.asset_id = f.id("asset_id");
  x.recorded = read_terms(f);
  x.level = f.id("classification");
  x.registered_on = f.day("registered_on");
  x.registered_by = f.opt_text("registered_by");
  return x;
}
register_asset read(fields& f, as<register_asset>) {
  register_asset x;
  x.asset_id = f.id("asset_id");
  x.recorded = read_terms(f);
  x.level = f.id("classification");
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
  if (some("type")) x.type_of = f.choice("type", kinds);
  if (some("description")) x.description = f.opt_text("description");
  if (some("owner")) x.owner = f.id("owner");
  if (some("location")) x.location = f.opt_text("location", wire::max_line);
  if (some("acceptable_use")) x.acceptable_use = f.opt_text("acceptable_use", wire::max_line);
  x.reason = f.text("reason");
  return x;
}
template <class T>
  requires std::same_as<T, reclassification_proposed> || std::same_as<T, request_reclassification>
T read(fields& f, as<T>) {
  T x;
  x.level = f.id("classification");
  if constexpr (std::same_as<T, request_reclassification>)
    x.reason = f.text("reason");
  else
    x.reason = f.opt_text("reason");
  return x;
}
reclassify read(fields& f, as<reclassify>) { return {wire::read_approval_outcome(f)}; }
reject_reclassification read(fields& f, as<reject_reclassification>) { return {wire::read_approval_outcome(f)}; }
retired read(fields& f, as<retired>) {
  return {f.text("disposal_method"), f.text("disposal_record"), f.day("retired_on"), f.opt_text("retired_by")};
}
retire read(fields& f, as<retire>) { return {f.text("disposal_method"), f.text("disposal_record")}; }

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
  return {{"asset_id", s.asset_id},
          {"name", s.recorded.name},
          {"owner", s.recorded.owner},
          {"classification_in_force", s.level},
          {"classification_proposed", s.proposed ? json(*s.proposed) : json(nullptr)},
          {"reason", s.proposed ? s.proposal_reason : std::string{}}};
}

std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream, const json& data) {
  return wire::stream_names_id(command_type, register_asset::type, stream, "asset", data, "asset_id");
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  ++s.version;
  const bool keeps_request = std::holds_alternative<reclassification_requested>(e) ||
                             std::holds_alternative<reclassified>(e) ||
                             std::holds_alternative<reclassification_rejected>(e);
  if (!keeps_request) s.pending_approval_id.clear();  // any other change voids a pending approval
  std::visit(overloaded{
                 [&](const registered& x) {
                   s.exists = true;
                   s.asset_id = x.asset_id;
                   s.recorded = x.recorded;
                   s.level = x.level;
                 },
                 [&](const changed& x) {
                   s.recorded = x.recorded;
                   s.proposed.reset();
                   s.proposal_reason.clear();
                 },
                 [&](const reclassification_proposed& x) {
                   s.proposed = x.level;
                   s.proposal_reason = x.reason;
                 },
                 [&](const reclassification_requested& x) { s.pending_approval_id = x.approval.approval_id; },
                 [&](const reclassified&) {
                   if (s.proposed) s.level = *s.proposed;
                   s.proposed.reset();
                   s.proposal_reason.clear();
                   s.pending_approval_id.clear();
                 },
                 [&](const reclassification_rejected&) {
                   s.proposed.reset();
                   s.proposal_reason.clear();
                   s.pending_approval_id.clear();
                 },
                 [&](const retired&) {
                   s.current = status::retired;
                   s.proposed.reset();
                   s.proposal_reason.clear();
                 },
             },
             e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == register_asset::type) {
    if (s.exists) return wire::refusal("asset " + s.asset_id + " is already registered");
    return std::nullopt;
  }
  if (!s.exists) return rejection{rejection_kind::not_found, "", "no such asset; register it first"};
  if (type == reclassify::type || type == reject_reclassification::type) return std::nullopt;  // the outcome's check
  if (s.current == status::retired) return wire::refusal("asset " + s.asset_id + " is retired");
  if (type == request_reclassification::type && !s.pending_approval_id.empty())
    return wire::refusal("asset " + s.asset_id + " already awaits a reclassification (" + s.pending_approval_id + ")");
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {register_asset::type, change::type, request_reclassification::type, retire::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

std::vector<std::string> reads(const command& c, const state&) {
  if (std::holds_alternative<register_asset>(c) || std::holds_alternative<request_reclassification>(c))
    return {std::string(classification_scheme::stream_id)};
  return {};
}

std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read) {
  facts f;
  for (const auto& stream : reads(c, s)) {
    auto scheme = classification_scheme::current_scheme(read.history(stream));
    if (!scheme) return std::unexpected(scheme.error());
    f.scheme = std::move(*scheme);
  }
  return f;
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  using wire::one;
  using wire::refuse;
  using wire::rule;
  const date today = day_of(ctx.now);
  const std::string& who = ctx.by.user_id;
  const std::string_view type = command_type(c);
  if (auto r = state_refusal(type, s)) return std::unexpected(*r);
  if (acts_only_on_own(ctx.by, type) && who != s.recorded.owner)
    return refuse(rejection_kind::forbidden, "",
                  "a risk owner acts only on the assets they own (owner: " + s.recorded.owner + ")");
  // A level newly assigned is one the scheme in force lets be assigned.
  const auto unassignable = [&](const std::string& level) -> std::optional<rejection> {
    if (f.scheme.assignable(level)) return std::nullopt;
    std::string allowed;
    for (const auto& id : f.scheme.assignable_ids()) allowed += (allowed.empty() ? "" : ", ") + id;
    const std::string why = f.scheme.find(level) != nullptr ? "level " + level + " is retired from the classification scheme"
                                                            : "no level " + level + " in the classification scheme";
    return rejection{rejection_kind::invalid, "data.classification", why + "; assignable: " + allowed};
  };
  return std::visit(
      overloaded{
          [&](const register_asset& x) -> decision {
            if (auto r = unassignable(x.level)) return std::unexpected(*r);
            return one(encode(registered{x.asset_id, x.recorded, x.level, today, who}));
          },
          [&](const change& x) -> decision {
            terms t = s.recorded;
            if (x.name) t.name = *x.name;
            if (x.type_of) t.type = *x.type_of;
            if (x.description) t.description = *x.description;
            if (x.owner) t.owner = *x.owner;
            if (x.location) t.location = *x.location;
            if (x.acceptable_use) t.acceptable_use = *x.acceptable_use;
            if (t == s.recorded) return rule("the change changes none of the asset's terms");
            return one(encode(changed{std::move(t), x.reason}));
          },
          [&](const request_reclassification& x) -> decision {
            if (x.level == s.level)
              return refuse(rejection_kind::rule, "data.classification",
                            "asset " + s.asset_id + " is already classified " + s.level);
            if (auto r = unassignable(x.level)) return std::unexpected(*r);
            // The proposal, then the request that binds it (the version after it).
            state proposed = evolve(s, reclassification_proposed{x.level, x.reason});
            const std::string hash = canonical_hash(approval_content(proposed));
            approval_request req;
            req.approval_id = approval_id_for("asset-" + s.asset_id, s.version + 2);
            req.subject_kind = "asset.classification";
            // The owner decides how their asset is protected (5.12); a change
            // they propose themselves goes to top management.
            if (s.recorded.owner != who)
              req.policy.required_users = {s.recorded.owner};
            else
              req.policy.required_roles = {role::top_management};
            req.on_approved = std::string(reclassify::type);
            req.on_rejected = std::string(reject_reclassification::type);
            req.summary = wire::clip("Classify " + s.recorded.name + " (asset " + s.asset_id + ") as " +
                                         f.scheme.name_of(x.level) + " instead of " + f.scheme.name_of(s.level),
                                     wire::max_line);
            req.content_hash = hash;
            std::vector<new_event> out;
            out.push_back(encode(reclassification_proposed{x.level, x.reason}));
            out.push_back(encode(reclassification_requested{hash, std::move(req)}));
            return out;
          },
          [&](const reclassify& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id)) return std::unexpected(*r);
            return one(encode(reclassified{x.outcome.approval_id, x.outcome.approvers, x.outcome.comment,
                                           canonical_hash(approval_content(s))}));
          },
          [&](const reject_reclassification& x) -> decision {
            if (auto r = check_approval_outcome(ctx, x.outcome, s.pending_approval_id)) return std::unexpected(*r);
            return one(encode(
                reclassification_rejected{x.outcome.approval_id, x.outcome.rejected_by, x.outcome.comment}));
          },
          [&](const retire& x) -> decision {
            return one(encode(retired{x.disposal_method, x.disposal_record, today, who}));
          },
      },
      c);
}

}  // namespace isms::domain::asset
