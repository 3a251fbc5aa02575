// The writer's figures (store::stats): every acknowledged append and every
// group commit is counted once, refused appends and duplicates are not, and
// the queue depth is what waits for the writer.
#include <future>
#include <mutex>
#include <vector>

#include "test_support.hpp"

namespace isms::eventstore::stats_test {
namespace {

using testing::events;
using testing::one_event;
using testing::open_store;
using testing::temp_dir;

// The bucket an observation of `value` falls in.
std::size_t bucket_of(const histogram_counts& h, double value) {
  std::size_t i = 0;
  while (i < h.upper_bounds.size() && value > h.upper_bounds[i]) ++i;
  return i;
}

void expect_well_formed(const histogram_counts& h) {
  ASSERT_FALSE(h.upper_bounds.empty());
  EXPECT_EQ(h.counts.size(), h.upper_bounds.size() + 1);
  for (std::size_t i = 1; i < h.upper_bounds.size(); ++i) EXPECT_LT(h.upper_bounds[i - 1], h.upper_bounds[i]);
  EXPECT_GE(h.sum, 0.0);
}

TEST(store_stats, a_new_store_has_counted_nothing) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  const store_stats st = s->stats();
  expect_well_formed(st.append_seconds);
  expect_well_formed(st.group_events);
  EXPECT_EQ(st.append_seconds.count(), 0u);
  EXPECT_EQ(st.group_events.count(), 0u);
  EXPECT_EQ(st.group_events.sum, 0.0);
  EXPECT_EQ(st.queued_appends, 0u);
}

TEST(store_stats, counts_each_acknowledged_append_and_group_but_not_refusals_or_duplicates) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->append("risk-R-1", expected_version::no_stream(), events(3), "cmd-1"));
  ASSERT_TRUE(s->append("risk-R-2", expected_version::no_stream(), one_event(), "cmd-2"));

  store_stats st = s->stats();
  EXPECT_EQ(st.append_seconds.count(), 2u);
  EXPECT_EQ(st.group_events.count(), 2u);  // one blocking append at a time: a group each
  EXPECT_EQ(st.group_events.sum, 4.0);     // 3 + 1 events
  EXPECT_EQ(st.group_events.counts[bucket_of(st.group_events, 3)], 1u);
  EXPECT_EQ(st.group_events.counts[bucket_of(st.group_events, 1)], 1u);

  // A conflict, a duplicate and an append refused before queueing write
  // nothing and are not counted.
  auto conflict = s->append("risk-R-1", expected_version::no_stream(), one_event(), "cmd-3");
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, errc::conflict);
  auto again = s->append("risk-R-2", expected_version::no_stream(), one_event(), "cmd-2");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_FALSE(s->append("risk-R-3", expected_version::any(), {}, "cmd-4"));

  st = s->stats();
  EXPECT_EQ(st.append_seconds.count(), 2u);
  EXPECT_EQ(st.group_events.sum, 4.0);
  // The conflict and the duplicate went through the writer in groups that
  // wrote nothing: no group commit is counted for them.
  EXPECT_EQ(st.group_events.count(), 2u);
  EXPECT_EQ(st.queued_appends, 0u);
}

TEST(store_stats, appends_queued_behind_a_busy_writer_are_counted_then_committed_in_one_group) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s);

  // The first append's completion holds the writer (on its thread) until
  // released, so that the next appends wait in the queue meanwhile.
  std::promise<void> entered, release;
  auto released = release.get_future();
  std::promise<void> first_done;
  s->append_async("risk-R-1", expected_version::no_stream(), one_event(), "cmd-1",
                  [&](result<append_result> r) {
                    EXPECT_TRUE(r);
                    entered.set_value();
                    released.wait();
                    first_done.set_value();
                  });
  entered.get_future().wait();

  std::mutex mu;
  std::vector<result<append_result>> later;
  std::vector<std::promise<void>> answered(3);
  for (int i = 0; i < 3; ++i)
    s->append_async("risk-Q-" + std::to_string(i), expected_version::no_stream(), one_event(i),
                    "cmd-q-" + std::to_string(i), [&, i](result<append_result> r) {
                      {
                        std::lock_guard lock(mu);
                        later.push_back(std::move(r));
                      }
                      answered[static_cast<std::size_t>(i)].set_value();
                    });
  EXPECT_EQ(s->stats().queued_appends, 3u);

  release.set_value();
  first_done.get_future().wait();
  for (auto& a : answered) a.get_future().wait();
  for (const auto& r : later) EXPECT_TRUE(r) << r.error().message;

  const store_stats st = s->stats();
  EXPECT_EQ(st.queued_appends, 0u);
  EXPECT_EQ(st.append_seconds.count(), 4u);
  // The writer took the three waiting appends at once: one group, one sync.
  EXPECT_EQ(st.group_events.count(), 2u);
  EXPECT_EQ(st.group_events.sum, 4.0);
  EXPECT_EQ(st.group_events.counts[bucket_of(st.group_events, 3)], 1u);
  EXPECT_EQ(s->current_head().position, 4u);
}

}  // namespace
}  // namespace isms::eventstore::stats_test
