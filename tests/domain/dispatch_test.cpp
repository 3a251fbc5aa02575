#include "isms/domain/dispatch.hpp"

#include <gtest/gtest.h>

namespace isms::domain {
namespace {

const command_context a_manager{actor{"mia", {role::isms_manager}}, instant{}, "c1"};

TEST(Dispatch, StreamIdsFollowTheDocumentedPattern) {
  EXPECT_TRUE(valid_stream_id("R-12"));
  EXPECT_TRUE(valid_stream_id("IA-2026-1"));
  EXPECT_TRUE(valid_stream_id("a"));
  EXPECT_TRUE(valid_stream_id(std::string(64, 'x')));
  EXPECT_FALSE(valid_stream_id(std::string(65, 'x')));
  EXPECT_FALSE(valid_stream_id(""));
  EXPECT_FALSE(valid_stream_id("-R"));
  EXPECT_FALSE(valid_stream_id(".R"));
  EXPECT_FALSE(valid_stream_id("R 12"));
  EXPECT_FALSE(valid_stream_id("R/12"));
}

TEST(Dispatch, UnknownCommandTypeIsInvalidNamingType) {
  no_related_streams none;
  const auto d = decide_command("risk.delete", "risk-R-1", json::object(), {}, a_manager, none);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, rejection_kind::invalid);
  EXPECT_EQ(d.error().field, "type");
  const auto e = decide_command("nonsense", "risk-R-1", json::object(), {}, a_manager, none);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().field, "type");
}

TEST(Dispatch, NoUserMayBeNamedSystem) {
  no_related_streams none;
  const command_context an_admin{actor{"ada", {role::admin}}, instant{}, "c2"};
  const auto d = decide_command("user.register", "user-system", json{{"name", "System"}, {"roles", {"admin"}}}, {},
                                an_admin, none);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().field, "stream");
  EXPECT_TRUE(decide_command("user.register", "user-sys", json{{"name", "Sys"}, {"roles", {"admin"}}}, {}, an_admin,
                             none));
}

TEST(Dispatch, RoutePrefixesAndStreamKindsAreUnique) {
  const auto t = routing_table();
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t k = i + 1; k < t.size(); ++k) {
      EXPECT_NE(t[i].command_prefix, t[k].command_prefix);
      EXPECT_NE(t[i].stream_kind, t[k].stream_kind);
    }
}

}  // namespace
}  // namespace isms::domain

#include "given.hpp"

namespace isms::domain {
namespace {

using namespace isms::domain::testing;

TEST(DispatchRoutes, StreamKindsOfThisPart) {
  EXPECT_EQ(stream_kind_of("risk-R-12"), "risk");
  EXPECT_EQ(stream_kind_of("approval-risk-R-12.v5"), "approval");
  EXPECT_EQ(stream_kind_of("user-olga"), "user");
  EXPECT_EQ(stream_kind_of("soa-main"), "soa");
  EXPECT_EQ(stream_kind_of("config-risk-matrix"), "config");
  EXPECT_FALSE(stream_kind_of("soa-other"));
  EXPECT_FALSE(stream_kind_of("config-other"));
  EXPECT_FALSE(stream_kind_of("risk-"));
  EXPECT_FALSE(stream_kind_of("risk"));
  EXPECT_FALSE(stream_kind_of("widget-1"));
  EXPECT_FALSE(stream_kind_of("risk-R 12"));
}

TEST(DispatchRoutes, CommandMustGoToItsAggregatesStream) {
  in_memory_log log;
  register_users(log);
  EXPECT_REJECTED(decide_command("risk.retire", "soa-main", {{"reason", "x"}}, {}, manager(), log),
                  rejection_kind::invalid, "stream");
  EXPECT_REJECTED(decide_command("soa.request_publication", "soa-draft", json::object(), {}, manager(), log),
                  rejection_kind::invalid, "stream");
  EXPECT_REJECTED(decide_command("risk_matrix.configure", "risk-matrix", json::object(), {}, manager(), log),
                  rejection_kind::invalid, "stream");
}

TEST(DispatchRoutes, AuthorizationComesBeforeTheAggregate) {
  in_memory_log log;
  EXPECT_REJECTED(decide_command("risk.retire", "risk-R-1", {{"reason", "x"}}, {},
                                 as("eve", {role::external_auditor}), log),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(decide_command("user.register", "user-x", {{"name", "x"}, {"roles", json::array()}}, {}, manager(),
                                 log),
                  rejection_kind::forbidden, "");
}

TEST(DispatchRoutes, DataMustBeAnObject) {
  in_memory_log log;
  EXPECT_REJECTED(decide_command("risk.retire", "risk-R-1", json::array(), {}, manager(), log),
                  rejection_kind::invalid, "data");
}

TEST(DispatchRoutes, RoutesToTheAggregate) {
  in_memory_log log;
  register_users(log);
  const auto d = decide_command("risk.identify", "risk-R-1",
                                {{"title", "t"}, {"asset", "a"}, {"threat", "t"}, {"vulnerability", "v"},
                                 {"owner", "olga"}, {"category", "c"}},
                                {}, manager(), log);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].type, "risk.identified.v1");
  const auto u = decide_command("user.register", "user-new", {{"name", "New"}, {"roles", {"contributor"}}}, {},
                                admin(), log);
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ((*u)[0].type, "user.registered.v1");
}

}  // namespace
}  // namespace isms::domain
