// The worker pool: a job that throws is caught, counted and answered through
// its failure handler; the pool and the process carry on. In the server, every
// job that owes a client a reply answers `internal` when it throws, and a
// command that failed so is still counted out, so shutdown's drain ends.

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "isms/server/worker_pool.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::server::worker_pool_test {
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

  // Every thread still runs jobs afterwards: the two jobs meet at a latch, so
  // each runs on its own thread, and each thread has finished (and counted)
  // the job it held before. The job without a handler signals nothing itself.
  std::latch both_running(2);
  std::promise<void> p1, p2;
  pool.post([&] {
    both_running.arrive_and_wait();
    p1.set_value();
  });
  pool.post([&] {
    both_running.arrive_and_wait();
    p2.set_value();
  });
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

TEST(worker_pool, queued_jobs_counts_what_waits_for_a_thread) {
  worker_pool pool(1);
  EXPECT_EQ(pool.queued_jobs(), 0u);
  // The one thread is held by a job that has started: the next two wait.
  std::promise<void> started, release;
  auto released = release.get_future();
  pool.post([&] {
    started.set_value();
    released.wait();
  });
  started.get_future().get();
  std::promise<void> second, third;
  pool.post([&] { second.set_value(); });
  pool.post([&] { third.set_value(); });
  EXPECT_EQ(pool.queued_jobs(), 2u);
  release.set_value();
  second.get_future().get();
  third.get_future().get();
  EXPECT_EQ(pool.queued_jobs(), 0u);
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

// Every thread of the pool in a job that waits for a job it posted: with a
// plain wait they would wait for ever (the jobs they wait for sit behind them
// in the queue); wait_helping runs them.
TEST(worker_pool, jobs_that_wait_for_jobs_they_posted_never_hold_every_thread) {
  std::promise<int> all_done;
  auto done = all_done.get_future();
  {
    worker_pool pool(2);
    std::atomic<int> answered{0};
    for (int i = 0; i < 6; ++i)
      pool.post([&pool, &answered, &all_done, i] {
        EXPECT_TRUE(pool.on_own_thread());
        std::promise<int> inner;
        auto f = inner.get_future();
        pool.post([&inner, i] { inner.set_value(i * 10); });
        EXPECT_EQ(pool.wait_helping(f), i * 10);
        if (++answered == 6) all_done.set_value(6);
      });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the pool deadlocked";
    EXPECT_FALSE(pool.on_own_thread());
  }
  EXPECT_EQ(done.get(), 6);
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

// The server's clock, injected as every deployment injects it, is the seam:
// armed, it throws once, and only on the worker thread, where a command's
// decision and a query read it. The I/O threads (session checks) never see it
// throw. The worker thread is learnt from a command run while nothing else
// reads the clock.
class failing_clock {
 public:
  std::int64_t operator()() {
    if (learning_.load() && std::this_thread::get_id() != test_thread_) {
      std::lock_guard lock(mutex_);
      worker_ = std::this_thread::get_id();
    }
    if (armed_.load()) {
      std::lock_guard lock(mutex_);
      if (worker_ && std::this_thread::get_id() == *worker_ && armed_.exchange(false))
        throw std::runtime_error("the clock is unavailable");
    }
    return now_ms_.load();
  }
  void learn(bool on) { learning_ = on; }
  [[nodiscard]] bool knows_worker() {
    std::lock_guard lock(mutex_);
    return worker_.has_value();
  }
  void arm() { armed_ = true; }
  [[nodiscard]] bool armed() const { return armed_.load(); }

 private:
  const std::thread::id test_thread_ = std::this_thread::get_id();
  std::atomic<std::int64_t> now_ms_{1772442000000};  // 2026-03-02T09:00:00Z
  std::atomic<bool> learning_{false}, armed_{false};
  std::mutex mutex_;
  std::optional<std::thread::id> worker_;
};

using testing::json;
using testing::ws_client;

std::string error_code(const json& reply) {
  if (!reply.contains("error")) return "<no error>";
  return reply["error"].value("code", "");
}

std::uint64_t failed_jobs_metric(std::uint16_t port) {
  const auto r = testing::http_call(port, "GET", "/metrics");
  EXPECT_EQ(r.status, 200u);
  const std::string name = "\nismsd_worker_jobs_failed_total ";
  const auto at = r.body.find(name);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no ismsd_worker_jobs_failed_total in /metrics";
    return ~std::uint64_t{0};
  }
  return std::stoull(r.body.substr(at + name.size()));
}

class failing_jobs : public ::testing::Test {
 protected:
  void SetUp() override {
    token = srv.add_user("manager", {"isms_manager"});
    // Learn the one worker thread: this command is decided there, and no
    // connection, sweeper or scheduler reads the clock meanwhile.
    clock->learn(true);
    ASSERT_TRUE(srv.app().register_user("admin", "owner", "User owner", {"risk_owner"}, "pw-owner-long-enough").ok);
    srv.app().settle();
    clock->learn(false);
    ASSERT_TRUE(clock->knows_worker());
    client = connect_as(srv, token);
    ASSERT_NE(client, nullptr);
  }

  std::shared_ptr<failing_clock> clock = std::make_shared<failing_clock>();
  testing::test_server srv{[c = clock](server::server_config& config) {
    config.ledger.workers = 1;
    config.ledger.clock = [c] { return (*c)(); };
    config.ledger.session_sweep_interval = std::chrono::hours(24);
  }};
  std::string token;
  std::unique_ptr<ws_client> client;
};

json identify(const std::string& id) {
  return {{"risk_id", id},          {"title", "Laptop theft " + id}, {"asset", "Laptops"},
          {"threat", "Theft"},      {"vulnerability", "Unencrypted disks"},
          {"owner", "owner"},       {"category", "physical"}};
}

TEST_F(failing_jobs, a_command_whose_decision_throws_is_answered_internal_and_shutdown_still_drains) {
  EXPECT_EQ(failed_jobs_metric(srv.port()), 0u);
  clock->arm();
  auto failed = client->command("risk.identify", "risk-R-1", identify("R-1"));
  ASSERT_TRUE(failed.has_value()) << "no reply to a command whose job threw";
  EXPECT_EQ(error_code(*failed), "internal") << failed->dump();
  EXPECT_FALSE(clock->armed());
  EXPECT_EQ(failed_jobs_metric(srv.port()), 1u);

  // Nothing was written, the same command goes through now, and the pool runs on.
  auto again = client->command("risk.identify", "risk-R-1", identify("R-1"));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->value("ok", false)) << again->dump();

  // The failed command was counted out: drain() finds nothing in flight.
  // (Were it not, this call would never return.)
  srv.app().shutdown();
  auto refused = client->command("risk.identify", "risk-R-2", identify("R-2"));
  if (refused) {
    EXPECT_EQ(error_code(*refused), "unavailable") << refused->dump();
  }
}

TEST_F(failing_jobs, a_query_whose_job_throws_is_answered_internal_once) {
  clock->arm();
  client->send_text(json{{"id", "q1"}, {"op", "query"}, {"view", "risks"}}.dump());
  auto first = client->read();
  ASSERT_TRUE(first.has_value()) << "no reply to a query whose job threw";
  const json failed = json::parse(*first);
  EXPECT_EQ(failed.value("id", ""), "q1");
  EXPECT_EQ(error_code(failed), "internal") << failed.dump();
  EXPECT_FALSE(clock->armed());
  EXPECT_EQ(failed_jobs_metric(srv.port()), 1u);

  // One answer only: with one worker, a second answer to q1 would come
  // before q2's, which is the next message.
  client->send_text(json{{"id", "q2"}, {"op", "query"}, {"view", "risks"}}.dump());
  auto second = client->read();
  ASSERT_TRUE(second.has_value());
  const json next = json::parse(*second);
  EXPECT_EQ(next.value("id", ""), "q2") << next.dump();
  EXPECT_TRUE(next.value("ok", false)) << next.dump();
  srv.app().shutdown();
}

}  // namespace
}  // namespace isms::server::worker_pool_test
