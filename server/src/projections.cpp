#include "isms/server/projections.hpp"

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

namespace views = domain::views;

namespace {
constexpr std::string_view snapshot_key = "views/snapshot";
// Bumped whenever the persisted snapshot's envelope changes; a snapshot of
// another format is ignored and the views are refolded from position 0.
constexpr int snapshot_format = 1;
constexpr std::size_t read_chunk = 512;
}  // namespace

domain::recorded_event to_domain(const eventstore::recorded_event& e) {
  domain::recorded_event out;
  out.position = e.position;
  out.stream = e.stream;
  out.version = e.version;
  out.type = e.type;
  out.data = e.data;
  out.meta.actor = e.metadata.actor;
  out.meta.recorded_at = domain::instant{std::chrono::milliseconds{e.metadata.recorded_at_ms}};
  out.meta.command_id = e.metadata.command_id;
  out.meta.correlation_id = e.metadata.correlation_id;
  out.meta.causation_id = e.metadata.causation_id;
  if (e.metadata.extra.is_object()) {
    if (auto it = e.metadata.extra.find("comment"); it != e.metadata.extra.end() && it->is_string())
      out.meta.comment = it->get<std::string>();
  }
  return out;
}

namespace {

// The store's own erasure events are not domain events: they only move the
// views' position (their effect, the redacted payload, is in the events they
// name). Everything else folds through the domain.
views::all_views fold_stored(views::all_views v, const eventstore::recorded_event& e) {
  if (e.stream == eventstore::erasure_stream) {
    v.position = e.position;
    v.as_of = domain::instant{std::chrono::milliseconds{e.metadata.recorded_at_ms}};
    return v;
  }
  return views::evolve(std::move(v), to_domain(e));
}

}  // namespace

projection_engine::projection_engine(projection_options options, eventstore::store& store, after_apply listener)
    : options_(options), store_(store), listener_(std::move(listener)), current_(views::initial_views()) {
  if (options_.snapshot_every == 0) options_.snapshot_every = 1;
  if (auto stored = store_.get_meta(snapshot_key)) {
    auto j = read_json(*stored, max_stored_json_depth).value_or(nlohmann::json());
    if (j.is_object() && j.value("format", 0) == snapshot_format && j.contains("views")) {
      auto restored = views::restore_snapshot(j["views"]);
      if (restored && restored->position <= store_.current_head().position) {
        current_ = std::move(*restored);
        last_persisted_ = current_.position;
        log::info("views", "restored snapshot at position " + std::to_string(current_.position));
      } else {
        log::warn("views", "persisted snapshot unusable (" + (restored ? std::string("ahead of the log")
                                                                     : restored.error()) +
                               "); refolding from position 0");
        current_ = views::initial_views();
      }
    } else {
      log::warn("views", "persisted snapshot of another format; refolding from position 0");
    }
  }
  kept_[current_.position] = std::make_shared<const views::all_views>(current_);
}

void projection_engine::start() {
  replay_until_ = store_.current_head().position;
  subscription_ = store_.subscribe(
      current_.position + 1, [this](const eventstore::recorded_event& e) { on_event(e); },
      [](const eventstore::error& err) {
        log::error("views", "subscription stopped at position " + std::to_string(err.position) + ": " +
                                err.message);
      });
}

projection_engine::~projection_engine() {
  subscription_.reset();  // no more deliveries
  persist_snapshot();
}

