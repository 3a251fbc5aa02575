#include "isms/domain/risk.hpp"

#include <algorithm>
#include <array>

#include "aggregate_fold.hpp"
#include "isms/domain/annex_a.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/user.hpp"
#include "json_fields.hpp"
#include "wire_fields.hpp"

namespace isms::domain::risk {

namespace {

namespace f = fields;

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

std::unexpected<rejection> rule(std::string message, std::string field = {}) {
  return std::unexpected(rejection{rejection_kind::rule, std::move(field), std::move(message)});
}

std::unexpected<rejection> forbidden(std::string message) {
  return std::unexpected(rejection{rejection_kind::forbidden, "", std::move(message)});
}

// ---- codecs ----------------------------------------------------------------

json encode_data(const identified& e) {
  return {{"title", e.title},   {"description", e.description},     {"asset", e.asset},
          {"threat", e.threat}, {"vulnerability", e.vulnerability}, {"owner", e.owner},
          {"category", e.category}};
}
json encode_data(const assessed& e) {
  return {{"likelihood", e.likelihood},
          {"impact", e.impact},
          {"score", e.score},
          {"level", e.level},
          {"within_appetite", e.within_appetite},
          {"rationale", e.rationale},
          {"matrix_version", e.matrix_version},
          {"reassessment", e.reassessment}};
}
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
json encode_data(const acceptance_rejected& e) {
  return {{"approval_id", e.approval_id},
          {"approvers", e.approvers},
          {"rejected_by", e.rejected_by},
          {"comment", e.comment}};
}
json encode_data(const acceptance_expired& e) {
  return {{"review_date", format_date(e.review_date)}, {"expired_on", format_date(e.expired_on)}};
}
json encode_data(const treatment_implemented& e) {
  return {{"evidence", e.evidence}, {"implemented_on", format_date(e.implemented_on)}};
}
json encode_data(const owner_changed& e) {
  return {{"previous_owner", e.previous_owner},
          {"owner", e.owner},
          {"reason", e.reason},
          {"acceptance_withdrawn", e.acceptance_withdrawn}};
}
json encode_data(const retired& e) { return {{"reason", e.reason}}; }

constexpr std::string_view type_of(const identified&) { return "risk.identified.v1"; }
constexpr std::string_view type_of(const assessed&) { return "risk.assessed.v1"; }
constexpr std::string_view type_of(const treatment_planned&) { return "risk.treatment_planned.v1"; }
constexpr std::string_view type_of(const acceptance_requested&) { return "risk.acceptance_requested.v1"; }
constexpr std::string_view type_of(const accepted&) { return "risk.accepted.v1"; }
constexpr std::string_view type_of(const acceptance_rejected&) { return "risk.acceptance_rejected.v1"; }
constexpr std::string_view type_of(const acceptance_expired&) { return "risk.acceptance_expired.v1"; }
constexpr std::string_view type_of(const owner_changed&) { return "risk.owner_changed.v1"; }
constexpr std::string_view type_of(const treatment_implemented&) { return "risk.treatment_implemented.v1"; }
constexpr std::string_view type_of(const retired&) { return "risk.retired.v1"; }

int small_int(const json& j, std::string_view key) {
  const auto v = stored::integer(j, key);
  if (v < 0 || v > 10'000) stored::fail(key, "out of range");
  return static_cast<int>(v);
}

event decode_or_throw(std::string_view type, const json& d) {
  using namespace stored;
  if (type == "risk.identified.v1")
    return identified{str(d, "title"),  opt_str(d, "description"), str(d, "asset"),
                      str(d, "threat"), str(d, "vulnerability"),   str(d, "owner"),
                      str(d, "category")};
  if (type == "risk.assessed.v1") {
    const auto mv = integer(d, "matrix_version");
    if (mv < 0) fail("matrix_version", "negative");
    return assessed{small_int(d, "likelihood"), small_int(d, "impact"), small_int(d, "score"),
                    str(d, "level"),            boolean(d, "within_appetite"),
                    str(d, "rationale"),        static_cast<std::uint64_t>(mv),
                    boolean(d, "reassessment")};
  }
  if (type == "risk.treatment_planned.v1") {
    const auto option = treatment_option_from_string(str(d, "option"));
    if (!option) fail("option", "unknown treatment option");
    return treatment_planned{*option,
                             strings(d, "controls"),
                             str(d, "actions"),
                             small_int(d, "target_likelihood"),
                             small_int(d, "target_impact"),
                             small_int(d, "target_score"),
                             str(d, "target_level"),
                             boolean(d, "target_within_appetite"),
                             day(d, "due")};
  }
  if (type == "risk.acceptance_requested.v1") {
    auto approval = parse_approval_request(member(d, "approval"), "approval");
    if (!approval) fail(approval.error().field, approval.error().message);
    return acceptance_requested{small_int(d, "residual_likelihood"),
                                small_int(d, "residual_impact"),
                                small_int(d, "residual_score"),
                                str(d, "residual_level"),
                                boolean(d, "above_appetite"),
                                day(d, "review_date"),
                                opt_str(d, "comment"),
                                std::move(*approval)};
  }
  if (type == "risk.accepted.v1")
    return accepted{str(d, "approval_id"), strings(d, "approvers"), opt_str(d, "comment"),
                    day(d, "review_date")};
  if (type == "risk.acceptance_rejected.v1")
    return acceptance_rejected{str(d, "approval_id"), strings(d, "approvers"),
                               str(d, "rejected_by"), opt_str(d, "comment")};
  if (type == "risk.acceptance_expired.v1")
    return acceptance_expired{day(d, "review_date"), day(d, "expired_on")};
  if (type == "risk.treatment_implemented.v1")
    return treatment_implemented{str(d, "evidence"), day(d, "implemented_on")};
  if (type == "risk.owner_changed.v1")
    return owner_changed{str(d, "previous_owner"), str(d, "owner"), str(d, "reason"),
                         boolean(d, "acceptance_withdrawn")};
  if (type == "risk.retired.v1") return retired{str(d, "reason")};
  throw std::runtime_error("unknown event type '" + std::string(type) + "'");
}

// ---- command parsing ---------------------------------------------------------

template <class T>
bool failed(const f::result<T>& r, rejection& out) {
  if (r) return false;
  out = r.error();
  return true;
}

std::expected<command, rejection> parse_identify(const json& d) {
  rejection err;
  auto title = f::text(d, "title", "data", f::max_line);
  if (failed(title, err)) return std::unexpected(err);
  auto description = f::optional_text(d, "description", "data", f::max_text);
  if (failed(description, err)) return std::unexpected(err);
  auto asset = f::text(d, "asset", "data", f::max_line);
  if (failed(asset, err)) return std::unexpected(err);
  auto threat = f::text(d, "threat", "data", f::max_line);
  if (failed(threat, err)) return std::unexpected(err);
  auto vulnerability = f::text(d, "vulnerability", "data", f::max_line);
  if (failed(vulnerability, err)) return std::unexpected(err);
  auto owner = f::text(d, "owner", "data", f::max_id);
  if (failed(owner, err)) return std::unexpected(err);
  if (!valid_stream_id(*owner))
    return f::invalid("data.owner", "must be a user id matching [A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  auto category = f::text(d, "category", "data", 64);
  if (failed(category, err)) return std::unexpected(err);
  return identify{identified{*title, *description, *asset, *threat, *vulnerability, *owner, *category}};
}

std::expected<command, rejection> parse_assess(const json& d) {
  rejection err;
  auto l = f::integer(d, "likelihood", "data", 1, max_scale);
  if (failed(l, err)) return std::unexpected(err);
  auto i = f::integer(d, "impact", "data", 1, max_scale);
  if (failed(i, err)) return std::unexpected(err);
  auto rationale = f::text(d, "rationale", "data", f::max_text);
  if (failed(rationale, err)) return std::unexpected(err);
  return assess{static_cast<int>(*l), static_cast<int>(*i), *rationale};
}

std::expected<command, rejection> parse_plan(const json& d) {
  rejection err;
  auto option_text = f::text(d, "option", "data", 16);
  if (failed(option_text, err)) return std::unexpected(err);
  const auto option = treatment_option_from_string(*option_text);
  if (!option) return f::invalid("data.option", "must be one of modify, avoid, share, retain");
  auto controls = f::text_list(d, "controls", "data", 8, 93);
  if (failed(controls, err)) return std::unexpected(err);
  for (std::size_t i = 0; i < controls->size(); ++i) {
    const auto field = "data.controls[" + std::to_string(i) + "]";
    if (!annex_a::find((*controls)[i]))
      return f::invalid(field, "'" + (*controls)[i] + "' is not an ISO/IEC 27001:2022 Annex A control");
    for (std::size_t k = 0; k < i; ++k)
      if ((*controls)[k] == (*controls)[i]) return f::invalid(field, "control listed twice");
  }
  auto actions = f::optional_text(d, "actions", "data", f::max_text);
  if (failed(actions, err)) return std::unexpected(err);
  auto tl = f::integer(d, "target_likelihood", "data", 1, max_scale);
  if (failed(tl, err)) return std::unexpected(err);
  auto ti = f::integer(d, "target_impact", "data", 1, max_scale);
  if (failed(ti, err)) return std::unexpected(err);
  auto due = f::day(d, "due", "data");
  if (failed(due, err)) return std::unexpected(err);
  return plan_treatment{*option, std::move(*controls), *actions, static_cast<int>(*tl),
                        static_cast<int>(*ti), *due};
}

std::expected<command, rejection> parse_request(const json& d) {
  rejection err;
  request_acceptance r;
  if (d.contains("review_date") && !d.at("review_date").is_null()) {
    auto review = f::day(d, "review_date", "data");
    if (failed(review, err)) return std::unexpected(err);
    r.review_date = *review;
  }
  auto comment = f::optional_text(d, "comment", "data", f::max_text);
  if (failed(comment, err)) return std::unexpected(err);
  r.comment = *comment;
  return r;
}

std::expected<command, rejection> parse_implemented(const json& d) {
  auto evidence = f::text(d, "evidence", "data", f::max_text);
  if (!evidence) return std::unexpected(evidence.error());
  return record_treatment_implemented{*evidence};
}

std::expected<command, rejection> parse_change_owner(const json& d) {
  rejection err;
  auto owner = f::text(d, "owner", "data", f::max_id);
  if (failed(owner, err)) return std::unexpected(err);
  if (!valid_stream_id(*owner))
    return f::invalid("data.owner", "must be a user id matching [A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  auto reason = f::text(d, "reason", "data", f::max_text);
  if (failed(reason, err)) return std::unexpected(err);
  return change_owner{*owner, *reason};
}

std::expected<command, rejection> parse_retire(const json& d) {
  auto reason = f::text(d, "reason", "data", f::max_text);
  if (!reason) return std::unexpected(reason.error());
  return retire{*reason};
}

// ---- rules -------------------------------------------------------------------

// A risk owner without the ISMS manager role acts only on risks they own.
std::optional<rejection> owner_only_own(const command_context& ctx, std::string_view owner,
                                        std::string_view what) {
  if (ctx.by.has(role::isms_manager) || ctx.by.has(role::system)) return std::nullopt;
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
std::optional<rejection> check_owner(const related_streams& related, const std::string& user_id) {
  auto owner = user::fold(related.history("user-" + user_id));
  if (!owner) return owner.error();
  if (!owner->registered)
    return rejection{rejection_kind::not_found, "data.owner",
                     "the risk owner '" + user_id + "' is not a registered user"};
  if (!owner->enabled)
    return rejection{rejection_kind::rule, "data.owner", "the risk owner '" + user_id + "' is disabled"};
  return std::nullopt;
}

decision decide_identify(const identify& c, const state& s, const command_context& ctx,
                         const related_streams& related) {
  if (s.status_ != status::none) return rule("the risk is already identified");
  if (auto r = owner_only_own(ctx, c.details.owner, "identify")) return std::unexpected(*r);
  if (auto r = check_owner(related, c.details.owner)) return std::unexpected(*r);
  return one(c.details);
}

decision decide_implemented(const record_treatment_implemented& c, const state& s, const command_context& ctx) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, s.details.owner, "record the treatment of")) return std::unexpected(*r);
  if (s.status_ == status::acceptance_requested)
    return rule("acceptance is being decided on this treatment plan; record its implementation after the decision");
  if (!s.treatment ||
      (s.status_ != status::treatment_planned && s.status_ != status::accepted))
    return rule("there is no treatment plan in force to implement; the risk is " + std::string(to_string(s.status_)));
  if (s.implemented)
    return rule("the treatment was already recorded as implemented on " + format_date(s.implemented->implemented_on));
  return one(treatment_implemented{c.evidence, day_of(ctx.now)});
}

decision decide_change_owner(const change_owner& c, const state& s, const related_streams& related) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (c.owner == s.details.owner) return rule("'" + c.owner + "' already owns the risk", "data.owner");
  if (auto r = check_owner(related, c.owner)) return std::unexpected(*r);
  return one(owner_changed{s.details.owner, c.owner, c.reason, s.status_ == status::acceptance_requested});
}

decision decide_assess(const assess& c, const state& s, const command_context& ctx,
                       const related_streams& related) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, s.details.owner, "assess")) return std::unexpected(*r);
  auto m = risk_matrix::current_matrix(related);
  if (!m) return std::unexpected(m.error());
  if (auto r = within_matrix(*m, c.likelihood, c.impact, "data.likelihood", "data.impact"))
    return std::unexpected(*r);
  const int score = c.likelihood * c.impact;
  const auto* band = m->band_for(score);
  if (band == nullptr) return rule("the risk matrix has no level for score " + std::to_string(score));
  return one(assessed{c.likelihood, c.impact, score, band->name, m->within_appetite(band->name),
                      c.rationale, m->version, s.assessment.has_value()});
}

