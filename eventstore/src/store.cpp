// The store: opening and the open-time check, the single writer with group
// commit, reads, and verification of the chain.
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <expected>
#include <variant>

#include "store_impl.hpp"

namespace isms::eventstore {

using detail::make_error;

namespace {

// The largest WriteBatch one group commit builds; what is queued beyond it
// goes into the next group commit right after.
constexpr std::size_t max_group_bytes = std::size_t{32} << 20;
// The writer's cache of stream versions is cleared when it grows past this
// (it is reloaded from the stream heads column family on demand).
constexpr std::size_t max_cached_heads = std::size_t{1} << 20;

std::string encode_head(std::uint64_t position, const digest& hash) {
  std::string v;
  v.reserve(40);
  detail::append_u64(v, position);
  v.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return v;
}

std::string encode_u64(std::uint64_t x) {
  std::string v;
  detail::append_u64(v, x);
  return v;
}

std::string describe(expected_version e) {
  switch (e.which()) {
    case expected_version::kind::any: return "any version";
    case expected_version::kind::no_stream: return "no stream";
    case expected_version::kind::exact: return "version " + std::to_string(e.value());
  }
  return "?";
}

// Reads the chain head record. nullopt when absent.
result<std::optional<head>> read_head_record(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                             const rocksdb::ReadOptions& ro) {
  std::string v;
  auto s = db.Get(ro, cf, rocksdb::Slice(chain_head_key.data(), chain_head_key.size()), &v);
  if (s.IsNotFound()) return std::optional<head>{};
  if (!s.ok()) return std::unexpected(io_error(s, "reading the chain head"));
  if (v.size() != 40)
    return std::unexpected(make_error(errc::corrupted, "the chain head record is malformed"));
  head h;
  h.position = detail::get_u64(v.data());
  std::memcpy(h.hash.data(), v.data() + 8, 32);
  return std::optional<head>{h};
}

// Memtable insert hints: positions arrive in increasing order, and so do the
// versions of each stream, so each insert starts where the last one of the
// same prefix ended instead of searching the skiplist from the top.
class whole_cf_prefix final : public rocksdb::SliceTransform {  // one hint for the CF
 public:
  const char* Name() const override { return "isms.eventstore.whole_cf"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return {key.data(), 0}; }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};
class stream_prefix final : public rocksdb::SliceTransform {  // one hint per stream
 public:
  const char* Name() const override { return "isms.eventstore.stream_prefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return {key.data(), key.size() - 9}; }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() >= 9; }
};

// RocksDB's informational log, kept off the data disk: RocksDB's own log file
// lives in the data folder, and once a write to it fails (a full disk) the
// next log line aborts the process (an assertion in RocksDB's file writer).
// Warnings and errors go to stderr, one line each.
class stderr_logger final : public rocksdb::Logger {
 public:
  stderr_logger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    const int n = std::vsnprintf(line, sizeof line, format, ap);
    if (n < 0) return;
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

// Leaves recovery from a background error (a full disk) to the writer's
// DB::Resume calls: RocksDB's own recovery from "no space" waits for free
// space of a whole write buffer (64 MiB), which a small volume never has, and
// while it waits every manual Resume is refused as busy.
class manual_recovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
    if (auto_recovery != nullptr) *auto_recovery = false;
  }
};

}  // namespace

std::optional<erasure_record> parse_erasure(const detail::record_view& r) {
  if (r.stream != erasure_stream || r.type != erasure_event_type) return std::nullopt;
  auto j = nlohmann::json::parse(r.data_json, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto pos = j.find("position");
  auto digest_hex = j.find("tombstone_sha256");
  if (pos == j.end() || !pos->is_number_unsigned() || digest_hex == j.end() || !digest_hex->is_string())
    return std::nullopt;
  auto d = digest_from_hex(digest_hex->get_ref<const std::string&>());
  const std::uint64_t target = pos->get<std::uint64_t>();
  if (!d || target == 0 || target >= r.position) return std::nullopt;
  return erasure_record{target, *d};
}

error io_error(const rocksdb::Status& s, std::string_view what) {
  if (s.IsCorruption())
    return make_error(errc::corrupted, std::string(what) + ": " + s.ToString());
  return make_error(errc::io, std::string(what) + ": " + s.ToString());
}

namespace {

// The erasure stream's index entries, first to last, read with `base` (and
// its snapshot, if any). Neither copied nor moved: the read options point
// into it.
class erasure_index {
 public:
  erasure_index(rocksdb::DB& db, rocksdb::ReadOptions base, rocksdb::ColumnFamilyHandle* index)
      : upper_(std::string(erasure_stream) + '\x01'), upper_slice_(upper_), ro_(std::move(base)) {
    ro_.iterate_upper_bound = &upper_slice_;
    it_.reset(db.NewIterator(ro_, index));
    it_->Seek(std::string(erasure_stream) + '\0');
  }
  erasure_index(const erasure_index&) = delete;
  erasure_index& operator=(const erasure_index&) = delete;
  rocksdb::Iterator* operator->() const { return it_.get(); }

 private:
  std::string upper_;
  rocksdb::Slice upper_slice_;
  rocksdb::ReadOptions ro_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// A consistent view of `db`, released when the guard goes.
class snapshot_of {
 public:
  explicit snapshot_of(rocksdb::DB& db) : db_(db), snapshot_(db.GetSnapshot()) {}
  ~snapshot_of() { db_.ReleaseSnapshot(snapshot_); }
  snapshot_of(const snapshot_of&) = delete;
  snapshot_of& operator=(const snapshot_of&) = delete;
  [[nodiscard]] const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB& db_;
  const rocksdb::Snapshot* snapshot_;
};

// Why an erasure event cannot be trusted: the I/O error that kept it from
// being read, or what is corrupt about it.
using erasure_problem = std::variant<error, std::string>;

// The erasure event stored at `pos`, re-hashed and parsed. `missing` is the
// corruption named when nothing is stored there.
std::expected<erasure_record, erasure_problem> read_erasure_event(rocksdb::DB& db, const rocksdb::ReadOptions& ro,
                                                                  rocksdb::ColumnFamilyHandle* events,
                                                                  std::uint64_t pos, std::string_view missing) {
  const auto corrupt = [](std::string why) {
    return std::unexpected(erasure_problem(std::in_place_index<1>, std::move(why)));
  };
  std::string v;
  auto s = db.Get(ro, events, detail::position_key(pos), &v);
  if (s.IsNotFound()) return corrupt(std::string(missing));
  if (!s.ok()) return std::unexpected(erasure_problem(std::in_place_index<0>, io_error(s, "reading an erasure event")));
  auto r = detail::parse_record(v);
  if (!r) return corrupt(r.error());
  if (r->position != pos || detail::recompute_hash(*r) != r->hash)
    return corrupt("stored hash does not match the event's bytes");
  auto e = parse_erasure(*r);
  if (!e) return corrupt("not a well-formed erasure event");
  return *e;
}

}  // namespace

// ---- open -------------------------------------------------------------------------

result<void> store::impl::open_db() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(dir_ / "CURRENT", ec);
  if (!exists && !opts_.create_if_missing)
    return std::unexpected(
        make_error(errc::not_found, "no event store in " + dir_.string()));

  rocksdb::DBOptions dbo;
  dbo.create_if_missing = opts_.create_if_missing;
  dbo.create_missing_column_families = true;
  dbo.paranoid_checks = true;
  dbo.use_fsync = false;  // fdatasync: the WAL is preallocated, its data is what matters
  dbo.max_background_jobs = 2;
  dbo.keep_log_file_num = 4;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  dbo.info_log = std::make_shared<stderr_logger>();
  dbo.listeners.push_back(std::make_shared<manual_recovery>());
  // One writer thread writes the log; concurrent memtable inserts would only
  // add atomic operations (and disable the insert hints below).
  dbo.allow_concurrent_memtable_write = false;

  auto cache = rocksdb::NewLRUCache(std::size_t{64} << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (std::size_t i = 0; i < cf_count; ++i) {
    rocksdb::ColumnFamilyOptions co;
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    // Point lookups of mostly absent keys (command ids, new streams) want a filter.
    if (i == cf_idem || i == cf_heads || i == cf_meta)
      t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    co.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    if (i == cf_default || i == cf_chain || i == cf_meta) co.write_buffer_size = 4 << 20;
    if (i == cf_meta) {
      // Large values (the views' snapshot chunks, up to 1 MiB each) are
      // written once and read whole: kept in blob files, compressed once at
      // flush and never rewritten when compaction merges the small keys
      // around them. Garbage collection moves the live ones out of old blob
      // files once deleted snapshots leave them mostly dead.
      co.enable_blob_files = true;
      co.min_blob_size = 64 << 10;
      co.blob_compression_type = rocksdb::kSnappyCompression;
      co.enable_blob_garbage_collection = true;
    }
    if (i == cf_events) co.memtable_insert_with_hint_prefix_extractor = std::make_shared<whole_cf_prefix>();
    if (i == cf_index) co.memtable_insert_with_hint_prefix_extractor = std::make_shared<stream_prefix>();
    if (i == cf_idem || i == cf_heads) {
      // Every append looks up its command id, almost always absent, and
      // streams not cached by the writer: a memtable bloom filter answers
      // "absent" without walking the skiplist.
      co.memtable_prefix_bloom_size_ratio = 0.02;
      co.memtable_whole_key_filtering = true;
    }
    descs.emplace_back(cf_names[i], co);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(dbo, dir_.string(), descs, &handles, &raw);
  if (!s.ok()) return std::unexpected(io_error(s, "opening " + dir_.string()));
  db_.reset(raw);
  cfs_ = std::move(handles);

  // The format marker distinguishes this store from any other RocksDB.
  std::string format;
  s = db_->Get(rocksdb::ReadOptions(), cf(cf_chain),
               rocksdb::Slice(chain_format_key.data(), chain_format_key.size()), &format);
  if (s.ok()) {
    if (format != chain_format_value)
      return std::unexpected(
          make_error(errc::corrupted, "unknown store format '" + format.substr(0, 64) + "'"));
  } else if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, cf(cf_chain),
                 rocksdb::Slice(chain_format_key.data(), chain_format_key.size()),
                 rocksdb::Slice(chain_format_value.data(), chain_format_value.size()));
    if (!s.ok()) return std::unexpected(io_error(s, "writing the format marker"));
  } else {
    return std::unexpected(io_error(s, "reading the format marker"));
  }
  if (auto r = load_erasures(); !r) return r;
  if (auto r = check_head(); !r) return r;
  return load_merkle();
}

// Reads every erasure event through the erasure stream's index: each must
// re-hash to its stored hash and name an earlier position; the record there
// must be flagged erased and hold the tombstone the latest erasure recorded.
result<void> store::impl::load_erasures() {
  std::unordered_map<std::uint64_t, digest> latest;
  auto corrupt = [](std::uint64_t pos, const std::string& why) {
    return std::unexpected(make_error(
        errc::corrupted, "store corrupted at position " + std::to_string(pos) + ": " + why, pos));
  };
  erasure_index it(*db_, rocksdb::ReadOptions(), cf(cf_index));
  for (; it->Valid(); it->Next()) {
    if (it->value().size() != 8)
      return std::unexpected(make_error(errc::corrupted, "the erasure stream's index is damaged"));
    const std::uint64_t pos = detail::get_u64(it->value().data());
    auto e = read_erasure_event(*db_, rocksdb::ReadOptions(), cf(cf_events), pos, "an erasure event is missing");
    if (!e && e.error().index() == 0) return std::unexpected(std::get<0>(e.error()));
    if (!e) return corrupt(pos, std::get<1>(e.error()));
    erasures_[e->target].push_back(e->tombstone);
    latest[e->target] = e->tombstone;
  }
  if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading the erasure stream"));
  for (const auto& [target, tombstone] : latest) {
    std::string v;
    auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_events), detail::position_key(target), &v);
    if (s.IsNotFound()) return corrupt(target, "event missing");
    if (!s.ok()) return std::unexpected(io_error(s, "reading an erased event"));
    auto r = detail::parse_record(v);
    if (!r) return corrupt(target, r.error());
    if (!r->data_erased) return corrupt(target, "the payload erased by an erasure event is back (the erasure was undone)");
    if (sha256(r->data_json) != tombstone)
      return corrupt(target, "the tombstone does not match the digest its erasure event recorded");
  }
  return {};
}

