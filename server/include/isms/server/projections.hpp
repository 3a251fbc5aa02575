#pragma once
// The projection engine: keeps the domain's views current in memory, fed by
// the store's subscription, answers queries now and as of any past position
// or instant, and persists snapshots so that start-up replays only the tail.
//
// Ownership: the subscription's delivery thread is the only writer of the
// current views, folding each event in place under an exclusive lock; readers
// run their query under a shared lock (queries are short folds over memory).
//
// Time travel: every `snapshot_every` events the engine keeps an immutable
// copy of the views in memory; "as of position p" folds the events after the
// nearest kept copy at or before p. "As of instant t" finds the last event
// recorded at or before t by binary search over positions (recorded_at is
// monotonic: the command pipeline never stamps an event earlier than its
// predecessor).
//
// Thread-safety: every public member may be called from any thread.

#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "isms/domain/views/views.hpp"
#include "isms/eventstore/store.hpp"

namespace isms::server {

struct projection_options {
  // Events between two in-memory snapshots kept for time travel. Default: 256
  std::uint64_t snapshot_every = 256;
  // Events between two persisted snapshots of the current views. Default: 1000
  std::uint64_t persist_every = 1000;
};

// Called after each event is folded, on the delivery thread, with the views
// after the event. Keep it short; never block on the engine from inside it.
using after_apply = std::function<void(const domain::views::all_views& after, const domain::recorded_event& e,
                                       bool replaying)>;

class projection_engine {
 public:
  // Restores the persisted snapshot (if it is readable and of this format).
  // start() then subscribes from the position after it: events already
  // reflected in the persisted snapshot are not refolded. `listener` sees every event
  // folded from here on; `replaying` is true for events at or below
  // `replay_until` (the head at start-up), so side effects already taken
  // before a restart are not taken twice.
  projection_engine(projection_options options, eventstore::store& store, after_apply listener);
  ~projection_engine();  // persists a final snapshot

  // Starts folding the log's events (call once, when the listener is ready).
  void start();

  // Runs `reader` on the current views under a shared lock.
  void read_current(const std::function<void(const domain::views::all_views&)>& reader) const;

  // The position the current views include.
  [[nodiscard]] std::uint64_t position() const;

  // The views as they stood right after `position` (0 → the empty views).
  // Positions beyond the current one give the current views. Errors: store errors.
  [[nodiscard]] std::expected<domain::views::all_views, eventstore::error> as_of_position(
      std::uint64_t position) const;

  // The last position recorded at or before `instant_ms` (0 when none).
  [[nodiscard]] std::expected<std::uint64_t, eventstore::error> position_at(std::int64_t instant_ms) const;

  // Runs `done` once the views include `position` (immediately, on the
  // calling thread, if they already do; otherwise on the delivery thread).
  void when_applied(std::uint64_t position, std::function<void()> done);

  // Blocks until the views include `position`. For start-up and tests.
  void wait_applied(std::uint64_t position);

  // Rebuilds the views from position 0 up to the current position and returns
  // them, without touching the live ones (for the "rebuild equals live" check).
  [[nodiscard]] std::expected<domain::views::all_views, eventstore::error> rebuild_from_scratch(
      std::uint64_t up_to) const;

  // Persists the current views now (also done every persist_every events and
  // on destruction).
  void persist_snapshot();

 private:
  void on_event(const eventstore::recorded_event& e);

  projection_options options_;
  eventstore::store& store_;
  after_apply listener_;
  std::uint64_t replay_until_ = 0;

  mutable std::shared_mutex mutex_;
  domain::views::all_views current_;
  mutable std::map<std::uint64_t, std::shared_ptr<const domain::views::all_views>> kept_;  // position → views
  std::uint64_t last_persisted_ = 0;

  std::mutex waiters_mutex_;
  std::condition_variable applied_cv_;
  std::multimap<std::uint64_t, std::function<void()>> waiters_;

  std::unique_ptr<eventstore::subscription> subscription_;  // last: stops before the rest dies
};

// The domain's view of a recorded event.
[[nodiscard]] domain::recorded_event to_domain(const eventstore::recorded_event& e);

}  // namespace isms::server
