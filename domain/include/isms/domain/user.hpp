#pragma once
// A user of ISMS Ledger: identity and roles only. Credentials (the Argon2id
// password hash) and sessions belong to the server. Stream "user-<user id>".
//
// Lifecycle: registered (name, roles) → roles granted / revoked → disabled ⇄ enabled.
// Rules: only an admin manages users; the `system` role belongs to the server
// and is never held by a user; an admin cannot revoke their own admin role nor
// disable themselves — so every change that removes an admin is made by
// another, enabled admin, and at least one admin always remains.
//
// Thread-safety: value types and pure functions.

#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/wire_type.hpp"
#include "isms/domain/dispatch.hpp"

namespace isms::domain::user {

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

// user.registered.v1
struct registered {
  static constexpr std::string_view type = "user.registered.v1";
  std::string name;
  std::string email;
  std::vector<role> roles;
  friend bool operator==(const registered&, const registered&) = default;
};
// user.role_granted.v1
struct role_granted {
  static constexpr std::string_view type = "user.role_granted.v1";
  role granted = role::contributor;
  std::string comment;
  friend bool operator==(const role_granted&, const role_granted&) = default;
};
// user.role_revoked.v1
struct role_revoked {
  static constexpr std::string_view type = "user.role_revoked.v1";
  role revoked = role::contributor;
  std::string comment;
  friend bool operator==(const role_revoked&, const role_revoked&) = default;
};
// user.disabled.v1
struct disabled {
  static constexpr std::string_view type = "user.disabled.v1";
  std::string reason;
  friend bool operator==(const disabled&, const disabled&) = default;
};
// user.enabled.v1
struct enabled {
  static constexpr std::string_view type = "user.enabled.v1";
  std::string comment;
  friend bool operator==(const enabled&, const enabled&) = default;
};

using event = std::variant<registered, role_granted, role_revoked, disabled, enabled>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands

// user.register {name, email?, roles[]}
struct register_user {
  static constexpr std::string_view type = "user.register";
  static constexpr role_set allowed = roles_of({role::admin});
  std::string name;
  std::string email;
  std::vector<role> roles;
};
// user.grant_role {role, comment?}
struct grant_role {
  static constexpr std::string_view type = "user.grant_role";
  static constexpr role_set allowed = roles_of({role::admin});
  role granted = role::contributor;
  std::string comment;
};
// user.revoke_role {role, comment?}
struct revoke_role {
  static constexpr std::string_view type = "user.revoke_role";
  static constexpr role_set allowed = roles_of({role::admin});
  role revoked = role::contributor;
  std::string comment;
};
// user.disable {reason}
struct disable {
  static constexpr std::string_view type = "user.disable";
  static constexpr role_set allowed = roles_of({role::admin});
  std::string reason;
};
// user.enable {comment?}
struct enable {
  static constexpr std::string_view type = "user.enable";
  static constexpr role_set allowed = roles_of({role::admin});
  std::string comment;
};

using command = std::variant<register_user, grant_role, revoke_role, disable, enable>;

[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State and decisions

struct state {
  bool registered = false;
  std::string id;            // set by fold(): the <id> of "user-<id>"
  std::string name;
  std::string email;
  std::vector<role> roles;   // in the order granted
  bool enabled = true;
};

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

}  // namespace isms::domain::user