// The cheap open-time check: the head record names the last event, and the
// last opts_.open_check_events events re-hash and chain to it.
result<void> store::impl::check_head() {
  rocksdb::ReadOptions ro;
  auto rec = read_head_record(*db_, cf(cf_chain), ro);
  if (!rec) return std::unexpected(rec.error());

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(cf_events)));
  it->SeekToLast();
  if (!it->status().ok()) return std::unexpected(io_error(it->status(), "seeking the last event"));
  const bool any = it->Valid();
  std::uint64_t last = 0;
  if (any) {
    if (it->key().size() != 8)
      return std::unexpected(make_error(errc::corrupted, "a key of the events column family is not a position"));
    last = detail::get_u64(it->key().data());
  }

  auto corrupt = [](std::uint64_t pos, const std::string& why) {
    return std::unexpected(make_error(
        errc::corrupted, "store corrupted at position " + std::to_string(pos) + ": " + why, pos));
  };

  if (!rec->has_value()) {
    if (any) return corrupt(last, "events are stored but the chain head record is missing");
    next_position_ = 1;
    prev_hash_ = {};
    hub_->committed = {};
    return {};
  }
  const head h = **rec;
  if (!any)
    return corrupt(h.position == 0 ? 1 : h.position,
                   "the head record names position " + std::to_string(h.position) +
                       " but no event is stored");
  if (last > h.position)
    return corrupt(h.position + 1, "events stored beyond the recorded head " +
                                       std::to_string(h.position));
  if (last < h.position)
    return corrupt(last + 1, "events " + std::to_string(last + 1) + ".." +
                                 std::to_string(h.position) +
                                 " are missing (the chain was truncated)");

  // Walk backwards: each record re-hashes to its stored hash, and its prev_hash
  // is the stored hash of the record before it.
  std::optional<digest> expect_hash = h.hash;  // what the record at `pos` must hash to
  std::uint64_t pos = h.position;
  const std::size_t checks = std::max<std::size_t>(1, opts_.open_check_events);
  for (std::size_t n = 0; n < checks && pos >= 1; ++n) {
    if (!it->Valid()) {
      if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading the last events"));
      return corrupt(pos, "event missing");
    }
    if (it->key().size() != 8 || detail::get_u64(it->key().data()) != pos)
      return corrupt(pos, "event missing");
    auto r = detail::parse_record(std::string_view(it->value().data(), it->value().size()));
    if (!r) return corrupt(pos, r.error());
    if (r->position != pos) return corrupt(pos, "record names position " + std::to_string(r->position));
    if (detail::recompute_hash(*r) != r->hash) return corrupt(pos, "stored hash does not match the event's bytes");
    if (*expect_hash != r->hash)
      return corrupt(pos, pos == h.position ? "the head record does not match the last event"
                                            : "the next event's prev_hash does not link to this one");
    if ((r->flags & detail::flag_data_erased) == 0) {
      detail::hasher dh;
      dh.update(r->data_json);
      if (dh.finish() != r->data_digest) return corrupt(pos, "payload does not match its digest");
    } else if (auto bad = check_tombstone(*r, pos)) {
      return std::unexpected(*bad);
    }
    if (pos == 1 && r->prev_hash != digest{}) return corrupt(1, "the first event's prev_hash is not zero");
    expect_hash = r->prev_hash;
    --pos;
    it->Prev();
  }
  if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading the last events"));

  next_position_ = h.position + 1;
  prev_hash_ = h.hash;
  hub_->committed = h;
  return {};
}

