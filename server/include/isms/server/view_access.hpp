#pragma once
// What the server needs to know from the views about identity and time-driven
// work, in one place: roles and enabled state of a user (authorization and
// sessions), a user's public summary (login replies), and the commands and
// reminders the `due` view names (the scheduler).
// Thread-safety: pure functions over values.

#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/views/views.hpp"

namespace isms::server {

using domain::json;
using domain::role;
using domain::views::all_views;
using domain::views::notification;

// The roles `user_id` holds now; empty when unknown or disabled.
[[nodiscard]] std::vector<role> roles_of(const all_views& v, std::string_view user_id);
// True when the user exists and is enabled.
[[nodiscard]] bool user_enabled(const all_views& v, std::string_view user_id);
// How many users are registered (enabled or not).
[[nodiscard]] std::size_t user_count(const all_views& v);
// {"id", "name", "roles"} of a user (roles as wire names).
[[nodiscard]] json user_summary(const all_views& v, std::string_view user_id);

// A command the time rules say is due now, with a command id that makes
// issuing it twice harmless.
struct due_command {
  std::string command_type;
  std::string stream;
  json data;
  std::string command_id;
};
[[nodiscard]] std::vector<due_command> due_commands(const json& due);
// Reminders the time rules say are due now; `id` is stable per item and due
// date, so each is sent once.
[[nodiscard]] std::vector<notification> due_reminders(const json& due);

}  // namespace isms::server
