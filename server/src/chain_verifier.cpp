#include "isms/server/chain_verifier.hpp"

#include <chrono>

#include "isms/server/log.hpp"

namespace isms::server {

std::string_view to_string(chain_verifier::state s) noexcept {
  switch (s) {
    case chain_verifier::state::running: return "running";
    case chain_verifier::state::verified: return "verified";
    case chain_verifier::state::failed: return "failed";
  }
  return "unknown";
}

chain_verifier::chain_verifier(chain_verifier_options options, eventstore::store& store)
    : options_(options), store_(store) {
  if (options_.chunk_events == 0) options_.chunk_events = 1;
}

chain_verifier::~chain_verifier() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void chain_verifier::start() {
  {
    std::lock_guard lock(mutex_);
    status_.target_position = store_.current_head().position;
    if (!options_.background) {
      background_done_ = true;
      return;
    }
  }
  thread_ = std::thread([this] { run_background(); });
}

chain_verifier::outcome chain_verifier::extend(std::uint64_t to) {
  eventstore::head prefix;
  {
    std::lock_guard lock(mutex_);
    prefix = status_.verified;
  }
  outcome o;
  o.from_position = prefix.position + 1;
  auto r = store_.verify_after(prefix, to);
  std::lock_guard lock(mutex_);
  if (!r) {
    o.failure = r.error();
    if (r.error().code == eventstore::errc::corrupted) {
      status_.current = state::failed;
      status_.failure = r.error();
    }
    return o;
  }
  o.ok = true;
  o.head = *r;
  if (r->position >= status_.verified.position) status_.verified = *r;
  return o;
}

void chain_verifier::run_background() {
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t target = 0;
  {
    std::lock_guard lock(mutex_);
    target = status_.target_position;
  }
  log::info("verify", "verifying the whole chain in the background: positions 1.." + std::to_string(target));
  std::uint64_t next_report = target / 10;
  bool failed = false;
  while (!stop_) {
    std::uint64_t done = 0;
    {
      std::lock_guard lock(mutex_);
      done = status_.verified.position;
      if (status_.current == state::failed) {
        failed = true;
        break;
      }
    }
    if (done >= target) break;
    outcome o;
    {
      std::lock_guard run(run_mutex_);
      o = extend(std::min(target, done + options_.chunk_events));
    }
    if (!o.ok) {
      failed = true;
      if (o.failure.code == eventstore::errc::corrupted)
        log::error("verify", "CHAIN VERIFICATION FAILED at position " + std::to_string(o.failure.position) + ": " +
                                 o.failure.message + "; the store refuses writes until this is resolved");
      else  // the store could not be read (not a finding about the chain); GET /api/verify continues later
        log::warn("verify", "the background verification stopped after position " +
                                std::to_string(current().verified.position) + ": " + o.failure.message);
      break;
    }
    if (o.head.position >= next_report && o.head.position < target) {
      log::info("verify", "verified positions 1.." + std::to_string(o.head.position) + " of " + std::to_string(target) +
                              " (" + std::to_string(o.head.position * 100 / (target == 0 ? 1 : target)) + "%)");
      next_report = o.head.position + std::max<std::uint64_t>(1, target / 10);
    }
  }
  {
    std::lock_guard lock(mutex_);
    if (!failed && !stop_) {
      if (status_.current != state::failed) status_.current = state::verified;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      log::info("verify", "the whole chain verifies: positions 1.." + std::to_string(status_.verified.position) +
                              ", head " + eventstore::to_hex(status_.verified.hash) + " (" +
                              std::to_string(ms.count()) + " ms)");
    }
    background_done_ = true;
  }
  done_cv_.notify_all();
}

std::optional<chain_verifier::outcome> chain_verifier::verify_to_head() {
  bool expected = false;
  if (!api_running_.compare_exchange_strong(expected, true)) return std::nullopt;
  struct clear {
    std::atomic<bool>& flag;
    ~clear() { flag = false; }
  } guard{api_running_};
  std::lock_guard run(run_mutex_);
  auto o = extend(UINT64_MAX);
  if (!o.ok && o.failure.code == eventstore::errc::corrupted)
    log::error("verify", "CHAIN VERIFICATION FAILED at position " + std::to_string(o.failure.position) + ": " +
                             o.failure.message + "; the store refuses writes until this is resolved");
  std::lock_guard lock(mutex_);
  if (o.ok && background_done_ && status_.current == state::running) status_.current = state::verified;
  return o;
}

chain_verifier::status chain_verifier::current() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void chain_verifier::wait_background_done() {
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [&] { return background_done_; });
}

}  // namespace isms::server