void store::impl::start_writer() {
  writer_ = std::thread([this] { writer_loop(); });
}

store::impl::~impl() {
  {
    std::lock_guard lk(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();

  std::vector<std::shared_ptr<subscription::state>> subs;
  {
    std::lock_guard lk(hub_->mu);
    for (auto& w : hub_->subs)
      if (auto s = w.lock()) subs.push_back(std::move(s));
    hub_->subs.clear();
  }
  for (auto& s : subs) s->stop_and_join();

  if (db_) {
    for (auto* h : cfs_) db_->DestroyColumnFamilyHandle(h);
    cfs_.clear();
    (void)db_->Close();
    db_.reset();
  }
}

store::store(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
store::~store() = default;

result<std::unique_ptr<store>> store::open(const options& opts, const std::filesystem::path& dir) {
  try {
    auto p = std::make_unique<impl>();
    p->opts_ = opts;
    p->dir_ = dir;
    if (auto r = p->open_db(); !r) return std::unexpected(r.error());
    p->start_writer();
    return std::unique_ptr<store>(new store(std::move(p)));
  } catch (const std::exception& e) {
    return std::unexpected(make_error(errc::io, std::string("opening the store: ") + e.what()));
  }
}

// ---- appends ------------------------------------------------------------------------

void store::impl::enqueue(std::unique_ptr<pending_append> p) {
  bool notify = false;
  {
    std::unique_lock lk(queue_mu_);
    if (closing_) {
      lk.unlock();
      p->done(std::unexpected(make_error(errc::closed, "the event store is shutting down")));
      return;
    }
    if (!writable_.load(std::memory_order_acquire)) {
      lk.unlock();
      p->done(std::unexpected(refusal()));
      return;
    }
    if (queue_.size() >= opts_.max_queued_appends) {
      lk.unlock();
      p->done(std::unexpected(make_error(
          errc::busy, std::to_string(opts_.max_queued_appends) + " appends already wait for the writer")));
      return;
    }
    if (p->stamp) {
      const std::int64_t at = p->stamp();
      for (auto& e : p->events) detail::restamp(e, at);
    }
    p->queued_at = std::chrono::steady_clock::now();
    queue_.push_back(std::move(p));
    if (writer_idle_) {
      writer_idle_ = false;
      notify = true;
    }
  }
  if (notify) queue_cv_.notify_one();
}

void store::impl::writer_loop() {
  std::vector<std::unique_ptr<pending_append>> taken;
  for (;;) {
    {
      std::unique_lock lk(queue_mu_);
      while (queue_.empty() && !closing_) {
        writer_idle_ = true;
        if (writable_.load(std::memory_order_acquire)) {
          queue_cv_.wait(lk);
        } else {
          // Read-only after a failed write: ask RocksDB to resume now and then.
          queue_cv_.wait_for(lk, opts_.resume_interval);
          lk.unlock();
          try_resume();
          lk.lock();
        }
      }
      writer_idle_ = false;
      if (queue_.empty()) return;  // closing and drained
      taken.swap(queue_);
    }
    if (!writable_.load(std::memory_order_acquire)) try_resume();
    std::size_t i = 0;
    while (i < taken.size()) {
      std::size_t j = i;
      std::size_t bytes = 0;
      while (j < taken.size() && (j == i || bytes + taken[j]->bytes <= max_group_bytes))
        bytes += taken[j++]->bytes;
      const auto group = std::span(taken.begin() + static_cast<std::ptrdiff_t>(i), j - i);
      try {
        commit_group(group);
      } catch (const std::exception& e) {
        // Only allocation can throw here. Whether the batch was written is
        // unknown, so treat it like a failed write.
        refuse_writes(make_error(errc::io, std::string("group commit failed: ") + e.what()));
        const error why = refusal();
        for (auto& up : group) {
          try {
            if (up->done) up->done(std::unexpected(why));
          } catch (...) {
          }
          up->done = nullptr;
        }
      }
      i = j;
    }
    taken.clear();
  }
}

// ---- health -------------------------------------------------------------------------

void store::impl::refuse_writes(const error& why) const {
  std::lock_guard lk(health_mu_);
  if (!health_.writable && health_.reason == errc::corrupted) return;  // corruption is kept
  if (!health_.writable && why.code != errc::corrupted) return;        // the first failure is kept
  health_.writable = false;
  health_.reason = why.code == errc::corrupted ? errc::corrupted : errc::io;
  health_.message = why.message;
  health_.position = why.position;
  writable_.store(false, std::memory_order_release);
  std::fprintf(stderr, "eventstore: appends refused, the store is read-only: %s\n", why.message.c_str());
}

store_health store::impl::health() const {
  std::lock_guard lk(health_mu_);
  return health_;
}

error store::impl::refusal() const {
  std::lock_guard lk(health_mu_);
  if (health_.writable) return make_error(errc::io, "the event store refused the append");
  return make_error(health_.reason,
                    "the event store is read-only (" + health_.message + "); nothing was written" +
                        (health_.reason == errc::io ? ", retry later" : ""),
                    health_.position);
}

// On the writer thread only. A write that failed left RocksDB in its
// background-error state (writes stopped); DB::Resume clears it once the
// cause is gone (space is back), flushing the memtables to a fresh WAL. The
// writer's state is then re-derived from the head record on disk, as at open.
void store::impl::try_resume() {
  {
    std::lock_guard lk(health_mu_);
    if (health_.writable || health_.reason != errc::io) return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_resume_attempt_ < opts_.resume_interval) return;
  last_resume_attempt_ = now;
  auto s = db_->Resume();
  if (!s.ok()) return;
  auto rec = read_head_record(*db_, cf(cf_chain), rocksdb::ReadOptions());
  if (!rec) return;
  const head h = rec->value_or(head{});
  std::optional<error> failure;
  auto tree = canonical::merkle::frontier::restore(h.position, merkle_nodes(failure));
  if (failure) return;
  next_position_ = h.position + 1;
  prev_hash_ = h.hash;
  frontier_ = std::move(tree);
  heads_.clear();
  {
    std::lock_guard lk(hub_->mu);
    hub_->committed = h;
  }
  hub_->cv.notify_all();
  {
    std::lock_guard lk(health_mu_);
    if (health_.reason != errc::io) return;
    health_ = store_health{};
    writable_.store(true, std::memory_order_release);
  }
  std::fprintf(stderr, "eventstore: writes resumed at position %llu\n", static_cast<unsigned long long>(h.position));
}

store_health store::health() const { return impl_->health(); }

std::uint64_t histogram_counts::count() const noexcept {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

store_stats store::stats() const {
  store_stats s;
  s.append_seconds = impl_->stats_.append_seconds.read();
  s.group_events = impl_->stats_.group_events.read();
  std::lock_guard lk(impl_->queue_mu_);
  s.queued_appends = impl_->queue_.size();
  return s;
}

result<std::uint64_t> store::impl::writer_stream_version(std::string_view stream) {
  if (auto it = group_heads_.find(stream); it != group_heads_.end()) return it->second;
  if (auto it = heads_.find(stream); it != heads_.end()) return it->second;
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_heads), rocksdb::Slice(stream.data(), stream.size()), &v);
  std::uint64_t version = 0;
  if (s.ok()) {
    if (v.size() != 8)
      return std::unexpected(make_error(errc::corrupted, "the head of stream " + std::string(stream) + " is malformed"));
    version = detail::get_u64(v.data());
  } else if (!s.IsNotFound()) {
    return std::unexpected(io_error(s, "reading the head of stream " + std::string(stream)));
  }
  if (heads_.size() >= max_cached_heads) heads_.clear();
  heads_.emplace(std::string(stream), version);
  return version;
}

void store::impl::commit_group(std::span<std::unique_ptr<pending_append>> group) {
  batch_.Clear();
  group_heads_.clear();
  group_commands_.clear();
  std::uint64_t pos = next_position_;
  digest prev = prev_hash_;
  canonical::merkle::frontier tree = frontier_;
  const canonical::merkle::node_sink put_node = [this](unsigned level, std::uint64_t index, const digest& root) {
    batch_.Put(cf(cf_merkle), detail::merkle_key(level, index),
               rocksdb::Slice(reinterpret_cast<const char*>(root.data()), root.size()));
  };
  bool any = false;

  for (auto& up : group) {
    pending_append& p = *up;
    if (!writable_.load(std::memory_order_acquire)) {
      p.outcome = std::unexpected(refusal());
      continue;
    }
    if (!p.command_id.empty()) {
      if (auto it = group_commands_.find(p.command_id); it != group_commands_.end()) {
        p.duplicate_of = it->second;
        continue;
      }
      std::string v;
      auto s = db_->Get(rocksdb::ReadOptions(), cf(cf_idem),
                        rocksdb::Slice(p.command_id.data(), p.command_id.size()), &v);
      if (s.ok()) {
        if (v.size() < 24) {
          p.outcome = std::unexpected(make_error(
              errc::corrupted, "the idempotency record of command " + p.command_id + " is malformed"));
        } else {
          p.outcome = append_result{detail::get_u64(v.data()), detail::get_u64(v.data() + 8),
                                    detail::get_u64(v.data() + 16), true};
        }
        continue;
      }
      if (!s.IsNotFound()) {
        p.outcome = std::unexpected(io_error(s, "looking up command " + p.command_id));
        continue;
      }
    }
    auto current = writer_stream_version(p.stream);
    if (!current) {
      p.outcome = std::unexpected(current.error());
      continue;
    }
    if (!p.expected.admits(*current)) {
      p.outcome = std::unexpected(make_error(
          errc::conflict, "stream " + p.stream + " is at version " + std::to_string(*current) +
                              ", expected " + describe(p.expected)));
      continue;
    }
    const std::uint64_t n = p.events.size();
    append_result r{pos, pos + n - 1, *current + n, false};
    std::uint64_t version = *current;
    for (auto& ev : p.events) {
      ++version;
      prev = detail::seal_record(ev.record, pos, version, prev);
      tree.append(prev, put_node);
      char key[8];
      detail::put_u64(key, pos);
      batch_.Put(cf(cf_events), rocksdb::Slice(key, 8), ev.record);
      key_buf_.assign(p.stream);
      key_buf_.push_back('\0');
      detail::append_u64(key_buf_, version);
      batch_.Put(cf(cf_index), key_buf_, rocksdb::Slice(key, 8));
      ++pos;
    }
    if (p.rewrite_position != 0) {
      char key[8];
      detail::put_u64(key, p.rewrite_position);
      batch_.Put(cf(cf_events), rocksdb::Slice(key, 8), p.rewrite_record);
    }
    group_heads_[p.stream] = r.version;
    if (!p.command_id.empty()) {
      value_buf_.clear();
      detail::append_u64(value_buf_, r.first_position);
      detail::append_u64(value_buf_, r.last_position);
      detail::append_u64(value_buf_, r.version);
      value_buf_.append(p.stream);
      batch_.Put(cf(cf_idem), p.command_id, value_buf_);
      group_commands_.emplace(p.command_id, &p);
    }
    p.outcome = r;
    p.accepted = true;
    any = true;
  }

  if (any) {
    for (const auto& [stream, version] : group_heads_)
      batch_.Put(cf(cf_heads), rocksdb::Slice(stream.data(), stream.size()), encode_u64(version));
    batch_.Put(cf(cf_chain), rocksdb::Slice(chain_head_key.data(), chain_head_key.size()),
               encode_head(pos - 1, prev));
    batch_.Put(cf(cf_chain), rocksdb::Slice(chain_merkle_size_key.data(), chain_merkle_size_key.size()),
               encode_u64(pos - 1));
    rocksdb::WriteOptions wo;
    wo.sync = opts_.sync;
    auto s = db_->Write(wo, &batch_);
    if (!s.ok()) {
      // The outcome of a failed write is unknown (it may have reached the
      // WAL), so the in-memory state can no longer be trusted: refuse every
      // later append until RocksDB resumes and the state is re-derived from
      // disk (try_resume), or the store is reopened.
      const error e = io_error(s, "a group commit failed");
      refuse_writes(e.code == errc::corrupted ? e : make_error(errc::io, e.message));
      const error why = refusal();
      for (auto& up : group)
        if (up->accepted) up->outcome = std::unexpected(why);
    } else {
      const auto durable = std::chrono::steady_clock::now();
      for (auto& up : group)
        if (up->accepted)
          stats_.append_seconds.observe(std::chrono::duration<double>(durable - up->queued_at).count());
      stats_.group_events.observe(static_cast<double>(pos - next_position_));
      next_position_ = pos;
      prev_hash_ = prev;
      frontier_ = std::move(tree);
      for (const auto& [stream, version] : group_heads_) {
        if (auto it = heads_.find(stream); it != heads_.end()) {
          it->second = version;
        } else {
          if (heads_.size() >= max_cached_heads) heads_.clear();
          heads_.emplace(std::string(stream), version);
        }
      }
      {
        std::lock_guard lk(hub_->mu);
        hub_->committed = head{pos - 1, prev};
      }
      hub_->cv.notify_all();
    }
  }

  for (auto& up : group) {
    pending_append& p = *up;
    if (p.duplicate_of != nullptr) {
      p.outcome = p.duplicate_of->outcome;
      if (p.outcome) p.outcome->duplicate = true;
    }
  }
  group_heads_.clear();
  group_commands_.clear();
  for (auto& up : group) {
    auto done = std::move(up->done);
    up->done = nullptr;
    try {
      done(std::move(up->outcome));
    } catch (...) {
      // A completion handler must not throw; the writer stays alive regardless.
    }
  }
}

void store::append_async(std::string stream, expected_version expected,
                         std::vector<event_data> events, std::string command_id,
                         std::function<void(result<append_result>)> done,
                         std::function<std::int64_t()> stamp) {
  const options& o = impl_->opts_;
  auto fail = [&](errc c, std::string msg) { done(std::unexpected(make_error(c, std::move(msg)))); };
  if (!detail::valid_stream_name(stream, o.max_stream_name))
    return fail(errc::invalid_stream, "stream name '" + stream.substr(0, 64) +
                                          "' is not [A-Za-z0-9][A-Za-z0-9_.:-]* of at most " +
                                          std::to_string(o.max_stream_name) + " bytes");
  if (stream == erasure_stream)
    return fail(errc::invalid_stream, "stream " + stream + " is reserved for erasure events (erase_payload)");
  for (const auto& e : events)
    if (e.type.starts_with("eventstore."))
      return fail(errc::invalid_type, "event types under 'eventstore.' are reserved for the store itself");
  if (command_id.size() > o.max_command_id)
    return fail(errc::invalid_command_id, "command id longer than " + std::to_string(o.max_command_id) + " bytes");
  if (!detail::valid_utf8(command_id))
    return fail(errc::invalid_command_id, "command id is not valid UTF-8");
  if (events.empty()) return fail(errc::empty_append, "an append needs at least one event");
  if (events.size() > o.max_events_per_append)
    return fail(errc::too_many_events, std::to_string(events.size()) + " events in one append; the limit is " +
                                           std::to_string(o.max_events_per_append));
  std::unique_ptr<pending_append> p;
  try {
    p = std::make_unique<pending_append>();
    p->events.reserve(events.size());
    for (const auto& e : events) {
      auto prepared = detail::prepare_event(o, stream, e, command_id);
      if (!prepared) {
        done(std::unexpected(prepared.error()));
        return;
      }
      p->bytes += prepared->record.size() + stream.size() + 48;
      p->events.push_back(std::move(*prepared));
    }
  } catch (const std::exception& ex) {
    return fail(errc::io, std::string("preparing the append: ") + ex.what());
  }
  p->stream = std::move(stream);
  p->expected = expected;
  p->command_id = std::move(command_id);
  p->done = std::move(done);
  p->stamp = std::move(stamp);
  impl_->enqueue(std::move(p));
}

namespace {

// A one-shot completion for the blocking append: the appending thread sleeps
// on a futex, the writer wakes exactly that thread. (std::atomic::wait would
// first spin with sched_yield, which on a small machine with many appenders
// takes CPU from the writer.) Kept alive by a shared_ptr on both sides.
struct completion {
  result<append_result> r;
  std::atomic<std::uint32_t> ready{0};

  void set(result<append_result> v) {
    r = std::move(v);
    ready.store(1, std::memory_order_release);
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&ready), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
  void wait() {
    while (ready.load(std::memory_order_acquire) == 0)
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&ready), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
};
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

}  // namespace

result<append_result> store::append(std::string_view stream, expected_version expected,
                                    std::vector<event_data> events, std::string_view command_id) {
  auto c = std::make_shared<completion>();
  append_async(std::string(stream), expected, std::move(events), std::string(command_id),
               [c](result<append_result> r) { c->set(std::move(r)); });
  c->wait();
  return std::move(c->r);
}

// ---- reads ----------------------------------------------------------------------------

head store::impl::published_head() const {
  std::lock_guard lk(hub_->mu);
  return hub_->committed;
}

head store::current_head() const { return impl_->published_head(); }

namespace {

// Visits the stored records at positions [from, last] in order, naming the
// first missing position as corrupted. fn(position, bytes) returns
// result<bool>: false stops early. Returns how many records fn accepted.
template <class F>
result<std::uint64_t> for_each_record(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events,
                                      std::uint64_t from, std::uint64_t last, F&& fn) {
  const std::string upper = detail::position_key(last + 1);
  const rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (last != UINT64_MAX) ro.iterate_upper_bound = &upper_slice;
  if (last - from >= 1024) ro.readahead_size = 2 << 20;  // replays read long sequential ranges
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, events));
  std::uint64_t expect = from;
  std::uint64_t visited = 0;
  auto missing = [&] {
    return std::unexpected(make_error(
        errc::corrupted, "event at position " + std::to_string(expect) + " is missing", expect));
  };
  for (it->Seek(detail::position_key(from)); it->Valid() && expect <= last; it->Next(), ++expect) {
    const rocksdb::Slice k = it->key();
    if (k.size() != 8 || detail::get_u64(k.data()) != expect) return missing();
    result<bool> more = fn(expect, std::string_view(it->value().data(), it->value().size()));
    if (!more) return std::unexpected(more.error());
    ++visited;
    if (!*more) return visited;
  }
  if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading events"));
  if (expect <= last) return missing();
  return visited;
}

}  // namespace

