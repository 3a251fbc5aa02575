#pragma once
// The dispatcher: one table that routes a command to its aggregate, the one
// place where who may send what is checked, and the facts from other streams
// that a decision is handed (it never reads them itself).
//
// A command names its type ("risk.assess") and its stream ("risk-R-12"). The
// type's prefix picks the aggregate; the stream's kind must be the one that
// aggregate owns. Stream ids are "<kind>-<id>" with <id> matching
// [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; singleton aggregates (soa-main, scope-main,
// config-risk-matrix) accept exactly their one id.
//
// Thread-safety: the table is immutable; every function here is pure.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"

namespace isms::domain {

// The other streams one decision or reaction looks at, as the caller read
// them before asking. The domain names the streams it needs (a prepared
// command's reads(), reaction_reads()); the caller (the server over its
// store, a test over a map) reads exactly those and hands them in, and each
// aggregate folds them into the typed facts its decide takes. Nothing in the
// domain performs a read: a decision is a function of its inputs.
class stream_reads {
 public:
  using shared_history = std::shared_ptr<const std::vector<recorded_event>>;

  // Records the history of `stream` (version order; empty when the stream
  // does not exist). Replaces an earlier one.
  void put(std::string stream, shared_history history);
  void put(std::string stream, std::vector<recorded_event> history);

  [[nodiscard]] bool contains(std::string_view stream) const;
  // The history of `stream` as read (up to the bound of up_to()); empty when
  // the stream does not exist or was not read.
  [[nodiscard]] std::span<const recorded_event> history(std::string_view stream) const;
  // The streams of `wanted` not read yet, each once, in order.
  [[nodiscard]] std::vector<std::string> missing(std::span<const std::string> wanted) const;
  // The same reads as they stood when `position` was committed: later events
  // are left out (histories are in position order, so each is a prefix).
  [[nodiscard]] stream_reads up_to(std::uint64_t position) const;

 private:
  std::map<std::string, shared_history, std::less<>> streams_;
  std::uint64_t bound_ = UINT64_MAX;
};

// A stream's state as its aggregate folded it, opaque outside the domain. A
// prepared command hands out the state it decided on; preparing a later
// command on the same stream from it folds only the events appended since,
// instead of the whole stream (a stream's history only grows, and folding is
// a left fold: the result is the same). Immutable, so one may be shared.
class folded_state {
 public:
  virtual ~folded_state() = default;
  // The stream version folded (0: no event).
  [[nodiscard]] virtual std::uint64_t version() const = 0;
  // The position of the last event folded (0: no event).
  [[nodiscard]] virtual std::uint64_t position() const = 0;
};

using shared_state = std::shared_ptr<const folded_state>;

// A command parsed and its stream's history folded, waiting for the facts
// from other streams it needs: the server calls reads(), reads those streams
// (through its caches) and calls decide(). Pure; safe to call from any thread.
class prepared_command {
 public:
  virtual ~prepared_command() = default;
  // The other streams the decision looks at (none for most commands).
  [[nodiscard]] virtual std::vector<std::string> reads() const = 0;
  // Decides on the folded state and the facts in `read` (streams it did not
  // name are not looked at).
  [[nodiscard]] virtual decision decide(const stream_reads& read, const command_context& ctx) const = 0;
  // The state this command decides on, to prepare the next one from.
  [[nodiscard]] virtual shared_state folded() const = 0;
};

using prepared = std::expected<std::unique_ptr<const prepared_command>, rejection>;

// An aggregate's uniform entry point: parse the command and fold `history`
// on from `from` (from the first event when null); `history` holds the
// events after from's version, without a gap. A `from` of another aggregate,
// a gap, or an undecodable event is a `rule` rejection.
using command_preparer = prepared (*)(std::string_view command_type, const json& data, const shared_state& from,
                                      std::span<const recorded_event> history);

// Optional per-aggregate check that a command's payload agrees with the stream
// it is sent to (an approval opened on "approval-<id>" names that <id>).
// nullopt when it agrees.
using stream_binding = std::optional<rejection> (*)(std::string_view command_type,
                                                    std::string_view stream, const json& data);

// One line of the routing table.
struct route {
  std::string_view command_prefix;  // "risk" routes "risk.identify", "risk.assess", …
  std::string_view stream_kind;     // the <kind> of "<kind>-<id>" this aggregate owns
  std::string_view singleton_id;    // the only id a singleton accepts ("main"); empty: any id
  command_preparer prepare;
  stream_binding bind = nullptr;    // checked before handle when set
};

// The routing table, one line per aggregate (see dispatch.cpp).
[[nodiscard]] std::span<const route> routing_table() noexcept;

// Every command type of the ISMS, as the command structs declare them
// (wire_type.hpp), aggregate by aggregate in routing-table order. The
// authorization table has exactly one row per entry.
[[nodiscard]] std::span<const std::string_view> command_types() noexcept;

// True if `id` matches [A-Za-z0-9][A-Za-z0-9_.-]{0,63}.
[[nodiscard]] bool valid_stream_id(std::string_view id) noexcept;

// The kind of a stream ("risk" for "risk-R-12", "soa" for "soa-main"), or
// nullopt when the stream is not "<known kind>-<valid id>" (or names another
// id than a singleton's).
[[nodiscard]] std::optional<std::string> stream_kind_of(std::string_view stream);

// The route of a command type ("risk.assess" → the risk line), or nullptr.
[[nodiscard]] const route* route_for_command(std::string_view command_type) noexcept;

// The checks that need no state, in the order decide_command makes them:
//   - unknown command type                         → invalid, field "type"
//   - stream id malformed or of another aggregate  → invalid, field "stream"
//   - the actor's roles may not issue the type     → forbidden (authorization.hpp)
//   - data is not an object, or disagrees with the stream (route::bind) → invalid
// nullopt when the command may go on to its aggregate. The server runs it
// before anything that reveals stored state (a retried command's original
// result), so that nobody learns about a command they may not send.
[[nodiscard]] std::optional<rejection> admit_command(std::string_view command_type, std::string_view stream,
                                                     const json& data, const command_context& ctx);

// Admits the command (admit_command) and prepares it: the aggregate parses
// it and folds `history`, the stream's events after `from` (a state an
// earlier command on this stream folded, see folded_state), or the whole
// stream when `from` is null. Never throws for bad input.
[[nodiscard]] prepared prepare_command(std::string_view command_type, std::string_view stream, const json& data,
                                       std::span<const recorded_event> history, const command_context& ctx,
                                       const shared_state& from = nullptr);

// prepare_command, then decide with the facts in `read`, which must hold the
// streams the prepared command reads(). For callers that have every stream
// at hand (tests, tools); the server reads what reads() names.
[[nodiscard]] decision decide_command(std::string_view command_type, std::string_view stream,
                                      const json& data, std::span<const recorded_event> history,
                                      const command_context& ctx, const stream_reads& read);

}  // namespace isms::domain
