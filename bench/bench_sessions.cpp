// bench_sessions: what idle WebSocket sessions cost a real ismsd.
//
// One run, on a fresh ismsd spawned on 127.0.0.1 port 0:
//   1. another connection's command latency (risk.assess, one at a time) with
//      no idle session open: the baseline;
//   2. N idle sessions (10,000 by default) open and authenticated, each
//      subscribed to `notifications`, signed in as one of ten top managers:
//      ismsd's RSS per session;
//   3. the same command latency with them open (the commands concern none of
//      them: no push is due to any), as many commands as step 1 on risks as
//      fresh as step 1's (a decision folds its stream: longer streams would
//      cost more whatever the sessions);
//   4. one broadcast: an acceptance request above the risk appetite, whose
//      approval notifies every top manager, so every idle session is due one
//      push: the time from sending the request until the last session has it.
// Prints the figures, their ratios to the targets, the load average; the last
// line is one JSON object.
//
// Usage: bench_sessions [--sessions N] [--seconds N] [--dir DIR] [--ismsd PATH]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/ismsd.hpp"
#include "support/net.hpp"
#include "support/options.hpp"
#include "support/store_probe.hpp"

using namespace isms::bench;
namespace fs = std::filesystem;

namespace {

constexpr int top_managers = 10;
constexpr int driver_risks = 8;

json command(const std::string& type, const std::string& stream, json data) {
  return {{"op", "command"}, {"type", type}, {"stream", stream}, {"data", std::move(data)}};
}

void identify(ws_session& ws, const std::string& stream) {
  auto c = command("risk.identify", stream,
                   {{"title", "Loss of laptops " + stream},
                    {"asset", "Laptops of the sales team"},
                    {"threat", "Theft"},
                    {"vulnerability", "Disks not encrypted"},
                    {"owner", "sess-owner"},
                    {"category", "operations"}});
  c["expected_version"] = 0;
  must(ws.request(c), "risk.identify " + stream);
}

// risk.assess commands on the driver's risks `prefix`-0..7, one at a time,
// for `seconds` or `max_count` commands, whichever ends first. A command's
// cost grows with its stream's length (the decision folds the stream), so the
// two measured phases each start on fresh risks and send the same number.
latency_stats command_latency(ws_session& ws, double seconds, std::uint64_t& seq, const std::string& prefix,
                              std::size_t max_count = SIZE_MAX) {
  std::vector<double> lat;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (clock_type::now() < end && lat.size() < max_count) {
    ++seq;
    const auto t0 = clock_type::now();
    must(ws.request(command("risk.assess", prefix + std::to_string(seq % driver_risks),
                            {{"likelihood", 2 + static_cast<int>(seq % 3)},
                             {"impact", 2 + static_cast<int>((seq / 3) % 3)},
                             {"rationale", "Reassessed after the quarterly review"}})),
         "risk.assess");
    lat.push_back(us_since(t0));
  }
  return summarize(lat, std::chrono::duration<double>(clock_type::now() - start).count());
}

}  // namespace

