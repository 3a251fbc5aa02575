#include "store_probe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/db.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

namespace isms::bench {

namespace es = isms::eventstore;

latency_stats summarize(std::vector<double>& lat_us, double elapsed_s) {
  latency_stats s;
  s.count = lat_us.size();
  if (lat_us.empty()) return s;
  std::sort(lat_us.begin(), lat_us.end());
  s.eps = static_cast<double>(lat_us.size()) / elapsed_s;
  s.p50_us = lat_us[lat_us.size() / 2];
  s.p99_us = lat_us[std::min(lat_us.size() - 1, lat_us.size() * 99 / 100)];
  s.p999_us = lat_us[std::min(lat_us.size() - 1, lat_us.size() * 999 / 1000)];
  return s;
}

double us_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::micro>(clock_type::now() - t).count();
}

double loadavg() {
  std::ifstream in("/proc/loadavg");
  double l = -1;
  in >> l;
  return l;
}

std::uintmax_t directory_bytes(const std::filesystem::path& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fe;
    if (it->is_regular_file(fe)) total += it->file_size(fe);
  }
  return total;
}

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

latency_stats fdatasync_single(const std::filesystem::path& dir, double seconds, std::size_t rec) {
  const auto path = dir / "ceiling-single.dat";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_APPEND, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::string buf(rec, 'x');
  std::vector<double> lat;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
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

latency_stats group_commit_ceiling(const std::filesystem::path& dir, double seconds, std::size_t rec, int threads) {
  const auto path = dir / "ceiling-group.dat";
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
  const auto end = start + std::chrono::duration<double>(seconds);
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

latency_stats store_appends(es::store& s, double seconds, int threads, const std::string& tag) {
  std::vector<std::vector<double>> lats(threads);
  std::atomic<bool> failed{false};
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
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

latency_stats durable_appends(const std::filesystem::path& dir, double seconds, int threads) {
  const auto run = make_run_dir(dir, "bench-store");
  latency_stats r;
  {
    auto opened = es::store::open(es::options{}, run);
    if (!opened) {
      std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
      std::exit(1);
    }
    r = store_appends(**opened, seconds, threads, "d" + std::to_string(threads));
  }
  std::filesystem::remove_all(run);
  return r;
}

namespace {

// Opens a closed store's RocksDB directly, every column family with the
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

}  // namespace

void settle(const std::filesystem::path& dir) {
  raw_db r(dir, false);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  for (auto* h : r.handles)
    if (auto st = r.db->Flush(fo, h); !st.ok()) raw_db::fail(st);
  rocksdb::CompactRangeOptions co;
  if (auto st = r.db->CompactRange(co, r.cf("events"), nullptr, nullptr); !st.ok()) raw_db::fail(st);
}

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

std::filesystem::path make_run_dir(const std::filesystem::path& base, const std::string& prefix) {
  std::filesystem::create_directories(base);
  std::string tmpl = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return tmpl;
}

}  // namespace isms::bench
