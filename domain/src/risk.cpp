#include "isms/domain/risk.hpp"

#include <algorithm>
#include <array>

#include "isms/domain/annex_a.hpp"
#include "isms/domain/asset.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/user.hpp"
#include "wire_fields.hpp"

namespace isms::domain::risk {

namespace {

using wire::fields;

constexpr std::array<std::pair<status, std::string_view>, 8> status_names{{
    {status::none, "none"},
    {status::identified, "identified"},
    {status::assessed, "assessed"},
    {status::treatment_planned, "treatment_planned"},
    {status::acceptance_requested, "acceptance_requested"},
    {status::accepted, "accepted"},
    {status::acceptance_expired, "acceptance_expired"},
    {status::retired, "retired"},
}};

constexpr std::array<std::pair<treatment_option, std::string_view>, 4> option_names{{
    {treatment_option::modify, "modify"},
    {treatment_option::avoid, "avoid"},
    {treatment_option::share, "share"},
    {treatment_option::retain, "retain"},
}};

// Largest scale a matrix may have; the command is checked against the
// matrix in force in decide.
constexpr int max_scale = 10;
// Longest acceptance: three years, then it must be reviewed.
constexpr int max_acceptance_days = 3 * 366;

using wire::forbidden;
using wire::rule;

// ---- codecs ----------------------------------------------------------------

// Events whose fields are their members, each under its own name.
ISMS_WIRE_MEMBERS(identified, title, description, asset, threat, vulnerability, owner, category, asset_ids)
ISMS_WIRE_MEMBERS(assets_linked, asset_ids, previous_asset_ids, reason)
ISMS_WIRE_MEMBERS(assessed, likelihood, impact, score, level, within_appetite, rationale, matrix_version, reassessment)
ISMS_WIRE_MEMBERS(owner_changed, previous_owner, owner, reason, acceptance_withdrawn)
ISMS_WIRE_MEMBERS(retired, reason)

json encode_data(const identified& e) { return wire_members(e); }
json encode_data(const assets_linked& e) { return wire_members(e); }
json encode_data(const assessed& e) { return wire_members(e); }
json encode_data(const treatment_planned& e) {
  return {{"option", to_string(e.option)},
          {"controls", e.controls},
          {"actions", e.actions},
          {"target_likelihood", e.target_likelihood},
          {"target_impact", e.target_impact},
          {"target_score", e.target_score},
          {"target_level", e.target_level},
          {"target_within_appetite", e.target_within_appetite},
          {"due", format_date(e.due)}};
}
json encode_data(const acceptance_requested& e) {
  return {{"residual_likelihood", e.residual_likelihood},
          {"residual_impact", e.residual_impact},
          {"residual_score", e.residual_score},
          {"residual_level", e.residual_level},
          {"above_appetite", e.above_appetite},
          {"review_date", format_date(e.review_date)},
          {"comment", e.comment},
          {"approval", to_json(e.approval)}};
}
json encode_data(const accepted& e) {
  return {{"approval_id", e.approval_id},
          {"approvers", e.approvers},
          {"comment", e.comment},
          {"review_date", format_date(e.review_date)}};
}
json encode_data(const acceptance_rejected& e) { return wire::to_json(e); }
json encode_data(const acceptance_expired& e) {
  return {{"review_date", format_date(e.review_date)}, {"expired_on", format_date(e.expired_on)}};
}
json encode_data(const treatment_implemented& e) {
  return {{"evidence", e.evidence}, {"implemented_on", format_date(e.implemented_on)}};
}
json encode_data(const owner_changed& e) { return wire_members(e); }
json encode_data(const retired& e) { return wire_members(e); }


// Levels, scores and scales as recorded (a 10 × 10 matrix at most).
int small_int(fields& f, std::string_view key) { return static_cast<int>(f.integer(key, 0, 10'000)); }

treatment_option option_in(fields& f) {
  const auto name = f.raw_text("option", 16);
  const auto option = treatment_option_from_string(name);
  if (f.ok() && !option) f.fail("option", "must be one of modify, avoid, share, retain");
  return option.value_or(treatment_option::modify);
}

// A user id as risk owner.
std::string owner_in(fields& f) { return f.id("owner"); }

std::expected<event, std::string> decode_event(std::string_view type, const json& data) {
  using wire::read_event;
  if (type == identified::upcast_from) {
    if (!data.is_object()) return std::unexpected("the data of " + std::string(type) + " must be an object");
    return decode_event(identified::type, upcast_identified_v1(data));
  }
  if (type == identified::type)
    return read_event<event>(type, data, [](fields& f) {
      return identified{f.raw_text("title"),  f.opt_text("description"), f.raw_text("asset"),
                        f.raw_text("threat"), f.raw_text("vulnerability"), f.raw_text("owner"),
                        f.raw_text("category"), f.strings("asset_ids")};
    });
  if (type == assets_linked::type)
    return read_event<event>(type, data, [](fields& f) {
      return assets_linked{f.strings("asset_ids"), f.strings("previous_asset_ids"), f.raw_text("reason")};
    });
  if (type == assessed::type)
    return read_event<event>(type, data, [](fields& f) {
      return assessed{small_int(f, "likelihood"), small_int(f, "impact"), small_int(f, "score"),
                      f.raw_text("level"),        f.boolean("within_appetite"),
                      f.raw_text("rationale"),
                      static_cast<std::uint64_t>(f.integer("matrix_version", 0, INT64_MAX)),
                      f.boolean("reassessment")};
    });
  if (type == treatment_planned::type)
    return read_event<event>(type, data, [](fields& f) {
      return treatment_planned{option_in(f),
                               f.strings("controls"),
                               f.raw_text("actions"),
                               small_int(f, "target_likelihood"),
                               small_int(f, "target_impact"),
                               small_int(f, "target_score"),
                               f.raw_text("target_level"),
                               f.boolean("target_within_appetite"),
                               f.day("due")};
    });
  if (type == acceptance_requested::type)
    return read_event<event>(type, data, [](fields& f) {
      return acceptance_requested{small_int(f, "residual_likelihood"),
                                  small_int(f, "residual_impact"),
                                  small_int(f, "residual_score"),
                                  f.raw_text("residual_level"),
                                  f.boolean("above_appetite"),
                                  f.day("review_date"),
                                  f.opt_text("comment"),
                                  wire::read_approval_request(f, "approval")};
    });
  if (type == accepted::type)
    return read_event<event>(type, data, [](fields& f) {
      return accepted{f.raw_text("approval_id"), f.strings("approvers"), f.opt_text("comment"),
                      f.day("review_date")};
    });
  if (type == acceptance_rejected::type)
    return read_event<event>(type, data, [](fields& f) {
      return read(f, wire::as<acceptance_rejected>{});
    });
  if (type == acceptance_expired::type)
    return read_event<event>(type, data, [](fields& f) {
      return acceptance_expired{f.day("review_date"), f.day("expired_on")};
    });
  if (type == treatment_implemented::type)
    return read_event<event>(type, data, [](fields& f) {
      return treatment_implemented{f.raw_text("evidence"), f.day("implemented_on")};
    });
  if (type == owner_changed::type)
    return read_event<event>(type, data, [](fields& f) {
      return owner_changed{f.raw_text("previous_owner"), f.raw_text("owner"), f.raw_text("reason"),
                           f.boolean("acceptance_withdrawn")};
    });
  if (type == retired::type)
    return read_event<event>(type, data, [](fields& f) { return retired{f.raw_text("reason")}; });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

// ---- command parsing ---------------------------------------------------------

// The registered assets a risk concerns: ids, each once, at most 50.
std::vector<std::string> asset_ids_in(fields& f, bool required) {
  auto ids = required ? f.ids("asset_ids", true, 50) : f.opt_ids("asset_ids", 50);
  for (std::size_t i = 0; i < ids.size() && f.ok(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (ids[k] == ids[i]) f.fail("asset_ids[" + std::to_string(i) + "]", "asset listed twice");
  return ids;
}

command read_identify(fields& f) {
  identified d;
  d.title = f.text("title", wire::max_line);
  d.description = f.opt_text("description");
  d.asset = f.opt_text("asset", wire::max_line);
  d.asset_ids = asset_ids_in(f, false);
  if (f.ok() && d.asset.find_first_not_of(" \t\r\n") == std::string::npos && d.asset_ids.empty())
    f.fail("asset", "name the asset: registered assets in asset_ids, or in words");
  d.threat = f.text("threat", wire::max_line);
  d.vulnerability = f.text("vulnerability", wire::max_line);
  d.owner = owner_in(f);
  d.category = f.text("category", 64);
  return identify{std::move(d)};
}

command read_assess(fields& f) {
  assess c;
  c.likelihood = static_cast<int>(f.integer("likelihood", 1, max_scale));
  c.impact = static_cast<int>(f.integer("impact", 1, max_scale));
  c.rationale = f.text("rationale");
  return c;
}

command read_plan(fields& f) {
  plan_treatment c;
  c.option = option_in(f);
  c.controls = f.opt_texts("controls", 8, 93);
  for (std::size_t i = 0; i < c.controls.size() && f.ok(); ++i) {
    const auto at = "controls[" + std::to_string(i) + "]";
    if (!annex_a::find(c.controls[i]))
      f.fail(at, "'" + c.controls[i] + "' is not an ISO/IEC 27001:2022 Annex A control");
    for (std::size_t k = 0; k < i; ++k)
      if (c.controls[k] == c.controls[i]) f.fail(at, "control listed twice");
  }
  c.actions = f.opt_text("actions");
  c.target_likelihood = static_cast<int>(f.integer("target_likelihood", 1, max_scale));
  c.target_impact = static_cast<int>(f.integer("target_impact", 1, max_scale));
  c.due = f.day("due");
  return c;
}

command read_request(fields& f) {
  request_acceptance c;
  c.review_date = f.opt_day("review_date");
  c.comment = f.opt_text("comment");
  return c;
}

// ---- rules -------------------------------------------------------------------

// A risk owner without the ISMS manager role acts only on risks they own
// (the commands' `any_entity`, authorization.hpp).
std::optional<rejection> owner_only_own(const command_context& ctx, std::string_view command_type,
                                        std::string_view owner, std::string_view what) {
  if (!acts_only_on_own(ctx.by, command_type)) return std::nullopt;
  if (ctx.by.user_id == owner) return std::nullopt;
  return rejection{rejection_kind::forbidden, "",
                   "a risk owner may " + std::string(what) + " only risks they own (owner: " +
                       std::string(owner) + ")"};
}

std::optional<rejection> check_exists(const state& s) {
  if (s.status_ == status::none)
    return rejection{rejection_kind::not_found, "", "no such risk: identify it first"};
  if (s.status_ == status::retired)
    return rejection{rejection_kind::rule, "", "the risk is retired: " + s.retired_reason};
  return std::nullopt;
}

std::optional<rejection> within_matrix(const risk_matrix::matrix& m, int l, int i,
                                       std::string_view lf, std::string_view inf) {
  if (l > m.max_likelihood())
    return rejection{rejection_kind::invalid, std::string(lf),
                     "must be between 1 and " + std::to_string(m.max_likelihood()) +
                         " on the risk matrix"};
  if (i > m.max_impact())
    return rejection{rejection_kind::invalid, std::string(inf),
                     "must be between 1 and " + std::to_string(m.max_impact()) +
                         " on the risk matrix"};
  return std::nullopt;
}

decision one(const event& e) { return std::vector<new_event>{encode(e)}; }

// A risk owner is a registered user who is not disabled.
std::optional<rejection> check_owner(const facts& f, const std::string& user_id) {
  const user::state* owner = &f.owner;
  if (!owner->registered)
    return rejection{rejection_kind::not_found, "data.owner",
                     "the risk owner '" + user_id + "' is not a registered user"};
  if (!owner->enabled)
    return rejection{rejection_kind::rule, "data.owner", "the risk owner '" + user_id + "' is disabled"};
  return std::nullopt;
}

// Each asset named is in the inventory and in use (A.5.9); those of
// `linked` (already linked to the risk) may stay linked once retired.
std::optional<rejection> check_assets(const facts& f, const std::vector<std::string>& ids,
                                      const std::vector<std::string>& linked = {}) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (std::ranges::find(linked, ids[i]) != linked.end()) continue;
    const auto it = f.assets.find(ids[i]);
    const std::string at = "data.asset_ids[" + std::to_string(i) + "]";
    if (it == f.assets.end() || !it->second.registered)
      return rejection{rejection_kind::not_found, at, "no asset " + ids[i] + " in the inventory"};
    if (it->second.retired) return rejection{rejection_kind::rule, at, "asset " + ids[i] + " is retired"};
  }
  return std::nullopt;
}

decision decide_identify(const identify& c, const state& s, const command_context& ctx, const facts& f) {
  if (auto r = state_refusal(identify::type, s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, identify::type, c.details.owner, "identify")) return std::unexpected(*r);
  if (auto r = check_owner(f, c.details.owner)) return std::unexpected(*r);
  if (auto r = check_assets(f, c.details.asset_ids)) return std::unexpected(*r);
  return one(c.details);
}

decision decide_link_assets(const link_assets& c, const state& s, const command_context& ctx, const facts& f) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, link_assets::type, s.details.owner, "link assets to")) return std::unexpected(*r);
  if (auto r = state_refusal(link_assets::type, s)) return std::unexpected(*r);
  auto sorted = [](std::vector<std::string> v) {
    std::ranges::sort(v);
    return v;
  };
  if (sorted(c.asset_ids) == sorted(s.details.asset_ids))
    return rule("the risk already concerns exactly these assets", "data.asset_ids");
  if (c.asset_ids.empty() && s.details.asset.find_first_not_of(" \t\r\n") == std::string::npos)
    return rule("a risk identified without an asset in words keeps at least one registered asset", "data.asset_ids");
  if (auto r = check_assets(f, c.asset_ids, s.details.asset_ids)) return std::unexpected(*r);
  return one(assets_linked{c.asset_ids, s.details.asset_ids, c.reason});
}

decision decide_implemented(const record_treatment_implemented& c, const state& s, const command_context& ctx) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, record_treatment_implemented::type, s.details.owner, "record the treatment of"))
    return std::unexpected(*r);
  if (auto r = state_refusal(record_treatment_implemented::type, s)) return std::unexpected(*r);
  return one(treatment_implemented{c.evidence, day_of(ctx.now)});
}

