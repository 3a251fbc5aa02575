#include "isms/server/projections.hpp"

#include <algorithm>
#include <chrono>
#include <future>

#include <malloc.h>

#include "isms/canonical/canonical.hpp"
#include "isms/server/checkpoints.hpp"
#include "isms/server/history_cache.hpp"
#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

namespace views = domain::views;
using domain::json;

namespace {
// The index of the snapshots on disk: {"format": 2, "snapshots": [[position,
// bytes, chunks], …]}; snapshot P's encoded views are the chunks
// "views/snapshot/P/0", "…/1", …, written before the index names them.
constexpr std::string_view index_key = "views/snapshots";
constexpr std::string_view chunk_prefix = "views/snapshot/";
// The single-value snapshot of earlier versions: ignored and removed.
constexpr std::string_view legacy_key = "views/snapshot";
// Bumped whenever the stored encoding changes; snapshots of another format
// are dropped and the views refolded from position 0.
constexpr int snapshot_format = 2;
constexpr std::size_t read_chunk = 1024;
// A start-up fold this long or longer reports its progress in the log.
constexpr std::uint64_t replay_report_min = 50000;
// Restoring a snapshot costs about as much as folding one event per this many
// of its bytes (measured on 1M events: 8.6 MB restored in 40–120 ms, events
// folded at ~70,000/s).
constexpr std::size_t restore_bytes_per_event = 1500;
// Freed views' pages are given back (malloc_trim) once no view has been
// freed for this long. That is glibc's allocator; ismsd built with tcmalloc
// (the default) gives pages back on tcmalloc's own schedule, and the call
// only trims glibc's unused heap.
constexpr std::chrono::seconds trim_when_idle_for{1};

std::string chunk_key(std::uint64_t position, std::size_t i) {
  return std::string(chunk_prefix) + std::to_string(position) + "/" + std::to_string(i);
}

// The domain's view of a stored event, parsing only what is read: the
// payload (unless `payload` is false: a line of the activity feed shows none
// of it), and the metadata's extra object only when it holds something.
domain::recorded_event from_view(const eventstore::event_view& e, bool payload = true) {
  domain::recorded_event out;
  out.position = e.position;
  out.stream = std::string(e.stream);
  out.version = e.version;
  out.type = std::string(e.type);
  if (payload) out.data = canonical::parse_json(e.data_json);
  out.meta.actor = std::string(e.actor);
  out.meta.recorded_at = domain::instant{std::chrono::milliseconds{e.recorded_at_ms}};
  out.meta.command_id = std::string(e.command_id);
  out.meta.correlation_id = std::string(e.correlation_id);
  out.meta.causation_id = std::string(e.causation_id);
  if (e.extra_json.size() > 2) {
    const json extra = canonical::parse_json(e.extra_json);
    if (auto it = extra.find("comment"); it != extra.end() && it->is_string())
      out.meta.comment = it->get<std::string>();
  }
  return out;
}

bool is_erasure(std::string_view stream) { return stream == eventstore::erasure_stream; }

// The log's own records — the store's erasure events and the signed
// checkpoints — are not domain events: they only move the views' position
// (an erasure's effect, the redacted payload, is in the event it names).
// Everything else folds through the domain.
bool is_log_record(std::string_view stream) { return is_erasure(stream) || stream == checkpoint_stream; }

void fold_into(views::all_views& v, const domain::recorded_event& e) {
  if (is_log_record(e.stream)) {
    v.position = e.position;
    v.as_of = e.meta.recorded_at;
    return;
  }
  views::evolve_in_place(v, e);
}

views::all_views empty_views() {
  views::all_views v = views::initial_views();
  v.keep_history = false;
  return v;
}

}  // namespace

domain::recorded_event to_domain(const eventstore::recorded_event& e) {
  return to_domain_moved(eventstore::recorded_event(e));
}

