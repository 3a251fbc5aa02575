#pragma once
// A fixed set of threads running posted jobs in FIFO order, for work that
// must not run on the I/O threads (password hashing, command decisions) or on
// the store's writer thread (retries after a conflict).
// A job that throws does not end the process: the exception is caught, counted
// (failed_jobs()), logged, and handed to the job's on_failure, which gives the
// reply the job owed (an `internal` error) where it has one to give.
// A job may wait for work it posted to the same pool (a command decided on the
// pool, whose reply the job needs): it waits with wait_helping(), which runs
// queued jobs meanwhile, so that jobs waiting on each other can never hold
// every thread while what they wait for sits in the queue.
// Thread-safety: post(), failed_jobs(), queued_jobs() and wait_helping() may
// be called from any thread, including a job. Destruction runs every job
// already posted, then joins.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "isms/server/log.hpp"

namespace isms::server {

class worker_pool {
 public:
  // Called on the pool's thread with what the failed job threw (its what(), or
  // a fixed text for a non-standard exception).
  using failure_fn = std::function<void(std::string_view what)>;

  explicit worker_pool(unsigned threads) {
    for (unsigned i = 0; i < (threads == 0 ? 1 : threads); ++i)
      threads_.emplace_back([this] { run(); });
  }
  ~worker_pool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  // Queues `job`. If it throws, `on_failure` (when given) runs in its place on
  // the same thread; a job that owes a reply passes one that answers `internal`.
  void post(std::function<void()> job, failure_fn on_failure = {}) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(entry{std::move(job), std::move(on_failure)});
    }
    cv_.notify_one();
  }

  // Whether the calling thread is one of this pool's.
  [[nodiscard]] bool on_own_thread() const noexcept { return running_ == this; }

  // The value of `f`. On one of this pool's threads, runs queued jobs while
  // it is not ready (what it waits for may be among them); elsewhere, waits.
  template <class T>
  T wait_helping(std::future<T>& f) {
    if (!on_own_thread()) return f.get();
    while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      entry e;
      {
        std::unique_lock lock(mutex_);
        // Woken by a post; otherwise the value may come from another thread
        // (the store's writer, the views), so look again soon.
        if (!cv_.wait_for(lock, std::chrono::milliseconds(1), [&] { return !jobs_.empty(); })) continue;
        e = std::move(jobs_.front());
        jobs_.pop_front();
      }
      execute(e);
    }
    return f.get();
  }

  // Jobs that threw since construction (exported as a counter on /metrics).
  [[nodiscard]] std::uint64_t failed_jobs() const noexcept { return failed_jobs_.load(std::memory_order_relaxed); }

  // Jobs posted and not yet started (exported as a gauge on /metrics).
  [[nodiscard]] std::size_t queued_jobs() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
  }

 private:
  struct entry {
    std::function<void()> job;
    failure_fn on_failure;
  };

  void run() {
    running_ = this;
    for (;;) {
      entry e;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping and drained
        e = std::move(jobs_.front());
        jobs_.pop_front();
      }
      execute(e);
    }
  }

  void execute(entry& e) {
    std::string what;
    try {
      e.job();
      return;
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
      what = "a non-standard exception";
    }
    failed_jobs_.fetch_add(1, std::memory_order_relaxed);
    log::error("workers", "a job failed: " + what);
    if (!e.on_failure) return;
    try {
      e.on_failure(what);
    } catch (...) {
      log::error("workers", "the failure handler of a failed job failed as well");
    }
  }

  static inline thread_local const worker_pool* running_ = nullptr;  // the pool whose thread this is

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<entry> jobs_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> failed_jobs_{0};
  std::vector<std::thread> threads_;
};

// `reply` wrapped so that, of all its copies, only the first call reaches it:
// a job and its failure handler share one reply and the client gets one answer.
template <class... Args>
[[nodiscard]] std::function<void(Args...)> at_most_once(std::function<void(Args...)> reply) {
  return [reply = std::move(reply), given = std::make_shared<std::atomic<bool>>(false)](Args... args) {
    if (!given->exchange(true)) reply(std::forward<Args>(args)...);
  };
}

}  // namespace isms::server
