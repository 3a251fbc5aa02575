// View parameters with a documented range, read as the server reads them: from
// JSON text. A non-negative JSON integer parses as unsigned, so each bound is
// tried through the parser, not only as a C++ int.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "isms/domain/views/views.hpp"

namespace isms::domain::views {
namespace {

const actor manager{"mia", {role::isms_manager}};

struct ranged_param {
  std::string view;
  std::string param;
  std::int64_t lo;
  std::int64_t hi;  // as docs/views.md and docs/protocol.md state them
};

// Every view parameter with a documented numeric range.
const std::vector<ranged_param> ranged_params{
    {"activity", "limit", 1, 1000},
    {"audits", "year", 1970, 9999},
};

std::expected<json, rejection> ask(const std::string& view, const std::string& params_text) {
  const json params = json::parse(params_text);
  return query(initial_views(), view, params, manager, parse_date("2026-03-02").value());
}

std::string with(const ranged_param& p, const std::string& value) { return R"({")" + p.param + R"(":)" + value + "}"; }

TEST(ViewParams, EveryDocumentedRangeHoldsAtBothEndsWhenReadFromJsonText) {
  for (const auto& p : ranged_params) {
    SCOPED_TRACE(p.view + "." + p.param);
    for (const std::int64_t inside : {p.lo, p.hi}) {
      const auto r = ask(p.view, with(p, std::to_string(inside)));
      EXPECT_TRUE(r.has_value()) << inside << ": " << (r ? "" : r.error().message);
    }
    for (const std::string& outside :
         {std::to_string(p.lo - 1), std::to_string(p.hi + 1), std::string("0"), std::string("-1"),
          std::string("18446744073709551615"), std::string("9223372036854775808"), std::string("1.5"),
          std::string("\"5\""), std::string("true")}) {
      if (outside == "0" && p.lo <= 0) continue;
      const auto r = ask(p.view, with(p, outside));
      ASSERT_FALSE(r.has_value()) << outside << " was accepted";
      EXPECT_EQ(r.error().kind, rejection_kind::invalid) << outside;
      EXPECT_EQ(r.error().field, "params." + p.param) << outside;
    }
  }
}

TEST(ViewParams, ActivityLimitZeroFromTheWireIsRefused) {
  // The wire form of the reported case: {"limit": 0} parsed from text.
  const auto r = ask("activity", R"({"limit":0})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "params.limit");
  EXPECT_NE(r.error().message.find("between 1 and 1000"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace isms::domain::views
