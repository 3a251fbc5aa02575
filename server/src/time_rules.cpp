#include "isms/server/time_rules.hpp"

#include "isms/server/log.hpp"

namespace isms::server {

json time_rules_json(const time_rules_report& r) {
  return json{{"today", r.today},     {"commands", r.commands}, {"applied", r.applied},
              {"already_done", r.already_done}, {"refused", r.refused},   {"reminders", r.reminders},
              {"digests", r.digests}};
}

time_rules_report time_rules::run_once() const {
  const domain::date today =
      std::chrono::floor<std::chrono::days>(domain::instant{std::chrono::milliseconds{parts_.clock()}});
  time_rules_report report;
  report.today = domain::format_date(today);
  const auto due = parts_.due(today);
  if (!due) {
    log::warn("scheduler", "due view unavailable: " + due.error().message);
    report.ok = false;
    report.error = "the due view is unavailable: " + due.error().message;
    return report;
  }
  for (const auto& cmd : due_commands(due->lists)) {
    command_request req;
    req.type = cmd.command_type;
    req.stream = cmd.stream;
    req.data = cmd.data;
    req.command_id = cmd.command_id;
    req.as_system = true;
    const auto o = parts_.run(std::move(req));
    ++report.commands;
    if (o.ok) {
      ++(o.duplicate ? report.already_done : report.applied);
    } else {
      ++report.refused;
      if (o.error_code != "rejected")
        log::warn("scheduler", cmd.command_type + " on " + cmd.stream + ": " + o.error_code + ": " + o.error_message);
    }
  }
  for (const auto& n : due_reminders(due->lists, due->isms_managers)) {
    parts_.remind(n.id, n.user_id, notification_json(n));
    ++report.reminders;
  }
  return report;
}

}  // namespace isms::server
