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
