// An append stamped as it takes its place in commit order (append_async's
// `stamp`): the events are prepared outside any lock, and the stamp still
// gives recorded_at in position order.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace isms::eventstore::stamp_test {
namespace {

using testing::make_event;
using testing::open_store;
using testing::temp_dir;

TEST(stamp, concurrent_appends_get_recorded_at_in_position_order_and_the_chain_verifies) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);

  constexpr int threads = 8;
  constexpr int per_thread = 40;
  std::int64_t clock = 0;                // the stamp's own state: its calls are serialized
  std::atomic<int> inside{0};            // stamps running at once
  std::atomic<int> overlaps{0};
  std::atomic<int> stamps{0};
  std::mutex m;
  std::condition_variable cv;
  int completed = 0;
  int failed = 0;

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        std::vector<event_data> evs;
        for (int k = 0; k < 1 + (i % 3); ++k) {
          auto e = make_event("risk.assessed.v1", {{"t", t}, {"i", i}, {"k", k}});
          e.metadata.recorded_at_ms = -1;  // replaced by the stamp
          evs.push_back(std::move(e));
        }
        s->append_async(
            "risk-R-" + std::to_string(t), expected_version::any(), std::move(evs),
            "cmd-" + std::to_string(t) + "-" + std::to_string(i),
            [&](result<append_result> r) {
              std::lock_guard lock(m);
              ++completed;
              if (!r) ++failed;
              cv.notify_all();
            },
            [&] {
              if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
              ++stamps;
              const std::int64_t at = 1'000'000 + ++clock;
              inside.fetch_sub(1);
              return at;
            });
      }
    });
  }
  for (auto& w : workers) w.join();
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return completed == threads * per_thread; });
  }
  ASSERT_EQ(failed, 0);
  EXPECT_EQ(overlaps.load(), 0) << "the stamp ran concurrently with itself";
  EXPECT_EQ(stamps.load(), threads * per_thread) << "one stamp per queued append";

  auto all = s->read_all(0, 100000);
  ASSERT_TRUE(all) << all.error().message;
  std::int64_t last = 0;
  std::string last_command;
  for (const auto& e : *all) {
    // One stamp per append: the events of one append share it; the next
    // append's is later.
    if (e.metadata.command_id == last_command) {
      EXPECT_EQ(e.metadata.recorded_at_ms, last) << "position " << e.position;
    } else {
      EXPECT_GT(e.metadata.recorded_at_ms, last) << "position " << e.position;
    }
    last = e.metadata.recorded_at_ms;
    last_command = e.metadata.command_id;
  }
  EXPECT_EQ(last, 1'000'000 + threads * per_thread);
  // The stamp is part of what the chain binds.
  auto verified = s->verify();
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->position, all->back().position);
}

TEST(stamp, an_append_refused_before_queueing_is_never_stamped) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  bool stamped = false;
  bool refused = false;
  std::vector<event_data> evs{make_event("Not A Type", {{"n", 1}})};
  s->append_async("risk-R-1", expected_version::any(), std::move(evs), "cmd-1",
                  [&](result<append_result> r) { refused = !r && r.error().code == errc::invalid_type; },
                  [&] {
                    stamped = true;
                    return std::int64_t{1};
                  });
  EXPECT_TRUE(refused);
  EXPECT_FALSE(stamped);
}

}  // namespace
}  // namespace isms::eventstore::stamp_test
