#pragma once
// What the server needs to know from the views about identity and time-driven
// work, in one place: roles and enabled state of a user (authorization and
// sessions), a user's public summary (login replies), and the commands and
// reminders the `due` view names (the scheduler).
// Thread-safety: pure functions over values.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
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

// Paging of list views (docs/protocol.md, "Paged list views"). A list view's
// rows are the array named like the view ("risks" → data.risks); a reply
// carries `limit` rows from `offset` and, when more follow, a cursor in
// data.next. The cursor names the position the first page was read at, so
// that every page of one listing comes from the same state of the log.
[[nodiscard]] bool is_paged_view(std::string_view view);

struct page_request {
  std::size_t offset = 0;
  std::size_t limit = 0;
  std::optional<std::uint64_t> position;  // from `after`: read the view as of here
};

// Reads params.limit (1..max_size, default default_size) and params.after (a
// cursor from data.next) of a paged view. Errors name the parameter.
[[nodiscard]] std::expected<page_request, domain::rejection> read_page(const json& params, std::size_t default_size,
                                                                       std::size_t max_size);

// Cuts data[view] to the page and adds data.next (a cursor, or null on the
// last page) and data.page {offset, limit}. data.count stays the number of
// all matching rows.
void cut_page(json& data, std::string_view view, const page_request& page, std::uint64_t position);

// A command the time rules say is due now, with a command id that makes
// issuing it twice harmless.
struct due_command {
  std::string command_type;
  std::string stream;
  json data;
  std::string command_id;
};
[[nodiscard]] std::vector<due_command> due_commands(const json& due);
// Reminders the time rules say are due now, one per person told of each
// item: its owner, and for an acceptance expiring soon every ISMS manager in
// `isms_managers` as well (docs/views.md, "Reminders"). An expired
// acceptance has none: the expiry the scheduler records notifies its owner
// (`risk_acceptance_expired`), one notification for one fact. `id` is stable
// per item, due date and person, so each is sent once:
// `due:<list>:<item>:<date>` for the owner, `…:<user>` for anyone else.
[[nodiscard]] std::vector<notification> due_reminders(const json& due, std::span<const std::string> isms_managers);
// A notification as pushes and webhooks carry it (every member present).
[[nodiscard]] json notification_json(const notification& n);

}  // namespace isms::server
