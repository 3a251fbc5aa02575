#include "isms/domain/user.hpp"

#include <algorithm>

#include "aggregate_fold.hpp"
#include "isms/domain/authorization.hpp"
#include "json_fields.hpp"

namespace isms::domain::user {

namespace {

namespace f = fields;

std::unexpected<rejection> rule(std::string message, std::string field = {}) {
  return std::unexpected(rejection{rejection_kind::rule, std::move(field), std::move(message)});
}

bool holds(const std::vector<role>& roles, role r) {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

json role_names(const std::vector<role>& roles) {
  json out = json::array();
  for (role r : roles) out.push_back(std::string(to_string(r)));
  return out;
}

// A role a user may hold: any but `system`, which is the server itself.
f::result<role> user_role(const json& d, std::string_view key) {
  auto name = f::text(d, key, "data", 32);
  if (!name) return std::unexpected(name.error());
  const auto r = role_from_string(*name);
  if (!r) return f::invalid(f::name("data", key), "unknown role '" + *name + "'");
  if (*r == role::system) return f::invalid(f::name("data", key), "the system role is not held by users");
  return *r;
}

role stored_role(const json& d, std::string_view key) {
  const auto r = role_from_string(stored::str(d, key));
  if (!r) stored::fail(key, "unknown role");
  return *r;
}

event decode_or_throw(std::string_view type, const json& d) {
  using namespace stored;
  if (type == "user.registered.v1") {
    registered e{str(d, "name"), opt_str(d, "email"), {}};
    for (const auto& name : strings(d, "roles")) {
      const auto r = role_from_string(name);
      if (!r) fail("roles", "unknown role");
      e.roles.push_back(*r);
    }
    return e;
  }
  if (type == "user.role_granted.v1") return role_granted{stored_role(d, "role"), opt_str(d, "comment")};
  if (type == "user.role_revoked.v1") return role_revoked{stored_role(d, "role"), opt_str(d, "comment")};
  if (type == "user.disabled.v1") return disabled{str(d, "reason")};
  if (type == "user.enabled.v1") return enabled{opt_str(d, "comment")};
  throw std::runtime_error("unknown event type '" + std::string(type) + "'");
}

}  // namespace

new_event encode(const event& e) {
  return std::visit(
      [](const auto& v) -> new_event {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, registered>)
          return {"user.registered.v1", {{"name", v.name}, {"email", v.email}, {"roles", role_names(v.roles)}}};
        else if constexpr (std::is_same_v<T, role_granted>)
          return {"user.role_granted.v1", {{"role", to_string(v.granted)}, {"comment", v.comment}}};
        else if constexpr (std::is_same_v<T, role_revoked>)
          return {"user.role_revoked.v1", {{"role", to_string(v.revoked)}, {"comment", v.comment}}};
        else if constexpr (std::is_same_v<T, disabled>)
          return {"user.disabled.v1", {{"reason", v.reason}}};
        else
          return {"user.enabled.v1", {{"comment", v.comment}}};
      },
      e);
}

std::expected<event, std::string> decode(std::string_view type, const json& data) {
  try {
    return decode_or_throw(type, data);
  } catch (const std::exception& ex) {
    return std::unexpected(std::string(type) + ": " + ex.what());
  }
}

std::expected<command, rejection> parse_command(std::string_view type, const json& d) {
  if (!d.is_object()) return f::invalid("data", "must be an object");
  if (type == "user.register") {
    auto name = f::text(d, "name", "data", 128);
    if (!name) return std::unexpected(name.error());
    auto email = f::optional_text(d, "email", "data", 254);
    if (!email) return std::unexpected(email.error());
    if (!email->empty() && (email->find('@') == std::string::npos || email->find(' ') != std::string::npos))
      return f::invalid("data.email", "must be an e-mail address");
    auto names = f::text_list(d, "roles", "data", 32, 8, true);
    if (!names) return std::unexpected(names.error());
    register_user c{*name, *email, {}};
    for (std::size_t i = 0; i < names->size(); ++i) {
      const auto field = "data.roles[" + std::to_string(i) + "]";
      const auto r = role_from_string((*names)[i]);
      if (!r) return f::invalid(field, "unknown role '" + (*names)[i] + "'");
      if (*r == role::system) return f::invalid(field, "the system role is not held by users");
      if (holds(c.roles, *r)) return f::invalid(field, "role listed twice");
      c.roles.push_back(*r);
    }
    return c;
  }
  if (type == "user.grant_role" || type == "user.revoke_role") {
    auto r = user_role(d, "role");
    if (!r) return std::unexpected(r.error());
    auto comment = f::optional_text(d, "comment", "data", f::max_text);
    if (!comment) return std::unexpected(comment.error());
    if (type == "user.grant_role") return grant_role{*r, *comment};
    return revoke_role{*r, *comment};
  }
  if (type == "user.disable") {
    auto reason = f::text(d, "reason", "data", f::max_text);
    if (!reason) return std::unexpected(reason.error());
    return disable{*reason};
  }
  if (type == "user.enable") {
    auto comment = f::optional_text(d, "comment", "data", f::max_text);
    if (!comment) return std::unexpected(comment.error());
    return enable{*comment};
  }
  return f::invalid("type", "unknown user command '" + std::string(type) + "'");
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

std::expected<state, rejection> fold(std::span<const recorded_event> history) {
  auto s = detail::fold_history(history, initial_state(), decode, evolve);
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
        constexpr std::string_view type = std::is_same_v<T, register_user> ? "user.register"
                                          : std::is_same_v<T, grant_role>  ? "user.grant_role"
                                          : std::is_same_v<T, revoke_role> ? "user.revoke_role"
                                          : std::is_same_v<T, disable>     ? "user.disable"
                                                                           : "user.enable";
        if (!may_issue(ctx.by, type)) return std::unexpected(forbidden_command(ctx.by, type));
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

decision handle(std::string_view command_type, const json& data,
                std::span<const recorded_event> history, const command_context& ctx,
                const related_streams&) {
  auto cmd = parse_command(command_type, data);
  if (!cmd) return std::unexpected(cmd.error());
  auto s = fold(history);
  if (!s) return std::unexpected(s.error());
  return decide(*cmd, *s, ctx);
}

}  // namespace isms::domain::user
