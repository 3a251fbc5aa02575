// View parameters with a documented range, read as the server reads them: from
// JSON text. A non-negative JSON integer parses as unsigned, so each bound is
// tried through the parser, not only as a C++ int.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "isms/domain/views/views.hpp"
#include "isms/domain/views/vocabulary.hpp"

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

// Every reply states the days a form suggests, counted as the domain counts
// months: the same day of the month, clamped to the month's last day — a
// client adding months itself would say March 3 for January 31 + 1 month.
TEST(ViewReplies, MonthsAheadAreCountedAsTheDomainCountsMonths) {
  const auto r = query(initial_views(), "risks", json::object(), manager, parse_date("2026-01-31").value());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("today"), "2026-01-31");
  EXPECT_EQ(r->at("months_ahead"), (json{{"1", "2026-02-28"}, {"2", "2026-03-31"}, {"3", "2026-04-30"},
                                         {"6", "2026-07-31"}, {"12", "2027-01-31"}}));
  const auto leap = query(initial_views(), "audits", json::object(), manager, parse_date("2027-02-28").value());
  ASSERT_TRUE(leap);
  EXPECT_EQ(leap->at("months_ahead").at("12"), "2028-02-28");
}

// The vocabulary the clients show is the views' own: every state it lists
// for a register is a state that register's view filters on, and every state
// the filter names (other than aliases such as "open") is listed, in order.
TEST(Vocabulary, EveryRegistersStatesAreTheStatesItsViewFiltersOn) {
  const json v = vocabulary();
  for (const auto& [view, states] : v.items()) {
    SCOPED_TRACE(view);
    ASSERT_FALSE(states.empty());
    for (const auto& s : states) {
      EXPECT_FALSE(s.at("label").get<std::string>().empty());
      EXPECT_TRUE(ask(view, R"({"state":")" + s.at("state").get<std::string>() + R"("})"))
          << s.at("state") << " is not a state the view knows";
    }
    const auto refused = ask(view, R"({"state":"no_such_state"})");
    ASSERT_FALSE(refused);
    std::string listed;
    for (const auto& s : states) listed += (listed.empty() ? "" : ", ") + s.at("state").get<std::string>();
    EXPECT_NE(refused.error().message.find(listed), std::string::npos)
        << refused.error().message << " does not list, in this order: " << listed;
  }
  EXPECT_EQ(v.at("risks").at(2), (json{{"state", "treatment_planned"}, {"label", "Treatment planned"}}));
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
