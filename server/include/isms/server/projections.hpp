#pragma once
// The projection engine: keeps the domain's views current in memory, fed by
// the store's subscription, answers queries now and as of any past position
// or instant, and keeps snapshots of the views on disk so that start-up and
// time travel fold only a tail.
//
// Memory grows with the live state, not with the history:
// - the live views drop entity histories (all_views::keep_history = false);
//   views that show one read it from the entity's stream (history_of);
// - snapshots of the views for time travel are kept on disk, in the store's
//   meta column family, in chunks (any size): one at least every
//   `snapshot_every` events, further apart when the views are large (see
//   snapshot_bytes_per_event), so that they take a bounded share of the disk;
// - a small cache (`cached_views`) holds the past views recently asked for,
//   shared read-only by every query at that position.
//
// Ownership: the subscription's delivery thread is the only writer of the
// current views, folding each event in place under an exclusive lock; readers
// run their query under a shared lock. A due snapshot is encoded by the
// thread that folds (a read of the views: ~20 ms for those of 5,000 risks,
// once per spacing) and written by the engine's own writer thread, off the
// path every command reply waits on.
//
// "As of position p" folds the events after the nearest snapshot (cached or on
// disk) at or before p. "As of instant t" finds the last event recorded at or
// before t by binary search over positions (recorded_at is monotonic: the
// command pipeline never stamps an event earlier than its predecessor).
//
// Thread-safety: every public member may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "isms/domain/views/views.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/metrics.hpp"

namespace isms::server {

// The activity feed's answers read older events from the log in chunks of
// this many positions, and at most activity_scan_budget positions per answer.
inline constexpr std::uint64_t activity_scan_chunk = 512;
inline constexpr std::uint64_t activity_scan_budget = 100000;

struct projection_options {
  // Fewest events between two snapshots on disk. Default: 1000
  std::uint64_t snapshot_every = 1000;
  // Spacing by size: the next snapshot is taken once the events since the
  // last one number at least (its encoded bytes / this), so snapshots of
  // large views are rarer and all snapshots together take about
  // snapshot_bytes_per_event bytes of disk per event. Time travel folds on
  // average half a spacing from the snapshot before the point asked for.
  // Default: 1024 (the log itself takes ~175 bytes per event, its export
  // ~850).
  std::size_t snapshot_bytes_per_event = 1024;
  // Past views kept in memory for time travel (the positions last asked
  // for: later pages of a listing, a diff's two ends). Each is as large as
  // the live views. Default: 2
  std::size_t cached_views = 2;
  // Size of one stored chunk of a snapshot. Default: 1 MiB
  std::size_t snapshot_chunk_bytes = std::size_t{1} << 20;
};

// What the engine holds, for metrics and tests.
struct projection_stats {
  std::uint64_t position = 0;                // of the current views
  std::size_t cached_views = 0;              // views in the time-travel cache
  std::size_t snapshots = 0;                 // snapshots on disk
  std::uint64_t last_snapshot_position = 0;  // 0 when none
  std::size_t last_snapshot_bytes = 0;       // encoded size of the latest one
  std::uint64_t started_from = 0;            // the snapshot start-up restored (0: none)
  std::uint64_t snapshots_written = 0;       // by this process
  std::uint64_t snapshot_failures = 0;       // writes or reads that failed
  metrics::histogram_snapshot fold_seconds;  // per event folded into the live views (decoding included)
  metrics::histogram_snapshot as_of_seconds; // per as_of_position answered (cache, snapshot, fold)
};

// Called after each event is folded, on the delivery thread, with the views
// after the event. Keep it short; never block on the engine from inside it.
using after_apply = std::function<void(const domain::views::all_views& after, const domain::recorded_event& e,
                                       bool replaying)>;

class projection_engine {
 public:
  // Restores the newest readable snapshot on disk (of this format, not beyond
  // the log's head). start() then subscribes from the position after it:
  // events already reflected in it are not refolded. `listener` sees every event
  // folded from here on; `replaying` is true for events at or below
  // `replay_until` (the head at start-up), so side effects already taken
  // before a restart are not taken twice.
  projection_engine(projection_options options, eventstore::store& store, after_apply listener);
  ~projection_engine();  // writes a final snapshot

  // Starts folding the log's events (call once, when the listener is ready).
  // The stretch between the restored views and the log's head is folded
  // before it returns, read with the store's scan (only the payload parsed,
  // in batches, on the calling thread); a subscription then delivers every
  // later event.
  void start();

  // Runs `reader` on the current views under a shared lock.
  void read_current(const std::function<void(const domain::views::all_views&)>& reader) const;

  // The position the current views include.
  [[nodiscard]] std::uint64_t position() const;

  // The views as they stood right after `position` (0 → the empty views),
  // shared read-only with other queries at the same position. Positions
  // beyond the current one give the current views. The answer holds at
  // least the views of `need` (a closed set, domain::views::views_read_by):
  // only those are restored and folded, unless a cached past view that holds
  // more is the nearer start. Errors: store errors. Each answer is timed
  // (projection_stats::as_of_seconds).
  [[nodiscard]] std::expected<std::shared_ptr<const domain::views::all_views>, eventstore::error> as_of_position(
      std::uint64_t position, domain::views::view_set need = domain::views::view_set::every()) const;

  // The history lines of the entity on `stream` up to `position`, as the
  // views with histories kept show them (domain::views::stream_history).
  [[nodiscard]] std::expected<domain::json, eventstore::error> history_of(std::string_view stream,
                                                                          std::uint64_t position) const;

