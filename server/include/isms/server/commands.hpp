#pragma once
// The command pipeline: a command from a client (or a reaction, or the
// scheduler) → authorize → the stream's current history → the domain's
// decide → an append at the version decided against → the views include it
// → the reply. Appends from every client go through the store's group
// commit, so concurrent commands share one fsync instead of queueing behind
// each other's.
//
// When the client names no expected version, a conflict (another command
// won the race for the stream) is retried with fresh state, up to
// max_conflict_retries times. When it names one, a stale version is a
// `conflict` reply and nothing is written.
//
// Every command answered is counted by type and outcome, and timed from
// submit() to its reply (command_tally), for GET /metrics.
//
// Thread-safety: submit() may be called from any thread; `done` runs on a
// pool thread or the projection delivery thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/history_cache.hpp"
#include "isms/server/metrics.hpp"
#include "isms/server/projections.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server {

struct command_request {
  std::string type;                             // "risk.assess"
  std::string stream;                           // "risk-R-12"
  std::optional<std::uint64_t> expected_version;  // none → retry on conflict
  std::string command_id;                       // idempotency key; empty → generated
  nlohmann::json data = nlohmann::json::object();
  std::string comment;                          // the why, recorded in metadata
  std::string correlation_id;
  std::string causation_id;
  // A code of the sender's second factor confirming this command (wire:
  // "confirm": {"code": …}); checked, and used up, only once the command is
  // admitted and not a retry of one already recorded.
  std::string confirm_code;
  // Confirmed instead by a sign-in again at the identity provider minutes
  // ago (wire: "confirm": {"sign_in": true}); checked like a code.
  bool confirm_sign_in = false;
  // Server-internal: what confirm_code was found to be, once checked.
  domain::confirmation confirmed = domain::confirmation::none;
  // Server-internal, never from the wire: decide with exactly these roles
  // instead of the user's current ones (the first administrator's bootstrap).
  std::optional<std::vector<domain::role>> roles_override;
  // Server-internal, never from the wire: the server itself issues this
  // command (a reaction or a time rule) with the system role.
  bool as_system = false;
};

struct command_outcome {
  bool ok = false;
  std::string error_code;     // wire error code when !ok
  std::string error_message;
  std::string error_field;
  std::uint64_t position = 0;  // last position written (or of the original, for a duplicate)
  std::uint64_t version = 0;   // the stream's version after the command
  bool duplicate = false;
};

struct pipeline_options {
  // Retries after a conflict when the client gave no expected version. Default: 5
  int max_conflict_retries = 5;
  // Events of recently commanded streams kept decoded in memory, so that a
  // command reads only what was appended to its stream since the last one
  // (history_cache.hpp); 0 reads every stream whole each time. Default: 8192
  std::size_t history_cache_events = 8192;
  // Streams whose folded state is kept, so that a command folds only what
  // its stream gained since the last one (state_cache in history_cache.hpp);
  // 0 folds every stream from its first event each time. Default: 4096
  std::size_t state_cache_streams = 4096;
};

// The commands answered, for /metrics.
struct command_figures {
  struct line {
    std::string_view type;     // a command type of the domain, or "other"
    std::string_view outcome;  // "ok", "duplicate", a wire error code, or "other"
    std::uint64_t count = 0;
  };
  std::vector<line> answered;            // each (type, outcome) answered at least once, by type, then outcome
  metrics::histogram_snapshot seconds;   // from submit() to the reply, per command
  std::uint64_t events_folded = 0;       // of commanded streams, folded to decide
};

// Counts commands by type and outcome in a fixed table of atomics, and times
// them. The labels are bounded whatever clients send: a type the domain does
// not declare (domain::command_types()) counts as "other", and so does an
// outcome that is not "ok", "duplicate" or a wire error code.
// Thread-safety: every member may be called from any thread.
class command_tally {
 public:
  command_tally();

  // The row of `type` in the table (the "other" row for an unknown type).
  [[nodiscard]] std::size_t type_index(std::string_view type) const noexcept;
  // Counts one command answered with `o` after `took`.
  void record(std::size_t type_index, const command_outcome& o, std::chrono::steady_clock::duration took) noexcept;
  // Counts `n` events of a commanded stream folded to decide.
  void folded(std::size_t n) noexcept { events_folded_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] command_figures figures() const;

 private:
  std::vector<std::string_view> types_;  // the domain's, sorted; row types_.size() is "other"
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // (types_.size() + 1) rows × the outcome labels
  metrics::histogram seconds_;
  std::atomic<std::uint64_t> events_folded_{0};
};

