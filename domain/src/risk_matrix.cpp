#include "isms/domain/risk_matrix.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::risk_matrix {

namespace {

using wire::fields;


std::vector<std::string> scale(fields& f, std::string_view key) {
  auto labels = f.texts(key, true, 64, 10);
  if (f.ok() && labels.size() < 2) f.fail(key, "must have 2 to 10 labels");
  for (std::size_t i = 0; i < labels.size(); ++i)
    for (std::size_t k = 0; k < i; ++k)
      if (labels[i] == labels[k]) f.fail(std::string(key) + "[" + std::to_string(i) + "]", "label listed twice");
  return labels;
}

// The matrix content of a command or event; names the field on error.
matrix read_matrix(fields& f) {
  matrix m;
  m.likelihood_labels = scale(f, "likelihood_labels");
  m.impact_labels = scale(f, "impact_labels");
  if (!f.ok()) return m;
  const int top = m.max_likelihood() * m.max_impact();
  const json bands = f.array("bands");
  if (f.ok() && (bands.empty() || bands.size() > 10)) f.fail("bands", "must be an array of 1 to 10 level bands");
  int next = 1;
  for (std::size_t k = 0; k < bands.size() && f.ok(); ++k) {
    fields b = f.entry(bands[k], "bands", k);
    level_band band{b.text("name", 32), static_cast<int>(b.integer("min_score", 1, top)),
                    static_cast<int>(b.integer("max_score", 1, top))};
    if (b.ok() && band.min_score != next)
      b.fail("min_score", "bands must be contiguous from 1: expected " + std::to_string(next));
    if (b.ok() && band.max_score < band.min_score) b.fail("max_score", "must be at least min_score");
    for (const auto& prev : m.bands)
      if (b.ok() && prev.name == band.name) b.fail("name", "band name listed twice");
    f.adopt(b);
    next = band.max_score + 1;
    m.bands.push_back(std::move(band));
  }
  if (f.ok() && next != top + 1)
    f.fail("bands", "bands must cover every score up to " + std::to_string(top) + " (likelihood × impact)");
  m.appetite = f.text("appetite", 32);
  if (f.ok() && !m.rank(m.appetite)) f.fail("appetite", "must name one of the bands");
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
        return new_event{std::string(configured::type), d};
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  if (type != configured::type) return std::unexpected("unknown event type '" + std::string(type) + "'");
  return wire::read_event<event>(type, data, [](fields& f) {
    return configured{read_matrix(f), f.raw_text("configured_by"), f.opt_text("comment")};
  });
}

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  if (type != configure::type)
    return std::unexpected(
        rejection{rejection_kind::invalid, "type", "unknown risk matrix command '" + std::string(type) + "'"});
  return wire::read_command<command>(data, [](fields& f) { return command{configure{read_matrix(f), f.opt_text("comment")}}; });
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
        matrix unchanged = s.current;
        unchanged.version = 0;
        if (cmd.content == unchanged)
          return std::unexpected(rejection{rejection_kind::rule, "",
                                           "the risk matrix is already configured this way"});
        return std::vector<new_event>{encode(configured{cmd.content, ctx.by.user_id, cmd.comment})};
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::expected<matrix, rejection> current_matrix(std::span<const recorded_event> history) {
  auto s = fold(history);
  if (!s) return std::unexpected(s.error());
  return s->current;
}

}  // namespace isms::domain::risk_matrix