decision decide_plan(const plan_treatment& c, const state& s, const command_context& ctx,
                     const related_streams& related) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (auto r = owner_only_own(ctx, s.details.owner, "plan the treatment of")) return std::unexpected(*r);
  if (s.status_ != status::assessed && s.status_ != status::treatment_planned &&
      s.status_ != status::acceptance_requested)
    return rule("treatment is planned after assessment and before acceptance; the risk is " +
                std::string(to_string(s.status_)));
  auto m = risk_matrix::current_matrix(related);
  if (!m) return std::unexpected(m.error());
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
                        const related_streams& related) {
  if (auto r = check_exists(s)) return std::unexpected(*r);
  if (s.status_ == status::acceptance_requested)
    return rule("acceptance is already requested (approval " + s.pending->approval.approval_id + ")");
  if (s.status_ != status::treatment_planned)
    return rule("acceptance is requested once the treatment is planned; the risk is " +
                std::string(to_string(s.status_)));
  if (ctx.by.user_id == s.details.owner)
    return rule("the risk owner approves the acceptance and so cannot request it (segregation of duties)");
  auto m = risk_matrix::current_matrix(related);
  if (!m) return std::unexpected(m.error());
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
  e.approval.on_approved = "risk.accept";
  e.approval.on_rejected = "risk.reject_acceptance";
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
  if (auto r = check_exists(s)) return std::unexpected(*r);
  return one(retired{c.reason});
}

}  // namespace

