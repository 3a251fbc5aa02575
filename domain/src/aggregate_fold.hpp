#pragma once
// Private to the domain library: folding a stream's recorded history into an
// aggregate's state, the first half of every aggregate's handle().

#include <expected>
#include <span>
#include <string>

#include "isms/domain/core.hpp"

namespace isms::domain::detail {

// Decodes and evolves every event of `history` in order. An event that does
// not decode is a `rule` rejection naming its stream, version and position,
// never a crash.
template <class State, class Decode, class Evolve>
[[nodiscard]] std::expected<State, rejection> fold_history(std::span<const recorded_event> history,
                                                           State s, Decode decode, Evolve evolve) {
  for (const auto& r : history) {
    auto e = decode(r.type, r.data);
    if (!e)
      return std::unexpected(rejection{
          rejection_kind::rule, "",
          "history of " + r.stream + " is unreadable at version " + std::to_string(r.version) +
              " (position " + std::to_string(r.position) + ", " + r.type + "): " + e.error()});
    s = evolve(std::move(s), *e);
  }
  return s;
}

}  // namespace isms::domain::detail