decision decide_change_owner(const change_owner& c, const state& s, const facts& f) {
  if (auto r = state_refusal(change_owner::type, s)) return std::unexpected(*r);
  if (c.owner == s.details.owner) return rule("'" + c.owner + "' already owns the risk", "data.owner");
  if (auto r = check_owner(f, c.owner)) return std::unexpected(*r);
  return one(owner_changed{s.details.owner, c.owner, c.reason, s.status_ == status::acceptance_requested});
}

decision decide_assess(const assess& c, const state& s, const command_context& ctx,
                       const facts& f) {
  if (auto r = state_refusal(assess::type, s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, assess::type, s.details.owner, "assess")) return std::unexpected(*r);
  const risk_matrix::matrix* m = &f.matrix;
  if (auto r = within_matrix(*m, c.likelihood, c.impact, "data.likelihood", "data.impact"))
    return std::unexpected(*r);
  const int score = c.likelihood * c.impact;
  const auto* band = m->band_for(score);
  if (band == nullptr) return rule("the risk matrix has no level for score " + std::to_string(score));
  return one(assessed{c.likelihood, c.impact, score, band->name, m->within_appetite(band->name),
                      c.rationale, m->version, s.assessment.has_value()});
}

decision decide_plan(const plan_treatment& c, const state& s, const command_context& ctx,
                     const facts& f) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, plan_treatment::type, s.details.owner, "plan the treatment of"))
    return std::unexpected(*r);
  if (auto r = state_refusal(plan_treatment::type, s)) return std::unexpected(*r);
  const risk_matrix::matrix* m = &f.matrix;
  if (auto r = within_matrix(*m, c.target_likelihood, c.target_impact, "data.target_likelihood",
                             "data.target_impact"))
    return std::unexpected(*r);
  const auto& a = *s.assessment;
  if (c.option == treatment_option::modify && c.controls.empty())
    return rule("modifying a risk needs at least one Annex A control (6.1.3 b)", "data.controls");
  if (c.option != treatment_option::retain &&
      c.actions.find_first_not_of(" \t\r\n") == std::string::npos)
    return rule("a treatment other than retain needs its actions described (6.1.3 e)", "data.actions");
  const int target = c.target_likelihood * c.target_impact;
  if (c.option == treatment_option::retain &&
      (c.target_likelihood != a.likelihood || c.target_impact != a.impact))
    return rule("retaining a risk keeps its assessed likelihood and impact as the residual risk",
                "data.target_likelihood");
  if (target > a.score)
    return rule("the target residual risk (" + std::to_string(target) +
                    ") cannot exceed the assessed risk (" + std::to_string(a.score) + ")",
                "data.target_likelihood");
  if (c.due < day_of(ctx.now)) return rule("the treatment due date is in the past", "data.due");
  const auto* band = m->band_for(target);
  if (band == nullptr) return rule("the risk matrix has no level for score " + std::to_string(target));
  return one(treatment_planned{c.option, c.controls, c.actions, c.target_likelihood, c.target_impact,
                               target, band->name, m->within_appetite(band->name), c.due});
}

