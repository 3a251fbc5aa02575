#include "isms/server/time_rules.hpp"

#include "isms/server/log.hpp"

namespace isms::server {

void time_rules::run_once() const {
  const domain::date today =
      std::chrono::floor<std::chrono::days>(domain::instant{std::chrono::milliseconds{parts_.clock()}});
  const auto due = parts_.due(today);
  if (!due) {
    log::warn("scheduler", "due view unavailable: " + due.error().message);
    return;
  }
  for (const auto& cmd : due_commands(*due)) {
    command_request req;
    req.type = cmd.command_type;
    req.stream = cmd.stream;
    req.data = cmd.data;
    req.command_id = cmd.command_id;
    req.as_system = true;
    const auto o = parts_.run(std::move(req));
    if (!o.ok && o.error_code != "rejected")
      log::warn("scheduler", cmd.command_type + " on " + cmd.stream + ": " + o.error_code + ": " + o.error_message);
  }
  for (const auto& n : due_reminders(*due)) parts_.remind(n.id, n.user_id, notification_json(n));
}

}  // namespace isms::server
