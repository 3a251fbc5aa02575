#include "isms/domain/dispatch.hpp"

#include <gtest/gtest.h>

namespace isms::domain {
namespace {

const command_context manager{actor{"mia", {role::isms_manager}}, instant{}, "c1"};

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
  const auto d = decide_command("risk.delete", "risk-R-1", json::object(), {}, manager, none);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().kind, rejection_kind::invalid);
  EXPECT_EQ(d.error().field, "type");
  const auto e = decide_command("nonsense", "risk-R-1", json::object(), {}, manager, none);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().field, "type");
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