decision decide_request(const request_acceptance& c, const state& s, const command_context& ctx,
                        const facts& f) {
  if (auto r = state_refusal(request_acceptance::type, s)) return std::unexpected(*r);
  if (ctx.by.user_id == s.details.owner)
    return rule("the risk owner approves the acceptance and so cannot request it (segregation of duties)");
  const risk_matrix::matrix* m = &f.matrix;
  const date today = day_of(ctx.now);
  const date review = c.review_date.value_or(today + std::chrono::days{365});
  if (review <= today) return rule("the acceptance review date must be after today", "data.review_date");
  if (review > today + std::chrono::days{max_acceptance_days})
    return rule("an acceptance must be reviewed within three years", "data.review_date");
  const auto& t = *s.treatment;
  const auto* band = m->band_for(t.target_score);
  if (band == nullptr) return rule("the risk matrix has no level for score " + std::to_string(t.target_score));
  acceptance_requested e;
  e.residual_likelihood = t.target_likelihood;
  e.residual_impact = t.target_impact;
  e.residual_score = t.target_score;
  e.residual_level = band->name;
  e.above_appetite = !m->within_appetite(band->name);
  e.review_date = review;
  e.comment = c.comment;
  approval_policy policy;
  policy.required_users = {s.details.owner};
  if (e.above_appetite) policy.required_roles = {role::top_management};
  policy.min_approvals = e.above_appetite ? 2 : 1;
  policy.ordered = true;  // the risk owner first, then top management
  policy.version = acceptance_policy_version;
  e.approval.approval_id = approval_id_for(s.stream, s.version + 1);
  e.approval.subject_kind = "risk.acceptance";
  e.approval.policy = policy;
  e.approval.on_approved = std::string(accept::type);
  e.approval.on_rejected = std::string(reject_acceptance::type);
  // Clipped: a long title must not make the approval request unopenable.
  e.approval.summary = wire::clip("Accept the residual risk of " + s.stream + " \"" + s.details.title + "\": " +
                                      e.residual_level + " (" + std::to_string(e.residual_score) + ")" +
                                      (e.above_appetite ? ", above appetite" : ", within appetite") +
                                      ", until " + format_date(review),
                                  wire::max_line);
  e.approval.content_hash = canonical_hash(acceptance_content(s, e));
  return one(e);
}

