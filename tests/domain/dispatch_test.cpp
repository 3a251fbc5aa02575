#include "isms/domain/dispatch.hpp"

#include <gtest/gtest.h>

namespace isms::domain::dispatch_test {
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
  const stream_reads none;
  const auto d = decide_command("risk.delete", "risk-R-1", json::object(), {}, a_manager, none);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, rejection_kind::invalid);
  EXPECT_EQ(d.error().field, "type");
  const auto e = decide_command("nonsense", "risk-R-1", json::object(), {}, a_manager, none);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().field, "type");
}

TEST(Dispatch, NoUserMayBeNamedSystem) {
  const stream_reads none;
  const command_context an_admin{actor{"ada", {role::admin}}, instant{}, "c2"};
  const auto d = decide_command("user.register", "user-system", json{{"name", "System"}, {"roles", {"admin"}}}, {},
                                an_admin, none);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().field, "stream");
  EXPECT_TRUE(decide_command("user.register", "user-sys", json{{"name", "Sys"}, {"roles", {"admin"}}}, {}, an_admin,
                             none));
}

// Every stream belongs to one route: a stream kind is one aggregate's, or
// shared only by singletons of distinct ids (config-risk-matrix,
// config-classification).
TEST(Dispatch, RoutePrefixesAndStreamKindsAreUnique) {
  const auto t = routing_table();
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t k = i + 1; k < t.size(); ++k) {
      EXPECT_NE(t[i].command_prefix, t[k].command_prefix);
      if (t[i].stream_kind != t[k].stream_kind) continue;
      EXPECT_FALSE(t[i].singleton_id.empty()) << t[i].command_prefix << " shares its stream kind";
      EXPECT_FALSE(t[k].singleton_id.empty()) << t[k].command_prefix << " shares its stream kind";
      EXPECT_NE(t[i].singleton_id, t[k].singleton_id);
    }
}

}  // namespace
}  // namespace isms::domain::dispatch_test

#include "given.hpp"

