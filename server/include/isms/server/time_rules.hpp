#pragma once
// The time-driven rules, run by the scheduler: asks the domain's `due` view
// what is due today, issues the commands it names as the system (an
// acceptance expiring, ...) and sends the reminders it names, once each
// (their command ids and reminder ids are stable per item and due date).
// Thread-safety: run_once from one thread at a time (the scheduler's).

#include <expected>
#include <functional>
#include <string>

#include "isms/domain/core.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/view_access.hpp"

namespace isms::server {

struct time_rules_parts {
  clock_fn clock;
  // The `due` view for `today`, read from the current views as the system.
  std::function<std::expected<json, domain::rejection>(domain::date today)> due;
  // Runs a command through the pipeline as the system.
  std::function<command_outcome(command_request)> run;
  // Sends a reminder once per `key` ever.
  std::function<void(const std::string& key, const std::string& user_id, const json& notification)> remind;
};

class time_rules {
 public:
  explicit time_rules(time_rules_parts parts) : parts_(std::move(parts)) {}
  void run_once() const;

 private:
  time_rules_parts parts_;
};

}  // namespace isms::server
