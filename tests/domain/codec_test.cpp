// The one field reader behind every aggregate's codecs (domain/src/wire_fields.hpp):
// one set of payload bounds for commands (docs/domain.md, "Payload bounds"),
// none for events already recorded, and failures that name the field — down to
// the entry of a list.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "isms/domain/core.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/soa.hpp"

namespace isms::domain::codec_test {
namespace {

// Dates and instants are written by hand (no printf per event the views
// fold): the text must stay what printf gave, for years of four digits and
// any other, and read back to the same value.
std::string printf_date(date d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string printf_instant(instant t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d.%03dZ", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return printf_date(day) + buf;
}

TEST(Codec, DatesAndInstantsReadAsPrintfWroteThemAndRoundTrip) {
  using namespace std::chrono;
  std::mt19937_64 rng(20261206);
  const auto first = sys_days{year{0} / January / 1}.time_since_epoch().count();
  const auto last = sys_days{year{9999} / December / 31}.time_since_epoch().count();
  std::uniform_int_distribution<long long> day_of(first, last);
  std::uniform_int_distribution<long long> ms_of(0, 86'400'000 - 1);
  for (int i = 0; i < 20'000; ++i) {
    const date d{days{day_of(rng)}};
    const instant t = instant{d} + milliseconds{i < 4 ? (i % 2 == 0 ? 0 : 86'400'000 - 1) : ms_of(rng)};
    ASSERT_EQ(format_date(d), printf_date(d));
    ASSERT_EQ(format_instant(t), printf_instant(t));
    ASSERT_EQ(parse_date(format_date(d)), d);
    ASSERT_EQ(parse_instant(format_instant(t)), t);
  }
  // The bounds of four digits, and beyond them the general path.
  for (const int y : {0, 1, 999, 1000, 1970, 9999, 10000, 12345, -1, -44}) {
    const date d = sys_days{year{y} / February / 28};
    EXPECT_EQ(format_date(d), printf_date(d)) << y;
    EXPECT_EQ(format_instant(instant{d} + milliseconds{45'296'789}), printf_instant(instant{d} + milliseconds{45'296'789}))
        << y;
  }
  EXPECT_EQ(format_instant(instant{sys_days{year{2026} / December / 6}} + milliseconds{7'384'005}),
            "2026-12-06T02:03:04.005Z");
}

// Events decode whatever bounds were in force when they were written: a
// recorded event is never refused for a length.
TEST(Codec, RecordedEventsDecodeWithoutTheCommandBounds) {
  // Written when a risk title could take 300 bytes and a rationale 4000.
  const json identified{{"title", std::string(300, 'T')}, {"description", std::string(30'000, 'd')},
                        {"asset", "file servers"},       {"threat", "ransomware"},
                        {"vulnerability", "unpatched"},  {"owner", "olga"},
                        {"category", "operations"}};
  const auto risk_event = risk::decode("risk.identified.v1", identified);
  ASSERT_TRUE(risk_event) << risk_event.error();
  EXPECT_EQ(std::get<risk::identified>(*risk_event).title.size(), 300u);

  // A one-line text longer than any command bound today still folds.
  const json opened{{"opened_on", "2026-03-02"}, {"opened_by", std::string(400, 'm')}};
  const auto review_event = management_review::decode("review.opened.v1", opened);
  ASSERT_TRUE(review_event) << review_event.error();
  EXPECT_EQ(std::get<management_review::opened>(*review_event).opened_by.size(), 400u);
}

// Commands of every aggregate share one one-line bound (300 bytes), and a
// payload over it is refused naming the field.
TEST(Codec, OneLineBoundIsTheSameForEveryAggregate) {
  const auto summary = [](std::size_t n) { return json{{"summary", std::string(n, 's')}}; };
  EXPECT_TRUE(management_review::parse_command("review.request_minutes_approval", summary(300)));
  const auto over = management_review::parse_command("review.request_minutes_approval", summary(301));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, rejection_kind::invalid);
  EXPECT_EQ(over.error().field, "data.summary");

  json identify{{"title", std::string(301, 'T')}, {"asset", "a"}, {"threat", "t"},
                {"vulnerability", "v"},           {"owner", "olga"}, {"category", "c"}};
  const auto long_title = risk::parse_command("risk.identify", identify);
  ASSERT_FALSE(long_title);
  EXPECT_EQ(long_title.error().field, "data.title");
  identify["title"] = std::string(300, 'T');
  EXPECT_TRUE(risk::parse_command("risk.identify", identify));
}

// Free text shares one bound too (20 000 bytes).
TEST(Codec, FreeTextBoundIsTheSameForEveryAggregate) {
  const json assess{{"likelihood", 2}, {"impact", 2}, {"rationale", std::string(20'000, 'r')}};
  EXPECT_TRUE(risk::parse_command("risk.assess", assess));
  const json longer{{"likelihood", 2}, {"impact", 2}, {"rationale", std::string(20'001, 'r')}};
  const auto r = risk::parse_command("risk.assess", longer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "data.rationale");
}

// A bad entry of a list is named by its index.
TEST(Codec, ABadListEntryIsNamedByItsIndex) {
  const json attendance{{"attendees", {"tom", "not an id!"}}};
  const auto r = management_review::parse_command("review.record_attendance", attendance);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "data.attendees[1]");
}

// A control id too long to be one is "not an Annex A control", whatever its length.
TEST(Codec, AnOverlongControlIdIsNotAnAnnexAControl) {
  const json d{{"control_id", "5.1.and.more"}, {"applicable", true}};
  const auto r = soa::parse_command("soa.decide_control", d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "data.control_id");
  EXPECT_NE(r.error().message.find("Annex A control"), std::string::npos) << r.error().message;
}

// Event data of the wrong shape is an error value naming the field, never an exception.
TEST(Codec, MalformedEventDataIsAnErrorNamingTheField) {
  const auto r = risk::decode("risk.assessed.v1", json{{"likelihood", "four"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("likelihood"), std::string::npos) << r.error();
  EXPECT_FALSE(risk::decode("risk.no_such_event.v1", json::object()));
  EXPECT_FALSE(risk::decode("risk.identified.v1", json::array()));
}

}  // namespace
}  // namespace isms::domain::codec_test
