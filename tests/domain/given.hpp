#pragma once
// Given-events / when-command / then-events-or-rejection helpers for the tests
// of the risk matrix, risk, approval, Statement of Applicability and user
// aggregates.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "clause_testing.hpp"
#include "in_memory_log.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/user.hpp"

namespace isms::domain::testing {

// Times, days and histories as the clause tests write them; "now" is Monday
// 2 March 2026, 09:00 UTC.
using clause_testing::at;
using clause_testing::day;
using clause_testing::events;
using clause_testing::history_of;
using clause_testing::now;

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

// A flow test on an in-memory log holding the users above: commands run
// through the dispatcher, reactions settled by hand.
struct log_flow : ::testing::Test {
  in_memory_log log;

  void SetUp() override { register_users(log); }

  // Runs a command that must succeed.
  void ok(std::string_view type, const std::string& stream, const json& data, const command_context& ctx) {
    const auto d = log.run(type, stream, data, ctx);
    ASSERT_TRUE(d) << type << ": " << d.error().message;
  }

  // Runs the reactions of everything recorded from `from` on; every follow-up
  // must succeed.
  std::vector<follow_up> settle(std::size_t from) {
    std::vector<follow_up> out;
    for (auto& [fu, d] : log.settle(from, at(now))) {
      EXPECT_TRUE(d) << fu.command_type << " on " << fu.stream << ": " << d.error().message;
      out.push_back(fu);
    }
    return out;
  }
};

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
