// Subscriptions: catch-up then live, every event once and in order, with no
// gap or duplicate at the hand-over, even while appends run concurrently.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "test_support.hpp"

namespace isms::eventstore::subscription_test {
namespace {

using testing::events;
using testing::one_event;
using testing::open_store;
using testing::temp_dir;

// Collects delivered positions and lets the test wait for a count.
struct collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::uint64_t> positions;
  std::vector<digest> hashes;

  void operator()(const recorded_event& e) {
    std::lock_guard lk(mu);
    positions.push_back(e.position);
    hashes.push_back(e.hash);
    cv.notify_all();
  }
  void wait_for(std::size_t n) {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return positions.size() >= n; });
  }
};

TEST(subscription, from_a_middle_position_under_concurrent_appends_delivers_each_event_once_in_order) {
  temp_dir dir;
  auto s = open_store(dir.path());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(s->append("risk-" + std::to_string(i % 5), expected_version::any(), events(2, i), ""));
  ASSERT_EQ(s->current_head().position, 120u);

  constexpr int writers = 4;
  constexpr int per_writer = 150;  // each append carries 1..3 events
  std::atomic<std::uint64_t> appended{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < writers; ++t) {
    ts.emplace_back([&, t] {
      go.wait(false);
      for (int i = 0; i < per_writer; ++i) {
        auto r = s->append("obj-" + std::to_string(t), expected_version::any(), events(1 + i % 3), "");
        ASSERT_TRUE(r);
        appended += r->last_position - r->first_position + 1;
      }
    });
  }
  collector got;
  go = true;
  go.notify_all();  // appends start racing with the catch-up phase
  auto sub = s->subscribe(75, std::ref(got));
  for (auto& t : ts) t.join();
  const std::uint64_t total = 120 + appended.load();
  ASSERT_EQ(s->current_head().position, total);
  got.wait_for(total - 74);
  sub.reset();  // stop delivery, then inspect

  ASSERT_EQ(got.positions.size(), total - 74);
  for (std::size_t i = 0; i < got.positions.size(); ++i) ASSERT_EQ(got.positions[i], 75 + i);
  auto all = s->read_all(75, SIZE_MAX);
  ASSERT_TRUE(all);
  for (std::size_t i = 0; i < all->size(); ++i) EXPECT_EQ(got.hashes[i], (*all)[i].hash);
}

TEST(subscription, from_the_head_receives_only_new_events) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(3), ""));
  collector got;
  auto sub = s->subscribe(s->current_head().position + 1, std::ref(got));
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(2), ""));
  got.wait_for(2);
  ASSERT_TRUE(s->append("risk-2", expected_version::any(), one_event(), ""));
  got.wait_for(3);
  sub.reset();
  EXPECT_EQ(got.positions, (std::vector<std::uint64_t>{4, 5, 6}));
}

TEST(subscription, from_zero_starts_at_the_first_event_and_next_position_advances) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(4), ""));
  collector got;
  auto sub = s->subscribe(0, std::ref(got));
  got.wait_for(4);
  EXPECT_EQ(got.positions, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_GE(sub->next_position(), 4u);
  EXPECT_FALSE(sub->failure());
}

TEST(subscription, many_subscribers_see_the_same_sequence) {
  temp_dir dir;
  auto s = open_store(dir.path());
  std::vector<std::unique_ptr<collector>> cs;
  std::vector<std::unique_ptr<subscription>> subs;
  for (int i = 0; i < 5; ++i) {
    cs.push_back(std::make_unique<collector>());
    subs.push_back(s->subscribe(1, std::ref(*cs.back())));
  }
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s->append("risk-" + std::to_string(i % 3), expected_version::any(), events(2), ""));
  for (auto& c : cs) c->wait_for(100);
  subs.clear();
  for (auto& c : cs) EXPECT_EQ(c->hashes, cs[0]->hashes);
}

TEST(subscription, an_exception_in_on_event_stops_delivery_and_is_reported) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(3), ""));
  std::mutex mu;
  std::condition_variable cv;
  std::optional<error> reported;
  auto sub = s->subscribe(
      1, [](const recorded_event& e) { if (e.position == 2) throw std::runtime_error("projection bug"); },
      [&](const error& e) {
        std::lock_guard lk(mu);
        reported = e;
        cv.notify_all();
      });
  std::unique_lock lk(mu);
  cv.wait(lk, [&] { return reported.has_value(); });
  EXPECT_EQ(reported->position, 2u);
  EXPECT_NE(reported->message.find("projection bug"), std::string::npos);
  lk.unlock();
  EXPECT_EQ(sub->next_position(), 2u);
  ASSERT_TRUE(sub->failure());
}

TEST(subscription, outlived_by_its_handle_after_the_store_is_destroyed) {
  temp_dir dir;
  auto s = open_store(dir.path());
  collector got;
  auto sub = s->subscribe(1, std::ref(got));
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(2), ""));
  got.wait_for(2);
  s.reset();    // stops and joins the delivery thread
  sub.reset();  // harmless afterwards
  EXPECT_EQ(got.positions.size(), 2u);
}

}  // namespace
}  // namespace isms::eventstore::subscription_test
