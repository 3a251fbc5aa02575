#include "isms/domain/risk_matrix.hpp"

#include <gtest/gtest.h>

#include "given.hpp"

namespace isms::domain::risk_matrix::risk_matrix_test {
namespace {

using namespace isms::domain::testing;

json three_by_three() {
  return {{"likelihood_labels", {"low", "mid", "high"}},
          {"impact_labels", {"low", "mid", "high"}},
          {"bands", {{{"name", "green"}, {"min_score", 1}, {"max_score", 2}},
                     {{"name", "amber"}, {"min_score", 3}, {"max_score", 4}},
                     {{"name", "red"}, {"min_score", 5}, {"max_score", 9}}}},
          {"appetite", "green"},
          {"comment", "a smaller scale for a small organization"}};
}

decision when(const json& data, const events& given, const command_context& ctx = manager()) {
  const auto h = history_of(std::string(stream_id), given);
  return decide_command("risk_matrix.configure", stream_id, data, h, ctx, stream_reads{});
}

TEST(RiskMatrixDefault, FiveByFiveWithBandsAndAppetiteMedium) {
  const auto m = default_matrix();
  EXPECT_EQ(m.max_likelihood(), 5);
  EXPECT_EQ(m.max_impact(), 5);
  EXPECT_EQ(m.band_for(4)->name, "low");
  EXPECT_EQ(m.band_for(5)->name, "medium");
  EXPECT_EQ(m.band_for(9)->name, "medium");
  EXPECT_EQ(m.band_for(10)->name, "high");
  EXPECT_EQ(m.band_for(16)->name, "high");
  EXPECT_EQ(m.band_for(17)->name, "critical");
  EXPECT_EQ(m.band_for(25)->name, "critical");
  EXPECT_EQ(m.band_for(26), nullptr);
  EXPECT_TRUE(m.within_appetite("low"));
  EXPECT_TRUE(m.within_appetite("medium"));
  EXPECT_FALSE(m.within_appetite("high"));
  EXPECT_FALSE(m.within_appetite("critical"));
  EXPECT_FALSE(m.within_appetite("unknown"));
}

TEST(RiskMatrixRead, DefaultWhenNeverConfigured) {
  in_memory_log log;
  const auto m = current_matrix(log.history(stream_id));
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, default_matrix());
}

TEST(RiskMatrixConfigure, RecordsTheMatrixAndWhoConfiguredIt) {
  const auto d = when(three_by_three(), {});
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].type, "risk_matrix.configured.v1");
  EXPECT_EQ((*d)[0].data.at("configured_by"), "mia");
  in_memory_log log;
  log.append(std::string(stream_id), *d, manager());
  const auto m = current_matrix(log.history(stream_id));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->version, 1u);
  EXPECT_EQ(m->appetite, "green");
  EXPECT_EQ(m->band_for(9)->name, "red");
}

TEST(RiskMatrixConfigure, OnlyTheIsmsManager) {
  EXPECT_REJECTED(when(three_by_three(), {}, top()), rejection_kind::forbidden, "");
}

TEST(RiskMatrixConfigure, UnchangedConfigurationIsRefused) {
  auto data = default_matrix();
  json j = to_json(data);
  EXPECT_REJECTED(when(j, {}), rejection_kind::rule, "");
  const auto first = when(three_by_three(), {});
  ASSERT_TRUE(first);
  EXPECT_REJECTED(when(three_by_three(), *first), rejection_kind::rule, "");
  EXPECT_TRUE(when(j, *first));
}

TEST(RiskMatrixConfigure, BandsAreContiguousAndCoverEveryScore) {
  struct bad {
    const char* what;
    json data;
    const char* field;
  };
  auto with = [](const char* key, json v) {
    json j = three_by_three();
    j[key] = std::move(v);
    return j;
  };
  const bad cases[] = {
      {"gap", with("bands", {{{"name", "a"}, {"min_score", 1}, {"max_score", 2}},
                             {{"name", "b"}, {"min_score", 4}, {"max_score", 9}}}),
       "data.bands[1].min_score"},
      {"not covering", with("bands", {{{"name", "a"}, {"min_score", 1}, {"max_score", 8}}}), "data.bands"},
      {"beyond the top", with("bands", {{{"name", "a"}, {"min_score", 1}, {"max_score", 10}}}),
       "data.bands[0].max_score"},
      {"inverted", with("bands", {{{"name", "a"}, {"min_score", 1}, {"max_score", 2}},
                                  {{"name", "b"}, {"min_score", 3}, {"max_score", 2}}}),
       "data.bands[1].max_score"},
      {"duplicate name", with("bands", {{{"name", "a"}, {"min_score", 1}, {"max_score", 2}},
                                        {{"name", "a"}, {"min_score", 3}, {"max_score", 9}}}),
       "data.bands[1].name"},
      {"no bands", with("bands", json::array()), "data.bands"},
      {"appetite not a band", with("appetite", "blue"), "data.appetite"},
      {"one label", with("likelihood_labels", {"only"}), "data.likelihood_labels"},
      {"eleven labels", with("impact_labels", json(std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"})),
       "data.impact_labels"},
      {"duplicate label", with("impact_labels", {"low", "low", "high"}), "data.impact_labels[1]"},
      {"labels not strings", with("impact_labels", {1, 2, 3}), "data.impact_labels[0]"},
  };
  for (const auto& c : cases) {
    const auto r = parse_command("risk_matrix.configure", c.data);
    ASSERT_FALSE(r) << c.what;
    EXPECT_EQ(r.error().kind, rejection_kind::invalid) << c.what;
    EXPECT_EQ(r.error().field, c.field) << c.what << ": " << r.error().message;
  }
  EXPECT_EQ(parse_command("risk_matrix.reset", three_by_three()).error().field, "type");
}

TEST(RiskMatrixCodec, RoundTripsAndRejectsMalformedData) {
  const auto parsed = parse_command("risk_matrix.configure", three_by_three());
  ASSERT_TRUE(parsed);
  const configured e{std::get<configure>(*parsed).content, "mia", "why"};
  const auto wire = encode(e);
  const auto back = decode(wire.type, wire.data);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(std::get<configured>(*back), e);
  EXPECT_FALSE(decode("risk_matrix.changed.v1", wire.data));
  auto bad = wire.data;
  bad.erase("configured_by");
  EXPECT_FALSE(decode(wire.type, bad));
  bad = wire.data;
  bad["bands"] = "all";
  EXPECT_FALSE(decode(wire.type, bad));
  EXPECT_FALSE(decode(wire.type, json::array()));
}

TEST(RiskMatrixRead, AnUnreadableConfigStreamIsARuleRejection) {
  in_memory_log log;
  log.append(std::string(stream_id), {new_event{"risk_matrix.configured.v1", json{{"bands", 1}}}}, manager());
  const auto m = current_matrix(log.history(stream_id));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, rejection_kind::rule);
}

}  // namespace
}  // namespace isms::domain::risk_matrix::risk_matrix_test
