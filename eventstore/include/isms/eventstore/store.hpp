#pragma once
// The event store of ISMS Ledger: a durable, ordered, tamper-evident log.
//
// Every acknowledged append is on disk (synced) and in the hash chain; global
// positions are gapless, start at 1 and equal commit order. The store knows
// nothing of the ISMS: a stream is a name, an event a versioned type name, a
// JSON payload and the metadata of the command that caused it.
//
// This header is all a user needs. RocksDB and OpenSSL stay behind it.
// The design, key layouts and the canonical form of the hash chain are in
// docs/eventstore.md.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/canonical/canonical.hpp"

namespace isms::eventstore {

// What went wrong. Every failure of the store is one of these values; nothing
// throws out of the store.
enum class errc {
  conflict,            // the stream is not at the expected version; nothing written
  invalid_stream,      // stream name empty, too long or not [A-Za-z0-9][A-Za-z0-9_.:-]*
  invalid_type,        // event type not lowercase dotted ending in .vN, or too long
  invalid_data,        // payload or metadata not storable: non-finite number, invalid UTF-8,
                       // metadata.extra not an object
  invalid_command_id,  // command id longer than options::max_command_id
  too_large,           // one event's serialized data + metadata exceeds options::max_event_bytes
  too_many_events,     // more events in one append than options::max_events_per_append
  empty_append,        // an append with no events
  busy,                // options::max_queued_appends appends already wait for the writer
  io,                  // RocksDB or the filesystem failed (e.g. the disk is full); for a failed
                       // append the outcome is unknown: retry later with the same command id.
                       // Also every append refused while the store is read-only after a failed
                       // write (see store::health)
  corrupted,           // stored bytes fail to decode, the chain does not verify, events are
                       // missing, or an erased payload is not covered by an erasure event;
                       // error::position names the first bad position. Also every append
                       // refused after the store found itself corrupted (see store::health)
  closed,              // the store is shutting down
  not_found,           // no such key (get_meta) or directory (restore)
  invalid_argument,    // a caller-supplied argument is unusable (e.g. backup target exists)
};

[[nodiscard]] std::string_view to_string(errc e) noexcept;

struct error {
  errc code = errc::io;
  std::string message;     // says what and, for corrupted, why
  std::uint64_t position = 0;  // for corrupted: the first bad position; otherwise 0
};

template <class T>
using result = std::expected<T, error>;

// Optimistic concurrency for one append.
class expected_version {
 public:
  enum class kind { any, no_stream, exact };

  // Append whatever the stream's current version (including a new stream).
  [[nodiscard]] static expected_version any() noexcept { return {kind::any, 0}; }
  // Append only if the stream has no event yet.
  [[nodiscard]] static expected_version no_stream() noexcept { return {kind::no_stream, 0}; }
  // Append only if the stream currently is at version v (its last event has version v, v >= 1).
  // exact(0) means the same as no_stream().
  [[nodiscard]] static expected_version exact(std::uint64_t v) noexcept {
    return v == 0 ? no_stream() : expected_version{kind::exact, v};
  }

  [[nodiscard]] kind which() const noexcept { return kind_; }
  [[nodiscard]] std::uint64_t value() const noexcept { return value_; }
  // True when a stream at `current` version (0 = no stream) satisfies this expectation.
  [[nodiscard]] bool admits(std::uint64_t current) const noexcept {
    switch (kind_) {
      case kind::any: return true;
      case kind::no_stream: return current == 0;
      case kind::exact: return current == value_;
    }
    return false;
  }

