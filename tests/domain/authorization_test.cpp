#include "isms/domain/authorization.hpp"
#include "isms/domain/dispatch.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace isms::domain::authorization_test {
namespace {

actor as(std::string id, std::initializer_list<role> roles) { return actor{std::move(id), roles}; }

TEST(Authorization, EveryCommandTypeOfTheIsmsHasARow) {
  ASSERT_FALSE(command_types().empty());
  for (const auto t : command_types()) EXPECT_TRUE(allowed_roles(t).has_value()) << t;
}

TEST(Authorization, RowsAreUniqueAndNoneIsEmpty) {
  std::set<std::string_view> seen;
  for (const auto& p : authorization_table()) {
    EXPECT_TRUE(seen.insert(p.command_type).second) << "duplicate row " << p.command_type;
    EXPECT_NE(p.allowed, 0) << p.command_type;
  }
}

TEST(Authorization, ExternalAuditorIsReadOnly) {
  for (const auto& p : authorization_table())
    EXPECT_FALSE(contains(p.allowed, role::external_auditor)) << p.command_type;
  EXPECT_FALSE(may_issue(as("ea", {role::external_auditor}), "nc.raise"));
}

// An administrator manages users and, like everyone who signs in, reports an
// information security incident (A.6.8); nothing else.
TEST(Authorization, AdminManagesUsersReportsIncidentsAndApprovesNothing) {
  for (const auto& p : authorization_table()) {
    const bool admin_command = p.command_type.starts_with("user.") || p.command_type == "incident.report";
    EXPECT_EQ(contains(p.allowed, role::admin), admin_command) << p.command_type;
  }
}

TEST(Authorization, OutcomeCommandsOfApprovalsAreSystemOnly) {
  for (const char* t : {"risk.accept", "risk.reject_acceptance", "risk.expire_acceptance",
                        "approval.open", "approval.void", "soa.publish", "soa.reject_publication",
                        "scope.approve", "scope.reject", "document.approve", "document.reject",
                        "objective.set", "objective.reject", "review.approve_minutes",
                        "review.reject_minutes"})
    EXPECT_EQ(allowed_roles(t), roles_of({role::system})) << t;
}

TEST(Authorization, SystemIssuesOnlyWhatReactionsAndTimeRulesNeed) {
  const actor system = as("system", {role::system});
  EXPECT_FALSE(may_issue(system, "risk.assess"));
  EXPECT_FALSE(may_issue(system, "approval.approve"));
  EXPECT_FALSE(may_issue(system, "user.grant_role"));
  EXPECT_TRUE(may_issue(system, "nc.raise"));        // an audit finding raises a nonconformity
  EXPECT_TRUE(may_issue(system, "risk.identify"));   // an incident's lessons identify a risk
}

TEST(Authorization, AnyHeldRoleThatIsAllowedSuffices) {
  EXPECT_FALSE(may_issue(as("u", {role::contributor}), "risk.request_acceptance"));
  EXPECT_TRUE(may_issue(as("u", {role::contributor, role::isms_manager}), "risk.request_acceptance"));
  EXPECT_TRUE(may_issue(as("o", {role::risk_owner}), "risk.assess"));
  EXPECT_TRUE(may_issue(as("t", {role::top_management}), "approval.approve"));
  EXPECT_FALSE(may_issue(as("n", {}), "approval.approve"));
}

TEST(Authorization, UnknownCommandTypeIsNeverAllowed) {
  EXPECT_FALSE(allowed_roles("risk.delete").has_value());
  EXPECT_FALSE(may_issue(as("m", {role::isms_manager, role::system, role::admin}), "risk.delete"));
}

TEST(Authorization, ForbiddenRejectionNamesUserRolesAndCommand) {
  const auto r = forbidden_command(as("carol", {role::contributor}), "risk.retire");
  EXPECT_EQ(r.kind, rejection_kind::forbidden);
  EXPECT_NE(r.message.find("carol"), std::string::npos);
  EXPECT_NE(r.message.find("contributor"), std::string::npos);
  EXPECT_NE(r.message.find("risk.retire"), std::string::npos);
}

TEST(Authorization, MarkdownTableHasOneLinePerRow) {
  const auto md = authorization_table_markdown();
  std::size_t lines = 0;
  for (char c : md) lines += c == '\n';
  EXPECT_EQ(lines, authorization_table().size() + 2);
  EXPECT_NE(md.find("| `risk.accept` |"), std::string::npos);
}

}  // namespace
}  // namespace isms::domain::authorization_test