projection_engine::projection_engine(projection_options options, eventstore::store& store, after_apply listener)
    : options_(options), store_(store), listener_(std::move(listener)), current_(empty_views()) {
  if (options_.snapshot_every == 0) options_.snapshot_every = 1;
  if (options_.snapshot_bytes_per_event == 0) options_.snapshot_bytes_per_event = 1;
  if (options_.snapshot_chunk_bytes < 1024) options_.snapshot_chunk_bytes = 1024;

  if (store_.get_meta(legacy_key)) {
    log::info("views", "removing the views snapshot of an earlier format; the views are refolded once");
    (void)store_.erase_meta(legacy_key);
  }
  const std::uint64_t head = store_.current_head().position;
  if (auto stored = store_.get_meta(index_key)) {
    auto j = read_json(*stored, 8).value_or(json());
    if (j.is_object() && j.value("format", 0) == snapshot_format && j.contains("snapshots") &&
        j["snapshots"].is_array()) {
      for (const auto& s : j["snapshots"]) {
        if (!s.is_array() || s.size() != 3 || !s[0].is_number_unsigned() || !s[1].is_number_unsigned() ||
            !s[2].is_number_unsigned())
          continue;
        index_.push_back({s[0].get<std::uint64_t>(), s[1].get<std::size_t>(), s[2].get<std::size_t>()});
      }
      std::ranges::sort(index_, {}, &snapshot_ref::position);
    } else {
      log::warn("views", "snapshots of another format; refolding from position 0");
      drop_snapshots();
    }
  }
  // Snapshots beyond the log's head (a store put back from an older copy)
  // describe positions that will hold other events: dropped.
  if (std::ranges::any_of(index_, [&](const snapshot_ref& s) { return s.position > head; })) {
    log::warn("views", "dropping the snapshots beyond the log's head at position " + std::to_string(head));
    std::vector<snapshot_ref> kept;
    for (const auto& s : index_) {
      if (s.position <= head) {
        kept.push_back(s);
        continue;
      }
      for (std::size_t i = 0; i < s.chunks; ++i) (void)store_.erase_meta(chunk_key(s.position, i));
    }
    index_ = std::move(kept);
    (void)write_index();
  }
  // The newest readable snapshot is where start-up begins. One this build
  // can never decode (written with another layout of the views, damaged) is
  // removed, so that time travel does not try it again on every question.
  std::vector<snapshot_ref> unreadable;
  for (auto it = index_.rbegin(); it != index_.rend(); ++it) {
    if (it->position > head) continue;
    auto restored = read_snapshot(*it);
    if (!restored) {
      log::warn("views", "snapshot at position " + std::to_string(it->position) + " unusable (" +
                             restored.error().message + "); trying an earlier one");
      ++stats_.snapshot_failures;
      if (restored.error().permanent) unreadable.push_back(*it);
      continue;
    }
    current_ = std::move(*restored);
    stats_.started_from = current_.position;
    log::info("views", "restored the snapshot at position " + std::to_string(current_.position) + " of " +
                           std::to_string(head));
    break;
  }
  if (!unreadable.empty()) {
    for (const auto& s : unreadable) {
      for (std::size_t i = 0; i < s.chunks; ++i) (void)store_.erase_meta(chunk_key(s.position, i));
      std::erase_if(index_, [&](const snapshot_ref& x) { return x.position == s.position; });
    }
    log::info("views", "removed " + std::to_string(unreadable.size()) + " snapshot(s) this build cannot read");
    (void)write_index();
  }
  if (!index_.empty()) {
    stats_.last_snapshot_position = index_.back().position;
    stats_.last_snapshot_bytes = index_.back().bytes;
  }
  next_snapshot_at_ = current_.position + options_.snapshot_every;
  writer_ = std::thread([this] { writer_loop(); });
}

void projection_engine::start() {
  replay_until_ = store_.current_head().position;
  replay_from_ = current_.position;
  replay_started_ = std::chrono::steady_clock::now();
  // Folding a long stretch at start takes a while: say how far it got.
  next_replay_report_ = replay_until_ - replay_from_ >= replay_report_min
                            ? replay_from_ + (replay_until_ - replay_from_) / 10
                            : replay_until_ + 1;
  if (next_replay_report_ <= replay_until_)
    log::info("views", "folding the views from position " + std::to_string(replay_from_ + 1) + " to " +
                           std::to_string(replay_until_));
  catch_up();
  subscription_ = store_.subscribe(
      current_.position + 1, [this](const eventstore::recorded_event& e) { on_event(e); },
      [](const eventstore::error& err) {
        log::error("views", "subscription stopped at position " + std::to_string(err.position) + ": " +
                                err.message);
      });
}

projection_engine::~projection_engine() {
  subscription_.reset();  // no more deliveries
  {
    std::lock_guard lock(writer_mutex_);
    stopping_ = true;
  }
  writer_cv_.notify_all();
  writer_.join();
  bool behind = false;
  {
    std::lock_guard lock(index_mutex_);
    behind = index_.empty() || index_.back().position < current_.position;
  }
  if (behind && current_.position > 0)
    if (auto encoded = encode(current_)) write_snapshot(*encoded);
}