 private:
  expected_version(kind k, std::uint64_t v) noexcept : kind_(k), value_(v) {}
  kind kind_;
  std::uint64_t value_;
};

// Who, when and why, supplied by the server for every event.
struct event_metadata {
  std::string actor;            // user id of who issued the command
  std::string command_id;       // the command that caused the event; empty → the append's command id
  std::string correlation_id;   // the workflow this belongs to, may be empty
  std::string causation_id;     // the event or command that caused it, may be empty
  std::int64_t recorded_at_ms = 0;  // server time, UTC milliseconds since the Unix epoch
  nlohmann::json extra;         // free-form object (e.g. {"comment": "…"}); null means {}
};

// What a caller appends.
struct event_data {
  std::string type;     // versioned, lowercase dotted, e.g. "risk.accepted.v1"
  nlohmann::json data;  // the payload, any JSON value without non-finite numbers
  event_metadata metadata;
};

using digest = canonical::digest;  // a SHA-256 value

// Lowercase hex of a digest (64 characters).
using canonical::to_hex;
// Parses 64 hex characters (either case); nullopt otherwise.
using canonical::digest_from_hex;

// An event as stored: what was appended plus where it landed and its chain links.
struct recorded_event {
  std::uint64_t position = 0;  // global, gapless, 1-based, equal to commit order
  std::string stream;
  std::uint64_t version = 0;   // 1-based within the stream
  std::string type;
  nlohmann::json data;         // the payload; a tombstone object when data_erased
  event_metadata metadata;
  digest data_digest{};        // SHA-256 of the canonical JSON of the original payload
  bool data_erased = false;    // the payload was replaced by a tombstone; data_digest still binds it
  digest prev_hash{};          // hash of the event at position - 1; zeros for position 1
  digest hash{};               // SHA-256(prev_hash || canonical bytes), see docs/eventstore.md

  [[nodiscard]] std::string hash_hex() const { return to_hex(hash); }
  [[nodiscard]] std::string prev_hash_hex() const { return to_hex(prev_hash); }
};

// An event decoded without copying: the strings point into the store's read
// buffers and are valid only during the scan callback that receives the view.
// The payload and metadata.extra stay canonical JSON text (parse only what a
// projection needs); materialize() gives the full recorded_event.
struct event_view {
  std::uint64_t position = 0;
  std::string_view stream;
  std::uint64_t version = 0;
  std::string_view type;
  std::string_view data_json;    // canonical JSON of the payload (or of its tombstone)
  std::string_view actor, command_id, correlation_id, causation_id;
  std::int64_t recorded_at_ms = 0;
  std::string_view extra_json;   // canonical JSON object, "{}" when empty
  digest data_digest{};
  bool data_erased = false;
  digest prev_hash{};
  digest hash{};

  // Parses the JSON parts; errc::corrupted naming the position if they do not parse.
  [[nodiscard]] result<recorded_event> materialize() const;
};

// What an append did.
struct append_result {
  std::uint64_t first_position = 0;  // position of the append's first event
  std::uint64_t last_position = 0;   // position of its last event
  std::uint64_t version = 0;         // the stream's version after the append
  bool duplicate = false;            // the command id was already stored: this is the original
                                     // result and nothing was written
};

// The end of the chain: the last position and its hash. Position 0 and an
// all-zero hash for an empty store.
struct head {
  std::uint64_t position = 0;
  digest hash{};
};

// Bounds and behaviour of a store. Every bound violated is a typed error and
// writes nothing.
struct options {
  // Largest serialized size of one event's data + metadata, in bytes.
  // Default: 1 MiB.
  std::size_t max_event_bytes = std::size_t{1} << 20;
  // Most events one append may carry. Default: 1000.
  std::size_t max_events_per_append = 1000;
  // Longest stream name in bytes; syntax [A-Za-z0-9][A-Za-z0-9_.:-]*. Default: 200.
  std::size_t max_stream_name = 200;
  // Longest event type in bytes; syntax: lowercase dotted segments [a-z0-9_]+
  // (the first starting with a letter), at least two, the last being v<N>
  // (e.g. "risk.accepted.v1"). Default: 200.
  std::size_t max_type_name = 200;
  // Longest command id in bytes (an empty command id disables idempotency for
  // that append). Default: 200.
  std::size_t max_command_id = 200;
  // Most appends waiting for the writer; more are refused with errc::busy.
  // Default: 100000.
  std::size_t max_queued_appends = 100000;
  // How often a store that turned read-only after a failed write (a full
  // disk) asks RocksDB to resume; appends are accepted again once it does.
  // Default: 1 s.
  std::chrono::milliseconds resume_interval{1000};
  // fdatasync every group commit. Only measurements of the ceiling without
  // durability turn this off. Default: true.
  bool sync = true;
  // Create an empty store when the directory holds none. Default: true.
  bool create_if_missing = true;
  // Events re-hashed backwards from the head when the store opens. Default: 16.
  std::size_t open_check_events = 16;
  // Largest value put_meta accepts, in bytes. Default: 16 MiB.
  std::size_t max_meta_bytes = std::size_t{16} << 20;
};

// Whether the store accepts appends, and if not, why. A failed write (a full
// disk, an I/O error) makes the store read-only with reason errc::io until
// RocksDB resumes (tried every options::resume_interval; appends then resume
// by themselves); a failed verification or a tampered record found by a read
// makes it read-only with reason errc::corrupted until it is reopened (and
// the damage repaired). Reads keep working in both cases.
struct store_health {
  bool writable = true;
  errc reason = errc::io;      // when !writable: io or corrupted
  std::string message;         // when !writable: what failed
  std::uint64_t position = 0;  // for corrupted: the first bad position
};

// Observations counted in fixed buckets, in the shape of a Prometheus
// histogram (the server renders it on /metrics).
struct histogram_counts {
  std::vector<double> upper_bounds;   // ascending; a last bucket above them all (+Inf) is implied
  std::vector<std::uint64_t> counts;  // upper_bounds.size() + 1 entries, not cumulative: counts[i]
                                      // observations at most upper_bounds[i] and above the bound
                                      // before it; the last, those above every bound
  double sum = 0;                     // of every observation