result<recorded_event> store::impl::decode(std::uint64_t pos, std::string_view bytes) const {
  auto r = detail::parse_record(bytes);
  if (!r)
    return std::unexpected(make_error(errc::corrupted, "event at position " + std::to_string(pos) + ": " + r.error(), pos));
  if (r->position != pos)
    return std::unexpected(make_error(
        errc::corrupted, "event at position " + std::to_string(pos) + " records position " + std::to_string(r->position),
        pos));
  if (auto bad = check_tombstone(*r, pos)) return std::unexpected(*bad);
  return r->materialize();
}

std::optional<error> store::impl::check_tombstone(const detail::record_view& r, std::uint64_t position) const {
  if (!r.data_erased) return std::nullopt;
  const digest d = sha256(r.data_json);
  {
    std::lock_guard lk(erasures_mu_);
    if (auto it = erasures_.find(position); it != erasures_.end())
      for (const auto& allowed : it->second)
        if (allowed == d) return std::nullopt;
  }
  error e = make_error(errc::corrupted,
                       "event at position " + std::to_string(position) +
                           ": payload marked erased but no erasure event in the chain records its tombstone",
                       position);
  refuse_writes(e);
  return e;
}

void store::impl::note_erasure(std::uint64_t target, const digest& tombstone) {
  std::lock_guard lk(erasures_mu_);
  erasures_[target].push_back(tombstone);
}