decision decide_accept(const accept& c, const state& s, const command_context& ctx) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  const std::string pending = s.pending ? s.pending->approval.approval_id : std::string{};
  if (auto r = check_approval_outcome(ctx, c.outcome, pending)) return std::unexpected(*r);
  return one(accepted{c.outcome.approval_id, c.outcome.approvers, c.outcome.comment,
                      s.pending->review_date});
}

decision decide_reject(const reject_acceptance& c, const state& s, const command_context& ctx) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  const std::string pending = s.pending ? s.pending->approval.approval_id : std::string{};
  if (auto r = check_approval_outcome(ctx, c.outcome, pending)) return std::unexpected(*r);
  if (c.outcome.rejected_by.empty())
    return std::unexpected(rejection{rejection_kind::invalid, "data.rejected_by", "is required"});
  return one(acceptance_rejected{c.outcome.approval_id, c.outcome.approvers, c.outcome.rejected_by,
                                 c.outcome.comment});
}

decision decide_expire(const state& s, const command_context& ctx) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (!ctx.by.has(role::system)) return forbidden("only the scheduler expires an acceptance");
  if (s.status_ != status::accepted || !s.accepted_until)
    return rule("there is no acceptance in force to expire; the risk is " +
                std::string(to_string(s.status_)));
  const date today = day_of(ctx.now);
  if (today < *s.accepted_until)
    return rule("the acceptance holds until its review date " + format_date(*s.accepted_until));
  return one(acceptance_expired{*s.accepted_until, today});
}

