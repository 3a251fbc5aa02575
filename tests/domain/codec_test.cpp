// The one field reader behind every aggregate's codecs (domain/src/wire_fields.hpp):
// one set of payload bounds for commands (docs/domain.md, "Payload bounds"),
// none for events already recorded, and failures that name the field — down to
// the entry of a list.

#include <gtest/gtest.h>

#include <string>

#include "isms/domain/management_review.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/soa.hpp"

namespace isms::domain::codec_test {
namespace {

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
