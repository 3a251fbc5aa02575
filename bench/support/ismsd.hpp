#pragma once
// A real ismsd for the benchmark programs: spawned on 127.0.0.1 port 0 with
// its own data folder, measured from outside (/proc/PID/status, /healthz),
// stopped with SIGTERM. And the users a benchmark signs in as, registered
// over the public API by the administrator the server bootstraps.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "net.hpp"

namespace isms::bench {

// The administrator's password the benchmarks start ismsd with
// (ISMS_ADMIN_PASSWORD; the store's first start creates `admin` with it).
inline constexpr const char* admin_password = "bench-admin-password-0001";
// Every user a benchmark registers signs in with this password.
inline constexpr const char* user_password = "bench-user-password-0001";

class ismsd_process {
 public:
  // Starts `exe serve --data DATA --address 127.0.0.1 --port 0 --<flag> <value>…`
  // with ISMS_ADMIN_PASSWORD set and waits for the line naming its port.
  // nullopt (and the output on stderr) when it exits first.
  static std::optional<ismsd_process> start(const std::filesystem::path& exe, const std::filesystem::path& data,
                                            const std::vector<std::string>& flags);
  ismsd_process(ismsd_process&&) noexcept;
  ismsd_process& operator=(ismsd_process&&) = delete;
  ~ismsd_process();  // SIGKILL if still running

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  // VmRSS of the process in KiB (0 when unreadable).
  [[nodiscard]] std::uint64_t rss_kib() const;
  // Polls GET /healthz until it answers 200 with views_position >= `position`;
  // false when `limit` passes first. The /healthz answer in `last`.
  bool wait_healthy(std::uint64_t position, std::chrono::seconds limit, json* last = nullptr) const;
  // SIGTERM and wait for the exit; the exit status.
  int stop();

 private:
  ismsd_process() = default;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// The flags every benchmark run passes: no per-connection rate limit in the
// way of a load generator, room for many connections.
std::vector<std::string> bench_flags();

struct bench_user {
  std::string id;
  std::vector<std::string> roles;
};

// Registers `users` (user.register as the administrator over the WebSocket,
// then POST /api/users/password with user_password). Exits on failure.
void register_users(std::uint16_t port, const std::vector<bench_user>& users);

// Signs `user` in; exits on failure.
std::string must_login(std::uint16_t port, const std::string& user, const std::string& password = user_password);

// The reply `r` when it is a success ({"ok": true}); otherwise prints `what`
// and the reply and exits.
nlohmann::json must(std::optional<nlohmann::json> r, const std::string& what);

// The UTC day `days` from today, "YYYY-MM-DD".
std::string day_from_today(int days);

// The default ismsd executable: the one built next to the benchmarks.
std::filesystem::path default_ismsd();

}  // namespace isms::bench
