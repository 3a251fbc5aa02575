#pragma once
// The Prometheus text exposition format (version 0.0.4) of GET /metrics, and
// the histogram the server's parts observe into. One place writes every
// metric, so each gets its # HELP and # TYPE lines and a histogram its
// cumulative _bucket lines, _sum and _count the same way.
//
// Thread-safety: histogram::observe and snapshot may be called from any
// thread; the writers only append to the string they are given.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace isms::server::metrics {

// A histogram's figures: per-bucket counts, not cumulative, with one bucket
// more than upper_bounds (above them all: +Inf). The same shape as the event
// store's eventstore::histogram_counts.
struct histogram_snapshot {
  std::vector<double> upper_bounds;
  std::vector<std::uint64_t> counts;
  double sum = 0;
};

// Observations in fixed buckets, counted with relaxed atomics.
class histogram {
 public:
  // `upper_bounds` ascending and finite; +Inf is added.
  explicit histogram(std::span<const double> upper_bounds);

  void observe(double value) noexcept;
  // Observes the seconds since `start` (steady clock).
  void observe_since(std::chrono::steady_clock::time_point start) noexcept;

  // A reader may see one bucket an observation ahead of another or of the
  // sum; the _count rendered is the sum of the buckets, so it always equals
  // the +Inf bucket.
  [[nodiscard]] histogram_snapshot snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Seconds of a whole operation answered to a client (a command, a past view).
inline constexpr std::array<double, 12> request_seconds_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                0.1,   0.25,   0.5,   1,    2.5,   5};
// Seconds of a step done per event (folding one event into the views).
inline constexpr std::array<double, 12> step_seconds_buckets{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                                             0.001,   0.0025,   0.005,   0.01,   0.1,     1};

// A label of one sample: name and value (the value is escaped as written).
using label = std::pair<std::string_view, std::string_view>;

// # HELP and # TYPE of a metric family. `type`: counter, gauge or histogram.
void write_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// One sample line: name{labels} value.
void write_sample(std::string& out, std::string_view name, std::span<const label> labels, std::uint64_t value);
void write_sample(std::string& out, std::string_view name, std::span<const label> labels, double value);

// A family of one unlabelled sample: header and value.
void write_counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value);
void write_gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value);
void write_gauge(std::string& out, std::string_view name, std::string_view help, double value);

// A histogram family: header, name_bucket{le="…"} cumulative up to
// le="+Inf", name_sum and name_count (= the +Inf bucket). `counts` holds
// upper_bounds.size() + 1 per-bucket counts (not cumulative).
void write_histogram(std::string& out, std::string_view name, std::string_view help,
                     std::span<const double> upper_bounds, std::span<const std::uint64_t> counts, double sum);
inline void write_histogram(std::string& out, std::string_view name, std::string_view help,
                            const histogram_snapshot& h) {
  write_histogram(out, name, help, h.upper_bounds, h.counts, h.sum);
}

// A number as the exposition format writes it: shortest round-trip form,
// "+Inf", "-Inf", "NaN".
[[nodiscard]] std::string format_number(double value);

}  // namespace isms::server::metrics
