#include "isms/server/view_access.hpp"

namespace isms::server {

using domain::json;
using domain::role;
using domain::role_from_string;
using domain::views::all_views;
using domain::views::notification;

std::vector<role> roles_of(const all_views& v, std::string_view user_id) {
  std::vector<role> out;
  auto it = v.users.users.find(std::string(user_id));
  if (it == v.users.users.end() || !it->second.enabled) return out;
  for (const auto& name : it->second.roles)
    if (auto r = role_from_string(name); r && *r != role::system) out.push_back(*r);
  return out;
}

bool user_enabled(const all_views& v, std::string_view user_id) {
  auto it = v.users.users.find(std::string(user_id));
  return it != v.users.users.end() && it->second.enabled;
}

std::size_t user_count(const all_views& v) { return v.users.users.size(); }

json user_summary(const all_views& v, std::string_view user_id) {
  auto it = v.users.users.find(std::string(user_id));
  if (it == v.users.users.end()) return json{{"id", user_id}, {"name", user_id}, {"roles", json::array()}};
  return json{{"id", it->second.id}, {"name", it->second.name}, {"roles", it->second.roles}};
}

}  // namespace isms::server

namespace isms::server {

namespace {
std::string text_of(const json& item, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (auto it = item.find(k); it != item.end() && it->is_string() && !it->get_ref<const std::string&>().empty())
      return it->get<std::string>();
  return {};
}

// What each list of the `due` view is about, for the reminder's title.
constexpr std::pair<std::string_view, std::string_view> due_lists[] = {
    {"acceptances_expiring", "Risk acceptance expires soon"},
    {"acceptances_expired", "Risk acceptance expired: reassess"},
    {"treatments_overdue", "Risk treatment overdue"},
    {"documents_review_due", "Document review due"},
    {"actions_overdue", "Action overdue"},
    {"objectives_overdue", "Objective overdue"},
};
}  // namespace

std::vector<due_command> due_commands(const json& due) {
  std::vector<due_command> out;
  if (!due.is_object()) return out;
  for (const auto& [list, _] : due_lists) {
    auto it = due.find(list);
    if (it == due.end() || !it->is_array()) continue;
    for (const auto& item : *it) {
      auto cmd = item.find("command");
      if (cmd == item.end() || !cmd->is_object()) continue;
      due_command c;
      c.command_type = cmd->value("type", "");
      c.stream = cmd->value("stream", "");
      c.data = cmd->value("data", json::object());
      c.command_id = cmd->value("command_id", "");
      if (!c.command_type.empty() && !c.stream.empty() && !c.command_id.empty()) out.push_back(std::move(c));
    }
  }
  return out;
}

std::vector<notification> due_reminders(const json& due) {
  std::vector<notification> out;
  if (!due.is_object()) return out;
  for (const auto& [list, title] : due_lists) {
    auto it = due.find(list);
    if (it == due.end() || !it->is_array()) continue;
    for (const auto& item : *it) {
      if (!item.is_object()) continue;
      const std::string owner = text_of(item, {"owner"});
      if (owner.empty()) continue;
      const std::string what = text_of(item, {"id", "stream"});
      const std::string when = text_of(item, {"due", "review_due_on", "due_on"});
      notification n;
      // Stable per item and due date: each reminder is sent once.
      n.id = "due:" + std::string(list) + ":" + what + ":" + when;
      n.user_id = owner;
      n.kind = std::string(list);
      std::string detail = text_of(item, {"message", "title", "statement", "description"});
      n.title = std::string(title) + (detail.empty() ? "" : ": " + detail);
      n.subject_stream = text_of(item, {"stream"});
      out.push_back(std::move(n));
    }
  }
  return out;
}

}  // namespace isms::server