  // How many observations, every bucket together.
  [[nodiscard]] std::uint64_t count() const noexcept;
};

// What the writer has done since the store was opened, for monitoring.
struct store_stats {
  // Per acknowledged append (written and synced; not those refused, in
  // conflict or answered as duplicates): seconds from the moment it was queued
  // for the writer until its group commit was durable. count() = appends.
  histogram_counts append_seconds;
  // Per group commit written: the events it carried, all made durable by one
  // sync. count() = group commits, sum = events.
  histogram_counts group_events;
  // Appends waiting for the writer now (queued, not yet taken into a group;
  // bounded by options::max_queued_appends).
  std::size_t queued_appends = 0;
};

// Erasure of personal data (GDPR Art. 17). The erasure is itself an event,
// appended to the reserved stream `erasure_stream` with type
// `erasure_event_type`; its payload names the erased event and the SHA-256 of
// the tombstone that replaced its payload:
//   {"position": N, "stream": …, "version": …, "type": …, "fields": [...],
//    "reason": "…", "tombstone_sha256": "<64 hex>"}
// A payload flagged erased is accepted (by open, reads and verify) only where
// the latest erasure event naming its position records exactly its digest.
inline constexpr std::string_view erasure_stream = "eventstore.erasures";
inline constexpr std::string_view erasure_event_type = "eventstore.payload_erased.v1";
// What an erased field of a tombstone holds.
inline constexpr std::string_view erased_marker = "[erased]";

struct erasure_request {
  std::uint64_t position = 0;       // the event whose payload holds the personal data
  std::vector<std::string> fields;  // top-level string members of its payload to erase (1..64)
  std::string reason;               // why, e.g. "GDPR Art. 17, request DSR-2026-004" (1..1024 bytes)
  event_metadata metadata;          // who (actor), when, command id of the erasure event
};

struct erasure_result {
  std::uint64_t erasure_position = 0;  // where the erasure event landed
  digest tombstone_digest{};           // SHA-256 of the tombstone's canonical JSON
  bool duplicate = false;              // the command id was already used: nothing written
};

class store;

// A live subscription. Destroying it stops delivery and joins its thread; it
// must not be destroyed from inside its own on_event. Destroying the store
// first stops it too; destroying the handle afterwards is then harmless.
// Thread-safety: the handle itself is not shared; use it from one thread.
class subscription {
 public:
  struct state;
  explicit subscription(std::shared_ptr<state> s) noexcept;
  ~subscription();
  subscription(const subscription&) = delete;
  subscription& operator=(const subscription&) = delete;

  // The position the next delivered event will have.
  [[nodiscard]] std::uint64_t next_position() const noexcept;
  // The error that stopped delivery (e.g. a corrupted event), if any.
  [[nodiscard]] std::optional<error> failure() const;