decision decide_retire(const retire& c, const state& s, const command_context&) {
  if (auto r = state_refusal(retire::type, s)) return std::unexpected(*r);
  return one(retired{c.reason});
}

}  // namespace

std::optional<rejection> state_refusal(std::string_view type, const state& s) {
  if (type == identify::type) {
    if (s.status_ != status::none) return wire::refusal("the risk is already identified");
    return std::nullopt;
  }
  if (auto r = check_exists(s)) return r;
  if (type == plan_treatment::type) {
    if (s.status_ != status::assessed && s.status_ != status::treatment_planned &&
        s.status_ != status::acceptance_requested)
      return wire::refusal("treatment is planned after assessment and before acceptance; the risk is " +
                    std::string(to_string(s.status_)));
  } else if (type == request_acceptance::type) {
    if (s.status_ == status::acceptance_requested)
      return wire::refusal("acceptance is already requested (approval " +
                    (s.pending ? s.pending->approval.approval_id : std::string{}) + ")");
    if (s.status_ != status::treatment_planned)
      return wire::refusal("acceptance is requested once the treatment is planned; the risk is " +
                    std::string(to_string(s.status_)));
  } else if (type == link_assets::type) {
    if (s.status_ == status::acceptance_requested)
      return wire::refusal("acceptance is being decided on this risk as it stands; link assets after the decision");
  } else if (type == record_treatment_implemented::type) {
    if (s.status_ == status::acceptance_requested)
      return wire::refusal("acceptance is being decided on this treatment plan; record its implementation after the decision");
    if (!s.treatment || (s.status_ != status::treatment_planned && s.status_ != status::accepted))
      return wire::refusal("there is no treatment plan in force to implement; the risk is " +
                    std::string(to_string(s.status_)));
    if (s.implemented)
      return wire::refusal("the treatment was already recorded as implemented on " +
                    format_date(s.implemented->implemented_on));
  }
  // assess, change_owner, retire: any risk that exists and is not retired.
  return std::nullopt;
}