  // Runs a view query as of `position` (nullopt: now) and fills in the
  // entity history the answer shows. Errors: the store's, as a rejection.
  [[nodiscard]] std::expected<domain::json, domain::rejection> query(std::optional<std::uint64_t> position,
                                                                     std::string_view view,
                                                                     const domain::json& params,
                                                                     const domain::actor& viewer,
                                                                     domain::date today,
                                                                     std::uint64_t& answered_at,
                                                                     std::optional<domain::views::row_window> window =
                                                                         std::nullopt) const;

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

  [[nodiscard]] projection_stats stats() const;

 private:
  using views_ptr = std::shared_ptr<const domain::views::all_views>;
  struct snapshot_ref {
    std::uint64_t position = 0;
    std::size_t bytes = 0;
    std::size_t chunks = 0;
  };

  void on_event(const eventstore::recorded_event& e);
  // Folds `e` into the current views and does what follows from it: the
  // listener, a snapshot when one is due, the waiters. The one path of every
  // event, read at start-up or delivered by the subscription.
  void apply(const domain::recorded_event& e);
  // Folds the log up to its head as start() found it, through scan.
  void catch_up();
  [[nodiscard]] std::expected<std::shared_ptr<const domain::views::all_views>, eventstore::error> views_as_of(
      std::uint64_t position, domain::views::view_set need) const;
  void writer_loop();
  // The views encoded for a snapshot: encoding reads the views, so it runs
  // on the thread that owns them; the writer thread only stores the bytes.
  struct encoded_views {
    std::uint64_t position = 0;
    std::string bytes;
  };
  // nullopt (logged, counted) when the views cannot be encoded.
  [[nodiscard]] std::optional<encoded_views> encode(const domain::views::all_views& v);
  bool write_snapshot(const encoded_views& s);
  void drop_snapshots();
  // Records index_ in the store (caller holds index_mutex_ or is the constructor).
  [[nodiscard]] eventstore::result<void> write_index();
  // Why a snapshot could not be restored; `permanent` when this build can
  // never decode it (another layout, damaged, chunks missing), not when the
  // store could not be read this time.
  struct snapshot_failure {
    std::string message;
    bool permanent = true;
  };
  // Restores the views of `only` from the snapshot `ref` (older snapshots,
  // without sections, restore whole).
  [[nodiscard]] std::expected<domain::views::all_views, snapshot_failure> read_snapshot(
      const snapshot_ref& ref, domain::views::view_set only = domain::views::view_set::every()) const;
  [[nodiscard]] std::expected<void, eventstore::error> fold_until(domain::views::all_views& v,
                                                                  std::uint64_t position) const;
  void remember(views_ptr v) const;
  // Frees `garbage` on the writer thread.
  void discard(std::shared_ptr<const void> garbage) const;
  [[nodiscard]] std::expected<void, eventstore::error> complete_activity(domain::json& out,
                                                                        const domain::json& params,
                                                                        std::uint64_t at,
                                                                        const views_ptr& past) const;
  [[nodiscard]] std::expected<domain::views::all_views, eventstore::error> subject_approvals(
      std::string_view subject, std::uint64_t position) const;

  projection_options options_;
  eventstore::store& store_;
  after_apply listener_;
  std::uint64_t replay_until_ = 0;
  // The start-up fold's progress in the log (delivery thread only).
  std::uint64_t replay_from_ = 0, next_replay_report_ = 0;
  std::chrono::steady_clock::time_point replay_started_{};

  mutable std::shared_mutex mutex_;
  domain::views::all_views current_;

  // Snapshots on disk, by position (guarded by index_mutex_).
  mutable std::mutex index_mutex_;
  std::vector<snapshot_ref> index_;
  std::uint64_t next_snapshot_at_ = 0;  // delivery thread only
  mutable projection_stats stats_;      // guarded by index_mutex_
  // Timings for stats(); the histograms are thread-safe by themselves.
  metrics::histogram fold_seconds_{metrics::step_seconds_buckets};
  mutable metrics::histogram as_of_seconds_{metrics::request_seconds_buckets};

  // The time-travel cache, most recently used last (guarded by cache_mutex_).
  mutable std::mutex cache_mutex_;
  mutable std::vector<views_ptr> cache_;

  // The writer thread and the one snapshot it has yet to write.
  mutable std::mutex writer_mutex_;
  mutable std::condition_variable writer_cv_;
  std::unique_ptr<const encoded_views> pending_;
  mutable std::vector<std::shared_ptr<const void>> garbage_;
  bool writing_ = false;
  bool stopping_ = false;
  std::thread writer_;

  std::mutex waiters_mutex_;
  std::condition_variable applied_cv_;
  std::multimap<std::uint64_t, std::function<void()>> waiters_;

  std::unique_ptr<eventstore::subscription> subscription_;  // last: stops before the rest dies
};

// The domain's view of a recorded event.
[[nodiscard]] domain::recorded_event to_domain(const eventstore::recorded_event& e);

// Folds `v` on through the store's events up to `position` (or the head, if
// sooner), a chunk of events at a time. For a one-off answer without an
// engine (ismsd export on a stopped store); the engine folds the same way.
[[nodiscard]] std::expected<void, eventstore::error> fold_views_until(const eventstore::store& store,
                                                                    domain::views::all_views& v,
                                                                    std::uint64_t position);

}  // namespace isms::server