 private:
  std::shared_ptr<state> state_;
};

// The store. Thread-safe: every member may be called from any thread.
class store {
 public:
  // Opens (or creates, if options::create_if_missing) the store in `dir`.
  // Checks the head cheaply before returning: the stored head matches the
  // last event, whose hash and those of the options::open_check_events before
  // it are recomputed and chain; every erasure event is read and the records
  // it names hold the tombstones it recorded. Fails with errc::corrupted naming the
  // position when they do not, errc::io when RocksDB cannot open the directory,
  // errc::not_found when it holds no store and create_if_missing is false.
  [[nodiscard]] static result<std::unique_ptr<store>> open(const options& opts,
                                                            const std::filesystem::path& dir);

  // Drains the queue (every accepted append completes), joins the writer, stops
  // every subscription and closes the database.
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // Appends `events` to `stream` atomically if the stream is at `expected`.
  // Success means durable: synced to disk and linked into the chain.
  // A command id already stored (or appended earlier in the same group commit)
  // returns the original result with duplicate = true and writes nothing; it is
  // checked before the expected version, so a retry of a successful append is
  // answered as a duplicate, not a conflict. An empty command id is never a
  // duplicate. Errors: conflict, invalid_stream, invalid_type, invalid_data,
  // invalid_command_id, too_large, too_many_events, empty_append, busy, closed,
  // io. Every error writes nothing. Blocks until the group commit completes.
  [[nodiscard]] result<append_result> append(std::string_view stream, expected_version expected,
                                             std::vector<event_data> events,
                                             std::string_view command_id);

  // As append, but completes through `done`. `done` runs exactly once: on the
  // writer thread after the group commit (keep it short, never block in it and
  // never call append in it), or synchronously on the calling thread before
  // append_async returns when the append is refused before queueing
  // (bounds, syntax, busy, closed).
  //
  // `stamp`, when given, decides recorded_at_ms (every event's
  // metadata.recorded_at_ms is replaced by its value): it is called exactly
  // once, under the queue's lock, at the moment the append takes its place in
  // commit order, and never for an append refused before queueing. So a stamp
  // that never goes backwards gives recorded_at non-decreasing in position
  // order, while the events are validated, canonicalised and hashed before,
  // on the calling thread, outside any lock. Keep it short: it holds the
  // queue. Calls to it are serialized.
  void append_async(std::string stream, expected_version expected, std::vector<event_data> events,
                    std::string command_id, std::function<void(result<append_result>)> done,
                    std::function<std::int64_t()> stamp = {});

  // Events of `stream` with version >= from_version, in version order, at most
  // `limit`. An unknown stream gives an empty vector. Errors: invalid_stream,
  // corrupted, io.
  [[nodiscard]] result<std::vector<recorded_event>> read_stream(
      std::string_view stream, std::uint64_t from_version = 1,
      std::size_t limit = SIZE_MAX) const;

  // Events with position >= from_position (0 is read as 1), in position order,
  // at most `limit`, only committed ones. Errors: corrupted (also when a
  // position is missing), io.
  [[nodiscard]] result<std::vector<recorded_event>> read_all(std::uint64_t from_position,
                                                             std::size_t limit) const;

  // Replay without copies: calls visit for every committed event with position
  // in [from_position, min(to_position, head)] (0 is read as 1), in order, on
  // the calling thread, until visit returns false. Returns how many events
  // were visited. Errors: corrupted (undecodable record or missing position,
  // after the events before it were visited), io.
  [[nodiscard]] result<std::uint64_t> scan(std::uint64_t from_position, std::uint64_t to_position,
                                           const std::function<bool(const event_view&)>& visit) const;

  // The stream's current committed version; 0 when the stream does not exist.
  // Errors: invalid_stream, io, corrupted.
  [[nodiscard]] result<std::uint64_t> stream_version(std::string_view stream) const;

  // The last committed position and its hash.
  [[nodiscard]] head current_head() const;

