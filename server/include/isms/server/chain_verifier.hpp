#pragma once
// Verification of the whole hash chain while the server runs.
//
// The store's open-time check re-hashes only the last few events, so that
// start is fast. After start, the chain verifier re-walks the whole chain in
// the background, a chunk at a time, logging its progress and publishing it
// in /metrics. When it finds a bad position the store turns read-only
// (eventstore::store::health: appends refused) and /healthz alarms.
//
// It keeps the last verified (position, hash) and only ever extends it:
// GET /api/verify verifies from there to the head (linking to the verified
// hash, not to anything stored in the prefix), one request at a time.
// Erasures recorded after the prefix are checked against their targets
// inside it (docs/eventstore.md).
//
// Thread-safety: every member may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "isms/eventstore/store.hpp"

namespace isms::server {

struct chain_verifier_options {
  // Verify the whole chain in the background after start. Default: true.
  bool background = true;
  // Events re-hashed per step of the background pass; between steps an API
  // verification or shutdown gets its turn. Default: 50000.
  std::uint64_t chunk_events = 50000;
};

class chain_verifier {
 public:
  enum class state { running, verified, failed };

  struct status {
    state current = state::running;
    eventstore::head verified;           // the verified prefix
    std::uint64_t target_position = 0;   // the head the background pass walks to
    std::optional<eventstore::error> failure;
  };

  // What one verification to the head found.
  struct outcome {
    bool ok = false;
    eventstore::head head;            // when ok: the verified head
    std::uint64_t from_position = 1;  // the first position walked by this call
    eventstore::error failure;        // when !ok
  };

  chain_verifier(chain_verifier_options options, eventstore::store& store);
  ~chain_verifier();  // stops the background pass between two chunks and joins it
  chain_verifier(const chain_verifier&) = delete;
  chain_verifier& operator=(const chain_verifier&) = delete;

  // Starts the background pass over positions 1 .. the head at this moment.
  void start();

  // Verifies from the verified prefix to the current head. Returns nullopt
  // without verifying when another caller's verification is running.
  [[nodiscard]] std::optional<outcome> verify_to_head();

  [[nodiscard]] status current() const;

  // Blocks until the background pass has finished (verified, failed or
  // stopped). For tests.
  void wait_background_done();

 private:
  void run_background();
  // One step under run_mutex_: extend the prefix up to `to`.
  outcome extend(std::uint64_t to);

  chain_verifier_options options_;
  eventstore::store& store_;
  std::mutex run_mutex_;            // one verification step at a time
  std::atomic<bool> api_running_{false};
  mutable std::mutex mutex_;        // guards status_ and background_done_
  std::condition_variable done_cv_;
  status status_;
  bool background_done_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

[[nodiscard]] std::string_view to_string(chain_verifier::state s) noexcept;

}  // namespace isms::server