void projection_engine::catch_up() {
  // The subscription would deliver the same events, each fully decoded
  // (payload, metadata, hashes) and copied; a scan parses only the payload.
  // What the scan cannot read is left to the subscription, which meets the
  // same record and reports it.
  //
  // The next batch is read and parsed on a second thread while this one folds
  // the batch before it: parsing is a third of a start-up fold's time, and a
  // server has at least two cores.
  struct batch {
    std::vector<domain::recorded_event> events;
    eventstore::result<std::uint64_t> visited = std::uint64_t{0};
    std::optional<std::string> bad;
  };
  const auto read = [this](std::uint64_t from) {
    batch b;
    const std::uint64_t to = std::min(replay_until_, from + read_chunk - 1);
    b.events.reserve(to - from + 1);
    b.visited = store_.scan(from, to, [&](const eventstore::event_view& e) {
      try {
        b.events.push_back(from_view(e));
      } catch (const std::exception& ex) {
        b.bad = "position " + std::to_string(e.position) + ": " + ex.what();
        return false;
      }
      return true;
    });
    return b;
  };
  if (current_.position >= replay_until_) return;
  auto next = std::async(std::launch::async, read, current_.position + 1);
  for (;;) {
    batch b = next.get();
    const bool whole = b.visited && !b.bad && *b.visited > 0 && !b.events.empty();
    const std::uint64_t after = whole ? b.events.back().position : 0;
    if (whole && after < replay_until_) next = std::async(std::launch::async, read, after + 1);
    for (const auto& e : b.events) apply(e);
    if (!whole) {
      if (!b.visited || b.bad)
        log::warn("views", "reading the log at start stopped at position " + std::to_string(current_.position + 1) +
                               ": " + (b.bad ? *b.bad : b.visited.error().message) +
                               "; the subscription goes on from there");
      return;
    }
    if (after >= replay_until_) return;
  }
}

void projection_engine::on_event(const eventstore::recorded_event& stored) { apply(to_domain(stored)); }

void projection_engine::apply(const domain::recorded_event& e) {
  const auto started = std::chrono::steady_clock::now();
  if (is_erasure(e.stream) && e.position > current_.position) {
    // Personal data was erased from an earlier event: the views and every
    // snapshot may still hold it, so the snapshots are dropped and the views
    // folded again from the redacted log. Erasures are rare; this costs one
    // full replay.
    {
      std::lock_guard lock(cache_mutex_);
      cache_.clear();
    }
    {
      std::unique_lock wl(writer_mutex_);
      pending_.reset();
      writer_cv_.wait(wl, [this] { return !writing_; });
      drop_snapshots();
    }
    auto rebuilt = rebuild_from_scratch(e.position - 1);
    std::unique_lock lock(mutex_);
    if (rebuilt) {
      current_ = std::move(*rebuilt);
    } else {
      log::error("views", "refolding after the erasure at position " + std::to_string(e.position) +
                              " failed: " + rebuilt.error().message);
    }
    fold_into(current_, e);
    next_snapshot_at_ = current_.position;  // a clean snapshot right away
  } else {
    std::unique_lock lock(mutex_);
    fold_into(current_, e);
  }
  fold_seconds_.observe_since(started);
  if (e.position >= next_replay_report_ && e.position <= replay_until_) {
    const auto total = replay_until_ - replay_from_, done = e.position - replay_from_;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_started_).count();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    log::info("views", "folded " + std::to_string(done) + " of " + std::to_string(total) + " events (" +
                           std::to_string(done * 100 / total) + "%, " + std::to_string(static_cast<long long>(rate)) +
                           "/s" +
                           (done < total ? ", " + std::to_string(static_cast<long long>(
                                                     rate > 0 ? static_cast<double>(total - done) / rate : 0)) +
                                               " s left)"
                                         : ")"));
    next_replay_report_ = done < total ? e.position + std::max<std::uint64_t>(1, total / 10) : UINT64_MAX;
  }
  // Only this thread writes current_, so reading it here needs no lock.
  if (listener_) listener_(current_, e, e.position <= replay_until_);
  if (e.position >= next_snapshot_at_) {
    // Encoding (a read of the views, faster than copying them) is the only
    // work on this thread; the writer thread stores the bytes. Live, a
    // snapshot still waiting is replaced (the next one is as good). While the
    // log behind the head is read at start, which outruns the writer, each
    // waits for the one before to be taken: time travel needs every one of
    // them, a spacing apart.
    const bool replaying = e.position <= replay_until_;
    auto encoded = encode(current_);
    std::size_t last_bytes = 0;
    {
      std::lock_guard lock(index_mutex_);
      last_bytes = stats_.last_snapshot_bytes;
    }
    next_snapshot_at_ =
        e.position + std::max<std::uint64_t>(options_.snapshot_every, last_bytes / options_.snapshot_bytes_per_event);
    {
      std::unique_lock lock(writer_mutex_);
      if (replaying) writer_cv_.wait(lock, [this] { return pending_ == nullptr || stopping_; });
      if (encoded) pending_ = std::make_unique<const encoded_views>(std::move(*encoded));
    }
    writer_cv_.notify_all();
  }

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

