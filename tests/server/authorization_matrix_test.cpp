// The authorization matrix through the whole pipeline of a real server: one
// user per role a person can hold, every command type of the table sent over
// the WebSocket by each of them. Where the table (checked against
// docs/domain.md in tests/domain/authorization_matrix_test.cpp) leaves the
// cell empty the reply is `forbidden` and the log does not move; elsewhere the
// reply is never `forbidden`.

#include <gtest/gtest.h>

#include "isms/domain/authorization.hpp"
#include "isms/domain/dispatch.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::authorization_matrix_test {
namespace {

TEST(authorization_matrix, every_command_type_by_every_role_through_the_pipeline) {
  test_server srv;
  // Every role a user can hold; `system` is the server itself.
  const std::vector<domain::role> roles{domain::role::admin,       domain::role::isms_manager,
                                        domain::role::top_management, domain::role::risk_owner,
                                        domain::role::contributor, domain::role::internal_auditor,
                                        domain::role::external_auditor};
  std::vector<std::pair<domain::role, std::unique_ptr<ws_client>>> users;
  for (const auto r : roles) {
    const std::string id = "u-" + std::string(domain::to_string(r));
    auto c = connect_as(srv, srv.add_user(id, {std::string(domain::to_string(r))}));
    ASSERT_NE(c, nullptr) << id;
    users.emplace_back(r, std::move(c));
  }
  srv.app().settle();
  std::size_t forbidden = 0, allowed = 0;
  for (const auto& p : domain::authorization_table()) {
    const std::string type(p.command_type);
    const auto* route = domain::route_for_command(type);
    ASSERT_NE(route, nullptr) << type;
    const std::string stream = std::string(route->stream_kind) + "-" +
                               (route->singleton_id.empty() ? std::string("M-1") : std::string(route->singleton_id));
    for (auto& [r, client] : users) {
      const auto head = srv.store().current_head().position;
      auto reply = client->command(type, stream, json::object());
      ASSERT_TRUE(reply.has_value()) << type << " by " << domain::to_string(r) << ": no reply";
      const std::string code = reply->contains("error") ? (*reply)["error"].value("code", "") : "";
      if (domain::contains(p.allowed, r)) {
        ++allowed;
        EXPECT_NE(code, "forbidden") << type << " by " << domain::to_string(r) << ": " << reply->dump();
      } else {
        ++forbidden;
        EXPECT_EQ(code, "forbidden") << type << " by " << domain::to_string(r) << ": " << reply->dump();
        EXPECT_EQ(srv.store().current_head().position, head) << type << " by " << domain::to_string(r) << " wrote";
      }
    }
  }
  EXPECT_GT(forbidden, allowed);
  EXPECT_GT(allowed, 0u);
}

}  // namespace
}  // namespace isms::testing::authorization_matrix_test