result<std::vector<recorded_event>> store::impl::read_range(std::uint64_t from,
                                                            std::size_t limit) const {
  if (from == 0) from = 1;
  const head h = published_head();
  std::vector<recorded_event> out;
  if (from > h.position || limit == 0) return out;
  const std::uint64_t count = std::min<std::uint64_t>(limit, h.position - from + 1);
  out.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1024)));
  auto r = for_each_record(*db_, cf(cf_events), from, from + count - 1,
                           [&](std::uint64_t pos, std::string_view bytes) -> result<bool> {
                             auto e = decode(pos, bytes);
                             if (!e) return std::unexpected(e.error());
                             out.push_back(std::move(*e));
                             return true;
                           });
  if (!r) return std::unexpected(r.error());
  return out;
}

result<std::uint64_t> store::scan(std::uint64_t from_position, std::uint64_t to_position,
                                  const std::function<bool(const event_view&)>& visit) const {
  if (from_position == 0) from_position = 1;
  const head h = impl_->published_head();
  const std::uint64_t last = std::min(to_position, h.position);
  if (from_position > last) return 0;
  return for_each_record(*impl_->db_, impl_->cf(cf_events), from_position, last,
                         [&](std::uint64_t pos, std::string_view bytes) -> result<bool> {
                           auto r = detail::parse_record(bytes);
                           if (!r)
                             return std::unexpected(make_error(
                                 errc::corrupted, "event at position " + std::to_string(pos) + ": " + r.error(), pos));
                           if (r->position != pos)
                             return std::unexpected(make_error(
                                 errc::corrupted, "event at position " + std::to_string(pos) + " records position " +
                                                      std::to_string(r->position), pos));
                           if (auto bad = impl_->check_tombstone(*r, pos)) return std::unexpected(*bad);
                           return visit(*r);
                         });
}

