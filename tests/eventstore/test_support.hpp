#pragma once
// Shared helpers of the event store tests: a temporary directory per test and
// small builders of events. Every test runs against a real RocksDB.

#include <gtest/gtest.h>

#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "isms/eventstore/store.hpp"

namespace isms::eventstore::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "isms-es-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

 private:
  std::filesystem::path path_;
};

inline event_data make_event(std::string type, nlohmann::json data, std::string actor = "u-alice") {
  event_data e;
  e.type = std::move(type);
  e.data = std::move(data);
  e.metadata.actor = std::move(actor);
  e.metadata.recorded_at_ms = 1764374400000;  // 2025-11-29T00:00:00Z
  return e;
}

inline std::vector<event_data> one_event(int n = 0) {
  std::vector<event_data> v;
  v.push_back(make_event("risk.identified.v1", {{"n", n}, {"title", "Laptop theft"}}));
  return v;
}

inline std::vector<event_data> events(int count, int base = 0) {
  std::vector<event_data> v;
  for (int i = 0; i < count; ++i)
    v.push_back(make_event("risk.assessed.v1", {{"n", base + i}, {"likelihood", 3}, {"impact", 4}}));
  return v;
}

inline std::unique_ptr<store> open_store(const std::filesystem::path& dir, options o = {}) {
  auto s = store::open(o, dir);
  if (!s) {
    ADD_FAILURE() << "open failed: " << to_string(s.error().code) << ": " << s.error().message;
    return nullptr;
  }
  return std::move(*s);
}

// Runs attempt(thread, round) on `threads` threads for `rounds` rounds, every
// thread starting a round together and the round over before the next begins.
template <class F>
void in_lockstep(int threads, int rounds, F attempt) {
  std::barrier sync(threads);
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      for (int round = 0; round < rounds; ++round) {
        sync.arrive_and_wait();
        attempt(t, round);
        sync.arrive_and_wait();
      }
    });
  for (auto& t : ts) t.join();
}

// A store in `dir` holding 50 events: 25 appends of two, append i to
// stream_of(i) with events_of(i).
template <class StreamOf, class EventsOf>
void fill_fifty(const std::filesystem::path& dir, StreamOf stream_of, EventsOf events_of) {
  auto s = open_store(dir);
  ASSERT_TRUE(s);
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(s->append(stream_of(i), expected_version::any(), events_of(i), ""));
  ASSERT_EQ(s->current_head().position, 50u);
}

// Opening the store in `dir` fails as corrupted, naming `position` (tampering
// found on open). Returns the error for further checks.
inline error corrupted_on_open(const std::filesystem::path& dir, std::uint64_t position) {
  auto s = store::open(options{}, dir);
  EXPECT_FALSE(s) << "a damaged store opened";
  if (s) return error{};
  EXPECT_EQ(s.error().code, errc::corrupted);
  EXPECT_EQ(s.error().position, position);
  return s.error();
}

}  // namespace isms::eventstore::testing
