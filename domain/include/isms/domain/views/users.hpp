#pragma once
// The users view: every user with their roles and whether they are enabled
// (identity only; credentials belong to the server). Notifications and the
// inbox resolve "every user holding role X" through it.
//
// Thread-safety: value types and pure functions only.

#include <expected>
#include <map>
#include <string>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/user.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

struct user_entry {
  std::string id;                  // the <id> of "user-<id>"
  std::string name;
  std::string email;
  std::vector<std::string> roles;  // wire names, in the order granted
  bool enabled = true;
  std::string registered_at;
  last_change changed;

  friend bool operator==(const user_entry&, const user_entry&) = default;
};
ISMS_VIEW_FIELDS(user_entry, id, name, email, roles, enabled,
                 registered_at, changed)

struct users_view {
  std::map<std::string, user_entry> users;  // by id

  friend bool operator==(const users_view&, const users_view&) = default;
};
ISMS_VIEW_FIELDS(users_view, users)

void fold_user(users_view& v, const recorded_event& e, const user::event& ev);

// The enabled users holding `r`, in id order.
[[nodiscard]] std::vector<std::string> users_holding(const users_view& v, role r);

// `users`: params {role?, enabled?: bool}.
[[nodiscard]] std::expected<json, rejection> query_users(const users_view& v, const json& params);

}  // namespace isms::domain::views