namespace isms::domain::dispatch_test {
namespace {

using namespace isms::domain::testing;

TEST(DispatchRoutes, StreamKindsOfThisPart) {
  EXPECT_EQ(stream_kind_of("risk-R-12"), "risk");
  EXPECT_EQ(stream_kind_of("approval-risk-R-12.v5"), "approval");
  EXPECT_EQ(stream_kind_of("user-olga"), "user");
  EXPECT_EQ(stream_kind_of("soa-main"), "soa");
  EXPECT_EQ(stream_kind_of("config-risk-matrix"), "config");
  EXPECT_EQ(stream_kind_of("config-classification"), "config");
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
  EXPECT_REJECTED(log.decide("risk.retire", "soa-main", {{"reason", "x"}}, {}, manager()),
                  rejection_kind::invalid, "stream");
  EXPECT_REJECTED(log.decide("soa.request_publication", "soa-draft", json::object(), {}, manager()),
                  rejection_kind::invalid, "stream");
  EXPECT_REJECTED(log.decide("risk_matrix.configure", "risk-matrix", json::object(), {}, manager()),
                  rejection_kind::invalid, "stream");
}

TEST(DispatchRoutes, AuthorizationComesBeforeTheAggregate) {
  in_memory_log log;
  EXPECT_REJECTED(log.decide("risk.retire", "risk-R-1", {{"reason", "x"}}, {}, as("eve", {role::external_auditor})),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(log.decide("user.register", "user-x", {{"name", "x"}, {"roles", json::array()}}, {}, manager()),
                  rejection_kind::forbidden, "");
}

TEST(DispatchRoutes, DataMustBeAnObject) {
  in_memory_log log;
  EXPECT_REJECTED(log.decide("risk.retire", "risk-R-1", json::array(), {}, manager()),
                  rejection_kind::invalid, "data");
}

TEST(DispatchRoutes, RoutesToTheAggregate) {
  in_memory_log log;
  register_users(log);
  const auto d = log.decide("risk.identify", "risk-R-1", {{"title", "t"}, {"asset", "a"}, {"threat", "t"}, {"vulnerability", "v"},
                                 {"owner", "olga"}, {"category", "c"}}, {}, manager());
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ((*d)[0].type, "risk.identified.v2");
  const auto u = log.decide("user.register", "user-new", {{"name", "New"}, {"roles", {"contributor"}}}, {}, admin());
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ((*u)[0].type, "user.registered.v1");
}

// ---- decisions see only what they are given ----------------------------------

const json identify_olga{{"title", "t"}, {"asset", "a"}, {"threat", "t"}, {"vulnerability", "v"},
                         {"owner", "olga"}, {"category", "c"}};

std::vector<std::string> reads_of(std::string_view type, const std::string& stream, const json& data,
                                  std::span<const recorded_event> h, const command_context& ctx) {
  auto p = prepare_command(type, stream, data, h, ctx);
  EXPECT_TRUE(p) << (p ? "" : p.error().message);
  return p ? (*p)->reads() : std::vector<std::string>{};
}

TEST(DecisionFacts, EachCommandNamesTheOtherStreamsItsDecisionReads) {
  in_memory_log log;
  register_users(log);
  using strings = std::vector<std::string>;
  EXPECT_EQ(reads_of("risk.identify", "risk-R-1", identify_olga, {}, manager()), strings{"user-olga"});
  ASSERT_TRUE(log.run("risk.identify", "risk-R-1", identify_olga, manager()));
  const auto risk = log.history("risk-R-1");
  EXPECT_EQ(reads_of("risk.assess", "risk-R-1", {{"likelihood", 2}, {"impact", 2}, {"rationale", "r"}}, risk,
                     manager()),
            strings{"config-risk-matrix"});
  EXPECT_EQ(reads_of("risk.change_owner", "risk-R-1", {{"owner", "otto"}, {"reason", "moved"}}, risk, manager()),
            strings{"user-otto"});
  EXPECT_EQ(reads_of("risk.retire", "risk-R-1", {{"reason", "gone"}}, risk, manager()), strings{});
  EXPECT_EQ(reads_of("soa.decide_control", "soa-main",
                     {{"control_id", "5.1"}, {"applicable", true}, {"justification", "j"},
                      {"linked_risks", {"R-1", "R-9"}}},
                     {}, manager()),
            (strings{"risk-R-1", "risk-R-9"}));
  EXPECT_EQ(reads_of("nc.raise", "nc-NC-1",
                     {{"nc_id", "NC-1"}, {"source", "internal_audit"}, {"reference", "8.1"}, {"severity", "minor"},
                      {"description", "d"}, {"audit_id", "IA-1"}, {"finding_id", "F-1"}},
                     {}, system_actor()),
            strings{"audit-IA-1"});
  EXPECT_EQ(reads_of("user.disable", "user-olga", {{"reason", "left"}}, log.history("user-olga"), admin()),
            strings{});
}

TEST(DecisionFacts, ADecisionIsRefusedWhenAStreamItNamesWasNotRead) {
  in_memory_log log;
  register_users(log);
  auto p = prepare_command("risk.identify", "risk-R-1", identify_olga, {}, manager());
  ASSERT_TRUE(p);
  const auto d = (*p)->decide(stream_reads{}, manager());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, rejection_kind::rule);
  EXPECT_NE(d.error().message.find("user-olga"), std::string::npos) << d.error().message;
}

TEST(DecisionFacts, TheDecisionRestsOnTheFactsHandedIn) {
  in_memory_log log;
  register_users(log);
  auto p = prepare_command("risk.identify", "risk-R-1", identify_olga, {}, manager());
  ASSERT_TRUE(p);
  // The owner as read: registered, then (in another read) disabled.
  stream_reads read;
  read.put("user-olga", log.history("user-olga"));
  EXPECT_TRUE((*p)->decide(read, manager()));
  ASSERT_TRUE(log.run("user.disable", "user-olga", {{"reason", "left"}}, admin()));
  read.put("user-olga", log.history("user-olga"));
  EXPECT_REJECTED((*p)->decide(read, manager()), rejection_kind::rule, "data.owner");
  // A stream that does not exist reads as empty: no such owner.
  read.put("user-olga", std::vector<recorded_event>{});
  EXPECT_REJECTED((*p)->decide(read, manager()), rejection_kind::not_found, "data.owner");
}

TEST(DecisionFacts, ReadsAsOfAPositionLeaveOutLaterEvents) {
  in_memory_log log;
  register_users(log);
  ASSERT_TRUE(log.run("user.disable", "user-olga", {{"reason", "left"}}, admin()));
  const auto olga = log.history("user-olga");
  ASSERT_GE(olga.size(), 2u);
  stream_reads read;
  read.put("user-olga", olga);
  EXPECT_EQ(read.history("user-olga").size(), olga.size());
  const auto before = read.up_to(olga.back().position - 1);
  EXPECT_EQ(before.history("user-olga").size(), olga.size() - 1);
  EXPECT_TRUE(before.contains("user-olga"));
  EXPECT_FALSE(before.contains("user-otto"));
  EXPECT_TRUE(before.history("user-otto").empty());
  const std::vector<std::string> wanted{"user-olga", "user-otto", "user-otto"};
  EXPECT_EQ(read.missing(wanted), std::vector<std::string>{"user-otto"});
}

}  // namespace
}  // namespace isms::domain::dispatch_test