int main(int argc, char** argv) {
  options opt(argc, argv, "[--sessions N] [--seconds N] [--dir DIR] [--ismsd PATH]");
  const auto sessions = static_cast<std::size_t>(opt.number("sessions", 10000));
  const double seconds = opt.number("seconds", 5);
  const fs::path base = opt.text("dir", fs::current_path().string());
  const fs::path exe = opt.text("ismsd", default_ismsd().string());
  if (!opt.valid()) return 2;
  const std::uint64_t fd_limit = raise_fd_limit();
  if (fd_limit < sessions + 256)
    std::fprintf(stderr, "warning: fd limit %llu is below %zu sessions\n", static_cast<unsigned long long>(fd_limit),
                 sessions);
  const fs::path run = make_run_dir(base, "bench-sessions");
  const double load_before = loadavg();
  std::printf("bench_sessions: dir %s, %zu sessions, %.1f s per latency phase, fd limit %llu, load %.2f\n",
              run.c_str(), sessions, seconds, static_cast<unsigned long long>(fd_limit), load_before);

  auto server = ismsd_process::start(exe, run / "data", bench_flags());
  if (!server) return 1;
  const auto port = server->port();
  std::vector<bench_user> users{{"sess-mgr", {"isms_manager"}}, {"sess-owner", {"risk_owner"}}};
  for (int t = 0; t < top_managers; ++t) users.push_back({"sess-top-" + std::to_string(t), {"top_management"}});
  register_users(port, users);
  std::vector<std::string> pool;
  for (int t = 0; t < top_managers; ++t) pool.push_back(must_login(port, "sess-top-" + std::to_string(t)));
  auto driver = ws_session::connect(port, must_login(port, "sess-mgr"));
  if (!driver) return 1;
  for (const char* prefix : {"risk-W-", "risk-D-", "risk-E-"})
    for (int r = 0; r < driver_risks; ++r) identify(*driver, prefix + std::to_string(r));
  identify(*driver, "risk-B-1");

  std::uint64_t seq = 0;
  command_latency(*driver, std::min(1.0, seconds), seq, "risk-W-");  // warm-up
  const latency_stats before = command_latency(*driver, seconds, seq, "risk-D-");
  const std::uint64_t rss_before = server->rss_kib();
  std::printf("%-40s p50 %8.0f us  p99 %8.0f us  (%zu commands)\n", "commands, no idle session", before.p50_us,
              before.p99_us, before.count);

  const auto open_start = clock_type::now();
  idle_sessions idle(port, pool, sessions, json{{"id", "s"}, {"op", "subscribe"}, {"channel", "notifications"}}.dump());
  const std::size_t subscribed = idle.wait_subscribed(std::chrono::seconds(600));
  const double open_s = std::chrono::duration<double>(clock_type::now() - open_start).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the server settle its buffers before reading RSS
  const std::uint64_t rss_open = server->rss_kib();
  const double per_session_kib =
      subscribed ? static_cast<double>(rss_open - std::min(rss_open, rss_before)) / static_cast<double>(subscribed) : 0;
  std::printf("%-40s %zu of %zu in %.1f s (%zu failed); RSS %llu -> %llu KiB: %.2f KiB per session (target <= 16)\n",
              "idle sessions subscribed", subscribed, sessions, open_s, idle.failed(),
              static_cast<unsigned long long>(rss_before), static_cast<unsigned long long>(rss_open), per_session_kib);

  // As many commands as the baseline, on risks as fresh as its were.
  const latency_stats with = command_latency(*driver, 10 * seconds, seq, "risk-E-", before.count);
  const double p50_ratio = before.p50_us > 0 ? with.p50_us / before.p50_us : 0;
  std::printf("%-40s p50 %8.0f us  p99 %8.0f us  (%zu commands): p50 %.3fx (target <= 1.10)\n",
              "commands, idle sessions open", with.p50_us, with.p99_us, with.count, p50_ratio);

  // The broadcast: residual high (12) above the appetite (medium), so the
  // approval waits for the owner and top management, and every top manager
  // is told when it opens.
  must(driver->request(command("risk.assess", "risk-B-1",
                               {{"likelihood", 5}, {"impact", 5}, {"rationale", "Two thefts this quarter"}})),
       "risk.assess risk-B-1");
  must(driver->request(command("risk.plan_treatment", "risk-B-1",
                               {{"option", "modify"},
                                {"controls", {"8.1", "8.24"}},
                                {"actions", "Full-disk encryption on every laptop"},
                                {"target_likelihood", 4},
                                {"target_impact", 3},
                                {"due", day_from_today(60)}})),
       "risk.plan_treatment risk-B-1");
  const auto t0 = clock_type::now();
  must(driver->request(command("risk.request_acceptance", "risk-B-1", {{"comment", "Encryption rollout under way"}})),
       "risk.request_acceptance risk-B-1");
  const auto until = clock_type::now() + std::chrono::seconds(60);
  while (idle.with_push() < subscribed && clock_type::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::size_t pushed = idle.with_push();
  const double push_all_ms =
      pushed ? std::chrono::duration<double, std::milli>(idle.last_first_push() - t0).count() : -1;
  const double push_spread_ms =
      pushed ? std::chrono::duration<double, std::milli>(idle.last_first_push() - idle.first_first_push()).count() : -1;
  std::printf("%-40s %zu of %zu sessions; the last %.1f ms after the request was sent (first to last %.1f ms; "
              "target <= 1000)\n",
              "broadcast push", pushed, subscribed, push_all_ms, push_spread_ms);
  const std::uint64_t rss_after = server->rss_kib();
  server->stop();
  fs::remove_all(run);
  const double load_after = loadavg();
  json out = {{"sessions", sessions},
              {"subscribed", subscribed},
              {"failed", idle.failed()},
              {"open_seconds", open_s},
              {"rss_before_kib", rss_before},
              {"rss_open_kib", rss_open},
              {"rss_after_push_kib", rss_after},
              {"kib_per_session", per_session_kib},
              {"cmd_p50_us_without", before.p50_us},
              {"cmd_p99_us_without", before.p99_us},
              {"cmd_p50_us_with", with.p50_us},
              {"cmd_p99_us_with", with.p99_us},
              {"cmd_p50_ratio", p50_ratio},
              {"pushed", pushed},
              {"push_all_ms", push_all_ms},
              {"push_spread_ms", push_spread_ms},
              {"loadavg_before", load_before},
              {"loadavg_after", load_after}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
