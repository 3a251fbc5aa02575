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

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/eventstore/store.hpp"

namespace es = isms::eventstore;
using clock_type = std::chrono::steady_clock;

namespace {

struct config {
  std::filesystem::path dir;
  double seconds = 3;
};

struct latency_stats {
  double eps = 0;
  double p50_us = 0;
  double p99_us = 0;
  std::size_t count = 0;
};

latency_stats summarize(std::vector<double>& lat_us, double elapsed_s) {
  latency_stats s;
  s.count = lat_us.size();
  if (lat_us.empty()) return s;
  std::sort(lat_us.begin(), lat_us.end());
  s.eps = static_cast<double>(lat_us.size()) / elapsed_s;
  s.p50_us = lat_us[lat_us.size() / 2];
  s.p99_us = lat_us[std::min(lat_us.size() - 1, lat_us.size() * 99 / 100)];
  return s;
}

double us_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - t).count();
}

// The event every phase appends: a realistic ISMS decision with full metadata.
es::event_data bench_event(std::uint64_t n) {
  es::event_data e;
  e.type = "risk.treatment_planned.v1";
  e.data = {{"risk_id", "R-" + std::to_string(n % 10000)},
            {"option", "modify"},
            {"controls", {"5.9", "8.1", "8.24"}},
            {"target", {{"likelihood", 2}, {"impact", 3}}},
            {"due", "2026-03-31"},
            {"owner", "u-risk-owner-7"},
            {"title", "Loss of laptops with unencrypted disks"}};
  e.metadata.actor = "u-isms-manager-1";
  e.metadata.correlation_id = "wf-" + std::to_string(n % 977);
  e.metadata.causation_id = "cmd-prev-" + std::to_string(n);
  e.metadata.recorded_at_ms = 1764374400000 + static_cast<std::int64_t>(n);
  e.metadata.extra = {{"comment", "Full-disk encryption rollout agreed in the management review"}};
  return e;
}

// The size of the stored record of bench_event (header + canonical bytes + payload).
std::size_t record_bytes() {
  es::recorded_event r;
  const es::event_data e = bench_event(1);
  r.position = 1;
  r.stream = "bench-00";
  r.version = 1;
  r.type = e.type;
  r.data = e.data;
  r.metadata = e.metadata;
  r.metadata.command_id = "bench-t00-0000000001";
  return 70 + es::canonical_bytes(r)->size() + es::canonical_json(r.data)->size();
}

// ---- the disk's ceiling ------------------------------------------------------

latency_stats fdatasync_single(const config& c, std::size_t rec) {
  const auto path = c.dir / "ceiling-single.dat";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::string buf(rec, 'x');
  std::vector<double> lat;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(c.seconds);
  while (clock_type::now() < end) {
    const auto t = clock_type::now();
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
    lat.push_back(us_since(t));
  }
  const double el = std::chrono::duration<double>(clock_type::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return summarize(lat, el);
}

// 64 threads hand records to one flusher: it takes everything pending, writes
// it with one write(), fdatasyncs once, then wakes every waiter.
latency_stats group_commit_ceiling(const config& c, std::size_t rec, int threads) {
  const auto path = c.dir / "ceiling-group.dat";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::mutex mu;
  std::condition_variable flusher_cv, done_cv;
  std::string pending;
  std::uint64_t enqueued = 0, synced = 0;
  bool stop = false;

  std::thread flusher([&] {
    std::string local;
    for (;;) {
      std::uint64_t upto = 0;
      {
        std::unique_lock lk(mu);
        flusher_cv.wait(lk, [&] { return !pending.empty() || stop; });
        if (pending.empty()) return;
        local.swap(pending);
        pending.clear();
        upto = enqueued;
      }
      if (::write(fd, local.data(), local.size()) != static_cast<ssize_t>(local.size()) || ::fdatasync(fd) != 0) {
        std::perror("write/fdatasync");
        std::exit(1);
      }
      local.clear();
      {
        std::lock_guard lk(mu);
        synced = upto;
      }
      done_cv.notify_all();
    }
  });

  const std::string record(rec, 'y');
  std::vector<std::vector<double>> lats(threads);
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(c.seconds);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      while (clock_type::now() < end) {
        const auto t0 = clock_type::now();
        std::unique_lock lk(mu);
        pending.append(record);
        const std::uint64_t mine = ++enqueued;
        flusher_cv.notify_one();
        done_cv.wait(lk, [&] { return synced >= mine; });
        lk.unlock();
        lats[t].push_back(us_since(t0));
      }
    });
  }
  for (auto& t : ts) t.join();
  const double el = std::chrono::duration<double>(clock_type::now() - start).count();
  {
    std::lock_guard lk(mu);
    stop = true;
  }
  flusher_cv.notify_one();
  flusher.join();
  ::close(fd);
  std::filesystem::remove(path);
  std::vector<double> all;
  for (auto& l : lats) all.insert(all.end(), l.begin(), l.end());
  return summarize(all, el);
}

// ---- the store -------------------------------------------------------------------

