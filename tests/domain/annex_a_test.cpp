#include "isms/domain/annex_a.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace isms::domain::annex_a::annex_a_test {
namespace {

TEST(AnnexA, HoldsThe93ControlsOfIso27001_2022InFourThemes) {
  const auto all = catalogue();
  ASSERT_EQ(all.size(), 93u);
  int per_theme[4] = {0, 0, 0, 0};
  for (const auto& c : all) ++per_theme[static_cast<int>(c.theme_)];
  EXPECT_EQ(per_theme[static_cast<int>(theme::organizational)], 37);
  EXPECT_EQ(per_theme[static_cast<int>(theme::people)], 8);
  EXPECT_EQ(per_theme[static_cast<int>(theme::physical)], 14);
  EXPECT_EQ(per_theme[static_cast<int>(theme::technological)], 34);
}

TEST(AnnexA, IdsAreClauseDotNumberInOrderAndMatchTheirTheme) {
  const int sizes[] = {37, 8, 14, 34};
  const theme themes[] = {theme::organizational, theme::people, theme::physical, theme::technological};
  std::size_t i = 0;
  for (int clause = 5; clause <= 8; ++clause)
    for (int n = 1; n <= sizes[clause - 5]; ++n, ++i) {
      const auto expected = std::to_string(clause) + "." + std::to_string(n);
      ASSERT_LT(i, catalogue().size());
      EXPECT_EQ(catalogue()[i].id, expected);
      EXPECT_EQ(catalogue()[i].theme_, themes[clause - 5]) << expected;
      EXPECT_FALSE(catalogue()[i].title.empty()) << expected;
      EXPECT_EQ(index_of(expected), i);
    }
}

TEST(AnnexA, TitlesAreTheStandardOnes) {
  EXPECT_EQ(find("5.1")->title, "Policies for information security");
  EXPECT_EQ(find("5.7")->title, "Threat intelligence");
  EXPECT_EQ(find("5.23")->title, "Information security for use of cloud services");
  EXPECT_EQ(find("5.30")->title, "ICT readiness for business continuity");
  EXPECT_EQ(find("6.8")->title, "Information security event reporting");
  EXPECT_EQ(find("7.4")->title, "Physical security monitoring");
  EXPECT_EQ(find("7.14")->title, "Secure disposal or re-use of equipment");
  EXPECT_EQ(find("8.9")->title, "Configuration management");
  EXPECT_EQ(find("8.16")->title, "Monitoring activities");
  EXPECT_EQ(find("8.28")->title, "Secure coding");
  EXPECT_EQ(find("8.34")->title, "Protection during audit testing");
  std::set<std::string_view> titles;
  for (const auto& c : catalogue()) EXPECT_TRUE(titles.insert(c.title).second) << c.id;
}

TEST(AnnexA, UnknownIdsAreNotControls) {
  for (const char* id : {"5.38", "6.9", "7.15", "8.35", "4.1", "A.5.1", "5", "", "5.01"}) {
    EXPECT_FALSE(find(id)) << id;
    EXPECT_FALSE(index_of(id)) << id;
  }
}

TEST(AnnexA, ThemesHaveTheirNames) {
  EXPECT_EQ(to_string(theme::organizational), "Organizational");
  EXPECT_EQ(to_string(theme::people), "People");
  EXPECT_EQ(to_string(theme::physical), "Physical");
  EXPECT_EQ(to_string(theme::technological), "Technological");
}

}  // namespace
}  // namespace isms::domain::annex_a::annex_a_test