void projection_engine::writer_loop() {
  std::unique_lock lock(writer_mutex_);
  bool untrimmed = false;  // freed pages not yet given back
  const auto work = [this] { return stopping_ || pending_ != nullptr || !garbage_.empty(); };
  for (;;) {
    if (!untrimmed) {
      writer_cv_.wait(lock, work);
    } else if (!writer_cv_.wait_for(lock, trim_when_idle_for, work)) {
      // Time travel has paused: the pages of the views it freed go back to
      // the system. Trimming after every answer made the next restore fault
      // every page in again, which doubled the time of an as_of.
      lock.unlock();
      malloc_trim(0);
      lock.lock();
      untrimmed = false;
      continue;
    }
    if (!garbage_.empty()) {
      // Large views freed here, not on the thread that answers a query.
      std::vector<std::shared_ptr<const void>> garbage;
      garbage.swap(garbage_);
      lock.unlock();
      garbage.clear();
      lock.lock();
      untrimmed = true;
      continue;
    }
    if (!pending_) return;  // stopping
    auto v = std::move(pending_);
    writing_ = true;
    lock.unlock();
    writer_cv_.notify_all();  // a start-up fold may wait for the hand-over
    write_snapshot(*v);
    v.reset();
    lock.lock();
    writing_ = false;
    writer_cv_.notify_all();
  }
}

std::optional<projection_engine::encoded_views> projection_engine::encode(const views::all_views& v) {
  std::size_t recent_bytes = 0;  // allocates the bytes once
  {
    std::lock_guard lock(index_mutex_);
    recent_bytes = stats_.last_snapshot_bytes;
  }
  try {
    return encoded_views{v.position, views::encode_snapshot(v, recent_bytes)};
  } catch (const std::exception& ex) {
    log::error("views", std::string("could not encode the views snapshot: ") + ex.what());
    std::lock_guard lock(index_mutex_);
    ++stats_.snapshot_failures;
    return std::nullopt;
  }
}

bool projection_engine::write_snapshot(const encoded_views& v) {
  const std::string_view bytes = v.bytes;
  const std::size_t chunk = options_.snapshot_chunk_bytes;
  const std::size_t chunks = (bytes.size() + chunk - 1) / chunk;
  // All chunks in one write (one sync), before the index names them.
  std::vector<std::pair<std::string, std::string_view>> parts;
  parts.reserve(chunks);
  for (std::size_t i = 0; i < chunks; ++i) parts.emplace_back(chunk_key(v.position, i), bytes.substr(i * chunk, chunk));
  if (auto r = store_.put_meta(parts); !r) {
    log::warn("views", "could not write the views snapshot at position " + std::to_string(v.position) + ": " +
                           r.error().message);
    std::lock_guard lock(index_mutex_);
    ++stats_.snapshot_failures;
    return false;
  }
  std::lock_guard lock(index_mutex_);
  std::erase_if(index_, [&](const snapshot_ref& s) { return s.position == v.position; });
  index_.push_back({v.position, bytes.size(), chunks});
  std::ranges::sort(index_, {}, &snapshot_ref::position);
  if (auto r = write_index(); !r) {
    log::warn("views", "could not record the views snapshot at position " + std::to_string(v.position) + ": " +
                           r.error().message);
    std::erase_if(index_, [&](const snapshot_ref& s) { return s.position == v.position; });
    ++stats_.snapshot_failures;
    return false;
  }
  stats_.last_snapshot_position = v.position;
  stats_.last_snapshot_bytes = bytes.size();
  ++stats_.snapshots_written;
  return true;
}