std::string_view to_string(status s) noexcept {
  for (const auto& [v, n] : status_names)
    if (v == s) return n;
  return "none";
}

std::string_view to_string(treatment_option o) noexcept {
  for (const auto& [v, n] : option_names)
    if (v == o) return n;
  return "modify";
}

std::optional<treatment_option> treatment_option_from_string(std::string_view s) noexcept {
  for (const auto& [v, n] : option_names)
    if (n == s) return v;
  return std::nullopt;
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
  return std::visit([](const auto& v) { return new_event{std::string(type_of(v)), encode_data(v)}; }, e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  try {
    return decode_or_throw(type, data);
  } catch (const std::exception& ex) {
    return std::unexpected(std::string(type) + ": " + ex.what());
  }
}

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  if (!data.is_object()) return f::invalid("data", "must be an object");
  if (type == "risk.identify") return parse_identify(data);
  if (type == "risk.assess") return parse_assess(data);
  if (type == "risk.plan_treatment") return parse_plan(data);
  if (type == "risk.request_acceptance") return parse_request(data);
  if (type == "risk.accept" || type == "risk.reject_acceptance") {
    auto o = parse_approval_outcome(data);
    if (!o) return std::unexpected(o.error());
    if (type == "risk.accept") return accept{std::move(*o)};
    return reject_acceptance{std::move(*o)};
  }
  if (type == "risk.expire_acceptance") return expire_acceptance{};
  if (type == "risk.change_owner") return parse_change_owner(data);
  if (type == "risk.record_treatment_implemented") return parse_implemented(data);
  if (type == "risk.retire") return parse_retire(data);
  return f::invalid("type", "unknown risk command '" + std::string(type) + "'");
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
        } else if constexpr (std::is_same_v<T, retired>) {
          s.status_ = status::retired;
          s.retired_reason = v.reason;
          s.pending.reset();
        }
      },
      e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history) {
  auto s = detail::fold_history(history, initial_state(), decode, evolve);
  if (!s) return s;
  if (!history.empty()) {
    s->stream = history.back().stream;
    s->version = history.back().version;
  }
  return s;
}

