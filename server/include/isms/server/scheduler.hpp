#pragma once
// Runs a task now and then every `interval` on its own thread, until
// destroyed. The server's time-driven rules (acceptances expiring, reviews
// due, actions overdue) run through it.
// Thread-safety: construct and destroy on one thread; the task runs on the
// scheduler's thread only.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace isms::server {

class scheduler {
 public:
  scheduler(std::chrono::milliseconds interval, std::function<void()> task)
      : interval_(interval), task_(std::move(task)), thread_([this] { run(); }) {}
  ~scheduler() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      task_();
      lock.lock();
      cv_.wait_for(lock, interval_, [&] { return stopping_; });
    }
  }

  std::chrono::milliseconds interval_;
  std::function<void()> task_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace isms::server