eventstore::result<void> projection_engine::write_index() {
  json list = json::array();
  for (const auto& s : index_) list.push_back(json::array({s.position, s.bytes, s.chunks}));
  return store_.put_meta(index_key, json{{"format", snapshot_format}, {"snapshots", list}}.dump());
}

void projection_engine::drop_snapshots() {
  std::lock_guard lock(index_mutex_);
  (void)store_.erase_meta(index_key);
  for (const auto& s : index_)
    for (std::size_t i = 0; i < s.chunks; ++i) (void)store_.erase_meta(chunk_key(s.position, i));
  index_.clear();
  stats_.last_snapshot_position = 0;
  stats_.last_snapshot_bytes = 0;
}

std::expected<views::all_views, projection_engine::snapshot_failure> projection_engine::read_snapshot(
    const snapshot_ref& ref, views::view_set only) const {
  std::string bytes;
  bytes.reserve(ref.bytes);
  // Sections are stored in order (the risk register first): a view that
  // reads only the first few stops at the chunk where the last of them ends.
  bool enough = false;
  for (std::size_t i = 0; i < ref.chunks && !enough; ++i) {
    auto part = store_.get_meta(chunk_key(ref.position, i));
    if (!part) {
      const bool missing = part.error().code == eventstore::errc::not_found;
      return std::unexpected(snapshot_failure{"chunk " + std::to_string(i) + ": " + part.error().message, missing});
    }
    bytes += *part;
    if (!only.whole())
      if (const auto needed = views::snapshot_bytes_for(bytes, only)) enough = bytes.size() >= *needed;
  }
  const auto fail = [](std::string message) { return std::unexpected(snapshot_failure{std::move(message)}); };
  if (!enough && bytes.size() != ref.bytes)
    return fail("size " + std::to_string(bytes.size()) + " instead of " + std::to_string(ref.bytes));
  std::expected<views::all_views, std::string> v;
  if (views::is_binary_snapshot(bytes)) {
    v = views::decode_snapshot(bytes, only);
  } else {
    // Written by an earlier version: the views as MessagePack of their JSON.
    json j;
    try {
      j = json::from_msgpack(bytes);
    } catch (const std::exception& ex) {
      return fail(std::string("not decodable: ") + ex.what());
    }
    v = views::restore_snapshot(j);
    discard(std::make_shared<const json>(std::move(j)));
  }
  if (!v) return fail(v.error());
  if (v->position != ref.position) return fail("holds another position");
  v->keep_history = false;
  return std::move(*v);
}

void projection_engine::discard(std::shared_ptr<const void> garbage) const {
  {
    std::lock_guard lock(writer_mutex_);
    garbage_.push_back(std::move(garbage));
  }
  writer_cv_.notify_all();
}

std::expected<void, eventstore::error> projection_engine::fold_until(views::all_views& v,
                                                                     std::uint64_t position) const {
  return fold_views_until(store_, v, position);
}

std::expected<void, eventstore::error> fold_views_until(const eventstore::store& store, views::all_views& v,
                                                        std::uint64_t position) {
  // Only the feed's last lines before `position` are built.
  v.activity_from = position > views::activity_capacity ? position - views::activity_capacity + 1 : 0;
  struct every_line_after {
    views::all_views& v;
    ~every_line_after() { v.activity_from = 0; }
  } reset{v};
  while (v.position < position) {
    const std::uint64_t from = v.position + 1;
    const std::uint64_t to = std::min(position, v.position + read_chunk);
    std::optional<std::string> bad;
    auto visited = store.scan(from, to, [&](const eventstore::event_view& e) {
      try {
        // An event that changes none of the views held passes by unparsed.
        fold_into(v, from_view(e, views::folds_into(v.held, e.type)));
      } catch (const std::exception& ex) {
        bad = "position " + std::to_string(e.position) + ": " + ex.what();
        return false;
      }
      return true;
    });
    if (!visited) return std::unexpected(visited.error());
    if (bad) return std::unexpected(eventstore::error{eventstore::errc::corrupted, *bad, v.position + 1});
    if (*visited == 0) break;
  }
  return {};
}