decision decide(const command& c, const state& s, const command_context& ctx,
                const related_streams& related) {
  return std::visit(
      [&](const auto& cmd) -> decision {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, identify>) {
          if (!may_issue(ctx.by, "risk.identify")) return std::unexpected(forbidden_command(ctx.by, "risk.identify"));
          return decide_identify(cmd, s, ctx, related);
        } else if constexpr (std::is_same_v<T, assess>) {
          if (!may_issue(ctx.by, "risk.assess")) return std::unexpected(forbidden_command(ctx.by, "risk.assess"));
          return decide_assess(cmd, s, ctx, related);
        } else if constexpr (std::is_same_v<T, plan_treatment>) {
          if (!may_issue(ctx.by, "risk.plan_treatment"))
            return std::unexpected(forbidden_command(ctx.by, "risk.plan_treatment"));
          return decide_plan(cmd, s, ctx, related);
        } else if constexpr (std::is_same_v<T, request_acceptance>) {
          if (!may_issue(ctx.by, "risk.request_acceptance"))
            return std::unexpected(forbidden_command(ctx.by, "risk.request_acceptance"));
          return decide_request(cmd, s, ctx, related);
        } else if constexpr (std::is_same_v<T, accept>) {
          return decide_accept(cmd, s, ctx);
        } else if constexpr (std::is_same_v<T, reject_acceptance>) {
          return decide_reject(cmd, s, ctx);
        } else if constexpr (std::is_same_v<T, expire_acceptance>) {
          return decide_expire(s, ctx);
        } else if constexpr (std::is_same_v<T, record_treatment_implemented>) {
          if (!may_issue(ctx.by, "risk.record_treatment_implemented"))
            return std::unexpected(forbidden_command(ctx.by, "risk.record_treatment_implemented"));
          return decide_implemented(cmd, s, ctx);
        } else if constexpr (std::is_same_v<T, change_owner>) {
          if (!may_issue(ctx.by, "risk.change_owner"))
            return std::unexpected(forbidden_command(ctx.by, "risk.change_owner"));
          return decide_change_owner(cmd, s, related);
        } else {
          if (!may_issue(ctx.by, "risk.retire")) return std::unexpected(forbidden_command(ctx.by, "risk.retire"));
          return decide_retire(cmd, s, ctx);
        }
      },
      c);
}

decision handle(std::string_view command_type, const json& data,
                std::span<const recorded_event> history, const command_context& ctx,
                const related_streams& related) {
  auto cmd = parse_command(command_type, data);
  if (!cmd) return std::unexpected(cmd.error());
  auto s = fold(history);
  if (!s) return std::unexpected(s.error());
  return decide(*cmd, *s, ctx, related);
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
        follow_up cmd{"risk.expire_acceptance", s.stream, json::object(),
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