result<std::vector<recorded_event>> store::read_all(std::uint64_t from_position,
                                                    std::size_t limit) const {
  try {
    return impl_->read_range(from_position, limit);
  } catch (const std::exception& e) {
    return std::unexpected(make_error(errc::io, std::string("reading events: ") + e.what()));
  }
}

result<std::vector<recorded_event>> store::read_stream(std::string_view stream,
                                                       std::uint64_t from_version,
                                                       std::size_t limit) const {
  if (!detail::valid_stream_name(stream, impl_->opts_.max_stream_name))
    return std::unexpected(make_error(errc::invalid_stream, "invalid stream name"));
  if (from_version == 0) from_version = 1;
  std::vector<recorded_event> out;
  if (limit == 0) return out;
  try {
    rocksdb::DB& db = *impl_->db_;
    const snapshot_of guard(db);
    const rocksdb::Snapshot* snap = guard.get();

    std::string upper(stream);
    upper.push_back('\x01');
    const rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    ro.iterate_upper_bound = &upper_slice;

    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, impl_->cf(cf_index)));
    std::uint64_t expect = from_version;
    for (it->Seek(detail::stream_index_key(stream, from_version)); it->Valid() && keys.size() < limit;
         it->Next(), ++expect) {
      const rocksdb::Slice k = it->key();
      const rocksdb::Slice v = it->value();
      if (k.size() != stream.size() + 9 || v.size() != 8 ||
          detail::get_u64(k.data() + stream.size() + 1) != expect)
        return std::unexpected(make_error(
            errc::corrupted, "stream index of " + std::string(stream) + " is damaged at version " +
                                 std::to_string(expect)));
      keys.emplace_back(v.data(), v.size());
    }
    if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading the stream index"));
    it.reset();

    std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    if (!keys.empty())
      db.MultiGet(ro, impl_->cf(cf_events), keys.size(), slices.data(), values.data(),
                  statuses.data(), /*sorted_input=*/true);
    out.reserve(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::uint64_t pos = detail::get_u64(keys[i].data());
      if (statuses[i].IsNotFound())
        return std::unexpected(make_error(
            errc::corrupted, "event at position " + std::to_string(pos) + " is missing", pos));
      if (!statuses[i].ok()) return std::unexpected(io_error(statuses[i], "reading events"));
      auto e = impl_->decode(pos, std::string_view(values[i].data(), values[i].size()));
      if (!e) return std::unexpected(e.error());
      if (e->stream != stream || e->version != from_version + i)
        return std::unexpected(make_error(
            errc::corrupted, "event at position " + std::to_string(pos) +
                                 " does not belong to " + std::string(stream) + " version " +
                                 std::to_string(from_version + i),
            pos));
      out.push_back(std::move(*e));
    }
    return out;
  } catch (const std::exception& e) {
    return std::unexpected(make_error(errc::io, std::string("reading a stream: ") + e.what()));
  }
}