  // Catch-up then live: calls on_event for every event with position >=
  // from_position (0 is read as 1), in order, exactly once, with no gap or
  // duplicate at the hand-over from catch-up to live, even under concurrent
  // appends. Delivery runs on a thread owned by the subscription. on_event
  // must not call append (or block on an append_async) on the same store:
  // delivery would stall for a disk sync per event, and destroying the
  // subscription would wait behind that write. Use append_async and let its
  // completion carry on. If reading fails (corrupted, io) delivery stops, on_error (if given) is
  // called once on the delivery thread and failure() reports it.
  [[nodiscard]] std::unique_ptr<subscription> subscribe(
      std::uint64_t from_position, std::function<void(const recorded_event&)> on_event,
      std::function<void(const error&)> on_error = {});

  // Re-walks the chain over [from_position, min(to_position, head)]: every
  // position present, every payload matching its digest, every hash
  // recomputed and linked to the one before (the event at from_position - 1
  // is the trusted anchor; zeros before position 1). An erased payload must be
  // covered by the latest erasure event naming it (docs/eventstore.md), and
  // the target of every erasure event in range must hold the tombstone it
  // recorded. When the range reaches the head, the stored head record must
  // match too. Returns the last verified (position, hash), or errc::corrupted
  // naming the first bad position and why; a corrupted result also makes the
  // store read-only (see health()).
  [[nodiscard]] result<head> verify(std::uint64_t from_position = 1,
                                    std::uint64_t to_position = UINT64_MAX) const;

  // As verify(trusted.position + 1, to_position), but links the first event
  // to `trusted.hash` (a head verified earlier, or {0, zeros} for the whole
  // chain) instead of the stored hash of the event before: extends a
  // verified prefix without trusting anything stored in it. Erasures recorded
  // after the prefix are checked against their targets inside it.
  [[nodiscard]] result<head> verify_after(const head& trusted,
                                          std::uint64_t to_position = UINT64_MAX) const;

  // Told how much of a long job is done, of how much: events verified, or
  // bytes copied by restore.
  using progress_fn = std::function<void(std::uint64_t done, std::uint64_t total)>;

  // verify(from_position), telling `progress` the events walked so far
  // (every 16384, and once at the end).
  [[nodiscard]] result<head> verify_with_progress(std::uint64_t from_position, const progress_fn& progress) const;

  // Erases personal data: in ONE atomic write, appends an erasure event (see
  // erasure_request) and replaces the payload of the event at
  // request.position by its tombstone: the payload with each named field's
  // value replaced by erased_marker, flagged erased. The chain still verifies:
  // the canonical bytes hold the original payload's digest, not the payload,
  // and the erasure event records the tombstone's digest. Erasing an erased
  // event again erases more fields of its tombstone. Backups taken before
  // keep the payload. Blocks until the write is durable.
  // Errors: not_found (no committed event there), invalid_argument (no field,
  // a field absent or not a string, the payload not an object, an empty or
  // too long reason, the event is itself an erasure), corrupted (the payload
  // does not match its digest, or its tombstone is not covered), io, closed,
  // and what append returns.
  [[nodiscard]] result<erasure_result> erase_payload(const erasure_request& request);

  // The Merkle tree over the log (RFC 9162 2.1; docs/eventstore.md): its
  // leaves are the event hashes in position order, and the tree of size N
  // covers positions 1..N. The roots of its perfect subtrees are stored with
  // the events that complete them, so each answer below reads O(log n) nodes.
  // Errors: invalid_argument (a size beyond the committed head, a position
  // outside the tree), corrupted (a node missing or malformed), io.
  //
  // The root of the tree of the first `tree_size` events.
  [[nodiscard]] result<digest> merkle_root(std::uint64_t tree_size) const;
  // The audit path of the event at `position` in the tree of `tree_size`
  // events (RFC 9162 2.1.3); 1 <= position <= tree_size.
  [[nodiscard]] result<std::vector<digest>> inclusion_proof(std::uint64_t position,
                                                            std::uint64_t tree_size) const;
  // The proof that the tree of `to_size` events extends that of `from_size`
  // (RFC 9162 2.1.4); 0 < from_size <= to_size, empty when equal.
  [[nodiscard]] result<std::vector<digest>> consistency_proof(std::uint64_t from_size,
                                                              std::uint64_t to_size) const;