void projection_engine::on_event(const eventstore::recorded_event& stored) {
  const domain::recorded_event e = to_domain(stored);
  if (stored.stream == eventstore::erasure_stream && stored.position > current_.position) {
    // Personal data was erased from an earlier event: the views (and every
    // kept or persisted snapshot) may still hold it, so they are folded again
    // from the redacted log. Erasures are rare; this costs one full replay.
    auto rebuilt = rebuild_from_scratch(stored.position - 1);
    if (rebuilt) {
      std::unique_lock lock(mutex_);
      current_ = fold_stored(std::move(*rebuilt), stored);
      kept_.clear();
      kept_[current_.position] = std::make_shared<const views::all_views>(current_);
    } else {
      log::error("views", "refolding after the erasure at position " + std::to_string(stored.position) +
                              " failed: " + rebuilt.error().message);
      std::unique_lock lock(mutex_);
      current_ = fold_stored(std::move(current_), stored);
    }
    last_persisted_ = 0;
    persist_snapshot();
  } else {
    std::unique_lock lock(mutex_);
    current_ = fold_stored(std::move(current_), stored);
    if (e.position % options_.snapshot_every == 0)
      kept_[e.position] = std::make_shared<const views::all_views>(current_);
  }
  // Only this thread writes current_, so reading it here needs no lock.
  if (listener_) listener_(current_, e, e.position <= replay_until_);
  if (e.position >= last_persisted_ + options_.persist_every) persist_snapshot();

  std::vector<std::function<void()>> ready;
  {
    std::lock_guard lock(waiters_mutex_);
    auto end = waiters_.upper_bound(e.position);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiters_.erase(waiters_.begin(), end);
  }
  applied_cv_.notify_all();
  for (auto& f : ready) f();
}

void projection_engine::read_current(const std::function<void(const views::all_views&)>& reader) const {
  std::shared_lock lock(mutex_);
  reader(current_);
}

std::uint64_t projection_engine::position() const {
  std::shared_lock lock(mutex_);
  return current_.position;
}

std::expected<views::all_views, eventstore::error> projection_engine::as_of_position(std::uint64_t position) const {
  std::shared_ptr<const views::all_views> base;
  {
    std::shared_lock lock(mutex_);
    if (position >= current_.position) return current_;
    auto it = kept_.upper_bound(position);
    if (it != kept_.begin()) base = std::prev(it)->second;
  }
  views::all_views v = base ? *base : views::initial_views();
  while (v.position < position) {
    auto batch = store_.read_all(v.position + 1, std::min<std::uint64_t>(read_chunk, position - v.position));
    if (!batch) return std::unexpected(batch.error());
    if (batch->empty()) break;
    for (const auto& e : *batch) {
      v = fold_stored(std::move(v), e);
      // Keep what this fold passes, so the next question about this era is short.
      if (v.position % options_.snapshot_every == 0) {
        std::unique_lock lock(mutex_);
        kept_.try_emplace(v.position, std::make_shared<const views::all_views>(v));
      }
    }
  }
  return v;
}

std::expected<std::uint64_t, eventstore::error> projection_engine::position_at(std::int64_t instant_ms) const {
  // recorded_at is non-decreasing in position: find the last position <= instant.
  std::uint64_t lo = 0, hi = store_.current_head().position;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    auto e = store_.read_all(mid, 1);
    if (!e) return std::unexpected(e.error());
    if (e->empty()) return std::unexpected(eventstore::error{eventstore::errc::corrupted, "missing position", mid});
    if (e->front().metadata.recorded_at_ms <= instant_ms)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

void projection_engine::when_applied(std::uint64_t position, std::function<void()> done) {
  {
    std::lock_guard lock(waiters_mutex_);
    if (this->position() < position) {
      waiters_.emplace(position, std::move(done));
      return;
    }
  }
  done();
}

void projection_engine::wait_applied(std::uint64_t position) {
  std::unique_lock lock(waiters_mutex_);
  applied_cv_.wait(lock, [&] { return this->position() >= position; });
}

std::expected<views::all_views, eventstore::error> projection_engine::rebuild_from_scratch(std::uint64_t up_to) const {
  views::all_views v = views::initial_views();
  while (v.position < up_to) {
    auto batch = store_.read_all(v.position + 1, std::min<std::uint64_t>(read_chunk, up_to - v.position));
    if (!batch) return std::unexpected(batch.error());
    if (batch->empty()) break;
    for (const auto& e : *batch) v = fold_stored(std::move(v), e);
  }
  return v;
}

void projection_engine::persist_snapshot() {
  nlohmann::json j;
  {
    std::shared_lock lock(mutex_);
    if (current_.position == last_persisted_) return;
    j = {{"format", snapshot_format}, {"position", current_.position}, {"views", views::snapshot(current_)}};
    last_persisted_ = current_.position;
  }
  if (auto r = store_.put_meta(snapshot_key, j.dump()); !r)
    log::warn("views", "could not persist the views snapshot: " + r.error().message);
}

}  // namespace isms::server
