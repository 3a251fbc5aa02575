#pragma once
// Runs the domain's reactions: for every event in the log, the follow-up
// commands the domain names (an approval opened for a request, a subject
// accepted once its approval completes, an approval voided when its subject
// changes, a nonconformity raised by an audit finding) are issued as the
// system actor through the command pipeline.
//
// Each follow-up carries a command id derived from the causing event and from
// what it is (domain::follow_up_command_id), and the reactions read other
// streams as of the causing event, so a reaction run twice (after a crash,
// before its checkpoint was persisted) names the same follow-ups the same and
// writes nothing twice. The checkpoint (the last position whose reactions are
// done) is persisted in the store's meta column family.
//
// Events wait for the runner in a bounded queue: when it is full, delivery
// from the store waits (the subscription reads the log in chunks, so nothing
// else piles up in memory).
//
// Thread-safety: constructed and destroyed on one thread; runs its own.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "isms/domain/reactions.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/commands.hpp"

namespace isms::server {

struct reaction_runner_options {
  // Most events delivered and waiting for their reactions; delivery waits
  // while the queue is full. Default: 1024.
  std::size_t max_queued_events = 1024;
  // A follow-up the server could not take (unavailable, internal, a lasting
  // conflict) is retried after this long, doubling up to last_retry_after;
  // the runner does not move past the event meanwhile. Defaults: 100 ms, 30 s.
  std::chrono::milliseconds first_retry_after{100};
  std::chrono::milliseconds last_retry_after{30000};
};

class reaction_runner {
 public:
  reaction_runner(eventstore::store& store, command_pipeline& pipeline, reaction_runner_options options = {});
  ~reaction_runner();  // finishes the event in hand, persists the checkpoint, stops

  // The last position whose reactions are done.
  [[nodiscard]] std::uint64_t checkpoint() const;
  // Blocks until the reactions of every event up to `position` are done. For tests and the demo loader.
  void wait_done(std::uint64_t position);
  // Events delivered and waiting for their reactions (at most options.max_queued_events).
  [[nodiscard]] std::size_t queued() const;

 private:
  void run();
  // Issues the follow-ups of `e` in order; the first that failed for a reason
  // worth retrying (described), or nullopt when every one was decided.
  std::optional<std::string> issue(const eventstore::recorded_event& e, const std::vector<domain::follow_up>& follow_ups);
  // Reads into `read` the other streams the reactions name for `e`; what
  // failed, or nullopt.
  std::optional<std::string> read_for(const domain::recorded_event& e, domain::stream_reads& read);
  void persist_checkpoint();

  reaction_runner_options options_;
  eventstore::store& store_;
  command_pipeline& pipeline_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<eventstore::recorded_event> queue_;
  std::uint64_t done_ = 0;
  std::uint64_t persisted_ = 0;
  bool closing_ = false;   // delivery stops waiting for room in the queue
  bool stopping_ = false;  // the runner thread stops
  std::thread thread_;
  std::unique_ptr<eventstore::subscription> subscription_;
};

}  // namespace isms::server
