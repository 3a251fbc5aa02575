#include "isms/domain/classification_scheme.hpp"

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::classification_scheme {

namespace {

using wire::fields;

constexpr std::size_t most_levels = 10;

// The scheme of a command or event; names the field on error.
scheme read_scheme(fields& f) {
  scheme s;
  const json levels = f.array("levels");
  if (f.ok() && (levels.size() < 2 || levels.size() > most_levels))
    f.fail("levels", "must be an array of 2 to " + std::to_string(most_levels) + " levels");
  std::size_t in_use = 0;
  for (std::size_t k = 0; k < levels.size() && f.ok(); ++k) {
    fields l = f.entry(levels[k], "levels", k);
    level v;
    v.id = l.id("id");
    v.name = l.text("name", 64);
    v.description = l.opt_text("description", wire::max_line * 4);
    v.handling = l.opt_text("handling", wire::max_line * 4);
    v.retired = l.opt_boolean("retired", false);
    for (const auto& prev : s.levels) {
      if (l.ok() && prev.id == v.id) l.fail("id", "level listed twice");
      if (l.ok() && prev.name == v.name) l.fail("name", "name listed twice");
    }
    f.adopt(l);
    in_use += v.retired ? 0 : 1;
    s.levels.push_back(std::move(v));
  }
  if (f.ok() && in_use < 2) f.fail("levels", "at least two levels must be assignable (not retired)");
  return s;
}

json level_json(const level& l) {
  return {{"id", l.id}, {"name", l.name}, {"description", l.description}, {"handling", l.handling},
          {"retired", l.retired}};
}

}  // namespace

const level* scheme::find(std::string_view id) const noexcept {
  for (const auto& l : levels)
    if (l.id == id) return &l;
  return nullptr;
}

bool scheme::assignable(std::string_view id) const noexcept {
  const level* l = find(id);
  return l != nullptr && !l->retired;
}

std::vector<std::string> scheme::assignable_ids() const {
  std::vector<std::string> out;
  for (const auto& l : levels)
    if (!l.retired) out.push_back(l.id);
  return out;
}

std::string scheme::name_of(std::string_view id) const {
  const level* l = find(id);
  return l != nullptr ? l->name : std::string(id);
}

scheme default_scheme() {
  scheme s;
  s.levels = {
      {"public", "Public", "Meant for anyone: published or cleared for publication.",
       "No restriction on sharing; changes only by those who own it.", false},
      {"internal", "Internal", "For the organization's staff and contractors in the course of their work.",
       "Shared inside the organization; not published; sent outside only under an agreement.", false},
      {"confidential", "Confidential",
       "Personal data, customer data, contracts, and what would harm the organization if disclosed.",
       "Need to know; encrypted in transit and at rest; labelled; disposed of securely.", false},
      {"strictly_confidential", "Strictly confidential",
       "Secrets whose disclosure would cause serious harm: keys, credentials, unpublished results.",
       "Named people only; encrypted end to end; access logged; never on removable media.", false},
  };
  return s;
}

json to_json(const scheme& s) {
  json levels = json::array();
  for (const auto& l : s.levels) levels.push_back(level_json(l));
  return json{{"levels", std::move(levels)}};
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
    return configured{read_scheme(f), f.raw_text("configured_by"), f.opt_text("comment")};
  });
}

std::expected<command, rejection> parse_command(std::string_view type, const json& data) {
  if (type != configure::type)
    return std::unexpected(rejection{rejection_kind::invalid, "type",
                                     "unknown classification scheme command '" + std::string(type) + "'"});
  return wire::read_command<command>(data,
                                     [](fields& f) { return command{configure{read_scheme(f), f.opt_text("comment")}}; });
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
        // A level once in the scheme stays: assets' histories name it.
        for (const auto& l : s.current.levels)
          if (cmd.content.find(l.id) == nullptr)
            return wire::rule("level " + l.id + " (" + l.name +
                                  ") is in the scheme in force and cannot be removed: retire it instead",
                              "data.levels");
        scheme unchanged = s.current;
        unchanged.version = 0;
        if (cmd.content == unchanged) return wire::rule("the classification scheme is already configured this way");
        return wire::one(encode(configured{cmd.content, ctx.by.user_id, cmd.comment}));
      },
      c);
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  return wire::fold(std::move(from), history, decode, evolve);
}

std::expected<scheme, rejection> current_scheme(std::span<const recorded_event> history) {
  auto s = fold(history);
  if (!s) return std::unexpected(s.error());
  return s->current;
}

}  // namespace isms::domain::classification_scheme
