#pragma once
// The time-driven rules, run by the scheduler: asks the domain's `due` view
// what is due today, issues the commands it names as the system (an
// acceptance expiring, ...) and sends the reminders it names, once each
// (their command ids and reminder ids are stable per item and due date).
// Thread-safety: run_once from one thread at a time (the scheduler's).

#include <expected>
#include <functional>
#include <cstddef>
#include <string>

#include "isms/domain/core.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/view_access.hpp"

namespace isms::server {

// What is due today and who the ISMS managers are, read from the same views.
struct due_today {
  json lists;                              // the `due` view
  std::vector<std::string> isms_managers;  // enabled holders of the role
};

struct time_rules_parts {
  clock_fn clock;
  // The `due` view for `today`, read from the current views as the system.
  std::function<std::expected<due_today, domain::rejection>(domain::date today)> due;
  // Runs a command through the pipeline as the system.
  std::function<command_outcome(command_request)> run;
  // Sends a reminder once per `key` ever.
  std::function<void(const std::string& key, const std::string& user_id, const json& notification)> remind;
};

// What one run did.
struct time_rules_report {
  std::string today;              // the day the rules were evaluated on
  std::size_t commands = 0;       // commands the rules named
  std::size_t applied = 0;        // of them, recorded now
  std::size_t already_done = 0;   // of them, recorded by an earlier run (the same command id)
  std::size_t refused = 0;        // of them, refused or failed (logged)
  std::size_t reminders = 0;      // reminders due (each is sent once ever, however often it is due)
  std::size_t digests = 0;        // daily mail summaries queued (the ledger's run: once a day)
  bool ok = true;                 // false when the due view could not be read
  std::string error;
};

// The report as JSON: {"today", "commands", "applied", "already_done", "refused", "reminders", "digests"}.
[[nodiscard]] json time_rules_json(const time_rules_report& r);

class time_rules {
 public:
  explicit time_rules(time_rules_parts parts) : parts_(std::move(parts)) {}
  time_rules_report run_once() const;

 private:
  time_rules_parts parts_;
};

}  // namespace isms::server
