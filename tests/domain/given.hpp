#pragma once
// Given-events / when-command / then-events-or-rejection helpers for the tests
// of the risk matrix, risk, approval, Statement of Applicability and user
// aggregates.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "in_memory_log.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/user.hpp"

namespace isms::domain::testing {

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

// "Now" in these tests: Monday 2 March 2026, 09:00 UTC.
inline constexpr std::string_view now = "2026-03-02T09:00:00.000Z";

inline command_context as(std::string user, std::vector<role> roles, std::string_view when = now) {
  return command_context{actor{std::move(user), std::move(roles)}, at(when), "cmd-" + std::string(when)};
}
inline command_context manager(std::string_view when = now) { return as("mia", {role::isms_manager}, when); }
inline command_context owner(std::string_view when = now) { return as("olga", {role::risk_owner}, when); }
inline command_context other_owner() { return as("otto", {role::risk_owner}); }
inline command_context top(std::string user = "tom") { return as(std::move(user), {role::top_management}); }
inline command_context contributor() { return as("carl", {role::contributor}); }
inline command_context system_actor(std::string_view when = now) { return as("system", {role::system}, when); }
inline command_context admin(std::string user = "root") { return as(std::move(user), {role::admin}); }

// A stream's history: the given events at versions 1, 2, … (positions 100, …).
inline std::vector<recorded_event> history_of(const std::string& stream, const events& given) {
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

// A log holding the users of these tests: mia (ISMS manager), olga and otto
// (risk owners), tom and tess (top management), carl (contributor), root
// (admin), and dora (a risk owner, disabled).
inline void register_users(in_memory_log& log) {
  const auto reg = [&](const std::string& id, std::vector<role> roles) {
    log.append("user-" + id, {user::encode(user::registered{id, "", std::move(roles)})}, admin());
  };
  reg("mia", {role::isms_manager});
  reg("olga", {role::risk_owner});
  reg("otto", {role::risk_owner});
  reg("tom", {role::top_management});
  reg("tess", {role::top_management});
  reg("carl", {role::contributor});
  reg("root", {role::admin});
  reg("dora", {role::risk_owner});
  log.append("user-dora", {user::encode(user::disabled{"left the company"})}, admin());
}

// Expects a rejection of `kind` naming `field` (when given).
#define EXPECT_REJECTED(decision_expr, kind_value, field_value)                          \
  do {                                                                                   \
    const auto& d_ = (decision_expr);                                                    \
    ASSERT_FALSE(d_.has_value()) << "expected a rejection";                              \
    EXPECT_EQ(d_.error().kind, (kind_value)) << d_.error().message;                      \
    if (std::string_view(field_value) != "*") {                                          \
      EXPECT_EQ(d_.error().field, (field_value)) << d_.error().message;                  \
    }                                                                                    \
  } while (0)

}  // namespace isms::domain::testing
