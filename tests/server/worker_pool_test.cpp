// The worker pool: a job that throws is caught, counted and answered through
// its failure handler; the pool and the process carry on.

#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <string>

#include "isms/server/worker_pool.hpp"

namespace isms::server {
namespace {

TEST(worker_pool, a_throwing_job_is_answered_counted_and_the_pool_keeps_working) {
  worker_pool pool(2);
  std::promise<std::string> failure;
  pool.post([] { throw std::runtime_error("a view met data it did not expect"); },
            [&](std::string_view what) { failure.set_value(std::string(what)); });
  EXPECT_EQ(failure.get_future().get(), "a view met data it did not expect");

  // One without a failure handler, and one throwing something that is not a std::exception.
  pool.post([] { throw std::logic_error("no reply owed"); });
  std::promise<std::string> odd;
  pool.post([] { throw 42; }, [&](std::string_view what) { odd.set_value(std::string(what)); });
  EXPECT_FALSE(odd.get_future().get().empty());

  // Every thread still runs jobs afterwards.
  std::promise<void> p1, p2;
  pool.post([&] { p1.set_value(); });
  pool.post([&] { p2.set_value(); });
  p1.get_future().get();
  p2.get_future().get();
  EXPECT_EQ(pool.failed_jobs(), 3u);
}

TEST(worker_pool, a_failure_handler_that_throws_is_contained_too) {
  worker_pool pool(1);
  pool.post([] { throw std::runtime_error("first"); }, [](std::string_view) { throw std::runtime_error("second"); });
  std::promise<void> after;
  pool.post([&] { after.set_value(); });
  after.get_future().get();
  EXPECT_EQ(pool.failed_jobs(), 1u);
}

TEST(worker_pool, at_most_once_gives_one_answer_across_a_job_and_its_failure_handler) {
  int answers = 0;
  std::string last;
  auto reply = at_most_once(std::function<void(std::string)>([&](std::string s) {
    ++answers;
    last = std::move(s);
  }));
  auto copy = reply;
  reply("ok");
  copy("internal");
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(last, "ok");
}

TEST(worker_pool, destruction_still_runs_what_was_posted_after_a_failure) {
  std::atomic<int> ran{0};
  {
    worker_pool pool(1);
    pool.post([] { throw std::runtime_error("x"); });
    for (int i = 0; i < 10; ++i) pool.post([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 10);
}

}  // namespace
}  // namespace isms::server
