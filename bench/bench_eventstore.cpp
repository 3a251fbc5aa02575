// bench_eventstore: what the event store achieves against what the disk allows.
//
// One run measures, on the filesystem that holds --dir:
//   1. the disk's ceiling: write + fdatasync of one event-sized record by one
//      writer; and a simple group-commit loop where 64 threads hand records to
//      one thread that writes everything pending, then fdatasyncs once;
//   2. the store's durable appends with 1, 8 and 64 concurrent appenders
//      (plus 64 appenders with sync off, the store's CPU ceiling);
//   3. replay (read every event and decode it) against raw RocksDB iteration
//      of the same events: decoded to views by scan(), and fully materialized
//      (payload parsed into nlohmann::json) by read_all().
// Every figure is printed with its ratio to the ceiling measured in the same
// run; the last line is one JSON object of all figures (docs/performance.md).
//
// Usage: bench_eventstore [--dir DIR] [--seconds N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/eventstore/store.hpp"
#include "support/options.hpp"
#include "support/store_probe.hpp"

namespace es = isms::eventstore;
using namespace isms::bench;

namespace {

struct config {
  std::filesystem::path dir;
  double seconds = 3;
};

// Replays every event through the store repeatedly for about `seconds`;
// events per second. With `json`, through read_all (each event materialized
// with its payload parsed into nlohmann::json); otherwise through scan (each
// record decoded into an event_view, the payload left as canonical JSON text).
double replay_rate(const std::filesystem::path& dir, double seconds, bool json, std::uint64_t& events) {
  auto opened = es::store::open(es::options{}, dir);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    std::exit(1);
  }
  es::store& s = **opened;
  const std::uint64_t head = s.current_head().position;
  auto pass = [&] {
    std::uint64_t n = 0;
    std::size_t bytes = 0;
    if (json) {
      for (std::uint64_t from = 1; from <= head;) {
        auto batch = s.read_all(from, 1024);
        if (!batch || batch->empty()) {
          std::fprintf(stderr, "replay failed at %llu\n", static_cast<unsigned long long>(from));
          std::exit(1);
        }
        for (const auto& e : *batch) bytes += e.type.size() + e.data.size();
        n += batch->size();
        from = batch->back().position + 1;
      }
    } else {
      auto r = s.scan(1, head, [&](const es::event_view& v) {
        bytes += v.type.size() + v.data_json.size() + v.stream.size();
        return true;
      });
      if (!r) {
        std::fprintf(stderr, "scan failed: %s\n", r.error().message.c_str());
        std::exit(1);
      }
      n = *r;
    }
    if (bytes == 0) std::exit(1);
    return n;
  };
  pass();  // warm the caches, as the raw pass does
  std::uint64_t total = 0;
  const auto start = clock_type::now();
  do total += pass();
  while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds);
  events = head;
  return static_cast<double>(total) / std::chrono::duration<double>(clock_type::now() - start).count();
}