latency_stats store_appends(es::store& s, const config& c, int threads, const std::string& tag) {
  std::vector<std::vector<double>> lats(threads);
  std::atomic<bool> failed{false};
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(c.seconds);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      char name[32];
      std::snprintf(name, sizeof name, "bench-%s-%02d", tag.c_str(), t);
      const std::string stream = name;
      std::uint64_t version = 0;
      lats[t].reserve(1 << 16);
      for (std::uint64_t n = 0; clock_type::now() < end; ++n) {
        std::vector<es::event_data> evs;
        evs.push_back(bench_event(n));
        char cmd[48];
        std::snprintf(cmd, sizeof cmd, "bench-%s-t%02d-%010llu", tag.c_str(), t, static_cast<unsigned long long>(n));
        const auto t0 = clock_type::now();
        auto r = s.append(stream, es::expected_version::exact(version), std::move(evs), cmd);
        const double us = us_since(t0);
        if (!r) {
          std::fprintf(stderr, "append failed: %s\n", r.error().message.c_str());
          failed = true;
          return;
        }
        version = r->version;
        lats[t].push_back(us);
      }
    });
  }
  for (auto& t : ts) t.join();
  const double el = std::chrono::duration<double>(clock_type::now() - start).count();
  if (failed) std::exit(1);
  std::vector<double> all;
  for (auto& l : lats) all.insert(all.end(), l.begin(), l.end());
  return summarize(all, el);
}

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

// Opens the closed store's RocksDB directly, every column family with the
// same 64 MiB block cache the store uses.
struct raw_db {
  std::vector<std::string> names;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;

  raw_db(const std::filesystem::path& dir, bool read_only) {
    auto st = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names);
    if (!st.ok()) fail(st);
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = rocksdb::NewLRUCache(std::size_t{64} << 20);
    rocksdb::ColumnFamilyOptions co;
    co.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (auto& n : names) descs.emplace_back(n, co);
    st = read_only ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir.string(), descs, &handles, &db)
                   : rocksdb::DB::Open(rocksdb::DBOptions(), dir.string(), descs, &handles, &db);
    if (!st.ok()) fail(st);
  }
  ~raw_db() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) const {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return handles[i];
    std::fprintf(stderr, "no column family %s\n", name.c_str());
    std::exit(1);
  }
  [[noreturn]] static void fail(const rocksdb::Status& st) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    std::exit(1);
  }
};

// Flushes every column family and compacts the events, so that the raw pass
// and the store's replay read the very same SST files (a read-only open would
// otherwise serve the events from a memtable rebuilt from the WAL, the store's
// open from flushed files).
void settle(const std::filesystem::path& dir) {
  raw_db r(dir, false);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  for (auto* h : r.handles)
    if (auto st = r.db->Flush(fo, h); !st.ok()) raw_db::fail(st);
  rocksdb::CompactRangeOptions co;
  if (auto st = r.db->CompactRange(co, r.cf("events"), nullptr, nullptr); !st.ok()) raw_db::fail(st);
}

// Iterates the events column family with plain RocksDB, touching every key and
// value, repeatedly for about `seconds`; entries per second.
double raw_iteration_rate(const std::filesystem::path& dir, double seconds) {
  raw_db r(dir, true);
  rocksdb::DB* db = r.db;
  rocksdb::ColumnFamilyHandle* events = r.cf("events");
  auto pass = [&] {
    std::uint64_t n = 0, sum = 0;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), events));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      sum += static_cast<unsigned char>(it->key()[7]) + it->value().size();
      ++n;
    }
    if (!it->status().ok() || sum == 0) std::exit(1);
    return n;
  };
  pass();
  std::uint64_t total = 0;
  const auto start = clock_type::now();
  do total += pass();
  while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds);
  return static_cast<double>(total) / std::chrono::duration<double>(clock_type::now() - start).count();
}

double loadavg() {
  std::ifstream in("/proc/loadavg");
  double l = -1;
  in >> l;
  return l;
}

void print_line(const char* what, const latency_stats& s, const char* vs, double ratio) {
  std::printf("%-34s %10.0f ev/s  p50 %7.0f us  p99 %7.0f us   %.2fx %s\n", what, s.eps, s.p50_us, s.p99_us,
              ratio, vs);
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  std::filesystem::path given;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      given = argv[++i];
    } else if (a == "--seconds" && i + 1 < argc) {
      c.seconds = std::atof(argv[++i]);
      if (c.seconds <= 0) c.seconds = 3;
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--seconds N]\n", argv[0]);
      return 2;
    }
  }
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

  latency_stats single = fdatasync_single(c, rec);
  print_line("ceiling: write+fdatasync, 1 writer", single, "", 1.0);
  latency_stats group8 = group_commit_ceiling(c, rec, 8);
  print_line("ceiling: group commit, 8 writers", group8, "", 1.0);
  latency_stats group = group_commit_ceiling(c, rec, 64);
  print_line("ceiling: group commit, 64 writers", group, "", 1.0);

  const auto store_dir = c.dir / "store";
  latency_stats a1, a8, a64, nosync;
  {
    auto opened = es::store::open(es::options{}, store_dir);
    if (!opened) {
      std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
      return 1;
    }
    a1 = store_appends(**opened, c, 1, "a1");
    print_line("store: 1 appender", a1, "of 1-writer ev/s", a1.eps / single.eps);
    std::printf("%-34s p50 %.2fx fdatasync p50 (target <= 1.5)\n", "", a1.p50_us / single.p50_us);
    a8 = store_appends(**opened, c, 8, "a8");
    print_line("store: 8 appenders", a8, "of 8-writer group ceiling", a8.eps / group8.eps);
    a64 = store_appends(**opened, c, 64, "a64");
    print_line("store: 64 appenders", a64, "of group ceiling (target >= 1.0)", a64.eps / group.eps);
  }
  {
    es::options o;
    o.sync = false;
    auto opened = es::store::open(o, c.dir / "store-nosync");
    if (!opened) return 1;
    nosync = store_appends(**opened, c, 64, "ns");
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
