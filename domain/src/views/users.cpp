#include "isms/domain/views/users.hpp"

#include <algorithm>

#include "support.hpp"

namespace isms::domain::views {

void fold_user(users_view& v, const recorded_event& e, const user::event& ev) {
  user_entry& u = entry_of(v.users, e);
  u.changed = change_of(e);
  std::visit(overloaded{
                 [&](const user::registered& x) {
                   u.name = x.name;
                   u.email = x.email;
                   u.roles.clear();
                   for (role r : x.roles) u.roles.emplace_back(to_string(r));
                   u.enabled = true;
                   u.registered_at = format_instant(e.meta.recorded_at);
                 },
                 [&](const user::role_granted& x) {
                   const std::string r(to_string(x.granted));
                   if (std::find(u.roles.begin(), u.roles.end(), r) == u.roles.end()) u.roles.push_back(r);
                 },
                 [&](const user::role_revoked& x) {
                   std::erase(u.roles, std::string(to_string(x.revoked)));
                 },
                 [&](const user::disabled&) { u.enabled = false; },
                 [&](const user::enabled&) { u.enabled = true; },
             },
             ev);
}

std::vector<std::string> users_holding(const users_view& v, role r) {
  std::vector<std::string> out;
  const std::string name(to_string(r));
  for (const auto& [id, u] : v.users)
    if (u.enabled && std::find(u.roles.begin(), u.roles.end(), name) != u.roles.end()) out.push_back(id);
  return out;
}

std::expected<json, rejection> query_users(const users_view& v, const json& params) {
  support::query_params p(params);
  const auto r = p.text("role");
  if (!p.ok()) return p.failure();
  if (!r.empty() && !role_from_string(r)) return support::bad_param("role", "unknown role '" + r + "'");
  // Absent: enabled and disabled users alike.
  std::optional<bool> enabled;
  if (params.is_object() && params.contains("enabled") && !params.at("enabled").is_null())
    enabled = p.flag("enabled");
  if (!p.ok()) return p.failure();
  json list = json::array();
  for (const auto& [id, u] : v.users) {
    if (!r.empty() && std::find(u.roles.begin(), u.roles.end(), r) == u.roles.end()) continue;
    if (enabled && u.enabled != *enabled) continue;
    json j = u;  // its stored form, `changed` shown as last_change
    j["last_change"] = std::move(j.at("changed"));
    j.erase("changed");
    list.push_back(std::move(j));
  }
  const std::size_t count = list.size();  // read before the list is moved into the answer
  return json{{"users", std::move(list)}, {"count", count}};
}

}  // namespace isms::domain::views
