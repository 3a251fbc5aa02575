#pragma once
// Who may issue which command: one table, role × command type.
//
// Each command struct declares its own row: `allowed`, the roles that may
// send it, and, for commands some of those roles may send only about what
// the user owns, `any_entity`, the roles that act on any entity. The tables
// here are collected from those declarations (authorization.cpp), in the
// order of the routing table; nothing else lists them.
//
// The table is the first gate (role-based), checked once by admit_command
// (dispatch.hpp). Rules that depend on state — a risk owner acts only on
// their own risks, an implementer does not verify their own corrective
// action, an auditor does not audit their own area, a requester never
// approves their own request — are checked in each aggregate's decide. The
// table is written out in docs/domain.md (authorization_table_markdown).
//
// Thread-safety: the table is immutable; every function here is pure.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"

namespace isms::domain {

// A set of roles as a bit mask (bit = the role's enumerator value).
using role_set = std::uint16_t;

[[nodiscard]] constexpr role_set roles_of(std::initializer_list<role> rs) noexcept {
  role_set s = 0;
  for (role r : rs) s = static_cast<role_set>(s | (1u << static_cast<unsigned>(r)));
  return s;
}

[[nodiscard]] constexpr bool contains(role_set s, role r) noexcept {
  return (s & (1u << static_cast<unsigned>(r))) != 0;
}

// The row of commands that only reactions and time rules send.
inline constexpr role_set system_only = roles_of({role::system});

// One row of the table: the roles that may issue a command type.
struct permission {
  std::string_view command_type;  // wire type, e.g. "risk.assess"
  role_set allowed;
};

// Every command type of the ISMS and the roles that may issue it.
// external_auditor appears in no row (read-only). system appears only in rows
// of commands issued by reactions and time rules.
[[nodiscard]] std::span<const permission> authorization_table() noexcept;

// The roles that may issue `command_type`, or nullopt for an unknown type.
[[nodiscard]] std::optional<role_set> allowed_roles(std::string_view command_type) noexcept;

// True if the actor holds at least one role that may issue `command_type`.
// Unknown command types: false.
[[nodiscard]] bool may_issue(const actor& who, std::string_view command_type) noexcept;

// The forbidden rejection for an actor that may not issue `command_type`.
[[nodiscard]] rejection forbidden_command(const actor& who, std::string_view command_type);

// Commands that some of their roles may send only about what the user owns
// (a risk owner acts on the risks they own; a contributor completes the
// actions, revises the documents and records progress on the objectives they
// own). A row names the roles that act on any entity; the other roles of the
// command's row in the authorization table act only on their own. Each
// aggregate's decide reads this table through `acts_only_on_own`, and the
// session reply lists the limited command types per user (`may.own_only`).
// Who may send a command about one entity, beyond the table, as the entity's
// state names them: only the listed users (`only`, empty: no such limit), and
// never the listed ones (`never`) — the audit team records findings, the
// implementer of a corrective action does not verify it. Each aggregate that
// has such a rule writes it once as a function of its state: decide refuses
// with it, and the views carry it per entity (`actors`) so that the web UI
// offers the command only to those it admits.
struct actor_limit {
  std::string_view command_type;
  std::vector<std::string> only;
  std::vector<std::string> never;

  [[nodiscard]] bool admits(std::string_view user_id) const noexcept {
    for (const auto& u : never)
      if (u == user_id) return false;
    if (only.empty()) return true;
    for (const auto& u : only)
      if (u == user_id) return true;
    return false;
  }
};

struct own_entity_limit {
  std::string_view command_type;
  role_set any_entity;  // roles that act on any entity of the command's aggregate
};

[[nodiscard]] std::span<const own_entity_limit> own_entity_limits() noexcept;

// True if `who` may send `command_type` only about an entity they own: the
// command has a row above, the actor holds a role of its authorization row,
// and none of the roles that act on any entity.
[[nodiscard]] bool acts_only_on_own(const actor& who, std::string_view command_type) noexcept;

// The table as a Markdown table (command type × roles), as written in
// docs/domain.md.
[[nodiscard]] std::string authorization_table_markdown();

}  // namespace isms::domain
