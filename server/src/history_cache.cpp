#include "isms/server/history_cache.hpp"

namespace isms::server {

domain::recorded_event to_domain_moved(eventstore::recorded_event&& e) {
  // The one mapping of a stored event to the domain's (to_domain copies, then moves).
  domain::recorded_event out;
  out.position = e.position;
  out.stream = std::move(e.stream);
  out.version = e.version;
  out.type = std::move(e.type);
  out.data = std::move(e.data);
  out.meta.actor = std::move(e.metadata.actor);
  out.meta.recorded_at = domain::instant{std::chrono::milliseconds{e.metadata.recorded_at_ms}};
  out.meta.command_id = std::move(e.metadata.command_id);
  out.meta.correlation_id = std::move(e.metadata.correlation_id);
  out.meta.causation_id = std::move(e.metadata.causation_id);
  if (e.metadata.extra.is_object()) {
    if (auto it = e.metadata.extra.find("comment"); it != e.metadata.extra.end() && it->is_string())
      out.meta.comment = it->get<std::string>();
  }
  return out;
}

eventstore::result<history_cache::lease> history_cache::read(const eventstore::store& store,
                                                             std::string_view stream) {
  std::shared_ptr<history> own;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    generation = generation_;
    if (auto it = entries_.find(std::string(stream)); it != entries_.end()) {
      // Taken out while it is extended; put() brings it back.
      own = std::move(it->second.events);
      events_ -= own->size();
      lru_.erase(it->second.lru);
      entries_.erase(it);
    }
  }
  if (own) {
    // Once out of the map, only holders of earlier leases can still read it,
    // and they only let go: alone now means alone for good.
    if (own.use_count() > 1) own = std::make_shared<history>(*own);
    auto tail = store.read_stream(stream, own->size() + 1);
    if (!tail) return std::unexpected(tail.error());
    if (!tail->empty() && tail->front().version != own->size() + 1) {
      own.reset();  // not a continuation: read it all
    } else {
      own->reserve(own->size() + tail->size());
      for (auto& e : *tail) own->push_back(to_domain_moved(std::move(e)));
    }
  }
  if (!own) {
    auto all = store.read_stream(stream);
    if (!all) return std::unexpected(all.error());
    own = std::make_shared<history>();
    own->reserve(all->size());
    for (auto& e : *all) own->push_back(to_domain_moved(std::move(e)));
  }
  return lease{std::string(stream), std::move(own), generation};
}

void history_cache::put(lease l) {
  // An empty history (no such stream yet) is not kept: it would cost an
  // entry that the bound, which counts events, does not see.
  if (!l.events || l.events->empty() || l.events->size() > max_events_) return;
  // Versions are 1..n in order; anything else is not kept.
  if (l.version() != l.events->size()) return;
  // What leaves the cache is destroyed after the lock is released (`evicted`
  // outlives `lock`): freeing a history of thousands of decoded events is
  // not done while every other reader of the cache waits.
  std::vector<std::shared_ptr<history>> evicted;
  std::lock_guard lock(mutex_);
  if (l.generation != generation_) return;
  auto [it, fresh] = entries_.try_emplace(l.stream);
  if (!fresh) {
    if (it->second.events->size() >= l.events->size()) return;
    events_ -= it->second.events->size();
    evicted.push_back(std::move(it->second.events));
    lru_.erase(it->second.lru);
  }
  // Made non-const by read(); handed out as const only.
  it->second.events = std::const_pointer_cast<history>(std::move(l.events));
  lru_.push_front(it->first);
  it->second.lru = lru_.begin();
  events_ += it->second.events->size();
  evict_locked(evicted);
}

void history_cache::evict_locked(std::vector<std::shared_ptr<history>>& evicted) {
  while (events_ > max_events_ && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    events_ -= it->second.events->size();
    evicted.push_back(std::move(it->second.events));
    entries_.erase(it);
    lru_.pop_back();
  }
}

void history_cache::forget_all() {
  std::lock_guard lock(mutex_);
  ++generation_;
  entries_.clear();
  lru_.clear();
  events_ = 0;
}

std::size_t history_cache::events_held() const {
  std::lock_guard lock(mutex_);
  return events_;
}

state_cache::lease state_cache::get(std::string_view stream) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(stream);
  if (it == entries_.end()) return {nullptr, generation_};
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return {it->second.state, generation_};
}

void state_cache::put(std::string_view stream, domain::shared_state state, std::uint64_t generation) {
  if (!state || max_streams_ == 0) return;
  std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  auto it = entries_.find(stream);
  if (it != entries_.end()) {
    if (it->second.state->version() >= state->version()) return;
    it->second.state = std::move(state);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  it = entries_.emplace(std::string(stream), entry{std::move(state), {}}).first;
  lru_.push_front(it->first);
  it->second.lru = lru_.begin();
  while (entries_.size() > max_streams_) {
    entries_.erase(entries_.find(lru_.back()));
    lru_.pop_back();
  }
}

void state_cache::forget_all() {
  std::lock_guard lock(mutex_);
  ++generation_;
  entries_.clear();
  lru_.clear();
}

std::size_t state_cache::streams_held() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace isms::server