result<std::uint64_t> store::stream_version(std::string_view stream) const {
  if (!detail::valid_stream_name(stream, impl_->opts_.max_stream_name))
    return std::unexpected(make_error(errc::invalid_stream, "invalid stream name"));
  std::string v;
  auto s = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(cf_heads),
                           rocksdb::Slice(stream.data(), stream.size()), &v);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return std::unexpected(io_error(s, "reading the head of a stream"));
  if (v.size() != 8)
    return std::unexpected(make_error(errc::corrupted, "the head of stream " + std::string(stream) + " is malformed"));
  return detail::get_u64(v.data());
}

// ---- verify ---------------------------------------------------------------------------

result<head> store::verify(std::uint64_t from_position, std::uint64_t to_position) const {
  auto r = impl_->verify(from_position, to_position, std::nullopt);
  if (!r && r.error().code == errc::corrupted) impl_->refuse_writes(r.error());
  return r;
}

result<head> store::verify_after(const head& trusted, std::uint64_t to_position) const {
  auto r = impl_->verify(trusted.position + 1, to_position, trusted.hash);
  if (!r && r.error().code == errc::corrupted) impl_->refuse_writes(r.error());
  return r;
}

result<head> store::verify_with_progress(std::uint64_t from_position, const progress_fn& progress) const {
  auto r = impl_->verify(from_position, UINT64_MAX, std::nullopt, progress ? &progress : nullptr);
  if (!r && r.error().code == errc::corrupted) impl_->refuse_writes(r.error());
  return r;
}

