// Catch-up then live subscriptions.
//
// The hand-over has no gap and no duplicate by construction: the delivery
// thread only ever reads positions up to the head the writer has published
// (after the group commit is durable and visible), remembers the next position
// it owes, and waits on the publish condition when it has caught up. There is
// no separate "live" feed that could overlap the catch-up reads.
#include "store_impl.hpp"

namespace isms::eventstore {

namespace {
// Events read per catch-up step; bounds the memory one subscription holds.
constexpr std::size_t read_chunk = 512;
}  // namespace

void subscription::state::run() {
  std::uint64_t pos = next.load();
  auto fail = [&](error e) {
    {
      std::lock_guard lk(mu);
      failure = e;
    }
    if (on_error) {
      try {
        on_error(e);
      } catch (...) {
        // on_error must not throw; delivery has stopped either way.
      }
    }
  };
  while (!stop.load(std::memory_order_acquire)) {
    {
      std::unique_lock lk(hub->mu);
      hub->cv.wait(lk, [&] { return stop.load(std::memory_order_acquire) || hub->committed.position >= pos; });
      if (stop.load(std::memory_order_acquire)) break;
    }
    result<std::vector<recorded_event>> batch;
    try {
      batch = owner->read_range(pos, read_chunk);
    } catch (const std::exception& e) {
      batch = std::unexpected(error{errc::io, std::string("subscription read: ") + e.what(), 0});
    }
    if (!batch) {
      fail(batch.error());
      return;
    }
    for (const recorded_event& e : *batch) {
      if (stop.load(std::memory_order_acquire)) return;
      try {
        on_event(e);
      } catch (const std::exception& ex) {
        fail(error{errc::invalid_argument, std::string("on_event threw: ") + ex.what(), e.position});
        return;
      } catch (...) {
        fail(error{errc::invalid_argument, "on_event threw", e.position});
        return;
      }
      pos = e.position + 1;
      next.store(pos, std::memory_order_release);
    }
  }
}

void subscription::state::stop_and_join() {
  stop.store(true, std::memory_order_release);
  {
    // Taking the hub's mutex orders the stop flag with the delivery thread's
    // predicate check, so the notify below cannot be lost.
    std::lock_guard lk(hub->mu);
  }
  hub->cv.notify_all();
  std::lock_guard lk(mu);
  if (thread.joinable()) {
    if (thread.get_id() == std::this_thread::get_id())
      thread.detach();  // destroyed from inside on_event: the thread holds its own reference
    else
      thread.join();
  }
}

subscription::subscription(std::shared_ptr<state> s) noexcept : state_(std::move(s)) {}

subscription::~subscription() {
  if (!state_) return;
  state_->stop_and_join();
  std::lock_guard lk(state_->hub->mu);
  std::erase_if(state_->hub->subs, [&](const std::weak_ptr<state>& w) {
    auto p = w.lock();
    return !p || p == state_;
  });
}

std::uint64_t subscription::next_position() const noexcept {
  return state_ ? state_->next.load(std::memory_order_acquire) : 0;
}

std::optional<error> subscription::failure() const {
  if (!state_) return std::nullopt;
  std::lock_guard lk(state_->mu);
  return state_->failure;
}

std::unique_ptr<subscription> store::subscribe(std::uint64_t from_position,
                                               std::function<void(const recorded_event&)> on_event,
                                               std::function<void(const error&)> on_error) {
  auto s = std::make_shared<subscription::state>();
  s->hub = impl_->hub_;
  s->owner = impl_.get();
  s->on_event = std::move(on_event);
  s->on_error = std::move(on_error);
  s->next.store(from_position == 0 ? 1 : from_position);
  {
    std::lock_guard lk(s->hub->mu);
    std::erase_if(s->hub->subs, [](const std::weak_ptr<subscription::state>& w) { return w.expired(); });
    s->hub->subs.push_back(s);
  }
  {
    std::lock_guard lk(s->mu);
    s->thread = std::thread([s] { s->run(); });
  }
  return std::make_unique<subscription>(s);
}

}  // namespace isms::eventstore
