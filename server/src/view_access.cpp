#include "isms/server/view_access.hpp"

#include "isms/domain/authorization.hpp"
#include "isms/server/http_room.hpp"

#include <algorithm>
#include <charconv>

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

namespace {

// What a user's roles allow: every command type of the domain's table, the
// ones among them the user may send only about what they own (the domain's
// own-entity limits, as decide reads them), and every restricted HTTP
// endpoint (http_room.hpp). Rules that depend on an entity's state are listed
// per entity by the views (`allowed_commands`) and still decided per command.
json may_of(std::vector<role> roles) {
  const domain::actor who{{}, std::move(roles)};
  json commands = json::array(), own_only = json::array(), endpoints = json::array();
  for (const auto& p : domain::authorization_table()) {
    if (!domain::may_issue(who, p.command_type)) continue;
    commands.push_back(p.command_type);
    if (domain::acts_only_on_own(who, p.command_type)) own_only.push_back(p.command_type);
  }
  for (const auto& e : endpoint_permissions())
    if (std::ranges::any_of(e.roles, [&](domain::role r) { return who.has(r); })) endpoints.push_back(e.name);
  return json{{"commands", std::move(commands)}, {"own_only", std::move(own_only)}, {"endpoints", std::move(endpoints)}};
}

}  // namespace

json user_summary(const all_views& v, std::string_view user_id) {
  auto it = v.users.users.find(std::string(user_id));
  if (it == v.users.users.end())
    return json{{"id", user_id}, {"name", user_id}, {"roles", json::array()}, {"may", may_of({})}};
  return json{{"id", it->second.id},
              {"name", it->second.name},
              {"roles", it->second.roles},
              {"may", may_of(roles_of(v, user_id))}};
}

namespace {
constexpr std::string_view paged_views[] = {"risks",   "objectives", "nonconformities", "approvals", "documents",
                                            "audits",  "reviews",    "users",           "incidents", "suppliers", "assets"};

std::unexpected<domain::rejection> bad_page_param(const char* name, std::string rule) {
  return std::unexpected(domain::rejection{domain::rejection_kind::invalid, std::string("params.") + name, std::move(rule)});
}

bool parse_decimal(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}
}  // namespace

bool is_paged_view(std::string_view view) {
  for (auto v : paged_views)
    if (v == view) return true;
  return false;
}

std::expected<page_request, domain::rejection> read_page(const json& params, std::size_t default_size,
                                                         std::size_t max_size) {
  page_request p;
  p.limit = std::min(default_size, max_size);
  if (!params.is_object()) return p;
  if (auto it = params.find("limit"); it != params.end() && !it->is_null()) {
    const std::string rule = "must be an integer between 1 and " + std::to_string(max_size);
    if (!it->is_number_integer()) return bad_page_param("limit", rule);
    if (it->is_number_unsigned() ? it->get<std::uint64_t>() > max_size || it->get<std::uint64_t>() == 0
                                 : it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > static_cast<std::int64_t>(max_size))
      return bad_page_param("limit", rule);
    p.limit = static_cast<std::size_t>(it->get<std::int64_t>());
  }
  if (auto it = params.find("after"); it != params.end() && !it->is_null()) {
    // "<position>:<offset>", as data.next gave it.
    const std::string rule = "must be a cursor from a previous reply's data.next";
    if (!it->is_string()) return bad_page_param("after", rule);
    const std::string_view c = it->get_ref<const std::string&>();
    const auto colon = c.find(':');
    std::uint64_t position = 0, offset = 0;
    if (colon == std::string_view::npos || !parse_decimal(c.substr(0, colon), position) ||
        !parse_decimal(c.substr(colon + 1), offset) || offset == 0)
      return bad_page_param("after", rule);
    p.position = position;
    p.offset = static_cast<std::size_t>(offset);
  }
  return p;
}

void cut_page(json& data, std::string_view view, const page_request& page, std::uint64_t position) {
  auto it = data.find(view);
  if (it == data.end() || !it->is_array()) return;
  json& rows = *it;
  std::size_t total = 0, from = 0, to = 0;
  if (auto w = data.find("window"); w != data.end()) {
    // The view built only the page's rows; `count` is every matching row.
    data.erase(w);
    total = data.value("count", std::size_t{0});
    from = std::min(page.offset, total);
    to = from + rows.size();
  } else {
    total = rows.size();
    from = std::min(page.offset, total);
    to = from + std::min(page.limit, total - from);
    if (from > 0 || to < total) {
      json cut = json::array();
      for (std::size_t i = from; i < to; ++i) cut.push_back(std::move(rows[i]));
      rows = std::move(cut);
    }
  }
  data["page"] = json{{"offset", from}, {"limit", page.limit}};
  data["next"] = to < total ? json(std::to_string(position) + ":" + std::to_string(to)) : json(nullptr);
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
    {"supplier_assessments_due", "Supplier assessment due"},
    {"evidence_review_due", "Evidence review due"},
};

// Calls f(list, title, item) for each object item of each due list.
template <class F>
void each_due_item(const json& due, F&& f) {
  if (!due.is_object()) return;
  for (const auto& [list, title] : due_lists) {
    auto it = due.find(list);
    if (it == due.end() || !it->is_array()) continue;
    for (const auto& item : *it)
      if (item.is_object()) f(list, title, item);
  }
}

}  // namespace

std::vector<due_command> due_commands(const json& due) {
  std::vector<due_command> out;
  each_due_item(due, [&out](std::string_view, std::string_view, const json& item) {
    auto cmd = item.find("command");
    if (cmd == item.end() || !cmd->is_object()) return;
    due_command c;
    c.command_type = cmd->value("type", "");
    c.stream = cmd->value("stream", "");
    c.data = cmd->value("data", json::object());
    c.command_id = cmd->value("command_id", "");
    if (!c.command_type.empty() && !c.stream.empty() && !c.command_id.empty()) out.push_back(std::move(c));
  });
  return out;
}

std::vector<notification> due_reminders(const json& due, std::span<const std::string> isms_managers) {
  std::vector<notification> out;
  each_due_item(due, [&](std::string_view list, std::string_view title, const json& item) {
    // Told when the scheduler records the expiry, not reminded as well.
    if (list == "acceptances_expired") return;
    const std::string owner = text_of(item, {"owner"});
    if (owner.empty()) return;
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
    // 6.1.3: the ISMS manager prepares the renewal of an acceptance with its owner.
    if (list == "acceptances_expiring")
      for (const auto& manager : isms_managers) {
        if (manager == owner) continue;
        notification m = n;
        m.id += ":" + manager;
        m.user_id = manager;
        out.push_back(std::move(m));
      }
    out.push_back(std::move(n));
  });
  return out;
}

json notification_json(const notification& n) {
  // The domain's form, with approval_id always present ("" when none).
  json j = domain::views::to_json(n);
  j.emplace("approval_id", n.approval_id);
  return j;
}

}  // namespace isms::server