result<head> store::impl::verify(std::uint64_t from_position, std::uint64_t to_position,
                                 const std::optional<digest>& trusted_anchor, const store::progress_fn* progress) const {
  try {
    rocksdb::DB& db = *db_;
    const snapshot_of guard(db);
    const rocksdb::Snapshot* snap = guard.get();
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;

    auto corrupt = [](std::uint64_t pos, const std::string& why) {
      return std::unexpected(make_error(
          errc::corrupted, "chain broken at position " + std::to_string(pos) + ": " + why, pos));
    };

    auto rec = read_head_record(db, cf(cf_chain), ro);
    if (!rec) return std::unexpected(rec.error());
    const head stored = rec->value_or(head{});

    // Every erasure event up to the head, through the erasure stream's index:
    // the latest erasure of each target decides which tombstone it must hold.
    struct erasure_seen {
      std::uint64_t at = 0;
      digest tombstone{};
    };
    std::unordered_map<std::uint64_t, erasure_seen> latest;  // target → latest erasure
    std::unordered_map<std::uint64_t, std::uint64_t> erasure_events;  // position → target
    {
      erasure_index it(db, ro, cf(cf_index));
      for (; it->Valid(); it->Next()) {
        if (it->value().size() != 8)
          return std::unexpected(make_error(errc::corrupted, "the erasure stream's index is damaged"));
        const std::uint64_t at = detail::get_u64(it->value().data());
        if (at > stored.position) return corrupt(at, "an erasure event beyond the recorded head");
        auto e = read_erasure_event(db, ro, cf(cf_events), at, "event missing");
        if (!e && e.error().index() == 0) return std::unexpected(std::get<0>(e.error()));
        if (!e) return corrupt(at, std::get<1>(e.error()));
        latest[e->target] = erasure_seen{at, e->tombstone};
        erasure_events[at] = e->target;
      }
      if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading the erasure stream"));
    }
    // The target of an erasure must hold the tombstone its latest erasure
    // recorded: `walked` tells whether the record was just re-hashed here.
    auto check_erased = [&](std::uint64_t target, const detail::record_view& r) -> std::optional<error> {
      auto l = latest.find(target);
      if (!r.data_erased) {
        if (l != latest.end())
          return make_error(errc::corrupted, "chain broken at position " + std::to_string(target) +
                                                 ": the erasure recorded at position " + std::to_string(l->second.at) +
                                                 " was undone",
                            target);
        return std::nullopt;
      }
      if (l == latest.end())
        return make_error(errc::corrupted, "chain broken at position " + std::to_string(target) +
                                               ": payload marked erased but no erasure event covers it",
                          target);
      if (sha256(r.data_json) != l->second.tombstone)
        return make_error(errc::corrupted, "chain broken at position " + std::to_string(target) +
                                               ": the tombstone does not match the digest recorded by the erasure "
                                               "at position " + std::to_string(l->second.at),
                          target);
      return std::nullopt;
    };

    if (from_position == 0) from_position = 1;
    const std::uint64_t last = std::min(to_position, stored.position);

    digest anchor = trusted_anchor.value_or(digest{});
    if (from_position > 1 && from_position <= last && !trusted_anchor) {
      std::string v;
      auto s = db.Get(ro, cf(cf_events), detail::position_key(from_position - 1), &v);
      if (s.IsNotFound()) return corrupt(from_position - 1, "event missing");
      if (!s.ok()) return std::unexpected(io_error(s, "reading the anchor event"));
      auto r = detail::parse_record(v);
      if (!r) return corrupt(from_position - 1, r.error());
      anchor = r->hash;
    }

    std::uint64_t expect = from_position;
    if (from_position <= last) {
      const std::string upper = detail::position_key(last + 1);
      const rocksdb::Slice upper_slice(upper);
      rocksdb::ReadOptions iro = ro;
      if (last != UINT64_MAX) iro.iterate_upper_bound = &upper_slice;
      iro.fill_cache = false;
      iro.readahead_size = 2 << 20;
      std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(iro, cf(cf_events)));
      // A walk of the whole log also rebuilds the Merkle tree, to hold the
      // stored one against it at the head.
      std::optional<canonical::merkle::frontier> tree;
      if (from_position == 1 && last == stored.position) tree.emplace();
      for (it->Seek(detail::position_key(from_position)); it->Valid(); it->Next(), ++expect) {
        const rocksdb::Slice k = it->key();
        if (k.size() != 8 || detail::get_u64(k.data()) != expect) return corrupt(expect, "event missing");
        auto r = detail::parse_record(std::string_view(it->value().data(), it->value().size()));
        if (!r) return corrupt(expect, r.error());
        if (r->position != expect)
          return corrupt(expect, "record names position " + std::to_string(r->position));
        if (r->prev_hash != anchor)
          return corrupt(expect, "prev_hash does not link to the event before");
        if (detail::recompute_hash(*r) != r->hash)
          return corrupt(expect, "stored hash does not match the event's bytes");
        if (!r->data_erased) {
          detail::hasher dh;
          dh.update(r->data_json);
          if (dh.finish() != r->data_digest) return corrupt(expect, "payload does not match its digest");
        }
        if (auto bad = check_erased(expect, *r)) return std::unexpected(*bad);
        if (r->stream == erasure_stream && !erasure_events.contains(expect))
          return corrupt(expect, "an erasure event is missing from the erasure stream's index");
        anchor = r->hash;
        if (tree) tree->append(r->hash);
        if (progress && (expect - from_position + 1) % 16384 == 0) (*progress)(expect - from_position + 1, last - from_position + 1);
      }
      if (progress) (*progress)(last - from_position + 1, last - from_position + 1);
      if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading events"));
      if (expect <= last) return corrupt(expect, "event missing");
      if (tree) {
        std::optional<error> failure;
        const auto kept = canonical::merkle::frontier::restore(last, merkle_nodes(failure));
        if (failure) return corrupt(last, failure->message);
        if (kept.root() != tree->root()) return corrupt(last, "the stored Merkle tree does not match the events");
      }

      // Erasures walked here whose target lies before the range (an erasure of
      // an already verified prefix): the target must hold the tombstone and
      // still re-hash to its stored hash.
      for (const auto& [target, seen] : latest) {
        if (target >= from_position || seen.at < from_position || seen.at > last) continue;
        std::string v;
        auto s = db.Get(ro, cf(cf_events), detail::position_key(target), &v);
        if (s.IsNotFound()) return corrupt(target, "event missing");
        if (!s.ok()) return std::unexpected(io_error(s, "reading an erased event"));
        auto r = detail::parse_record(v);
        if (!r) return corrupt(target, r.error());
        if (r->position != target || detail::recompute_hash(*r) != r->hash)
          return corrupt(target, "stored hash does not match the event's bytes");
        if (auto bad = check_erased(target, *r)) return std::unexpected(*bad);
      }
    }

    if (last == stored.position) {
      // The range reaches the head: the head record must be this event, and
      // nothing may follow it.
      if (rec->has_value() && stored.hash != anchor && from_position <= last)
        return corrupt(last, "the head record does not match the last event");
      std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, cf(cf_events)));
      it->Seek(detail::position_key(stored.position + 1));
      if (it->Valid())
        return corrupt(stored.position + 1, rec->has_value()
                                                ? "event stored beyond the recorded head"
                                                : "events are stored but the chain head record is missing");
      if (!it->status().ok()) return std::unexpected(io_error(it->status(), "reading events"));
    }
    if (trusted_anchor && from_position - 1 > stored.position)
      return corrupt(stored.position + 1, "the chain is shorter than the verified prefix (it ended at " +
                                              std::to_string(from_position - 1) + ")");
    if (trusted_anchor && from_position - 1 == stored.position && from_position > last &&
        stored.hash != *trusted_anchor)
      return corrupt(stored.position, "the head record does not match the verified prefix");
    if (from_position > last) return stored;  // nothing in range: the stored head, unwalked
    return head{last, anchor};
  } catch (const std::exception& e) {
    return std::unexpected(make_error(errc::io, std::string("verifying: ") + e.what()));
  }
}

}  // namespace isms::eventstore
