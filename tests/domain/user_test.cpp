#include "isms/domain/user.hpp"

#include <gtest/gtest.h>

#include "given.hpp"

namespace isms::domain::user::user_test {
namespace {

using namespace isms::domain::testing;

decision when(std::string_view type, const json& data, const events& given,
              const command_context& ctx = admin(), const std::string& stream = "user-olga") {
  const auto h = history_of(stream, given);
  return decide_command(type, stream, data, h, ctx, stream_reads{});
}

const events olga{encode(registered{"Olga Owner", "olga@example.org", {role::risk_owner}})};

TEST(UserRegister, AdminRegistersNameAndRoles) {
  const auto d = when("user.register",
                      {{"name", "Olga Owner"}, {"email", "olga@example.org"}, {"roles", {"risk_owner"}}}, {});
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, olga);
  EXPECT_REJECTED(when("user.register", {{"name", "x"}, {"roles", json::array()}}, {}, manager()),
                  rejection_kind::forbidden, "");
  EXPECT_REJECTED(when("user.register", {{"name", "x"}, {"roles", json::array()}}, olga), rejection_kind::rule, "");
}

TEST(UserRegister, ValidatesEveryField) {
  EXPECT_EQ(parse_command("user.register", {{"roles", {"contributor"}}}).error().field, "data.name");
  EXPECT_EQ(parse_command("user.register", {{"name", "x"}}).error().field, "data.roles");
  EXPECT_EQ(parse_command("user.register", {{"name", "x"}, {"roles", {"wizard"}}}).error().field, "data.roles[0]");
  EXPECT_EQ(parse_command("user.register", {{"name", "x"}, {"roles", {"system"}}}).error().field, "data.roles[0]");
  EXPECT_EQ(parse_command("user.register", {{"name", "x"}, {"roles", {"admin", "admin"}}}).error().field,
            "data.roles[1]");
  EXPECT_EQ(parse_command("user.register", {{"name", "x"}, {"email", "nope"}, {"roles", json::array()}}).error().field,
            "data.email");
  EXPECT_EQ(parse_command("user.grant_role", {{"role", "system"}}).error().field, "data.role");
  EXPECT_EQ(parse_command("user.grant_role", json::object()).error().field, "data.role");
  EXPECT_EQ(parse_command("user.disable", json::object()).error().field, "data.reason");
  EXPECT_EQ(parse_command("user.delete", json::object()).error().field, "type");
}

TEST(UserRoles, GrantOnlyWhatIsNotHeldRevokeOnlyWhatIs) {
  const auto g = when("user.grant_role", {{"role", "contributor"}, {"comment", "joins the CAPA team"}}, olga);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(*g, (events{encode(role_granted{role::contributor, "joins the CAPA team"})}));
  EXPECT_REJECTED(when("user.grant_role", {{"role", "risk_owner"}}, olga), rejection_kind::rule, "data.role");
  EXPECT_REJECTED(when("user.revoke_role", {{"role", "contributor"}}, olga), rejection_kind::rule, "data.role");
  const auto r = when("user.revoke_role", {{"role", "risk_owner"}}, olga);
  ASSERT_TRUE(r);
  auto after = olga;
  after.push_back((*r)[0]);
  const auto s = fold(history_of("user-olga", after));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->roles.empty());
  EXPECT_REJECTED(when("user.grant_role", {{"role", "contributor"}}, {}), rejection_kind::not_found, "");
}

TEST(UserRoles, AnAdminCannotRevokeTheirOwnAdminRole) {
  const events root{encode(registered{"Root", "", {role::admin}})};
  EXPECT_REJECTED(when("user.revoke_role", {{"role", "admin"}}, root, admin("root"), "user-root"),
                  rejection_kind::rule, "");
  EXPECT_TRUE(when("user.revoke_role", {{"role", "admin"}}, root, admin("ann"), "user-root"));
}

TEST(UserDisable, NotThemselvesAndOnlyOnce) {
  const events root{encode(registered{"Root", "", {role::admin}})};
  EXPECT_REJECTED(when("user.disable", {{"reason", "x"}}, root, admin("root"), "user-root"), rejection_kind::rule, "");
  const auto d = when("user.disable", {{"reason", "left the company"}}, olga);
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, (events{encode(disabled{"left the company"})}));
  auto after = olga;
  after.push_back((*d)[0]);
  EXPECT_FALSE(fold(history_of("user-olga", after))->enabled);
  EXPECT_REJECTED(when("user.disable", {{"reason", "again"}}, after), rejection_kind::rule, "");
  EXPECT_REJECTED(when("user.enable", json::object(), olga), rejection_kind::rule, "");
  const auto e = when("user.enable", {{"comment", "back"}}, after);
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, (events{encode(enabled{"back"})}));
}

TEST(UserFold, KnowsItsIdFromTheStream) {
  const auto s = fold(history_of("user-olga", olga));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "olga");
  EXPECT_TRUE(s->registered);
  EXPECT_EQ(s->roles, std::vector<role>{role::risk_owner});
}

TEST(UserCodec, EveryEventRoundTripsAndMalformedDataIsAnError) {
  const std::vector<event> all{registered{"Olga", "o@example.org", {role::risk_owner, role::contributor}},
                               role_granted{role::top_management, "board"}, role_revoked{role::contributor, ""},
                               disabled{"left"}, enabled{"back"}};
  for (const auto& e : all) {
    const auto wire = encode(e);
    const auto back = decode(wire.type, wire.data);
    ASSERT_TRUE(back) << wire.type << ": " << back.error();
    EXPECT_EQ(*back, e) << wire.type;
  }
  EXPECT_FALSE(decode("user.registered.v1", json{{"name", "x"}, {"roles", {"king"}}}));
  EXPECT_FALSE(decode("user.role_granted.v1", json{{"role", 3}}));
  EXPECT_FALSE(decode("user.disabled.v1", json::object()));
  EXPECT_FALSE(decode("user.renamed.v1", json::object()));
}

}  // namespace
}  // namespace isms::domain::user::user_test