void print_line(const char* what, const latency_stats& s, const char* vs, double ratio) {
  std::printf("%-34s %10.0f ev/s  p50 %7.0f us  p99 %7.0f us   %.2fx %s\n", what, s.eps, s.p50_us, s.p99_us,
              ratio, vs);
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  options opt(argc, argv, "[--dir DIR] [--seconds N]");
  const std::filesystem::path given = opt.text("dir", "");
  c.seconds = opt.number("seconds", 3);
  if (!opt.valid()) return 2;
  // The default: a temporary directory under the current directory, so the
  // store and the ceiling share its filesystem.
  std::filesystem::path base = given.empty() ? std::filesystem::current_path() : given;
  std::filesystem::create_directories(base);
  std::string tmpl = (base / "bench-eventstore-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  c.dir = tmpl;
  const double load_before = loadavg();
  const std::size_t rec = record_bytes();
  std::printf("bench_eventstore: dir %s, %.1f s per phase, record %zu bytes, load %.2f\n", c.dir.c_str(),
              c.seconds, rec, load_before);

  latency_stats single = fdatasync_single(c.dir, c.seconds, rec);
  print_line("ceiling: write+fdatasync, 1 writer", single, "", 1.0);
  latency_stats group8 = group_commit_ceiling(c.dir, c.seconds, rec, 8);
  print_line("ceiling: group commit, 8 writers", group8, "", 1.0);
  latency_stats group = group_commit_ceiling(c.dir, c.seconds, rec, 64);
  print_line("ceiling: group commit, 64 writers", group, "", 1.0);

  const auto store_dir = c.dir / "store";
  latency_stats a1, a8, a64, nosync;
  {
    auto opened = es::store::open(es::options{}, store_dir);
    if (!opened) {
      std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
      return 1;
    }
    a1 = store_appends(**opened, c.seconds, 1, "a1");
    print_line("store: 1 appender", a1, "of 1-writer ev/s", a1.eps / single.eps);
    std::printf("%-34s p50 %.2fx fdatasync p50 (target <= 1.5)\n", "", a1.p50_us / single.p50_us);
    a8 = store_appends(**opened, c.seconds, 8, "a8");
    print_line("store: 8 appenders", a8, "of 8-writer group ceiling", a8.eps / group8.eps);
    a64 = store_appends(**opened, c.seconds, 64, "a64");
    print_line("store: 64 appenders", a64, "of group ceiling (target >= 1.0)", a64.eps / group.eps);
  }
  {
    es::options o;
    o.sync = false;
    auto opened = es::store::open(o, c.dir / "store-nosync");
    if (!opened) return 1;
    nosync = store_appends(**opened, c.seconds, 64, "ns");
    print_line("store: 64 appenders, sync off", nosync, "of group ceiling (CPU bound)", nosync.eps / group.eps);
  }
  std::filesystem::remove_all(c.dir / "store-nosync");

  std::uint64_t replayed = 0;
  settle(store_dir);
  const double raw = raw_iteration_rate(store_dir, c.seconds);
  const double replay = replay_rate(store_dir, c.seconds, false, replayed);
  const double replay_json = replay_rate(store_dir, c.seconds, true, replayed);
  std::printf("%-34s %10.0f ev/s   (%llu events)\n", "raw RocksDB iteration", raw,
              static_cast<unsigned long long>(replayed));
  std::printf("%-34s %10.0f ev/s   %.2fx raw iteration (target >= 0.5)\n", "replay: scan (decode to views)", replay,
              replay / raw);
  std::printf("%-34s %10.0f ev/s   %.2fx raw iteration\n", "replay: read_all (payload as json)", replay_json,
              replay_json / raw);
  const double load_after = loadavg();

  nlohmann::json j = {
      {"seconds_per_phase", c.seconds},
      {"record_bytes", rec},
      {"loadavg_before", load_before},
      {"loadavg_after", load_after},
      {"fdatasync_1_eps", single.eps},
      {"fdatasync_1_p50_us", single.p50_us},
      {"fdatasync_1_p99_us", single.p99_us},
      {"group_8_eps", group8.eps},
      {"group_8_p50_us", group8.p50_us},
      {"group_8_p99_us", group8.p99_us},
      {"group_64_eps", group.eps},
      {"group_64_p50_us", group.p50_us},
      {"group_64_p99_us", group.p99_us},
      {"store_1_eps", a1.eps},
      {"store_1_p50_us", a1.p50_us},
      {"store_1_p99_us", a1.p99_us},
      {"store_1_eps_ratio", a1.eps / single.eps},
      {"store_1_p50_ratio", a1.p50_us / single.p50_us},
      {"store_8_eps", a8.eps},
      {"store_8_p50_us", a8.p50_us},
      {"store_8_p99_us", a8.p99_us},
      {"store_8_eps_ratio", a8.eps / group8.eps},
      {"store_64_eps", a64.eps},
      {"store_64_p50_us", a64.p50_us},
      {"store_64_p99_us", a64.p99_us},
      {"store_64_eps_ratio", a64.eps / group.eps},
      {"store_64_nosync_eps", nosync.eps},
      {"store_64_nosync_eps_ratio", nosync.eps / group.eps},
      {"raw_iter_eps", raw},
      {"replay_eps", replay},
      {"replay_ratio", replay / raw},
      {"replay_json_eps", replay_json},
      {"replay_json_ratio", replay_json / raw},
      {"replay_events", replayed},
  };
  std::filesystem::remove_all(c.dir);
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
