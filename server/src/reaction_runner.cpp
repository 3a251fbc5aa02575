#include "isms/server/reaction_runner.hpp"

#include <algorithm>

#include "isms/domain/reactions.hpp"
#include "isms/server/http_types.hpp"
#include "isms/server/log.hpp"
#include "isms/server/projections.hpp"

namespace isms::server {

namespace {
constexpr std::string_view checkpoint_key = "reactions/checkpoint";
// The checkpoint is written at most this often: reactions are idempotent
// (their follow-ups carry deterministic command ids), so a restart that
// re-runs the last few only meets duplicates.
constexpr std::uint64_t persist_every = 500;
constexpr auto persist_interval = std::chrono::seconds(1);

}  // namespace

reaction_runner::reaction_runner(eventstore::store& store, command_pipeline& pipeline, reaction_runner_options options)
    : options_(options), store_(store), pipeline_(pipeline) {
  if (options_.max_queued_events == 0) options_.max_queued_events = 1;
  if (auto stored = store_.get_meta(checkpoint_key)) {
    if (const auto n = parse_decimal(*stored))
      done_ = persisted_ = *n;
    else
      log::warn("reactions", "unreadable checkpoint; running reactions from position 1 (they are idempotent)");
  }
  thread_ = std::thread([this] { run(); });
  subscription_ = store_.subscribe(done_ + 1, [this](const eventstore::recorded_event& e) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return closing_ || queue_.size() < options_.max_queued_events; });
    // Closing: the event is left for the next start (the checkpoint is below it).
    if (closing_) return;
    queue_.push_back(e);
    lock.unlock();
    cv_.notify_all();
  });
}

reaction_runner::~reaction_runner() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  cv_.notify_all();
  subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  persist_checkpoint();
}

std::size_t reaction_runner::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t reaction_runner::checkpoint() const {
  std::lock_guard lock(mutex_);
  return done_;
}

void reaction_runner::wait_done(std::uint64_t position) {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [&] { return done_ >= position || stopping_; });
}

void reaction_runner::persist_checkpoint() {
  std::uint64_t done;
  {
    std::lock_guard lock(mutex_);
    done = done_;
    if (done == persisted_) return;
    persisted_ = done;
  }
  if (auto r = store_.put_meta(checkpoint_key, std::to_string(done)); !r)
    log::warn("reactions", "could not persist the checkpoint: " + r.error().message);
}

std::optional<std::string> reaction_runner::read_for(const domain::recorded_event& e, domain::stream_reads& read) {
  // A reaction names a second stream once the first is read (a subject's
  // pending approval): a few rounds at most.
  for (int round = 0; round < 4; ++round) {
    const auto wanted = domain::reaction_reads(e, read);
    if (wanted.empty()) return std::nullopt;
    if (auto r = pipeline_.read_into(wanted, read); !r) return "reading " + wanted.front() + ": " + r.error().message;
  }
  return std::nullopt;
}

std::optional<std::string> reaction_runner::issue(const eventstore::recorded_event& e,
                                                   const std::vector<domain::follow_up>& follow_ups) {
  for (const auto& f : follow_ups) {
    command_request req;
    req.type = f.command_type;
    req.stream = f.stream;
    req.data = f.data;
    req.command_id = f.command_id;
    req.causation_id = std::to_string(e.position);
    req.correlation_id = e.metadata.correlation_id;
    req.as_system = true;
    const command_outcome o = pipeline_.run("system", std::move(req));
    if (o.ok) continue;
    const std::string what = f.command_type + " on " + f.stream + ": " + o.error_code + ": " + o.error_message;
    if (o.error_code == "unavailable" || o.error_code == "internal" || o.error_code == "conflict") return what;
    log::info("reactions", "event " + std::to_string(e.position) + " → " + what + " (not applied)");
  }
  return std::nullopt;
}

void reaction_runner::run() {
  auto last_persist = std::chrono::steady_clock::now();
  for (;;) {
    eventstore::recorded_event e;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      e = std::move(queue_.front());
      queue_.pop_front();
    }
    cv_.notify_all();  // room in the queue for delivery
    const domain::recorded_event de = to_domain(e);
    // A follow-up the domain refuses is done with (logged); one the server
    // could not take (store busy or failing, a conflict that outlasted the
    // pipeline's retries) is tried again, with the whole event: the ids make
    // what already went through a duplicate. The checkpoint does not pass an
    // event whose follow-ups are not all decided.
    std::vector<domain::follow_up> follow_ups;
    domain::stream_reads read;
    auto backoff = options_.first_retry_after;
    for (;;) {
      auto failed = read_for(de, read);
      if (!failed) {
        follow_ups = domain::react(de, read);
        failed = issue(e, follow_ups);
      }
      if (!failed) break;
      log::warn("reactions", "event " + std::to_string(e.position) + ": " + *failed + "; retrying in " +
                                 std::to_string(backoff.count()) + " ms");
      std::unique_lock lock(mutex_);
      if (cv_.wait_for(lock, backoff, [&] { return stopping_; })) return;  // redone after the next start
      backoff = std::min(backoff * 2, options_.last_retry_after);
    }
    bool persist = false;
    {
      std::lock_guard lock(mutex_);
      done_ = e.position;
      persist = done_ >= persisted_ + persist_every ||
                (done_ > persisted_ && std::chrono::steady_clock::now() - last_persist >= persist_interval);
    }
    cv_.notify_all();
    if (persist) {
      persist_checkpoint();
      last_persist = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace isms::server