std::vector<std::string> admitted_commands(const state& s) {
  std::vector<std::string> out;
  for (std::string_view type : {identify::type, assess::type, plan_treatment::type, request_acceptance::type,
                                record_treatment_implemented::type, change_owner::type, link_assets::type,
                                retire::type})
    if (!state_refusal(type, s)) out.emplace_back(type);
  return out;
}

std::string_view to_string(status s) noexcept { return wire::name_of(status_names, s); }

std::string_view to_string(treatment_option o) noexcept { return wire::name_of(option_names, o); }

std::optional<treatment_option> treatment_option_from_string(std::string_view s) noexcept {
  return wire::value_of(option_names, s);
}

std::string_view to_string(due_kind k) noexcept {
  switch (k) {
    case due_kind::acceptance_expiring: return "acceptance_expiring";
    case due_kind::acceptance_expired: return "acceptance_expired";
    case due_kind::treatment_overdue: return "treatment_overdue";
  }
  return "acceptance_expiring";
}

new_event encode(const event& e) {
  return std::visit([](const auto& v) { return new_event{std::string(std::decay_t<decltype(v)>::type), encode_data(v)}; }, e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  return decode_event(type, data);
}

json upcast_identified_v1(const json& v1) {
  json v2 = v1;
  v2["asset_ids"] = json::array();
  return v2;
}

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  using wire::read_command;
  if (type == identify::type) return read_command<command>(data, read_identify);
  if (type == assess::type) return read_command<command>(data, read_assess);
  if (type == plan_treatment::type) return read_command<command>(data, read_plan);
  if (type == request_acceptance::type) return read_command<command>(data, read_request);
  if (type == accept::type || type == reject_acceptance::type) {
    auto o = wire::outcome_in(data);
    if (!o) return std::unexpected(o.error());
    if (type == accept::type) return accept{std::move(*o)};
    return reject_acceptance{std::move(*o)};
  }
  if (type == expire_acceptance::type) return read_command<command>(data, [](fields&) { return expire_acceptance{}; });
  if (type == change_owner::type)
    return read_command<command>(data, [](fields& f) { return command{change_owner{owner_in(f), f.text("reason")}}; });
  if (type == record_treatment_implemented::type)
    return read_command<command>(data, [](fields& f) { return command{record_treatment_implemented{f.text("evidence")}}; });
  if (type == retire::type)
    return read_command<command>(data, [](fields& f) { return command{retire{f.text("reason")}}; });
  if (type == link_assets::type)
    return read_command<command>(
        data, [](fields& f) { return command{link_assets{asset_ids_in(f, true), f.text("reason")}}; });
  return std::unexpected(rejection{rejection_kind::invalid, "type", "unknown risk command '" + std::string(type) + "'"});
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, identified>) {
          s.status_ = status::identified;
          s.details = v;
        } else if constexpr (std::is_same_v<T, assessed>) {
          s.status_ = status::assessed;
          s.assessment = v;
          s.treatment.reset();
          s.implemented.reset();
          s.pending.reset();
          s.accepted_until.reset();
          s.accepted_by.clear();
        } else if constexpr (std::is_same_v<T, treatment_planned>) {
          s.status_ = status::treatment_planned;
          s.treatment = v;
          s.implemented.reset();
          s.pending.reset();
        } else if constexpr (std::is_same_v<T, acceptance_requested>) {
          s.status_ = status::acceptance_requested;
          s.pending = v;
        } else if constexpr (std::is_same_v<T, accepted>) {
          s.status_ = status::accepted;
          s.accepted_until = v.review_date;
          s.accepted_by = v.approvers;
          s.pending.reset();
        } else if constexpr (std::is_same_v<T, acceptance_rejected>) {
          s.status_ = status::treatment_planned;
          s.pending.reset();
        } else if constexpr (std::is_same_v<T, acceptance_expired>) {
          s.status_ = status::acceptance_expired;
          s.accepted_until.reset();
          s.accepted_by.clear();
        } else if constexpr (std::is_same_v<T, treatment_implemented>) {
          s.implemented = v;
        } else if constexpr (std::is_same_v<T, owner_changed>) {
          s.details.owner = v.owner;
          if (s.status_ == status::acceptance_requested) {
            s.status_ = status::treatment_planned;
            s.pending.reset();
          }
        } else if constexpr (std::is_same_v<T, assets_linked>) {
          s.details.asset_ids = v.asset_ids;
        } else if constexpr (std::is_same_v<T, retired>) {
          s.status_ = status::retired;
          s.retired_reason = v.reason;
          s.pending.reset();
        }
      },
      e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  auto s = wire::fold(std::move(from), history, decode, evolve);
  if (!s) return s;
  if (!history.empty()) {
    s->stream = history.back().stream;
    s->version = history.back().version;
  }
  return s;
}

