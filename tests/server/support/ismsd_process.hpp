#pragma once
// The real ismsd executable as a child process, for the tests that signal it
// (SIGKILL, SIGTERM) or watch it refuse to start.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "isms/eventstore/store.hpp"

namespace isms::testing {

// Everything a child prints (stdout and stderr), collected for as long as it runs.
class child_output {
 public:
  void append(std::string_view bytes);
  // The child closed its output (it exited).
  void close();
  [[nodiscard]] std::string text() const;
  // Waits until the output from byte `from` on holds `needle` and returns the
  // offset just past it; npos when the child exits first or `limit` passes
  // (a deadline for a broken server, not a measure of time).
  [[nodiscard]] std::size_t wait_for(std::string_view needle, std::size_t from,
                                     std::chrono::milliseconds limit = std::chrono::seconds(60)) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string text_;
  bool closed_ = false;
};

struct ismsd_child {
  pid_t pid = -1;
  std::uint16_t port = 0;
  std::string output;  // what it printed up to the port line (or all, if it failed)
  // All it printed, including after the port line.
  std::shared_ptr<child_output> log = std::make_shared<child_output>();
};

// Starts `ismsd serve --data DATA --address 127.0.0.1 --port 0 EXTRA...` with
// ISMS_ADMIN_PASSWORD set and waits for the line with its port (http:// or,
// with TLS, https://; port stays 0 when it exits first). Its later output is
// collected in `log` so that it never blocks.
// In a forked child: replaces it with ismsd run with `args` (after the
// program's own name); exits 127 if that fails. Never returns.
[[noreturn]] void exec_ismsd(const std::vector<std::string>& args);

ismsd_child spawn_ismsd(const std::filesystem::path& data, const std::string& admin_password,
                        const std::vector<std::string>& extra = {});

// Waits for the child's exit, up to `limit`; a child still running then is
// SIGKILLed and the test fails, so that a hung shutdown never hangs the suite.
int wait_exit(pid_t pid, std::chrono::seconds limit = std::chrono::seconds(60));

// A new, empty temporary directory named "<prefix>-XXXXXX".
std::filesystem::path make_temp_dir(std::string_view prefix);

// Removes a data folder ismsd served, and the signing key `ismsd serve`
// creates beside it by default ("<data>-signing.key"), so that no key of a
// test is left in the temporary directory.
void remove_data_dir(const std::filesystem::path& data);

// After a process held the store: `all` (every event of `store`) has
// positions 1, 2, … without a gap, and the whole chain verifies up to the last.
void expect_gapless_and_verified(eventstore::store& store, const std::vector<eventstore::recorded_event>& all);

}  // namespace isms::testing
