#include "isms/domain/risk_matrix.hpp"

#include <algorithm>

#include "aggregate_fold.hpp"
#include "isms/domain/authorization.hpp"
#include "json_fields.hpp"

namespace isms::domain::risk_matrix {

namespace {

namespace f = fields;

constexpr std::string_view configured_type = "risk_matrix.configured.v1";

std::expected<std::vector<std::string>, rejection> scale(const json& j, std::string_view key,
                                                         std::string_view prefix) {
  auto labels = f::text_list(j, key, prefix, 64, 10, true);
  if (!labels) return std::unexpected(labels.error());
  if (labels->size() < 2) return f::invalid(f::name(prefix, key), "must have 2 to 10 labels");
  for (std::size_t i = 0; i < labels->size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if ((*labels)[i] == (*labels)[k])
        return f::invalid(f::name(prefix, key) + "[" + std::to_string(i) + "]", "label listed twice");
  return labels;
}

// The matrix content of a command or event; names the field on error.
std::expected<matrix, rejection> parse_matrix(const json& j, std::string_view prefix) {
  if (!j.is_object()) return f::invalid(std::string(prefix), "must be an object");
  matrix m;
  auto l = scale(j, "likelihood_labels", prefix);
  if (!l) return std::unexpected(l.error());
  m.likelihood_labels = std::move(*l);
  auto i = scale(j, "impact_labels", prefix);
  if (!i) return std::unexpected(i.error());
  m.impact_labels = std::move(*i);
  const int top = m.max_likelihood() * m.max_impact();

  const auto bands_field = f::name(prefix, "bands");
  const auto it = j.find("bands");
  if (it == j.end()) return f::invalid(bands_field, "is required");
  if (!it->is_array() || it->empty() || it->size() > 10)
    return f::invalid(bands_field, "must be an array of 1 to 10 level bands");
  int next = 1;
  for (std::size_t k = 0; k < it->size(); ++k) {
    const auto bf = bands_field + "[" + std::to_string(k) + "]";
    const json& b = (*it)[k];
    auto name = f::text(b, "name", bf, 32);
    if (!name) return std::unexpected(name.error());
    auto lo = f::integer(b, "min_score", bf, 1, top);
    if (!lo) return std::unexpected(lo.error());
    auto hi = f::integer(b, "max_score", bf, 1, top);
    if (!hi) return std::unexpected(hi.error());
    if (*lo != next)
      return f::invalid(f::name(bf, "min_score"),
                        "bands must be contiguous from 1: expected " + std::to_string(next));
    if (*hi < *lo) return f::invalid(f::name(bf, "max_score"), "must be at least min_score");
    for (const auto& prev : m.bands)
      if (prev.name == *name) return f::invalid(f::name(bf, "name"), "band name listed twice");
    m.bands.push_back(level_band{*name, static_cast<int>(*lo), static_cast<int>(*hi)});
    next = static_cast<int>(*hi) + 1;
  }
  if (next != top + 1)
    return f::invalid(bands_field, "bands must cover every score up to " + std::to_string(top) +
                                       " (likelihood × impact)");
  auto appetite = f::text(j, "appetite", prefix, 32);
  if (!appetite) return std::unexpected(appetite.error());
  if (!m.rank(*appetite)) return f::invalid(f::name(prefix, "appetite"), "must name one of the bands");
  m.appetite = *appetite;
  return m;
}

}  // namespace

const level_band* matrix::band_for(int score) const noexcept {
  for (const auto& b : bands)
    if (score >= b.min_score && score <= b.max_score) return &b;
  return nullptr;
}

std::optional<std::size_t> matrix::rank(std::string_view level) const noexcept {
  for (std::size_t i = 0; i < bands.size(); ++i)
    if (bands[i].name == level) return i;
  return std::nullopt;
}

bool matrix::within_appetite(std::string_view level) const noexcept {
  const auto r = rank(level), a = rank(appetite);
  return r && a && *r <= *a;
}

matrix default_matrix() {
  return matrix{{"Rare", "Unlikely", "Possible", "Likely", "Almost certain"},
                {"Negligible", "Minor", "Moderate", "Major", "Severe"},
                {{"low", 1, 4}, {"medium", 5, 9}, {"high", 10, 16}, {"critical", 17, 25}},
                "medium",
                0};
}

json to_json(const matrix& m) {
  json bands = json::array();
  for (const auto& b : m.bands)
    bands.push_back({{"name", b.name}, {"min_score", b.min_score}, {"max_score", b.max_score}});
  return json{{"likelihood_labels", m.likelihood_labels},
              {"impact_labels", m.impact_labels},
              {"bands", bands},
              {"appetite", m.appetite}};
}

new_event encode(const event& e) {
  return std::visit(
      [](const configured& c) {
        json d = to_json(c.content);
        d["configured_by"] = c.configured_by;
        d["comment"] = c.comment;
        return new_event{std::string(configured_type), d};
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  if (type != configured_type) return std::unexpected("unknown event type '" + std::string(type) + "'");
  auto m = parse_matrix(data, "data");
  if (!m) return std::unexpected(m.error().field + " " + m.error().message);
  auto by = f::text(data, "configured_by", "data", f::max_id);
  if (!by) return std::unexpected(by.error().field + " " + by.error().message);
  auto comment = f::optional_text(data, "comment", "data", f::max_text);
  if (!comment) return std::unexpected(comment.error().field + " " + comment.error().message);
  return configured{std::move(*m), *by, *comment};
}

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  if (type != "risk_matrix.configure")
    return f::invalid("type", "unknown risk matrix command '" + std::string(type) + "'");
  if (!data.is_object()) return f::invalid("data", "must be an object");
  auto m = parse_matrix(data, "data");
  if (!m) return std::unexpected(m.error());
  auto comment = f::optional_text(data, "comment", "data", f::max_text);
  if (!comment) return std::unexpected(comment.error());
  return configure{std::move(*m), *comment};
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  std::visit(
      [&](const configured& c) {
        ++s.version;
        s.current = c.content;
        s.current.version = s.version;
      },
      e);
  return s;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  return std::visit(
      [&](const configure& cmd) -> decision {
        if (!may_issue(ctx.by, "risk_matrix.configure"))
          return std::unexpected(forbidden_command(ctx.by, "risk_matrix.configure"));
        matrix unchanged = s.current;
        unchanged.version = 0;
        if (cmd.content == unchanged)
          return std::unexpected(rejection{rejection_kind::rule, "",
                                           "the risk matrix is already configured this way"});
        return std::vector<new_event>{encode(configured{cmd.content, ctx.by.user_id, cmd.comment})};
      },
      c);
}

decision handle(std::string_view command_type, const json& data,
                std::span<const recorded_event> history, const command_context& ctx,
                const related_streams&) {
  auto cmd = parse_command(command_type, data);
  if (!cmd) return std::unexpected(cmd.error());
  auto s = detail::fold_history(history, initial_state(), decode, evolve);
  if (!s) return std::unexpected(s.error());
  return decide(*cmd, *s, ctx);
}

std::expected<matrix, rejection> current_matrix(const related_streams& related) {
  const auto history = related.history(stream_id);
  auto s = detail::fold_history(std::span<const recorded_event>(history), initial_state(), decode,
                                evolve);
  if (!s) return std::unexpected(s.error());
  return s->current;
}

}  // namespace isms::domain::risk_matrix