// The time source of the server, in UTC milliseconds. Injected so tests and
// the demo loader can drive time; production uses the system clock.
using clock_fn = std::function<std::int64_t()>;

// What the pipeline asks of the server's credentials (auth_service), so
// that a command can be confirmed with its sender's second factor.
struct second_factor_gate {
  // Whether the user has a second factor: enrolled (TOTP), or, signing in
  // only through the identity provider, the provider itself.
  std::function<bool(const std::string& user_id)> enrolled;
  // Whether the actor's roles require one (a command of theirs is refused
  // until they have enrolled).
  std::function<bool(const domain::actor& who)> required;
  // Checks (and uses up) a code: the confirmation it gives, or the wire
  // error {code, message} to answer with.
  std::function<std::expected<domain::confirmation, std::pair<std::string, std::string>>(const std::string& user_id,
                                                                                          const std::string& code)>
      check;
  // Whether the user signed in again at the identity provider recently
  // enough to confirm a decision now.
  std::function<bool(const std::string& user_id)> fresh_sign_in;
};

class command_pipeline {
 public:
  command_pipeline(pipeline_options options, eventstore::store& store, projection_engine& views,
                   worker_pool& pool, clock_fn clock);

  // Decides and appends `request` on behalf of `user_id` (roles are read from
  // the users view at decision time). With request.as_system the server
  // itself acts, as "system" with the system role.
  // `done` is called exactly once, after the views include the result; when
  // the work throws on the worker pool, with `internal` instead. The command
  // stops counting as in flight (drain()) once `done` returns or throws.
  void submit(std::string user_id, command_request request, std::function<void(command_outcome)> done);

  // Installs the second factor's checks; without them no command can be
  // confirmed and no role requires a factor. Call before the first submit.
  void use_second_factor(second_factor_gate gate) { second_factor_ = std::move(gate); }

  // The commands answered since start, by type and outcome, and their times.
  [[nodiscard]] command_figures figures() const { return tally_.figures(); }

  // submit() and wait. Not for I/O threads.
  [[nodiscard]] command_outcome run(std::string user_id, command_request request);

  // The roles a user holds now (empty if unknown or disabled).
  [[nodiscard]] domain::actor actor_of(const std::string& user_id) const;

  // Forgets every cached stream history and folded state. Call after
  // anything that rewrites stored events (a payload erasure).
  void forget_cached_histories() {
    histories_.forget_all();
    states_.forget_all();
  }

  // Reads the other streams a decision or reaction names into `read`: the
  // store's events through the history cache (a stream read recently costs
  // only what was appended since). A malformed stream id reads as a stream
  // that does not exist; any other store error is returned, never mistaken
  // for an empty stream. Any thread.
  [[nodiscard]] eventstore::result<void> read_into(std::span<const std::string> streams,
                                                   domain::stream_reads& read) const;

  // Refuses new commands (`unavailable`) and waits until every command
  // already submitted has had its `done` called. The pool, the store and the
  // views must still run meanwhile. Used at shutdown, so that nothing calls
  // back into parts that are being destroyed.
  void drain();

 private:
  void attempt(std::string user_id, command_request request, int attempt_no,
               std::function<void(command_outcome)> done);
  // A stream as a decision takes it: a folded state and the events after it,
  // or (`from` null) the whole history.
  struct stream_state {
    domain::shared_state from;
    std::shared_ptr<const history_cache::history> events;  // never null
    std::uint64_t generation = 0;                          // of states_, when read
    [[nodiscard]] std::uint64_t version() const {
      return events->empty() ? (from ? from->version() : 0) : events->back().version;
    }
    [[nodiscard]] std::uint64_t position() const {
      return events->empty() ? (from ? from->position() : 0) : events->back().position;
    }
  };
  [[nodiscard]] eventstore::result<stream_state> stream_to_decide(std::string_view stream);
  // Answers a command whose id the store already holds (`original`).
  void answer_recorded(const std::string& user_id, const command_request& request,
                       const eventstore::append_result& original, std::function<void(command_outcome)> done);

  pipeline_options options_;
  eventstore::store& store_;
  projection_engine& views_;
  worker_pool& pool_;
  clock_fn clock_;
  mutable history_cache histories_;
  state_cache states_;
  command_tally tally_;
  second_factor_gate second_factor_;
  // The last recorded_at given; read and written only by the stamp the store
  // calls under its queue lock (see attempt()).
  std::int64_t last_stamp_ = 0;

  std::mutex flight_mutex_;
  std::condition_variable flight_cv_;
  std::size_t in_flight_ = 0;  // submitted, `done` not yet called
  bool draining_ = false;
};

}  // namespace isms::server