void projection_engine::remember(views_ptr v) const {
  std::vector<views_ptr> evicted;  // freed outside the lock
  {
    std::lock_guard lock(cache_mutex_);
    std::erase_if(cache_, [&](const views_ptr& c) { return c->position == v->position && v->held.covers(c->held); });
    cache_.push_back(std::move(v));
    while (cache_.size() > options_.cached_views) {
      evicted.push_back(std::move(cache_.front()));
      cache_.erase(cache_.begin());
    }
  }
  // A past view is as large as the live one: freed (and its pages given back
  // to the system) on the engine's own thread.
  for (auto& e : evicted) discard(std::move(e));
}

void projection_engine::read_current(const std::function<void(const views::all_views&)>& reader) const {
  std::shared_lock lock(mutex_);
  reader(current_);
}

std::uint64_t projection_engine::position() const {
  std::shared_lock lock(mutex_);
  return current_.position;
}

std::expected<std::shared_ptr<const views::all_views>, eventstore::error> projection_engine::as_of_position(
    std::uint64_t position, views::view_set need) const {
  const auto started = std::chrono::steady_clock::now();
  auto v = views_as_of(position, need);
  if (v) as_of_seconds_.observe_since(started);
  return v;
}

std::expected<std::shared_ptr<const views::all_views>, eventstore::error> projection_engine::views_as_of(
    std::uint64_t position, views::view_set need) const {
  {
    std::shared_lock lock(mutex_);
    if (position >= current_.position) return std::make_shared<const views::all_views>(current_);
  }
  // The nearest base at or before the position that holds the views needed:
  // a cached view, else the newest snapshot on disk, else the empty views.
  views_ptr cached;
  {
    std::lock_guard lock(cache_mutex_);
    for (auto it = cache_.rbegin(); it != cache_.rend(); ++it) {
      if (!(*it)->held.covers(need)) continue;
      if ((*it)->position == position) {
        views_ptr hit = *it;
        cache_.erase(std::next(it).base());
        cache_.push_back(hit);
        return hit;
      }
      if ((*it)->position < position && (!cached || (*it)->position > cached->position)) cached = *it;
    }
  }
  std::optional<snapshot_ref> on_disk;
  {
    std::lock_guard lock(index_mutex_);
    auto it = std::ranges::upper_bound(index_, position, {}, &snapshot_ref::position);
    if (it != index_.begin()) on_disk = *std::prev(it);
  }
  const auto started = std::chrono::steady_clock::now();
  std::string from = "the empty views";
  views::all_views v = empty_views();
  v.held = need;
  const std::uint64_t cached_at = cached ? cached->position : 0;
  // Reading a snapshot costs about as much as folding one event per
  // restore_bytes_per_event of it: a cached view no further behind than that
  // is the better start.
  if (on_disk && (!cached || position - cached_at > position - on_disk->position +
                                                        on_disk->bytes / restore_bytes_per_event)) {
    auto restored = read_snapshot(*on_disk, need);
    if (restored) {
      v = std::move(*restored);  // folded on in place: only the answer is cached
      from = "the snapshot at " + std::to_string(v.position) + " (" + std::to_string(on_disk->bytes) + " bytes, " +
             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                 started)
                                .count()) +
             " ms)";
    } else {
      log::warn("views", "snapshot at position " + std::to_string(on_disk->position) + " unusable: " +
                             restored.error().message);
      std::lock_guard lock(index_mutex_);
      ++stats_.snapshot_failures;
      if (cached) v = *cached;
    }
  } else if (cached) {
    v = *cached;
    from = "the cached views at " + std::to_string(v.position);
  }
  const std::uint64_t base = v.position;
  if (auto r = fold_until(v, position); !r) return std::unexpected(r.error());
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  if (took >= std::chrono::milliseconds(100))
    log::info("views", "as of " + std::to_string(position) + ": from " + from + ", folded " +
                           std::to_string(position - base) + " events, " + std::to_string(took.count()) + " ms");
  auto out = std::make_shared<const views::all_views>(std::move(v));
  remember(out);
  return out;
}

namespace {

// A stream's events up to `position`, as the domain sees them; none for a
// stream name the store refuses.
std::expected<std::vector<domain::recorded_event>, eventstore::error> stream_until(const eventstore::store& store,
                                                                                   std::string_view stream,
                                                                                   std::uint64_t position) {
  std::vector<domain::recorded_event> out;
  auto events = store.read_stream(stream);
  if (!events) {
    if (events.error().code == eventstore::errc::invalid_stream) return out;
    return std::unexpected(events.error());
  }
  out.reserve(events->size());
  for (auto& e : *events)
    if (e.position <= position) out.push_back(to_domain_moved(std::move(e)));
  return out;
}

}  // namespace

