#pragma once
// What the benchmark programs share about the event store: the realistic
// event they append, timed concurrent appends, the disk's group-commit
// ceiling, and raw RocksDB iteration of a store's events. bench_eventstore
// reports these on their own; bench_ws and bench_history measure the server
// against them in the same run.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "isms/eventstore/store.hpp"

namespace isms::bench {

using clock_type = std::chrono::steady_clock;

struct latency_stats {
  double eps = 0;      // operations per second
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  std::size_t count = 0;
};

// Sorts `lat_us` and summarizes it over `elapsed_s`.
latency_stats summarize(std::vector<double>& lat_us, double elapsed_s);

double us_since(clock_type::time_point t);

// The 1-minute load average, or -1 when /proc/loadavg cannot be read.
double loadavg();

// Sum of the sizes of the regular files under `dir` (0 when it is missing).
std::uintmax_t directory_bytes(const std::filesystem::path& dir);

// The event bench_eventstore appends: a realistic ISMS decision with full metadata.
eventstore::event_data bench_event(std::uint64_t n);

// The size of the stored record of bench_event (header + canonical bytes + payload).
std::size_t record_bytes();

// write + fdatasync of one `rec`-byte record per call, by one writer, for `seconds`.
latency_stats fdatasync_single(const std::filesystem::path& dir, double seconds, std::size_t rec);

// `threads` writers hand `rec`-byte records to one flusher that writes all
// pending with one write() and fdatasyncs once, for `seconds`.
latency_stats group_commit_ceiling(const std::filesystem::path& dir, double seconds, std::size_t rec, int threads);

// `threads` appenders each append bench_event one at a time to their own
// stream (expected_version::exact, unique command ids) for `seconds`.
// Exits the process when an append fails.
latency_stats store_appends(eventstore::store& s, double seconds, int threads, const std::string& tag);

// The store's durable 64-appender rate on a fresh store in a temporary
// directory under `dir` (removed afterwards): the durability limit the server
// is compared with.
latency_stats durable_appends(const std::filesystem::path& dir, double seconds, int threads);

// Flushes every column family of the closed store in `dir` and compacts its
// events, so that raw iteration and the store's own reads see the same files.
void settle(const std::filesystem::path& dir);

// Iterates the events column family of the closed store in `dir` with plain
// RocksDB (key and value touched, nothing decoded), repeatedly for about
// `seconds`; entries per second.
double raw_iteration_rate(const std::filesystem::path& dir, double seconds);

// A new, empty directory "<base>/<prefix>-XXXXXX"; exits on failure.
std::filesystem::path make_run_dir(const std::filesystem::path& base, const std::string& prefix);

}  // namespace isms::bench
