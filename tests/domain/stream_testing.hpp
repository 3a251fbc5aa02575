#pragma once
// The parts every clause test repeats about its one stream: the state a given
// history folds to, and recording what a command decides into that history.
// Each test keeps its own `when` (stream name, actor, related streams).

#include <gtest/gtest.h>

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "clause_testing.hpp"

namespace isms::domain::clause_testing {

// The state `given` folds to, each event decoded as the store hands it back;
// an event that does not decode fails the test.
template <class State, class Event>
State fold_of(const events& given, State (*initial)(),
              std::expected<Event, std::string> (*decode)(std::string_view, const json&),
              State (*evolve)(State, const Event&)) {
  State s = initial();
  for (const auto& e : given) {
    auto d = decode(e.type, e.data);
    EXPECT_TRUE(d.has_value()) << e.type;
    if (d) s = evolve(std::move(s), *d);
  }
  return s;
}

// Each event of `all` encodes under a versioned type named "<prefix>….v1",
// decodes to the same alternative, and encodes again to the same bytes.
template <class Event>
void expect_round_trip(const std::vector<Event>& all, std::string_view prefix,
                       new_event (*encode)(const Event&),
                       std::expected<Event, std::string> (*decode)(std::string_view, const json&)) {
  for (const auto& e : all) {
    const auto encoded = encode(e);
    EXPECT_TRUE(encoded.type.starts_with(prefix) && encoded.type.ends_with(".v1")) << encoded.type;
    const auto decoded = decode(encoded.type, encoded.data);
    ASSERT_TRUE(decoded.has_value()) << encoded.type << ": " << decoded.error();
    EXPECT_EQ(decoded->index(), e.index());
    EXPECT_EQ(encode(*decoded), encoded);
  }
}

// Appends what `d` decided to `given`; the decision must succeed.
inline void record(events& given, const decision& d) {
  ASSERT_TRUE(d.has_value()) << describe(d);
  for (const auto& e : *d) given.push_back(e);
}

// A clause test's one stream: what a command decides on a given history of
// it (reading no other stream), by its usual sender unless another is named,
// the state that history folds to, and recording a decision into it.
//   const one_stream<doc::state, doc::event> subject{"document-POL-001", doc::initial_state, doc::decode,
//                                                    doc::evolve, manager()};
//   subject.when("document.publish", data, given);
template <class State, class Event>
struct one_stream {
  std::string name;
  State (*initial)();
  std::expected<Event, std::string> (*decode)(std::string_view, const json&);
  State (*evolve)(State, const Event&);
  command_context usual_sender;

  [[nodiscard]] decision when(std::string_view type, const json& data, const events& given,
                              const command_context& ctx) const {
    return decide_command(type, name, data, history_of(name, given), ctx, no_streams);
  }
  [[nodiscard]] decision when(std::string_view type, const json& data, const events& given) const {
    return when(type, data, given, usual_sender);
  }
  [[nodiscard]] State fold(const events& given) const { return fold_of(given, initial, decode, evolve); }
  // Appends the events `type` decides on `given` (which must succeed).
  void then_record(events& given, std::string_view type, const json& data, const command_context& ctx) const {
    record(given, when(type, data, given, ctx));
  }
  void then_record(events& given, std::string_view type, const json& data) const {
    record(given, when(type, data, given));
  }
};

// The payload of the outcome command the approval pattern sends a subject
// when the approval `approval_id` completed with top management's "tom".
inline json approved_by_tom(std::string approval_id, std::string comment) {
  return {{"approval_id", std::move(approval_id)}, {"approvers", {"tom"}}, {"comment", std::move(comment)}};
}

}  // namespace isms::domain::clause_testing