std::vector<std::string> reads(const command& c, const state&) {
  return std::visit(
      [](const auto& cmd) -> std::vector<std::string> {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, identify>) {
          std::vector<std::string> out{"user-" + cmd.details.owner};
          for (const auto& id : cmd.details.asset_ids) out.push_back("asset-" + id);
          return out;
        }
        if constexpr (std::is_same_v<T, link_assets>) {
          std::vector<std::string> out;
          for (const auto& id : cmd.asset_ids) out.push_back("asset-" + id);
          return out;
        }
        if constexpr (std::is_same_v<T, change_owner>) return {"user-" + cmd.owner};
        if constexpr (std::is_same_v<T, assess> || std::is_same_v<T, plan_treatment> ||
                      std::is_same_v<T, request_acceptance>)
          return {std::string(risk_matrix::stream_id)};
        return {};
      },
      c);
}

std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read) {
  facts f;
  for (const auto& stream : reads(c, s)) {
    if (stream == risk_matrix::stream_id) {
      auto m = risk_matrix::current_matrix(read.history(stream));
      if (!m) return std::unexpected(m.error());
      f.matrix = std::move(*m);
    } else if (stream.starts_with("asset-")) {
      const auto history = read.history(stream);
      auto a = asset::fold(history);
      if (!a) return std::unexpected(a.error());
      f.assets[stream.substr(6)] = {a->exists, a->current == asset::status::retired};
    } else {
      auto owner = user::fold(read.history(stream));
      if (!owner) return std::unexpected(owner.error());
      f.owner = std::move(*owner);
    }
  }
  return f;
}

