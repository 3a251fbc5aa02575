#pragma once
// Internal: the state behind isms::eventstore::store.
//
// Ownership (see docs/eventstore.md, "The writer"):
//   - the writer thread alone owns next_position_, prev_hash_, heads_,
//     batch_ and the resume attempts; nothing else reads them;
//   - health_ is guarded by health_mu_, mirrored in writable_ for the fast
//     path; erasures_ is guarded by erasures_mu_ (insert-only while open);
//   - queue_, closing_ and writer_idle_ are guarded by queue_mu_;
//   - stats_ is written by the writer thread alone, with relaxed atomics that
//     store::stats() reads from any thread;
//   - the committed head is published through publish_hub (guarded by its
//     mutex) after each successful group commit; readers and subscriptions
//     never look past it;
//   - db_ and cfs_ are set in open() and constant until the destructor.

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "codec.hpp"
#include "isms/canonical/merkle.hpp"
#include "stats.hpp"

namespace isms::eventstore {

// Column families, in the order they are opened.
enum cf_id : std::size_t {
  cf_default,  // unused (RocksDB requires it)
  cf_events,   // position (u64 BE) → stored record
  cf_index,    // stream 0x00 version (u64 BE) → position (u64 BE)
  cf_heads,    // stream → version (u64 BE)
  cf_idem,     // command id → first, last, version (3 × u64 BE) + stream
  cf_meta,     // the server's side store: key → value
  cf_chain,    // "head" → position (u64 BE) + hash; "format" → format name;
               // "merkle_size" → leaves in the merkle column family (u64 BE)
  cf_merkle,   // level (u8) index (u64 BE) → root of that perfect subtree (32 bytes)
  cf_count,
};

inline constexpr const char* cf_names[cf_count] = {
    "default", "events", "stream_index", "stream_heads", "idempotency", "meta", "chain", "merkle"};
inline constexpr std::string_view chain_head_key = "head";
inline constexpr std::string_view chain_format_key = "format";
inline constexpr std::string_view chain_format_value = "isms-eventstore/1";
inline constexpr std::string_view chain_merkle_size_key = "merkle_size";

// What the writer publishes after every group commit; shared with the
// subscriptions so that they can be stopped even after the store is gone.
struct publish_hub {
  std::mutex mu;
  std::condition_variable cv;
  head committed;                                       // guarded by mu
  std::vector<std::weak_ptr<subscription::state>> subs;  // guarded by mu
};

// One append waiting for (or being handled by) the writer.
struct pending_append {
  std::string stream;
  expected_version expected = expected_version::any();
  std::string command_id;
  std::vector<detail::prepared_event> events;
  std::size_t bytes = 0;
  std::function<void(result<append_result>)> done;
  // When set, called under the queue lock as the append is queued; its value
  // becomes every event's recorded_at_ms (see store::append_async).
  std::function<std::int64_t()> stamp;
  // When it took its place in the queue (store_stats::append_seconds).
  std::chrono::steady_clock::time_point queued_at{};
  // Filled by the writer.
  result<append_result> outcome;
  bool accepted = false;                      // part of the group's WriteBatch
  // An erasure: the record at rewrite_position is replaced by rewrite_record
  // in the same WriteBatch as this append's (erasure) event.
  std::uint64_t rewrite_position = 0;
  std::string rewrite_record;
  const pending_append* duplicate_of = nullptr;  // same command id earlier in the group
};

struct subscription::state {
  std::shared_ptr<publish_hub> hub;
  const store::impl* owner = nullptr;  // valid while the thread runs (the store joins it)
  std::function<void(const recorded_event&)> on_event;
  std::function<void(const error&)> on_error;
  std::atomic<std::uint64_t> next{1};
  std::atomic<bool> stop{false};
  mutable std::mutex mu;         // guards failure and thread
  std::optional<error> failure;
  std::thread thread;

  void run();
  void stop_and_join();
};

// Heterogeneous lookup for the writer's maps, so that looking a stream up by
// string_view allocates nothing.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct store::impl {
  options opts_;
  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::shared_ptr<publish_hub> hub_ = std::make_shared<publish_hub>();

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<std::unique_ptr<pending_append>> queue_;
  bool closing_ = false;
  bool writer_idle_ = false;

