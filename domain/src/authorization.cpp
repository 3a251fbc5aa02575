#include "isms/domain/authorization.hpp"

#include <algorithm>
#include <array>

#include "all_commands.hpp"

namespace isms::domain {

namespace {

// Commands that some of their roles may send only about what they own
// declare `any_entity` (authorization.hpp).
template <class T>
concept limited_to_own = requires { T::any_entity; };

struct permission_row {
  using type = permission;
  template <class T>
  static constexpr permission of() {
    return {T::type, T::allowed};
  }
};

// Every command's row; commands without a limit get an empty entry, dropped
// below.
struct limit_row {
  using type = own_entity_limit;
  template <class T>
  static constexpr own_entity_limit of() {
    if constexpr (limited_to_own<T>)
      return {T::type, T::any_entity};
    else
      return {};
  }
};

constexpr auto table = detail::every_command<permission_row>();

constexpr auto limit_rows = detail::every_command<limit_row>();
constexpr std::size_t limit_count = static_cast<std::size_t>(
    std::count_if(limit_rows.begin(), limit_rows.end(), [](const own_entity_limit& l) { return !l.command_type.empty(); }));

constexpr auto own_limits = [] {
  std::array<own_entity_limit, limit_count> out{};
  std::copy_if(limit_rows.begin(), limit_rows.end(), out.begin(),
               [](const own_entity_limit& l) { return !l.command_type.empty(); });
  return out;
}();

constexpr std::array all_roles{role::admin,       role::isms_manager,     role::top_management,   role::risk_owner,
                               role::contributor, role::internal_auditor, role::external_auditor, role::system};

}  // namespace

std::span<const permission> authorization_table() noexcept { return table; }

std::optional<role_set> allowed_roles(std::string_view command_type) noexcept {
  for (const auto& p : table)
    if (p.command_type == command_type) return p.allowed;
  return std::nullopt;
}

bool may_issue(const actor& who, std::string_view command_type) noexcept {
  const auto allowed = allowed_roles(command_type);
  if (!allowed) return false;
  for (role r : who.roles)
    if (contains(*allowed, r)) return true;
  return false;
}

std::span<const own_entity_limit> own_entity_limits() noexcept { return own_limits; }

bool acts_only_on_own(const actor& who, std::string_view command_type) noexcept {
  const auto allowed = allowed_roles(command_type);
  if (!allowed) return false;
  for (const auto& l : own_limits) {
    if (l.command_type != command_type) continue;
    bool limited = false;
    for (role r : who.roles) {
      if (contains(l.any_entity, r)) return false;
      if (contains(*allowed, r)) limited = true;
    }
    return limited;
  }
  return false;
}

rejection forbidden_command(const actor& who, std::string_view command_type) {
  std::string roles;
  for (role r : who.roles) {
    if (!roles.empty()) roles += ", ";
    roles += to_string(r);
  }
  if (roles.empty()) roles = "no role";
  return rejection{rejection_kind::forbidden, "",
                   "user '" + who.user_id + "' (" + roles + ") may not issue " +
                       std::string(command_type)};
}

std::string authorization_table_markdown() {
  std::string out = "| command |";
  for (role r : all_roles) out += " " + std::string(to_string(r)) + " |";
  out += "\n| --- |";
  for (std::size_t i = 0; i < all_roles.size(); ++i) out += " :-: |";
  out += "\n";
  for (const auto& p : table) {
    out += "| `" + std::string(p.command_type) + "` |";
    for (role r : all_roles) out += contains(p.allowed, r) ? " ✓ |" : "   |";
    out += "\n";
  }
  return out;
}

}  // namespace isms::domain
