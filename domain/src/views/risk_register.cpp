#include "isms/domain/views/risk_register.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "support.hpp"

namespace isms::domain::views {

namespace {

constexpr std::array all_statuses{risk::status::none,
                                  risk::status::identified,
                                  risk::status::assessed,
                                  risk::status::treatment_planned,
                                  risk::status::acceptance_requested,
                                  risk::status::accepted,
                                  risk::status::acceptance_expired,
                                  risk::status::retired};

json rating_json(const risk_rating& r) {
  if (r.score == 0) return nullptr;
  return {{"likelihood", r.likelihood}, {"impact", r.impact}, {"score", r.score}, {"level", r.level}};
}

json matrix_json(const risk_matrix::matrix& m) {
  json j = risk_matrix::to_json(m);
  j["version"] = m.version;
  return j;
}

risk_matrix::matrix matrix_from(const json& j) {
  risk_matrix::matrix m;
  m.likelihood_labels = j.at("likelihood_labels").get<std::vector<std::string>>();
  m.impact_labels = j.at("impact_labels").get<std::vector<std::string>>();
  for (const auto& b : j.at("bands"))
    m.bands.push_back({b.at("name").get<std::string>(), b.at("min_score").get<int>(),
                       b.at("max_score").get<int>()});
  m.appetite = j.at("appetite").get<std::string>();
  m.version = j.at("version").get<std::uint64_t>();
  return m;
}

std::string rating_text(const risk_rating& r) {
  return std::to_string(r.likelihood) + "×" + std::to_string(r.impact) + " = " +
         std::to_string(r.score) + " (" + r.level + ")";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

void to_json(json& j, const risk_register& r) { j = {{"risks", r.risks}, {"matrix", matrix_json(r.matrix)}}; }

void from_json(const json& j, risk_register& r) {
  r.risks = j.at("risks").get<std::map<std::string, risk_entry>>();
  r.matrix = matrix_from(j.at("matrix"));
}

void fold_risk_matrix(risk_register& r, const recorded_event& e, const risk_matrix::event& ev) {
  std::visit(
      [&](const risk_matrix::configured& c) {
        r.matrix = c.content;
        r.matrix.version = e.version;
      },
      ev);
}

void fold_risk(risk_register& reg, const recorded_event& e, const risk::event& ev) {
  risk_entry& r = entry_of(reg.risks, e);
  r.version = e.version;
  r.changed = change_of(e);
  const auto withdraw = [&r] {
    // Assessing or re-planning while acceptance is pending withdraws the request.
    if (r.acceptance == "requested") r.acceptance.clear();
    r.pending_approval_id.clear();
    r.requested_review_date.clear();
  };
  std::visit(
      overloaded{
          [&](const risk::identified& x) {
            r.title = x.title;
            r.description = x.description;
            r.asset = x.asset;
            r.asset_ids = x.asset_ids;
            r.threat = x.threat;
            r.vulnerability = x.vulnerability;
            r.owner = x.owner;
            r.category = x.category;
            r.state = risk::to_string(risk::status::identified);
            r.history.push_back(history_of(e, "identified: " + x.title + " (owner " + x.owner + ")"));
          },
          [&](const risk::assessed& x) {
            // A (re)assessment starts the treatment over: plan, residual and
            // acceptance belong to the previous assessment.
            withdraw();
            r.acceptance.clear();
            r.treatment_option.clear();
            r.controls.clear();
            r.treatment_actions.clear();
            r.treatment_due.clear();
            r.treatment_implemented_on.clear();
            r.treatment_evidence.clear();
            r.treatment_target = {};
            r.residual = {};
            r.within_appetite = false;
            r.accepted_by.clear();
            r.accepted_at.clear();
            r.accepted_until.clear();
            r.inherent = {x.likelihood, x.impact, x.score, x.level};
            r.inherent_within_appetite = x.within_appetite;
            r.assessment_rationale = x.rationale;
            r.matrix_version = x.matrix_version;
            r.state = risk::to_string(risk::status::assessed);
            r.history.push_back(history_of(
                e, std::string(x.reassessment ? "reassessed: " : "assessed: ") + rating_text(r.inherent),
                x.rationale));
          },
          [&](const risk::treatment_planned& x) {
            withdraw();
            if (r.acceptance == "accepted" || r.acceptance == "expired") r.acceptance.clear();
            r.treatment_option = risk::to_string(x.option);
            r.controls = x.controls;
            r.treatment_actions = x.actions;
            r.treatment_due = day_text(x.due);
            r.treatment_implemented_on.clear();
            r.treatment_evidence.clear();
            r.treatment_target = {x.target_likelihood, x.target_impact, x.target_score, x.target_level};
            r.residual = r.treatment_target;
            r.within_appetite = x.target_within_appetite;
            r.state = risk::to_string(risk::status::treatment_planned);
            r.history.push_back(history_of(
                e, "treatment planned: " + r.treatment_option +
                       (x.controls.empty() ? std::string{} : " with controls " + join(x.controls)) +
                       ", target " + rating_text(r.treatment_target) + ", due " + r.treatment_due,
                x.actions));
          },
          [&](const risk::acceptance_requested& x) {
            r.residual = {x.residual_likelihood, x.residual_impact, x.residual_score, x.residual_level};
            r.within_appetite = !x.above_appetite;
            r.acceptance = "requested";
            r.pending_approval_id = x.approval.approval_id;
            r.requested_review_date = day_text(x.review_date);
            r.state = risk::to_string(risk::status::acceptance_requested);
            r.history.push_back(history_of(
                e, "acceptance requested: residual " + rating_text(r.residual) +
                       (x.above_appetite ? ", above appetite" : ", within appetite") + ", until " +
                       r.requested_review_date,
                x.comment));
          },
          [&](const risk::accepted& x) {
            r.acceptance = "accepted";
            r.pending_approval_id.clear();
            r.requested_review_date.clear();
            r.accepted_by = x.approvers;
            r.accepted_at = format_instant(e.meta.recorded_at);
            r.accepted_until = day_text(x.review_date);
            r.rejected_by.clear();
            r.state = risk::to_string(risk::status::accepted);
            r.history.push_back(history_of(
                e, "accepted by " + join(x.approvers) + " until " + r.accepted_until, x.comment));
          },
          [&](const risk::acceptance_rejected& x) {
            r.acceptance = "rejected";
            r.pending_approval_id.clear();
            r.requested_review_date.clear();
            r.rejected_by = x.rejected_by;
            r.state = risk::to_string(risk::status::treatment_planned);
            r.history.push_back(history_of(e, "acceptance rejected by " + x.rejected_by, x.comment));
          },
          [&](const risk::acceptance_expired& x) {
            r.acceptance = "expired";
            r.state = risk::to_string(risk::status::acceptance_expired);
            r.history.push_back(history_of(e, "acceptance expired on " + day_text(x.expired_on) +
                                                  " (review date " + day_text(x.review_date) + ")"));
          },
          [&](const risk::treatment_implemented& x) {
            r.treatment_implemented_on = day_text(x.implemented_on);
            r.treatment_evidence = x.evidence;
            r.history.push_back(history_of(e, "treatment implemented", x.evidence));
          },
          [&](const risk::owner_changed& x) {
            r.owner = x.owner;
            if (x.acceptance_withdrawn) {
              withdraw();
              r.state = risk::to_string(risk::status::treatment_planned);
            }
            r.history.push_back(history_of(
                e, "owner changed from " + x.previous_owner + " to " + x.owner +
                       (x.acceptance_withdrawn ? "; the pending acceptance request is withdrawn" : ""),
                x.reason));
          },
          [&](const risk::assets_linked& x) {
            r.asset_ids = x.asset_ids;
            const auto list = [](const std::vector<std::string>& ids) {
              std::string out;
              for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
              return out.empty() ? std::string("none") : out;
            };
            r.history.push_back(
                history_of(e, "assets: " + list(x.asset_ids) + " (were: " + list(x.previous_asset_ids) + ")", x.reason));
          },
          [&](const risk::retired& x) {
            withdraw();
            r.retired_reason = x.reason;
            r.state = risk::to_string(risk::status::retired);
            r.history.push_back(history_of(e, "retired", x.reason));
          },
      },
      ev);
}

ISMS_WIRE_MEMBERS(risk_entry, id, stream, title, description, asset, asset_ids, threat, vulnerability, owner, category, state,
                  assessment_rationale, matrix_version, controls, treatment_due, retired_reason, version)

json risk_summary_json(const risk_entry& r) {
  json inherent = rating_json(r.inherent);
  if (!inherent.is_null()) inherent["within_appetite"] = r.inherent_within_appetite;
  json treatment = nullptr;
  if (!r.treatment_option.empty())
    treatment = {{"option", r.treatment_option},
                 {"controls", r.controls},
                 {"actions", r.treatment_actions},
                 {"due", r.treatment_due},
                 {"target", rating_json(r.treatment_target)},
                 {"implemented_on", r.treatment_implemented_on},
                 {"evidence", r.treatment_evidence}};
  json acceptance = {{"state", r.acceptance},
                     {"approval_id", r.pending_approval_id},
                     {"requested_review_date", r.requested_review_date},
                     {"accepted_by", r.accepted_by},
                     {"accepted_at", r.accepted_at},
                     {"accepted_until", r.accepted_until},
                     {"rejected_by", r.rejected_by}};
  json j = wire_members(r);
  j["inherent"] = std::move(inherent);
  j["treatment"] = std::move(treatment);
  j["residual"] = rating_json(r.residual);
  j["within_appetite"] = r.residual.score != 0 ? r.within_appetite : r.inherent_within_appetite;
  j["acceptance"] = std::move(acceptance);
  j["review_date"] = r.accepted_until;
  j["last_change"] = r.changed;
  // What the risk's state admits (the aggregate's own rule); the same for
  // every reader, so a shared reply stays right.
  j["allowed_commands"] = risk::admitted_commands(risk_state_of(r));
  return j;
}

json risk_subject_content(const risk_entry& r) {
  return {{"title", r.title},
          {"owner", r.owner},
          {"inherent", rating_json(r.inherent)},
          {"treatment_option", r.treatment_option},
          {"controls", r.controls},
          {"treatment_actions", r.treatment_actions},
          {"treatment_due", r.treatment_due},
          {"residual", rating_json(r.residual)},
          {"within_appetite", r.within_appetite},
          {"review_date", r.requested_review_date.empty() ? r.accepted_until : r.requested_review_date}};
}

risk::state risk_state_of(const risk_entry& r) {
  risk::state s = risk::initial_state();
  for (auto st : all_statuses)
    if (risk::to_string(st) == r.state) s.status_ = st;
  s.stream = r.stream;
  s.version = r.version;
  s.details = {r.title, r.description, r.asset, r.threat, r.vulnerability, r.owner, r.category, r.asset_ids};
  if (r.inherent.score != 0)
    s.assessment = risk::assessed{r.inherent.likelihood, r.inherent.impact, r.inherent.score,
                                  r.inherent.level,      r.inherent_within_appetite,
                                  r.assessment_rationale, r.matrix_version, false};
  if (!r.treatment_option.empty()) {
    risk::treatment_planned t;
    t.option = risk::treatment_option_from_string(r.treatment_option).value_or(risk::treatment_option::modify);
    t.controls = r.controls;
    t.actions = r.treatment_actions;
    t.target_likelihood = r.treatment_target.likelihood;
    t.target_impact = r.treatment_target.impact;
    t.target_score = r.treatment_target.score;
    t.target_level = r.treatment_target.level;
    t.due = parse_date(r.treatment_due).value_or(date{});
    s.treatment = std::move(t);
    if (const auto on = parse_date(r.treatment_implemented_on))
      s.implemented = risk::treatment_implemented{r.treatment_evidence, *on};
  }
  if (!r.pending_approval_id.empty()) {
    risk::acceptance_requested p;
    p.residual_likelihood = r.residual.likelihood;
    p.residual_impact = r.residual.impact;
    p.residual_score = r.residual.score;
    p.residual_level = r.residual.level;
    p.above_appetite = !r.within_appetite;
    p.review_date = parse_date(r.requested_review_date).value_or(date{});
    p.approval.approval_id = r.pending_approval_id;
    s.pending = std::move(p);
  }
  if (r.acceptance == "accepted") {
    s.accepted_until = parse_date(r.accepted_until);
    s.accepted_by = r.accepted_by;
  }
  s.retired_reason = r.retired_reason;
  return s;
}

std::expected<json, rejection> query_risks(const risk_register& reg, const json& params,
                                           std::optional<row_window> window) {
  support::query_params p(params);
  std::vector<std::string_view> states;
  for (auto st : all_statuses)
    if (st != risk::status::none) states.push_back(risk::to_string(st));
  const auto state = p.choice("state", states);
  const auto owner = p.text("owner");
  const auto asset_id = p.text("asset_id");
  std::vector<std::string_view> levels;
  for (const auto& b : reg.matrix.bands) levels.push_back(b.name);
  const auto level = p.choice("level", levels);
  const auto residual_level = p.choice("residual_level", levels);
  const auto sort = p.choice("sort",
                                    {"id", "title", "inherent_score", "residual_score", "due", "changed"});
  const auto order = p.choice("order", {"asc", "desc"});
  if (!p.ok()) return p.failure();

  std::vector<const risk_entry*> rows;
  for (const auto& [_, r] : reg.risks) {
    if (!state.empty() && r.state != state) continue;
    if (!owner.empty() && r.owner != owner) continue;
    if (!asset_id.empty() && std::ranges::find(r.asset_ids, asset_id) == r.asset_ids.end()) continue;
    if (!level.empty() && r.inherent.level != level) continue;
    if (!residual_level.empty() && r.residual.level != residual_level) continue;
    rows.push_back(&r);
  }
  const std::string key = sort.empty() ? "id" : sort;
  const bool desc = order == "desc";
  // Typed keys: comparing them builds nothing.
  const auto by = [&](auto field) {
    std::stable_sort(rows.begin(), rows.end(), [&](const risk_entry* a, const risk_entry* b) {
      const auto& ka = field(a);
      const auto& kb = field(b);
      if (ka != kb) return desc ? kb < ka : ka < kb;
      return a->id < b->id;
    });
  };
  if (key == "title") by([](const risk_entry* r) -> const std::string& { return r->title; });
  else if (key == "inherent_score") by([](const risk_entry* r) -> const int& { return r->inherent.score; });
  else if (key == "residual_score") by([](const risk_entry* r) -> const int& { return r->residual.score; });
  else if (key == "due") by([](const risk_entry* r) -> const std::string& { return r->treatment_due; });
  else if (key == "changed") by([](const risk_entry* r) -> const std::uint64_t& { return r->changed.position; });
  // By id: the register is a map by id, so ascending ids are its own order.
  else if (desc) by([](const risk_entry* r) -> const std::string& { return r->id; });

  // Counted in plain integers, turned into JSON once: the aggregates cover
  // every matching row, however few the page shows.
  const int lmax = reg.matrix.max_likelihood(), imax = reg.matrix.max_impact();
  using cells = std::vector<std::vector<int>>;
  cells inherent_cells(static_cast<std::size_t>(lmax), std::vector<int>(static_cast<std::size_t>(imax), 0));
  cells residual_cells = inherent_cells;
  std::map<std::string, int, std::less<>> inherent_count, residual_count;
  for (const auto& b : reg.matrix.bands) {
    inherent_count[b.name] = 0;
    residual_count[b.name] = 0;
  }
  json list = json::array();
  const std::size_t from = window ? std::min(window->offset, rows.size()) : 0;
  const std::size_t to = window ? from + std::min(window->limit, rows.size() - from) : rows.size();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const risk_entry* r = rows[i];
    if (i >= from && i < to) list.push_back(risk_summary_json(*r));
    if (r->state == "retired") continue;
    const auto count = [&](cells& map, std::map<std::string, int, std::less<>>& levels_count, const risk_rating& x) {
      if (x.score == 0) return;
      if (x.likelihood >= 1 && x.likelihood <= lmax && x.impact >= 1 && x.impact <= imax)
        ++map[static_cast<std::size_t>(x.likelihood - 1)][static_cast<std::size_t>(x.impact - 1)];
      if (!x.level.empty()) ++levels_count[x.level];
    };
    count(inherent_cells, inherent_count, r->inherent);
    count(residual_cells, residual_count, r->residual);
  }
  const json inherent_map = inherent_cells, residual_map = residual_cells;
  const json inherent_levels = inherent_count, residual_levels = residual_count;
  json out{{"risks", std::move(list)},
              {"count", rows.size()},
              {"heat_map",
               {{"likelihood_labels", reg.matrix.likelihood_labels},
                {"impact_labels", reg.matrix.impact_labels},
                {"inherent", inherent_map},
                {"residual", residual_map}}},
              {"by_level", {{"inherent", inherent_levels}, {"residual", residual_levels}}},
              {"matrix", matrix_json(reg.matrix)}};
  if (window) out["window"] = true;
  return out;
}

std::expected<json, rejection> query_risk(const risk_register& reg, const json& params) {
  support::query_params p(params);
  const risk_entry* r = p.entry(reg.risks, "risk", "risk");
  if (!p.ok()) return p.failure();
  json j = risk_summary_json(*r);
  j["history"] = r->history;
  return j;
}

}  // namespace isms::domain::views