  // Owned by the writer thread.
  std::uint64_t next_position_ = 1;
  digest prev_hash_{};
  canonical::merkle::frontier frontier_;  // the tree over positions 1..next_position_ - 1
  std::unordered_map<std::string, std::uint64_t, string_hash, std::equal_to<>> heads_;
  rocksdb::WriteBatch batch_;
  std::chrono::steady_clock::time_point last_resume_attempt_{};
  // Written by the writer thread only, read by stats() from any thread.
  detail::writer_stats stats_;

  // Read-only state (one mechanism for a failed write and for corruption).
  mutable std::mutex health_mu_;
  mutable store_health health_;
  mutable std::atomic<bool> writable_{true};

  // Erasures: target position → SHA-256 of every tombstone an erasure event
  // recorded for it (reads accept any of them; verify insists on the latest).
  mutable std::mutex erasures_mu_;
  std::unordered_map<std::uint64_t, std::vector<digest>> erasures_;
  std::mutex erase_mu_;  // one erasure at a time (read, rebuild, append)
  std::string key_buf_, value_buf_;  // reused for keys and small values of the batch
  std::unordered_map<std::string_view, std::uint64_t> group_heads_;
  std::unordered_map<std::string_view, pending_append*> group_commands_;

  std::thread writer_;

  ~impl();

  // Opens RocksDB and checks the head; no thread is running yet.
  [[nodiscard]] result<void> open_db();
  [[nodiscard]] result<void> check_head();
  [[nodiscard]] result<void> load_erasures();
  // Brings the stored Merkle tree up to the head (a store written before the
  // tree was kept gets it here, once) and restores the writer's frontier.
  [[nodiscard]] result<void> load_merkle();
  // The stored root of the perfect subtree (level, index); errors through `failure`.
  [[nodiscard]] canonical::merkle::node_source merkle_nodes(std::optional<error>& failure) const;
  [[nodiscard]] result<std::uint64_t> merkle_size() const;
  void start_writer();

  // Read-only state. refuse_writes keeps errc::corrupted once set (it wins
  // over io); make_writable clears only an io state.
  void refuse_writes(const error& why) const;
  [[nodiscard]] store_health health() const;
  [[nodiscard]] error refusal() const;
  void try_resume();
  // For a record flagged erased: errc::corrupted naming `position` unless an
  // erasure event recorded its tombstone's digest. Latches read-only.
  [[nodiscard]] std::optional<error> check_tombstone(const detail::record_view& r, std::uint64_t position) const;
  void note_erasure(std::uint64_t target, const digest& tombstone);
  void purge_old_versions(std::uint64_t position);

  void enqueue(std::unique_ptr<pending_append> p);
  void writer_loop();
  void commit_group(std::span<std::unique_ptr<pending_append>> group);
  [[nodiscard]] result<std::uint64_t> writer_stream_version(std::string_view stream);

  [[nodiscard]] head published_head() const;
  // Decodes a stored record read at `pos`, checking its position and, when
  // erased, its tombstone.
  // `progress` (may be null) hears the events walked so far, every 16384.
  [[nodiscard]] result<head> verify(std::uint64_t from, std::uint64_t to,
                                    const std::optional<digest>& trusted_anchor,
                                    const store::progress_fn* progress = nullptr) const;
  [[nodiscard]] result<recorded_event> decode(std::uint64_t pos, std::string_view bytes) const;
  [[nodiscard]] result<std::vector<recorded_event>> read_range(std::uint64_t from,
                                                               std::size_t limit) const;
  [[nodiscard]] rocksdb::ColumnFamilyHandle* cf(cf_id id) const { return cfs_[id]; }
};

[[nodiscard]] error io_error(const rocksdb::Status& s, std::string_view what);

// What an erasure event records: the erased position and the tombstone's
// digest. nullopt when `r` is not a well-formed erasure event.
struct erasure_record {
  std::uint64_t target = 0;
  digest tombstone{};
};
[[nodiscard]] std::optional<erasure_record> parse_erasure(const detail::record_view& r);

}  // namespace isms::eventstore
