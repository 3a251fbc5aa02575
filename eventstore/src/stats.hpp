#pragma once
// Internal: the writer's figures for store::stats().
//
// A histogram with fixed buckets over relaxed atomics: observed on the writer
// thread only, read from any thread. A reader may see one bucket a commit
// ahead of another or of the sum; each figure on its own is exact.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "isms/eventstore/store.hpp"

namespace isms::eventstore::detail {

template <std::size_t N>
class fixed_histogram {
 public:
  explicit constexpr fixed_histogram(const std::array<double, N>& upper_bounds) noexcept
      : upper_bounds_(upper_bounds) {}

  // One thread at a time (the writer).
  void observe(double value) noexcept {
    std::size_t i = 0;
    while (i < N && value > upper_bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
  }

  [[nodiscard]] histogram_counts read() const {
    histogram_counts out;
    out.upper_bounds.assign(upper_bounds_.begin(), upper_bounds_.end());
    out.counts.reserve(N + 1);
    for (const auto& c : counts_) out.counts.push_back(c.load(std::memory_order_relaxed));
    out.sum = sum_.load(std::memory_order_relaxed);
    return out;
  }

 private:
  std::array<double, N> upper_bounds_;
  std::array<std::atomic<std::uint64_t>, N + 1> counts_{};
  std::atomic<double> sum_{0};
};

// Seconds from queued to durable: an fsync on a local SSD takes about a
// millisecond, on network storage tens of them.
inline constexpr std::array<double, 13> append_seconds_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                              0.1,    0.25,  0.5,    1,     2.5,  5};
// Events per group commit: 1 when appends come one at a time, more as
// concurrent appends share a sync.
inline constexpr std::array<double, 12> group_events_bounds{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};

struct writer_stats {
  fixed_histogram<append_seconds_bounds.size()> append_seconds{append_seconds_bounds};
  fixed_histogram<group_events_bounds.size()> group_events{group_events_bounds};
};

}  // namespace isms::eventstore::detail
