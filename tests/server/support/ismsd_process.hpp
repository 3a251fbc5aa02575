#pragma once
// The real ismsd executable as a child process, for the tests that signal it
// (SIGKILL, SIGTERM) or watch it refuse to start.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "isms/eventstore/store.hpp"

namespace isms::testing {

struct ismsd_child {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string output;  // what it printed up to the port line (or all, if it failed)
};

// Starts `ismsd serve --data DATA --address 127.0.0.1 --port 0 EXTRA...` with
// ISMS_ADMIN_PASSWORD set and waits for the line with its port (port stays 0
// when it exits first). Its later output is drained so that it never blocks.
ismsd_child spawn_ismsd(const std::filesystem::path& data, const std::string& admin_password,
                        const std::vector<std::string>& extra = {});

// Waits for the child's exit, up to `limit`; a child still running then is
// SIGKILLed and the test fails, so that a hung shutdown never hangs the suite.
int wait_exit(pid_t pid, std::chrono::seconds limit = std::chrono::seconds(60));

// A new, empty temporary directory named "<prefix>-XXXXXX".
std::filesystem::path make_temp_dir(std::string_view prefix);

// After a process held the store: `all` (every event of `store`) has
// positions 1, 2, … without a gap, and the whole chain verifies up to the last.
void expect_gapless_and_verified(eventstore::store& store, const std::vector<eventstore::recorded_event>& all);

}  // namespace isms::testing
