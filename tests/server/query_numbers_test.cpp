// Numbers read from a URL: one strict decimal reader (digits only, no sign,
// no spaces, no overflow), and GET /api/events refusing everything else with
// 400 instead of reading "+5" or " 5" as 5.

#include <gtest/gtest.h>

#include "isms/server/http_types.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::query_numbers_test {
namespace {

using server::parse_decimal;
using server::query_number;

TEST(query_numbers, parse_decimal_takes_digits_and_nothing_else) {
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("5"), 5u);
  EXPECT_EQ(parse_decimal("007"), 7u);
  EXPECT_EQ(parse_decimal("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "+5", "-5", " 5", "5 ", "\t5", "5\n", "0x5", "5e3", "5.0", "1,000", "18446744073709551616",
                          "99999999999999999999999", "５"}) {
    EXPECT_FALSE(parse_decimal(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_FALSE(parse_decimal(std::string_view("5\0", 2)).has_value());
}

TEST(query_numbers, query_number_decodes_then_reads_strictly) {
  EXPECT_EQ(query_number("from=3&limit=10", "limit", 1000), 10u);
  EXPECT_EQ(query_number("from=3", "limit", 1000), 1000u);  // absent: the default
  EXPECT_EQ(query_number("from=%35", "from", 1), 5u);         // "%35" is "5"
  EXPECT_FALSE(query_number("from=+5", "from", 1));           // '+' decodes to a space
  EXPECT_FALSE(query_number("from=%205", "from", 1));
  EXPECT_FALSE(query_number("from=%2B5", "from", 1));         // a real '+'
  EXPECT_FALSE(query_number("from=", "from", 1));
  EXPECT_FALSE(query_number("from", "from", 1));
}

TEST(query_numbers, events_export_refuses_every_number_that_is_not_plain_digits) {
  test_server srv;
  const std::string auditor = srv.add_user("ea", {"external_auditor"});
  const std::vector<std::pair<std::string, std::string>> auth{{"authorization", "Bearer " + auditor}};
  for (const char* query : {"from=+5", "from=%205", "from=5%20", "from=-1", "from=%2B5", "from=0x5", "from=5.0",
                            "from=", "from=18446744073709551616", "limit=+1", "limit=%201", "limit=0", "limit=-3",
                            "limit=1e3", "from=1&limit=99999999999999999999"}) {
    const auto r = http_call(srv.port(), "GET", std::string("/api/events?") + query, {}, auth);
    EXPECT_EQ(r.status, 400u) << query << " → " << r.status << " " << r.body;
    EXPECT_EQ(r.json_body()["error"].value("code", ""), "bad_request") << query;
  }
  for (const char* query : {"from=1", "from=1&limit=5", "limit=1", "from=18446744073709551615", ""}) {
    const auto r = http_call(srv.port(), "GET", std::string("/api/events?") + query, {}, auth);
    EXPECT_EQ(r.status, 200u) << query << " → " << r.body;
  }
}

}  // namespace
}  // namespace isms::testing::query_numbers_test
