#pragma once
// Given-events / when-command / then-events-or-rejection helpers for the tests
// of the context & scope, document, objective, nonconformity, internal audit
// and management review aggregates.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"

namespace isms::domain::clause_testing {

using events = std::vector<new_event>;

inline instant at(std::string_view s) {
  const auto t = parse_instant(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t.value_or(instant{});
}

inline date day(std::string_view s) {
  const auto d = parse_date(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or(date{});
}

// The default "now" of a test: Monday 2 March 2026, 09:00 UTC.
inline constexpr std::string_view today = "2026-03-02";
inline constexpr std::string_view now = "2026-03-02T09:00:00.000Z";

inline command_context as(std::string user, std::vector<role> roles, std::string_view when = now) {
  return command_context{actor{std::move(user), std::move(roles)}, at(when), "cmd-1"};
}
inline command_context manager(std::string user = "mia") { return as(std::move(user), {role::isms_manager}); }
inline command_context top(std::string user = "tom") { return as(std::move(user), {role::top_management}); }
inline command_context contributor(std::string user = "carl") { return as(std::move(user), {role::contributor}); }
inline command_context auditor(std::string user = "ada") { return as(std::move(user), {role::internal_auditor}); }
inline command_context system_actor() { return as("system", {role::system}); }
inline command_context admin() { return as("root", {role::admin}); }
inline command_context external() { return as("eve", {role::external_auditor}); }

// A stream's history: the given events recorded at versions 1, 2, … (positions
// 100, 101, … so that positions and versions differ).
inline std::vector<recorded_event> history_of(std::string stream, const events& given) {
  std::vector<recorded_event> out;
  for (std::size_t i = 0; i < given.size(); ++i) {
    recorded_event r;
    r.position = 100 + i;
    r.stream = stream;
    r.version = i + 1;
    r.type = given[i].type;
    r.data = given[i].data;
    r.meta.actor = "mia";
    out.push_back(std::move(r));
  }
  return out;
}

inline std::string describe(const decision& d) {
  if (d) {
    std::string out = "events:";
    for (const auto& e : *d) out += " " + e.type + " " + e.data.dump();
    return out;
  }
  return "rejected (" + std::string(wire_code(d.error().kind)) + ", field '" + d.error().field +
         "'): " + d.error().message;
}

// Then: exactly these events.
inline void expect_events(const decision& d, const events& expected) {
  ASSERT_TRUE(d.has_value()) << describe(d);
  EXPECT_EQ(*d, expected) << describe(d);
}

// Then: a rejection of this kind, naming this field (when given), whose message
// contains `words` (when given).
inline void expect_rejected(const decision& d, rejection_kind kind, std::string_view field = {},
                            std::string_view words = {}) {
  ASSERT_FALSE(d.has_value()) << describe(d);
  EXPECT_EQ(d.error().kind, kind) << describe(d);
  if (!field.empty()) {
    EXPECT_EQ(d.error().field, field) << describe(d);
  }
  if (!words.empty()) {
    EXPECT_NE(d.error().message.find(words), std::string::npos) << describe(d);
  }
}

// No other stream read: for commands whose decisions look at none.
inline const stream_reads no_streams{};

// Other streams a decision reads, given as histories.
class given_streams final : public stream_reads {
 public:
  given_streams& with(std::string stream, const events& given) {
    put(stream, history_of(stream, given));
    return *this;
  }
};

}  // namespace isms::domain::clause_testing