std::expected<json, eventstore::error> projection_engine::history_of(std::string_view stream,
                                                                     std::uint64_t position) const {
  auto events = stream_until(store_, stream, position);
  if (!events) return std::unexpected(events.error());
  return views::stream_history(*events);
}

std::expected<views::all_views, eventstore::error> projection_engine::subject_approvals(
    std::string_view subject, std::uint64_t position) const {
  auto events = stream_until(store_, subject, position);
  if (!events) return std::unexpected(events.error());
  for (const auto& stream : views::approval_streams_of(*events)) {
    auto more = stream_until(store_, stream, position);
    if (!more) return std::unexpected(more.error());
    events->insert(events->end(), std::make_move_iterator(more->begin()), std::make_move_iterator(more->end()));
  }
  std::ranges::sort(*events, {}, &domain::recorded_event::position);
  views::all_views v = views::initial_views();  // everything kept: this is one subject's history
  for (const auto& e : *events) views::evolve_in_place(v, e);
  return v;
}

std::expected<json, domain::rejection> projection_engine::query(std::optional<std::uint64_t> position,
                                                                std::string_view view, const json& params,
                                                                const domain::actor& viewer, domain::date today,
                                                                std::uint64_t& answered_at,
                                                                std::optional<views::row_window> window) const {
  const auto store_failure = [](const eventstore::error& err) {
    return std::unexpected(domain::rejection{domain::rejection_kind::rule, "", err.message});
  };
  std::expected<json, domain::rejection> out = std::unexpected(domain::rejection{});
  views_ptr past;
  if (position) {
    auto at = as_of_position(*position, views::views_read_by(view));
    if (!at) return store_failure(at.error());
    past = std::move(*at);
    answered_at = past->position;
    out = views::query(*past, view, params, viewer, today, window);
  } else {
    read_current([&](const views::all_views& v) {
      answered_at = v.position;
      out = views::query(v, view, params, viewer, today, window);
    });
  }
  if (!out) return out;
  if (view == "activity") {
    auto done = complete_activity(*out, params, answered_at, past);
    if (!done) return store_failure(done.error());
  }
  if (const std::string stream = views::history_stream(view, *out); !stream.empty()) {
    auto history = history_of(stream, answered_at);
    if (!history) return store_failure(history.error());
    (*out)["history"] = std::move(*history);
  }
  // The views keep recent approvals only; one subject's are all in its
  // stream and the approval streams its requests opened.
  if (view == "approvals" && params.is_object())
    if (auto subject = params.find("subject_stream");
        subject != params.end() && subject->is_string() && !subject->get_ref<const std::string&>().empty()) {
      auto local = subject_approvals(subject->get_ref<const std::string&>(), answered_at);
      if (!local) return store_failure(local.error());
      auto all = views::query(*local, view, params, viewer, today, window);
      if (!all) return all;
      for (const char* key : {"approvals", "count", "by_state"}) (*out)[key] = std::move((*all)[key]);
    }
  return out;
}

namespace {

std::int64_t day_start_ms(domain::date d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::sys_days{d}.time_since_epoch())
      .count();
}

}  // namespace