  // Whether appends are accepted now, and if not, why. Cheap; any thread.
  [[nodiscard]] store_health health() const;

  // The writer's figures since open (store_stats). Cheap: a short hold of the
  // queue's lock and relaxed reads of counters the writer keeps; the buckets
  // of one histogram may be a commit apart from each other. Any thread.
  [[nodiscard]] store_stats stats() const;

  // Writes a consistent, online copy of the store (RocksDB Checkpoint: hard
  // links where possible) into `dir`, which must not exist yet (its parent
  // must). Appends continue meanwhile; the copy holds at least every event
  // acknowledged before the call. Errors: invalid_argument, io.
  [[nodiscard]] result<void> backup_to(const std::filesystem::path& dir) const;

  // Copies the backup in `backup` into `dir` (which must be empty or not exist),
  // syncs it, then opens it and verifies the whole chain. On failure `dir` is
  // left for inspection. Errors: not_found, invalid_argument, io, corrupted.
  // `copied` hears the bytes copied so far, `verified` the events verified.
  [[nodiscard]] static result<void> restore(const std::filesystem::path& backup,
                                            const std::filesystem::path& dir, const progress_fn& copied = {},
                                            const progress_fn& verified = {});

  // A small key-value side store (its own column family) for the server's
  // projection checkpoints and similar blobs. put_meta is atomic and durable
  // (synced when options::sync) when it returns. Keys: 1..256 bytes.
  // Errors: invalid_argument, io.
  [[nodiscard]] result<void> put_meta(std::string_view key, std::string_view value);
  // Several keys in one atomic, durable write (one sync for all): all are
  // stored or none. The same bounds as put_meta, checked before anything is
  // written.
  [[nodiscard]] result<void> put_meta(std::span<const std::pair<std::string, std::string_view>> entries);
  // The value stored under `key`, or errc::not_found.
  [[nodiscard]] result<std::string> get_meta(std::string_view key) const;

  // The result of the committed append that carried `command_id` (with
  // duplicate = true), or nullopt when no committed append did. Lets a caller
  // answer a retried command with its original result before deciding it
  // again. Errors: io, corrupted.
  [[nodiscard]] result<std::optional<append_result>> find_command(std::string_view command_id) const;
  // Removes `key` (no error if absent).
  [[nodiscard]] result<void> erase_meta(std::string_view key);

  struct impl;

 private:
  explicit store(std::unique_ptr<impl> p) noexcept;
  std::unique_ptr<impl> impl_;
};

// ---------------------------------------------------------------------------
// The hash chain, exposed so that exports can be verified outside the store.
// The canonical form is specified byte for byte in docs/eventstore.md.

// The canonical JSON text of a value: object keys sorted by bytes, no
// whitespace, UTF-8. Fails with invalid_data for non-finite numbers or
// invalid UTF-8.
[[nodiscard]] result<std::string> canonical_json(const nlohmann::json& value);

// The canonical bytes of an event (everything but the payload itself, which
// enters through data_digest). Fails with invalid_data like canonical_json.
[[nodiscard]] result<std::string> canonical_bytes(const recorded_event& e);

// SHA-256 of arbitrary bytes.
using canonical::sha256;

// SHA-256(prev_hash || canonical_bytes(e)), with e.prev_hash as prev_hash.
[[nodiscard]] result<digest> compute_hash(const recorded_event& e);

// Checks one event against the hash of the event before it (zeros before
// position 1): unless the payload is erased, SHA-256(canonical_json(data)) must
// equal data_digest; prev_hash must equal `expected_prev_hash`; and hash must
// equal compute_hash(e). errc::corrupted naming e.position and why otherwise.
[[nodiscard]] result<void> verify_event(const recorded_event& e, const digest& expected_prev_hash);

// The NDJSON export form of an event (one line of GET /api/events):
// {"position","stream","version","type","data","metadata","data_sha256",
//  "data_erased","prev_hash","hash"}; hashes as lowercase hex.
[[nodiscard]] nlohmann::json to_export_json(const recorded_event& e);
// Parses one export line back; errc::corrupted when a field is missing or malformed.
[[nodiscard]] result<recorded_event> from_export_json(const nlohmann::json& line);

}  // namespace isms::eventstore
