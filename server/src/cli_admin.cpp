// The operator's commands on a stopped store that record events: users and
// the time rules. Each runs the real command pipeline (a ledger without a
// transport and without its scheduler), so every change is an event decided
// by the domain's rules and authorization, as if sent over the API.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "isms/domain/views/views.hpp"
#include "isms/server/auth.hpp"
#include "isms/server/http_types.hpp"
#include "isms/server/ledger.hpp"

namespace isms::cli {

namespace {

namespace views = domain::views;

// The pipeline on a stopped store: no scheduler (the rules run only when
// asked), no checkpoints (nothing is signed here), caught up with the log.
std::unique_ptr<server::ledger> offline_ledger(eventstore::store& store) {
  server::ledger_options o;
  o.scheduler_interval = std::chrono::seconds{0};
  auto app = std::make_unique<server::ledger>(o, store);
  app->settle();
  return app;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

// The password for `user add` / `user passwd`: one line from standard input
// when it is not a terminal (a script, a secret manager), else a random one
// that is printed once. Never a flag, which `ps` would show to everyone.
std::expected<std::pair<std::string, bool>, std::string> new_password() {
  if (::isatty(STDIN_FILENO) == 1) return std::pair{server::auth_service::random_password(), true};
  std::string line;
  if (!std::getline(std::cin, line)) return std::unexpected("no password on standard input");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.size() < server::min_password_length)
    return std::unexpected("a password needs at least " + std::to_string(server::min_password_length) +
                           " characters");
  return std::pair{line, false};
}

int refused(const std::string& what, const server::command_outcome& o) {
  return fail(what + " refused: " + o.error_code + ": " + o.error_message);
}

int user_list(server::ledger& app) {
  std::printf("%-24s %-28s %-8s %s\n", "user", "name", "status", "roles");
  app.views().read_current([&](const views::all_views& v) {
    for (const auto& [id, u] : v.users.users)
      std::printf("%-24s %-28s %-8s %s\n", id.c_str(), u.name.c_str(), u.enabled ? "enabled" : "disabled",
                  joined(u.roles).c_str());
  });
  return 0;
}

bool user_exists(server::ledger& app, const std::string& id) {
  bool known = false;
  app.views().read_current([&](const views::all_views& v) { known = v.users.users.contains(id); });
  return known;
}

}  // namespace

int user_command(const parsed_args& args) {
  const std::string& sub = args.command;
  const bool list = sub == "user list", add = sub == "user add", passwd = sub == "user passwd";
  const bool grant = sub == "user grant", revoke = sub == "user revoke";
  const bool disable = sub == "user disable", enable = sub == "user enable";
  if (!(list || add || passwd || grant || revoke || disable || enable))
    return fail("unknown user command '" + sub + "' (list, add, passwd, grant, revoke, disable, enable)");
  const auto bad = list     ? unknown_flag(args, {"data"})
                   : add    ? unknown_flag(args, {"data", "id", "name", "roles", "email", "actor"})
                   : passwd ? unknown_flag(args, {"data", "id"})
                   : disable ? unknown_flag(args, {"data", "id", "reason", "actor"})
                   : (grant || revoke) ? unknown_flag(args, {"data", "id", "role", "comment", "actor"})
                                       : unknown_flag(args, {"data", "id", "comment", "actor"});
  if (bad) return fail(*bad);
  const std::string id = flag(args, "id", "");
  if (!list && id.empty()) return fail(sub + " needs --id ID");
  const std::string actor = flag(args, "actor", "admin");

  auto store = open_existing_store(flag(args, "data", "./data"));
  if (!store) return fail(store.error());
  auto app = offline_ledger(**store);
  if (list) return user_list(*app);
  if (!add && !user_exists(*app, id)) return fail("no user '" + id + "' (ismsd user list shows who exists)");

  if (add || passwd) {
    // The password first: nothing is recorded when there is none to set.
    auto password = new_password();
    if (!password) return fail(password.error());
    if (add) {
      const auto roles = server::split_list(flag(args, "roles", ""));
      const std::string name = flag(args, "name", "");
      if (name.empty() || roles.empty()) return fail("user add needs --name NAME and --roles R[,R...]");
      if (user_exists(*app, id)) return fail("user '" + id + "' exists already");
      server::command_request req;
      req.type = "user.register";
      req.stream = "user-" + id;
      req.data = {{"name", name}, {"roles", roles}};
      if (const auto email = flag(args, "email", ""); !email.empty()) req.data["email"] = email;
      req.comment = "ismsd user add";
      const auto o = app->pipeline().run(actor, std::move(req));
      if (!o.ok) return refused("user add", o);
      std::printf("registered %s (%s) with roles %s at position %llu\n", id.c_str(), name.c_str(),
                  joined(roles).c_str(), static_cast<unsigned long long>(o.position));
    }
    if (auto set = app->auth().set_password(id, password->first); !set)
      return fail("the password was not set: " + set.error().message);
    app->auth().revoke_user(id);  // signed in elsewhere with the old one: no longer
    if (password->second)
      std::printf("password of %s (shown this once): %s\n", id.c_str(), password->first.c_str());
    else
      std::printf("password of %s set; every session of theirs is ended\n", id.c_str());
    return 0;
  }

  server::command_request req;
  req.stream = "user-" + id;
  if (grant || revoke) {
    const std::string role = flag(args, "role", "");
    if (role.empty()) return fail(sub + " needs --role R");
    req.type = grant ? "user.grant_role" : "user.revoke_role";
    req.data = {{"role", role}};
  } else if (disable) {
    const std::string reason = flag(args, "reason", "");
    if (reason.empty()) return fail("user disable needs --reason TEXT (recorded with the event)");
    req.type = "user.disable";
    req.data = {{"reason", reason}};
  } else {
    req.type = "user.enable";
  }
  if (const auto comment = flag(args, "comment", ""); !comment.empty()) req.data["comment"] = comment;
  req.comment = "ismsd " + sub;
  const auto o = app->pipeline().run(actor, req);
  if (!o.ok) return refused(sub, o);
  std::printf("%s %s: recorded at position %llu\n", req.type.c_str(), id.c_str(),
              static_cast<unsigned long long>(o.position));
  return 0;
}

int rules_run(const parsed_args& args) {
  if (auto bad = unknown_flag(args, {"data"})) return fail(*bad);
  auto store = open_existing_store(flag(args, "data", "./data"));
  if (!store) return fail(store.error());
  auto app = offline_ledger(**store);
  const auto done = app->run_scheduler_once();
  if (!done.ok) return fail(done.error);
  app->settle();  // the reactions to what the rules recorded, too
  std::printf("time rules for %s: %zu commands due, %zu recorded now, %zu recorded before, %zu refused; "
              "%zu reminders due (each sent once, by the server's outbox)\n",
              done.today.c_str(), done.commands, done.applied, done.already_done, done.refused, done.reminders);
  return 0;
}

}  // namespace isms::cli