decision decide(const command& c, const state& s, const facts& f, const command_context& ctx) {
  return std::visit(
      [&](const auto& cmd) -> decision {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, identify>) {
          return decide_identify(cmd, s, ctx, f);
        } else if constexpr (std::is_same_v<T, assess>) {
          return decide_assess(cmd, s, ctx, f);
        } else if constexpr (std::is_same_v<T, plan_treatment>) {
          return decide_plan(cmd, s, ctx, f);
        } else if constexpr (std::is_same_v<T, request_acceptance>) {
          return decide_request(cmd, s, ctx, f);
        } else if constexpr (std::is_same_v<T, accept>) {
          return decide_accept(cmd, s, ctx);
        } else if constexpr (std::is_same_v<T, reject_acceptance>) {
          return decide_reject(cmd, s, ctx);
        } else if constexpr (std::is_same_v<T, expire_acceptance>) {
          return decide_expire(s, ctx);
        } else if constexpr (std::is_same_v<T, record_treatment_implemented>) {
          return decide_implemented(cmd, s, ctx);
        } else if constexpr (std::is_same_v<T, change_owner>) {
          return decide_change_owner(cmd, s, f);
        } else if constexpr (std::is_same_v<T, link_assets>) {
          return decide_link_assets(cmd, s, ctx, f);
        } else {
          return decide_retire(cmd, s, ctx);
        }
      },
      c);
}

json acceptance_content(const state& s, const acceptance_requested& r) {
  json content{{"risk", s.stream},
               {"title", s.details.title},
               {"asset", s.details.asset},
               {"threat", s.details.threat},
               {"vulnerability", s.details.vulnerability},
               {"owner", s.details.owner},
               {"category", s.details.category},
               {"residual_likelihood", r.residual_likelihood},
               {"residual_impact", r.residual_impact},
               {"residual_level", r.residual_level},
               {"above_appetite", r.above_appetite},
               {"review_date", format_date(r.review_date)}};
  if (s.assessment)
    content["assessment"] = {{"likelihood", s.assessment->likelihood},
                             {"impact", s.assessment->impact},
                             {"level", s.assessment->level},
                             {"rationale", s.assessment->rationale}};
  if (s.treatment)
    content["treatment"] = {{"option", to_string(s.treatment->option)},
                            {"controls", s.treatment->controls},
                            {"actions", s.treatment->actions},
                            {"due", format_date(s.treatment->due)}};
  return content;
}

std::vector<due_item> due_on(std::span<const state> risks, date today) {
  std::vector<due_item> out;
  for (const auto& s : risks) {
    if (s.status_ == status::accepted && s.accepted_until) {
      const date review = *s.accepted_until;
      const std::string review_text = format_date(review);
      if (today >= review) {
        follow_up cmd{std::string(expire_acceptance::type), s.stream, json::object(),
                      "time:risk.expire_acceptance:" + s.stream + ":" + review_text};
        out.push_back(due_item{due_kind::acceptance_expired, s.stream, review,
                               "acceptance_expired:" + s.stream + ":" + review_text, std::move(cmd),
                               "The acceptance of " + s.stream + " \"" + s.details.title +
                                   "\" expired on " + review_text + ": reassess the risk"});
      } else if (today + std::chrono::days{expiry_warning_days} >= review) {
        out.push_back(due_item{due_kind::acceptance_expiring, s.stream, review,
                               "acceptance_expiring:" + s.stream + ":" + review_text, std::nullopt,
                               "The acceptance of " + s.stream + " \"" + s.details.title +
                                   "\" expires on " + review_text});
      }
    }
    if ((s.status_ == status::treatment_planned || s.status_ == status::acceptance_requested ||
         s.status_ == status::accepted) &&
        s.treatment && !s.implemented && today > s.treatment->due) {
      const std::string due_text = format_date(s.treatment->due);
      out.push_back(due_item{due_kind::treatment_overdue, s.stream, s.treatment->due,
                             "treatment_overdue:" + s.stream + ":" + due_text, std::nullopt,
                             "The treatment of " + s.stream + " \"" + s.details.title +
                                 "\" was due on " + due_text});
    }
  }
  return out;
}

}  // namespace isms::domain::risk
