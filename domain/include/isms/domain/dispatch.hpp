#pragma once
// The dispatcher: one table that routes a command to its aggregate, and the
// read-only window through which a decision may look at other streams.
//
// A command names its type ("risk.assess") and its stream ("risk-R-12"). The
// type's prefix picks the aggregate; the stream's kind must be the one that
// aggregate owns. Stream ids are "<kind>-<id>" with <id> matching
// [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; singleton aggregates (soa-main, scope-main,
// config-risk-matrix) accept exactly their one id.
//
// Thread-safety: the table is immutable; every function here is pure.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"

namespace isms::domain {

// Read-only access to other streams' histories, so that a decision can read
// another aggregate's state (an approval reading its subject; a risk reading
// the configured risk matrix). The server implements it over the store, tests
// over an in-memory map. Decisions stay pure functions of their inputs: the
// caller fixes what the interface returns for the duration of one decision.
class related_streams {
 public:
  virtual ~related_streams() = default;

  // The recorded events of `stream` in version order; empty when the stream
  // does not exist (or the id is not a valid stream id).
  [[nodiscard]] virtual std::vector<recorded_event> history(std::string_view stream) const = 0;
};

// A related_streams with no streams at all: every history is empty.
class no_related_streams final : public related_streams {
 public:
  [[nodiscard]] std::vector<recorded_event> history(std::string_view) const override { return {}; }
};

// An aggregate's uniform entry point: parse the command, fold the history
// (an undecodable event is a `rule` rejection naming its position), decide.
using command_handler = decision (*)(std::string_view command_type, const json& data,
                                     std::span<const recorded_event> history,
                                     const command_context& ctx, const related_streams& related);

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
  command_handler handle;
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

// Decides one command against its stream's history.
// Rejections before the aggregate is asked (admit_command):
//   - unknown command type                         → invalid, field "type"
//   - stream id malformed or of another aggregate  → invalid, field "stream"
//   - the actor's roles may not issue the type     → forbidden (authorization.hpp)
//   - data is not an object, or disagrees with the stream (route::bind) → invalid
// Otherwise the aggregate's handle decides (and checks everything else).
// Never throws for bad input.
[[nodiscard]] decision decide_command(std::string_view command_type, std::string_view stream,
                                      const json& data, std::span<const recorded_event> history,
                                      const command_context& ctx, const related_streams& related);

}  // namespace isms::domain
