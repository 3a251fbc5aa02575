// View parameters with a documented range, read as the server reads them: from
// JSON text. A non-negative JSON integer parses as unsigned, so each bound is
// tried through the parser, not only as a C++ int.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "isms/domain/views/views.hpp"
#include "isms/domain/views/vocabulary.hpp"

namespace isms::domain::views::view_params_test {
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
// Each state carries a label and one of the six tones.
TEST(Vocabulary, EveryRegistersStatesAreTheStatesItsViewFiltersOn) {
  const json v = vocabulary();
  // The view and the filter each list is checked against; an empty view: a
  // list no view filters on.
  const std::map<std::string, std::pair<std::string, std::string>> filtered_by{
      {"risks", {"risks", "state"}},
      {"documents", {"documents", "state"}},
      {"nonconformities", {"nonconformities", "state"}},
      {"objectives", {"objectives", "state"}},
      {"approvals", {"approvals", "state"}},
      {"audits", {"audits", "state"}},
      {"reviews", {"reviews", "state"}},
      {"incidents", {"incidents", "state"}},
      {"incident_severities", {"incidents", "severity"}},
      {"suppliers", {"suppliers", "state"}},
      {"assets", {"assets", "state"}},
      {"evidence", {"evidence", "status"}},
      {"supplier_criticalities", {"suppliers", "criticality"}},
      {"soa_applicability", {"soa", "applicability"}},
      {"soa_status", {"soa", "status"}},
      {"corrective_actions", {"", ""}},
  };
  const std::set<std::string> tones{"ok", "info", "warn", "bad", "neutral", "muted"};
  ASSERT_EQ(v.size(), filtered_by.size());
  for (const auto& [key, states] : v.items()) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(filtered_by.contains(key)) << "no view is named for this list";
    const auto& [view, param] = filtered_by.at(key);
    ASSERT_FALSE(states.empty());
    for (const auto& s : states) {
      EXPECT_FALSE(s.at("label").get<std::string>().empty());
      EXPECT_TRUE(tones.contains(s.at("tone").get<std::string>())) << s;
      if (view.empty()) continue;
      EXPECT_TRUE(ask(view, json{{param, s.at("state")}}.dump()))
          << s.at("state") << " is not a " << param << " the view knows";
    }
    if (view.empty()) continue;
    const auto refused = ask(view, json{{param, "no_such_state"}}.dump());
    ASSERT_FALSE(refused);
    std::string listed;
    for (const auto& s : states) listed += (listed.empty() ? "" : ", ") + s.at("state").get<std::string>();
    EXPECT_NE(refused.error().message.find(listed), std::string::npos)
        << refused.error().message << " does not list, in this order: " << listed;
  }
  EXPECT_EQ(v.at("risks").at(2), (json{{"state", "treatment_planned"}, {"label", "Treatment planned"}, {"tone", "info"}}));
}

// The nonconformity board groups states by their step of 10.2: every state
// names one, and the states of one step stand together in lifecycle order.
TEST(Vocabulary, NonconformityStatesNameTheirStepOf10_2InOneRunEach) {
  const json ncs = vocabulary().at("nonconformities");
  std::vector<std::string> steps;
  for (const auto& s : ncs) {
    const auto stage = s.at("stage").get<std::string>();
    ASSERT_FALSE(stage.empty()) << s;
    if (steps.empty() || steps.back() != stage) {
      EXPECT_EQ(std::find(steps.begin(), steps.end(), stage), steps.end()) << stage << " stands in two places";
      steps.push_back(stage);
    }
  }
  EXPECT_EQ(steps.size(), 6u);
  EXPECT_EQ(ncs.at(1).at("stage"), ncs.at(3).at("stage"));  // contained … similar checked: one step
}

TEST(ViewParams, ActivityLimitZeroFromTheWireIsRefused) {
  // The wire form of the reported case: {"limit": 0} parsed from text.
  const auto r = ask("activity", R"({"limit":0})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().field, "params.limit");
  EXPECT_NE(r.error().message.find("between 1 and 1000"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace isms::domain::views::view_params_test
