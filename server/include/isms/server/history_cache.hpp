#pragma once
// Recently commanded streams' histories, decoded, by stream and version, so
// that a command reads from the store only the events appended since the
// stream was last decided on, instead of re-reading and re-parsing the whole
// stream every time.
//
// A history handed out equals what the store holds for the stream at that
// version: streams are append-only, a cached history is extended only by
// the store's own events after its last version (checked to follow on
// without a gap), and anything that rewrites a stored event (a payload
// erasure) must call forget_all(), after which nothing taken earlier is put
// back. Bounded by the number of events held (least recently used streams
// go first).
//
// Thread-safety: every member may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/eventstore/store.hpp"

namespace isms::server {

class history_cache {
 public:
  using history = std::vector<domain::recorded_event>;

  // A stream's whole history at one version, owned by the caller until it is
  // given back with put().
  struct lease {
    std::string stream;
    std::shared_ptr<const history> events;  // never null on success
    std::uint64_t generation = 0;
    [[nodiscard]] std::uint64_t version() const { return events->empty() ? 0 : events->back().version; }
  };

  // `max_events` 0 turns the cache off (every read goes to the store).
  explicit history_cache(std::size_t max_events) : max_events_(max_events) {}

  // The stream's history as the store holds it now: the cached part plus the
  // events after it, read from the store (all of it on a miss). Errors are
  // the store's (invalid_stream, corrupted, io).
  [[nodiscard]] eventstore::result<lease> read(const eventstore::store& store, std::string_view stream);

  // Keeps `l` for the next read of its stream, unless forget_all() ran since
  // it was read, or a longer history of the stream is kept already.
  void put(lease l);

  // Drops everything; histories read before are not put back.
  void forget_all();

  // Events held now (for /metrics and tests).
  [[nodiscard]] std::size_t events_held() const;

 private:
  struct entry {
    std::shared_ptr<history> events;
    std::list<std::string>::iterator lru;  // position in lru_
  };
  void evict_locked(std::vector<std::shared_ptr<history>>& evicted);

  const std::size_t max_events_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
  std::list<std::string> lru_;  // most recently used first
  std::size_t events_ = 0;
  std::uint64_t generation_ = 0;
};

// The folded state of recently commanded streams (domain::folded_state), so
// that deciding a command folds only the events its stream gained since the
// last decision on it, however long the stream has grown (the history cache
// keeps no stream longer than its bound; this keeps any).
//
// A state put is the fold of the stream's stored events up to its version:
// streams are append-only, and anything that rewrites a stored event (a
// payload erasure) must call forget_all(), after which states folded from
// earlier reads are not put back. Bounded by the number of streams (least
// recently used go first).
//
// Thread-safety: every member may be called from any thread.
class state_cache {
 public:
  struct lease {
    domain::shared_state state;  // null when none is kept
    std::uint64_t generation = 0;
  };

  // `max_streams` 0 turns the cache off.
  explicit state_cache(std::size_t max_streams) : max_streams_(max_streams) {}

  [[nodiscard]] lease get(std::string_view stream) const;
  // Keeps `state` for `stream` unless forget_all() ran since `generation`
  // was handed out or a later version is kept already.
  void put(std::string_view stream, domain::shared_state state, std::uint64_t generation);
  void forget_all();
  // Streams held now (for tests).
  [[nodiscard]] std::size_t streams_held() const;

 private:
  struct entry {
    domain::shared_state state;
    std::list<std::string>::iterator lru;  // position in lru_
  };

  const std::size_t max_streams_;
  mutable std::mutex mutex_;
  // Found by a string_view without building a string.
  struct hash : std::hash<std::string_view> {
    using is_transparent = void;
  };
  mutable std::unordered_map<std::string, entry, hash, std::equal_to<>> entries_;
  mutable std::list<std::string> lru_;  // most recently used first
  std::uint64_t generation_ = 0;
};

// An event read from the store as the domain sees it, its payload moved, not copied.
[[nodiscard]] domain::recorded_event to_domain_moved(eventstore::recorded_event&& e);

}  // namespace isms::server