// The feed in the views holds the latest lines only: a page it cannot fill
// is completed from the log itself, newest first, below the feed's oldest
// line, reading at most activity_scan_budget events per answer (the answer's
// next_before then says where to go on).
std::expected<void, eventstore::error> projection_engine::complete_activity(json& out, const json& params,
                                                                            std::uint64_t at,
                                                                            const views_ptr& past) const {
  auto filter = views::read_activity_filter(params);
  if (!filter) return {};  // the query refused it already
  const auto& f = *filter;
  auto& events = out["events"];
  const std::uint64_t window_from = out.value("window_from", std::uint64_t{0});
  if (window_from <= 1 || out.contains("next_before")) return {};
  if (events.size() >= f.limit) {
    // A full page from the feed: older matches may lie beyond it, in the log.
    out["next_before"] = events.back().at("position");
    return {};
  }
  // Positions [lo, hi] are the ones left to look at.
  std::uint64_t hi = std::min({at, f.before - 1, window_from - 1});
  std::uint64_t lo = 1;
  if (f.from) {
    auto p = position_at(day_start_ms(*f.from) - 1);
    if (!p) return std::unexpected(p.error());
    lo = *p + 1;
  }
  if (f.to) {
    auto p = position_at(day_start_ms(*f.to + std::chrono::days{1}) - 1);
    if (!p) return std::unexpected(p.error());
    hi = std::min(hi, *p);
  }
  // The matching events; their lines are made at the end, with titles.
  std::vector<domain::recorded_event> found;
  const std::size_t wanted = f.limit - events.size();
  std::optional<std::uint64_t> next;
  const auto take = [&](domain::recorded_event&& e) {
    if (is_log_record(e.stream) || !f.matches(views::activity_line_of(e, {}, true))) return true;
    if (found.size() == wanted) {
      next = found.back().position;
      return false;
    }
    found.push_back(std::move(e));
    return true;
  };
  if (lo <= hi && !f.stream.empty()) {
    // One stream: its own index, not the whole log.
    auto history = store_.read_stream(f.stream);
    if (!history) {
      if (history.error().code != eventstore::errc::invalid_stream) return std::unexpected(history.error());
    } else {
      for (auto it = history->rbegin(); it != history->rend(); ++it) {
        if (it->position > hi) continue;
        if (it->position < lo || !take(to_domain_moved(std::move(*it)))) break;
      }
    }
  } else if (lo <= hi) {
    // Backwards through the log in chunks, each read forwards.
    std::uint64_t scanned = 0;
    std::uint64_t top = hi;
    while (!next && top >= lo) {
      if (scanned >= activity_scan_budget) {
        next = top + 1;
        break;
      }
      const std::uint64_t bottom = top - std::min<std::uint64_t>(top - lo, activity_scan_chunk - 1);
      std::vector<domain::recorded_event> chunk;
      auto visited = store_.scan(bottom, top, [&](const eventstore::event_view& e) {
        chunk.push_back(from_view(e, false));
        return true;
      });
      if (!visited) return std::unexpected(visited.error());
      scanned += top - bottom + 1;
      for (auto it = chunk.rbegin(); it != chunk.rend(); ++it)
        if (!take(std::move(*it))) break;
      if (bottom == lo) break;
      top = bottom - 1;
    }
  }
  if (found.empty() && !next) return {};
  // Titled as the views answering the query know their subjects.
  std::vector<views::activity_line> lines;
  lines.reserve(found.size());
  const auto titled = [&](const views::all_views& v) {
    for (const auto& e : found) lines.push_back(views::activity_line_of(e, views::subject_title(v, e.stream), true));
  };
  if (past) titled(*past);
  else read_current(titled);
  const json more = views::activity_reply(lines, next, window_from);
  for (const auto& e : more["events"]) events.push_back(e);
  out["count"] = events.size();
  if (next) out["next_before"] = *next;
  return {};
}

std::expected<std::uint64_t, eventstore::error> projection_engine::position_at(std::int64_t instant_ms) const {
  // recorded_at is non-decreasing in position: find the last position <= instant.
  std::uint64_t lo = 0, hi = store_.current_head().position;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    std::optional<std::int64_t> at;
    auto visited = store_.scan(mid, mid, [&](const eventstore::event_view& e) {
      at = e.recorded_at_ms;
      return false;
    });
    if (!visited) return std::unexpected(visited.error());
    if (!at) return std::unexpected(eventstore::error{eventstore::errc::corrupted, "missing position", mid});
    if (*at <= instant_ms)
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
  const auto started = std::chrono::steady_clock::now();
  log::info("views", "folding the views again from the redacted log: positions 1.." + std::to_string(up_to));
  views::all_views v = empty_views();
  if (auto r = fold_until(v, up_to); !r) return std::unexpected(r.error());
  log::info("views", "folded " + std::to_string(up_to) + " events again in " +
                         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::steady_clock::now() - started)
                                            .count()) +
                         " ms");
  return v;
}

projection_stats projection_engine::stats() const {
  projection_stats s;
  {
    std::lock_guard lock(index_mutex_);
    s = stats_;
    s.snapshots = index_.size();
  }
  {
    std::lock_guard lock(cache_mutex_);
    s.cached_views = cache_.size();
  }
  s.position = position();
  s.fold_seconds = fold_seconds_.snapshot();
  s.as_of_seconds = as_of_seconds_.snapshot();
  return s;
}

}  // namespace isms::server
