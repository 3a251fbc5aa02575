#include "isms/domain/user.hpp"

#include <algorithm>

#include "isms/domain/authorization.hpp"
#include "wire_fields.hpp"

namespace isms::domain::user {

namespace {

using wire::fields;

using wire::role_names;
using wire::rule;

bool holds(const std::vector<role>& roles, role r) {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

// A role named at `at`: under command bounds, one a user may hold (any but
// `system`, which is the server itself).
role role_in(fields& f, const json* v, const std::string& at) {
  if (v == nullptr) return role::contributor;
  if (!v->is_string()) return f.fail(at, "must be a string"), role::contributor;
  const auto r = role_from_string(v->get_ref<const std::string&>());
  if (!r) return f.fail(at, "unknown role '" + wire::clip(v->get<std::string>(), 32) + "'"), role::contributor;
  if (*r == role::system && f.limits() == wire::bounds::command)
    f.fail(at, "the system role is not held by users");
  return *r;
}

role role_of(fields& f) { return role_in(f, f.find("role", true), "role"); }

std::vector<role> roles_of(fields& f) {
  std::vector<role> out;
  const json* v = f.find("roles", true);
  if (v == nullptr) return out;
  if (!v->is_array()) return f.fail("roles", "must be a list of roles"), out;
  if (f.limits() == wire::bounds::command && v->size() > 8) return f.fail("roles", "must have at most 8 entries"), out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto at = "roles[" + std::to_string(i) + "]";
    const role r = role_in(f, &(*v)[i], at);
    if (f.limits() == wire::bounds::command && holds(out, r)) f.fail(at, "role listed twice");
    out.push_back(r);
  }
  return out;
}

std::expected<event, std::string> decode_event(std::string_view type, const json& data) {
  using wire::read_event;
  if (type == registered::type)
    return read_event<event>(type, data, [](fields& f) {
      return registered{f.raw_text("name"), f.opt_text("email"), roles_of(f)};
    });
  if (type == role_granted::type)
    return read_event<event>(type, data, [](fields& f) { return role_granted{role_of(f), f.opt_text("comment")}; });
  if (type == role_revoked::type)
    return read_event<event>(type, data, [](fields& f) { return role_revoked{role_of(f), f.opt_text("comment")}; });
  if (type == disabled::type)
    return read_event<event>(type, data, [](fields& f) { return disabled{f.raw_text("reason")}; });
  if (type == enabled::type)
    return read_event<event>(type, data, [](fields& f) { return enabled{f.opt_text("comment")}; });
  return std::unexpected("unknown event type '" + std::string(type) + "'");
}

command read_register(fields& f) {
  register_user c;
  c.name = f.text("name", 128);
  c.email = f.opt_text("email", 254);
  if (f.ok() && !c.email.empty() && (c.email.find('@') == std::string::npos || c.email.find(' ') != std::string::npos))
    f.fail("email", "must be an e-mail address");
  c.roles = roles_of(f);
  return c;
}

}  // namespace

new_event encode(const event& e) {
  return std::visit(
      [](const auto& v) -> new_event {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, registered>)
          return {std::string(registered::type), {{"name", v.name}, {"email", v.email}, {"roles", role_names(v.roles)}}};
        else if constexpr (std::is_same_v<T, role_granted>)
          return {std::string(role_granted::type), {{"role", to_string(v.granted)}, {"comment", v.comment}}};
        else if constexpr (std::is_same_v<T, role_revoked>)
          return {std::string(role_revoked::type), {{"role", to_string(v.revoked)}, {"comment", v.comment}}};
        else if constexpr (std::is_same_v<T, disabled>)
          return {std::string(disabled::type), {{"reason", v.reason}}};
        else
          return {std::string(enabled::type), {{"comment", v.comment}}};
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  return decode_event(type, data);
}

std::expected<command, rejection> parse_command(std::string_view type, const json& d) {
  using wire::read_command;
  if (type == register_user::type) return read_command<command>(d, read_register);
  if (type == grant_role::type)
    return read_command<command>(d, [](fields& f) { return command{grant_role{role_of(f), f.opt_text("comment")}}; });
  if (type == revoke_role::type)
    return read_command<command>(d, [](fields& f) { return command{revoke_role{role_of(f), f.opt_text("comment")}}; });
  if (type == disable::type)
    return read_command<command>(d, [](fields& f) { return command{disable{f.text("reason")}}; });
  if (type == enable::type)
    return read_command<command>(d, [](fields& f) { return command{enable{f.opt_text("comment")}}; });
  return std::unexpected(rejection{rejection_kind::invalid, "type", "unknown user command '" + std::string(type) + "'"});
}

state initial_state() { return state{}; }

state evolve(state s, const event& e) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, registered>) {
          s.registered = true;
          s.name = v.name;
          s.email = v.email;
          s.roles = v.roles;
          s.enabled = true;
        } else if constexpr (std::is_same_v<T, role_granted>) {
          if (!holds(s.roles, v.granted)) s.roles.push_back(v.granted);
        } else if constexpr (std::is_same_v<T, role_revoked>) {
          std::erase(s.roles, v.revoked);
        } else if constexpr (std::is_same_v<T, disabled>) {
          s.enabled = false;
        } else {
          s.enabled = true;
        }
      },
      e);
  return s;
}

std::expected<state, rejection> fold(std::span<const recorded_event> history, state from) {
  auto s = wire::fold(std::move(from), history, decode, evolve);
  if (s && !history.empty()) {
    const auto& stream = history.back().stream;
    s->id = stream.starts_with("user-") ? stream.substr(5) : stream;
  }
  return s;
}

decision decide(const command& c, const state& s, const command_context& ctx) {
  return std::visit(
      [&](const auto& cmd) -> decision {
        using T = std::decay_t<decltype(cmd)>;
        if constexpr (std::is_same_v<T, register_user>) {
          if (s.registered) return rule("the user is already registered");
          return std::vector<new_event>{encode(registered{cmd.name, cmd.email, cmd.roles})};
        } else {
          if (!s.registered)
            return std::unexpected(rejection{rejection_kind::not_found, "", "no such user"});
          const bool self = ctx.by.user_id == s.id;
          if constexpr (std::is_same_v<T, grant_role>) {
            if (holds(s.roles, cmd.granted))
              return rule("the user already holds the role " + std::string(to_string(cmd.granted)), "data.role");
            return std::vector<new_event>{encode(role_granted{cmd.granted, cmd.comment})};
          } else if constexpr (std::is_same_v<T, revoke_role>) {
            if (!holds(s.roles, cmd.revoked))
              return rule("the user does not hold the role " + std::string(to_string(cmd.revoked)), "data.role");
            if (self && cmd.revoked == role::admin)
              return rule("an admin cannot revoke their own admin role; another admin must, so one always remains");
            return std::vector<new_event>{encode(role_revoked{cmd.revoked, cmd.comment})};
          } else if constexpr (std::is_same_v<T, disable>) {
            if (!s.enabled) return rule("the user is already disabled");
            if (self) return rule("a user cannot disable themselves; another admin must");
            return std::vector<new_event>{encode(disabled{cmd.reason})};
          } else {
            if (s.enabled) return rule("the user is already enabled");
            return std::vector<new_event>{encode(enabled{cmd.comment})};
          }
        }
      },
      c);
}

}  // namespace isms::domain::user
