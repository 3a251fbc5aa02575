#include "isms/server/commands.hpp"

#include <algorithm>
#include <future>

#include <sodium.h>

#include "isms/domain/dispatch.hpp"
#include "isms/server/log.hpp"
#include "isms/server/view_access.hpp"

namespace isms::server {

namespace {

std::string_view wire_code(eventstore::errc e) {
  switch (e) {
    case eventstore::errc::conflict: return "conflict";
    case eventstore::errc::too_large:
    case eventstore::errc::too_many_events: return "too_large";
    case eventstore::errc::busy: return "unavailable";
    case eventstore::errc::closed: return "unavailable";
    case eventstore::errc::invalid_stream:
    case eventstore::errc::invalid_type:
    case eventstore::errc::invalid_data:
    case eventstore::errc::invalid_command_id:
    case eventstore::errc::empty_append:
    case eventstore::errc::invalid_argument: return "bad_request";
    default: return "internal";
  }
}

command_outcome failure(std::string_view code, std::string message, std::string field = {}) {
  command_outcome o;
  o.error_code = std::string(code);
  o.error_message = std::move(message);
  o.error_field = std::move(field);
  return o;
}

// A command sent for another version of its stream than the stored one.
// Expecting version 0 is creating the entity: then its id is taken, which is
// what the client has to hear (field `stream`).
command_outcome version_conflict(const std::string& stream, std::uint64_t expected, std::string mismatch) {
  if (expected == 0)
    return failure("conflict", stream + " exists already: the id is taken, choose another (nothing was written)",
                   "stream");
  return failure("conflict", std::move(mismatch));
}

// The failure handler of a pool job that owes `reply`: an `internal` error.
// What the job threw is in the server log, not in the reply.
worker_pool::failure_fn answer_internal(std::function<void(command_outcome)> reply) {
  return [reply = std::move(reply)](std::string_view) {
    reply(failure("internal", "the command failed on the server; the server log has the cause"));
  };
}

std::string generated_command_id() {
  unsigned char raw[16];
  randombytes_buf(raw, sizeof raw);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "srv-";
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

// "ok", "duplicate", the wire error codes (docs/protocol.md), and "other".
constexpr std::string_view outcome_labels[] = {"ok",           "duplicate", "bad_request", "unauthenticated",
                                               "forbidden",    "not_found", "conflict",    "rejected",
                                               "rate_limited", "too_large", "unavailable", "internal",
                                               "other"};
constexpr std::size_t outcome_count = std::size(outcome_labels);
constexpr std::string_view other_label = "other";

std::size_t outcome_index(const command_outcome& o) noexcept {
  if (o.ok) return o.duplicate ? 1 : 0;
  for (std::size_t i = 2; i + 1 < outcome_count; ++i)
    if (outcome_labels[i] == o.error_code) return i;
  return outcome_count - 1;
}

std::vector<std::string_view> sorted_command_types() {
  const auto declared = domain::command_types();
  std::vector<std::string_view> types(declared.begin(), declared.end());
  std::ranges::sort(types);
  const auto [first, last] = std::ranges::unique(types);
  types.erase(first, last);
  return types;
}

}  // namespace

command_tally::command_tally()
    : types_(sorted_command_types()),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>((types_.size() + 1) * outcome_count)),
      seconds_(metrics::request_seconds_buckets) {}

std::size_t command_tally::type_index(std::string_view type) const noexcept {
  const auto it = std::ranges::lower_bound(types_, type);
  if (it != types_.end() && *it == type) return static_cast<std::size_t>(it - types_.begin());
  return types_.size();
}

void command_tally::record(std::size_t type_index, const command_outcome& o,
                           std::chrono::steady_clock::duration took) noexcept {
  const std::size_t row = std::min(type_index, types_.size());
  counts_[row * outcome_count + outcome_index(o)].fetch_add(1, std::memory_order_relaxed);
  seconds_.observe(std::chrono::duration<double>(took).count());
}

command_figures command_tally::figures() const {
  command_figures f;
  for (std::size_t row = 0; row <= types_.size(); ++row)
    for (std::size_t out = 0; out < outcome_count; ++out)
      if (const auto n = counts_[row * outcome_count + out].load(std::memory_order_relaxed); n != 0)
        f.answered.push_back({row < types_.size() ? types_[row] : other_label, outcome_labels[out], n});
  f.seconds = seconds_.snapshot();
  f.events_folded = events_folded_.load(std::memory_order_relaxed);
  return f;
}

command_pipeline::command_pipeline(pipeline_options options, eventstore::store& store, projection_engine& views,
                                   worker_pool& pool, clock_fn clock)
    : options_(options),
      store_(store),
      views_(views),
      pool_(pool),
      clock_(std::move(clock)),
      histories_(options.history_cache_events),
      states_(options.state_cache_streams) {}

domain::actor command_pipeline::actor_of(const std::string& user_id) const {
  domain::actor a;
  a.user_id = user_id;
  views_.read_current([&](const domain::views::all_views& v) { a.roles = roles_of(v, user_id); });
  return a;
}

void command_pipeline::submit(std::string user_id, command_request request,
                              std::function<void(command_outcome)> done) {
  // Counted and timed as the reply is given, before the caller sees it: a
  // client that has its answer finds it in /metrics.
  done = [this, type = tally_.type_index(request.type), started = std::chrono::steady_clock::now(),
          done = std::move(done)](command_outcome o) {
    tally_.record(type, o, std::chrono::steady_clock::now() - started);
    done(std::move(o));
  };
  {
    std::unique_lock lock(flight_mutex_);
    if (draining_) {
      lock.unlock();
      return done(failure("unavailable", "the server is shutting down; retry with the same command_id"));
    }
    ++in_flight_;
  }
  // Counts the command out when its reply is given, whichever path gives it,
  // and even when giving it throws: drain() waits for the count to reach 0.
  auto finish = [this, done = std::move(done)](command_outcome o) {
    struct count_out {
      command_pipeline* self;
      ~count_out() {
        {
          std::lock_guard lock(self->flight_mutex_);
          --self->in_flight_;
        }
        self->flight_cv_.notify_all();
      }
    } counted{this};
    done(std::move(o));
  };
  if (request.command_id.empty()) request.command_id = generated_command_id();
  // One reply, whether the decision gives it or a failure of the job does.
  auto reply = at_most_once(std::function<void(command_outcome)>(std::move(finish)));
  pool_.post([this, user_id = std::move(user_id), request = std::move(request), reply]() mutable {
    attempt(std::move(user_id), std::move(request), 0, reply);
  }, answer_internal(reply));
}

void command_pipeline::drain() {
  std::unique_lock lock(flight_mutex_);
  draining_ = true;
  flight_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

command_outcome command_pipeline::run(std::string user_id, command_request request) {
  std::promise<command_outcome> p;
  auto f = p.get_future();
  submit(std::move(user_id), std::move(request), [&p](command_outcome o) { p.set_value(std::move(o)); });
  // Called from a job of the pool the decision runs on (an upload's attach, a
  // first sign-in), a plain wait could hold the thread the decision needs.
  return pool_.wait_helping(f);
}

void command_pipeline::answer_recorded(const std::string& user_id, const command_request& request,
                                       const eventstore::append_result& original,
                                       std::function<void(command_outcome)> done) {
  // The original result belongs to whoever sent the command: it is told only
  // to the same actor sending to the same stream. Anyone else reusing the id
  // learns that it is taken, and nothing about the command that took it.
  auto recorded = store_.read_all(original.last_position, 1);
  if (!recorded) return done(failure("internal", recorded.error().message));
  if (recorded->empty() || recorded->front().stream != request.stream ||
      recorded->front().metadata.actor != user_id)
    return done(failure("conflict",
                        "command_id '" + request.command_id +
                            "' is already taken by another command; send this one with a new command_id",
                        "command_id"));
  command_outcome o;
  o.ok = true;
  o.duplicate = true;
  o.position = original.last_position;
  o.version = original.version;
  views_.when_applied(o.position, [done = std::move(done), o]() mutable { done(std::move(o)); });
}

void command_pipeline::attempt(std::string user_id, command_request request, int attempt_no,
                               std::function<void(command_outcome)> done) {
  domain::command_context ctx;
  if (request.as_system) {
    user_id = "system";
    ctx.by = domain::actor{"system", {domain::role::system}};
  } else {
    ctx.by = actor_of(user_id);
  }
  if (request.roles_override) ctx.by.roles = *request.roles_override;
  ctx.command_id = request.command_id;
  ctx.now = domain::instant{std::chrono::milliseconds{clock_()}};
  if (ctx.by.roles.empty())
    return done(failure("forbidden", "user '" + user_id + "' holds no role or is disabled"));
  // Who may send what comes first: nothing below, not even whether a command
  // id is known, is told to an actor the command's type is not for.
  if (auto refused = domain::admit_command(request.type, request.stream, request.data, ctx))
    return done(failure(domain::wire_code(refused->kind), refused->message, refused->field));

  // A command already recorded (a retry after a lost reply) is answered with
  // its original result, before deciding it again on newer state.
  if (attempt_no == 0) {
    auto known = store_.find_command(request.command_id);
    if (!known) return done(failure("internal", known.error().message));
    if (known->has_value()) return answer_recorded(user_id, request, **known, std::move(done));
  }

  // The sender's second factor: required by their roles before they act at
  // all, and a code sent with the command checked (once, on the first
  // attempt: a retry after a conflict keeps what it confirmed).
  if (!request.as_system && !request.roles_override && second_factor_.enrolled) {
    ctx.second_factor = second_factor_.enrolled(user_id);
    if (!ctx.second_factor && second_factor_.required(ctx.by))
      return done(failure("forbidden",
                          "your roles require a second factor: enrol one under Account before you act"));
    if (attempt_no == 0 && !request.confirm_code.empty()) {
      if (!ctx.second_factor)
        return done(failure("bad_request", "no second factor is enrolled to confirm with", "confirm.code"));
      auto confirmed = second_factor_.check(user_id, request.confirm_code);
      if (!confirmed) return done(failure(confirmed.error().first, confirmed.error().second, "confirm.code"));
      request.confirmed = *confirmed;
    }
    if (attempt_no == 0 && request.confirm_sign_in) {
      if (!second_factor_.fresh_sign_in || !second_factor_.fresh_sign_in(user_id))
        return done(failure("unauthenticated",
                            "sign in again at the identity provider (within the last five minutes) to confirm this",
                            "confirm.sign_in"));
      request.confirmed = domain::confirmation::sign_in;
    }
    ctx.confirmed = request.confirmed;
  }

  // The stream as the decision needs it: the state folded by the last
  // decision on it and the events appended since, else its whole history
  // (what the history cache holds plus what was appended since).
  auto stream = stream_to_decide(request.stream);
  if (!stream) {
    if (stream.error().code == eventstore::errc::invalid_stream)
      return done(failure("bad_request", "stream: " + stream.error().message, "stream"));
    return done(failure("internal", stream.error().message));
  }
  const std::uint64_t current_version = stream->version();
  const std::uint64_t current_position = stream->position();
  if (request.expected_version && *request.expected_version != current_version)
    return done(version_conflict(request.stream, *request.expected_version,
                                 "stream " + request.stream + " is at version " + std::to_string(current_version) +
                                     ", not " + std::to_string(*request.expected_version)));

  // The aggregate parses the command and folds the stream; the facts from
  // other streams it names (the risk matrix, a user, an approval's subject)
  // are read here, and the decision is taken on them alone.
  auto prepared = domain::prepare_command(request.type, request.stream, request.data, *stream->events, ctx,
                                          stream->from);
  tally_.folded(stream->events->size());
  if (!prepared)
    return done(failure(domain::wire_code(prepared.error().kind), prepared.error().message, prepared.error().field));
  // The next command on this stream folds on from here.
  states_.put(request.stream, (*prepared)->folded(), stream->generation);
  domain::stream_reads read;
  if (auto r = read_into((*prepared)->reads(), read); !r) return done(failure("internal", r.error().message));
  auto decided = (*prepared)->decide(read, ctx);
  if (!decided) {
    return done(failure(domain::wire_code(decided.error().kind), decided.error().message, decided.error().field));
  }
  if (decided->empty()) {
    // Nothing to record (the command changes nothing): report where the stream stands.
    command_outcome o;
    o.ok = true;
    o.version = current_version;
    o.position = current_position;
    return done(o);
  }

  std::vector<eventstore::event_data> events;
  events.reserve(decided->size());
  for (auto& ne : *decided) {
    eventstore::event_data ed;
    ed.type = std::move(ne.type);
    ed.data = std::move(ne.data);
    ed.metadata.actor = user_id;
    ed.metadata.command_id = request.command_id;
    ed.metadata.correlation_id = request.correlation_id.empty() ? request.command_id : request.correlation_id;
    ed.metadata.causation_id = request.causation_id;
    ed.metadata.extra = nlohmann::json::object();
    if (!request.comment.empty()) ed.metadata.extra["comment"] = request.comment;
    events.push_back(std::move(ed));
  }

  // The stream and command id go to the store; the request itself (its data
  // a JSON tree) moves into the completion, which needs it only to retry.
  std::string stream_id = request.stream;
  std::string command_id = request.command_id;
  auto on_appended = [this, user_id = std::move(user_id), request = std::move(request), attempt_no,
                      done = std::move(done)](eventstore::result<eventstore::append_result> r) mutable {
    // Runs on the store's writer thread: hand everything else to others.
    if (!r) {
      if (r.error().code == eventstore::errc::conflict && !request.expected_version &&
          attempt_no < options_.max_conflict_retries) {
        // `done` is submit()'s at-most-once reply: the job and its failure
        // handler share it.
        pool_.post([this, user_id = std::move(user_id), request = std::move(request), attempt_no, done]() mutable {
          attempt(std::move(user_id), std::move(request), attempt_no + 1, done);
        }, answer_internal(done));
        return;
      }
      auto code = wire_code(r.error().code);
      if (code == "internal") log::error("commands", "append failed: " + r.error().message);
      auto o = r.error().code == eventstore::errc::conflict && request.expected_version
                   ? version_conflict(request.stream, *request.expected_version, r.error().message)
                   : failure(code, r.error().message);
      pool_.post([done, o = std::move(o)]() mutable { done(std::move(o)); }, answer_internal(done));
      return;
    }
    if (r->duplicate) {
      // Another submission of the same command id committed first.
      pool_.post([this, user_id = std::move(user_id), request = std::move(request), original = *r, done]() mutable {
        answer_recorded(user_id, request, original, done);
      }, answer_internal(done));
      return;
    }
    command_outcome o;
    o.ok = true;
    o.position = r->last_position;
    o.version = r->version;
    views_.when_applied(o.position, [done = std::move(done), o]() mutable { done(std::move(o)); });
  };

  // The store validates, canonicalises and hashes the events here, on this
  // pool thread and outside any lock; it stamps them when the append takes
  // its place in commit order (the writer commits in queue order), so
  // recorded_at is non-decreasing in position order, which time travel by
  // instant relies on. The stamp runs under the store's queue lock, which
  // serializes every access to last_stamp_.
  store_.append_async(std::move(stream_id), eventstore::expected_version::exact(current_version), std::move(events),
                      std::move(command_id), std::move(on_appended), [this] {
                        last_stamp_ = std::max(clock_(), last_stamp_);
                        return last_stamp_;
                      });
}

eventstore::result<command_pipeline::stream_state> command_pipeline::stream_to_decide(std::string_view stream) {
  auto prior = states_.get(stream);
  if (prior.state) {
    auto tail = store_.read_stream(stream, prior.state->version() + 1);
    if (!tail) return std::unexpected(tail.error());
    // The store's next version follows on, unless the stream was rewritten
    // meanwhile (then forget_all() ran and the state is not used).
    if (tail->empty() || tail->front().version == prior.state->version() + 1) {
      auto events = std::make_shared<history_cache::history>();
      events->reserve(tail->size());
      for (auto& e : *tail) events->push_back(to_domain_moved(std::move(e)));
      return stream_state{std::move(prior.state), std::move(events), prior.generation};
    }
  }
  auto whole = histories_.read(store_, stream);
  if (!whole) return std::unexpected(whole.error());
  stream_state out{nullptr, whole->events, prior.generation};
  histories_.put(std::move(*whole));  // the next read of this stream reads only what follows
  return out;
}

eventstore::result<void> command_pipeline::read_into(std::span<const std::string> streams,
                                                     domain::stream_reads& read) const {
  for (const auto& stream : streams) {
    auto lease = histories_.read(store_, stream);
    if (!lease) {
      if (lease.error().code != eventstore::errc::invalid_stream) return std::unexpected(lease.error());
      read.put(stream, domain::stream_reads::shared_history{});
      continue;
    }
    read.put(stream, lease->events);
    histories_.put(std::move(*lease));
  }
  return {};
}

}  // namespace isms::server
