// Untrusted input at the edge: every malformed or abusive request gets its
// error (or a clean close where the protocol says so), the connection or the
// server stays healthy, and nothing is half-written.

#include <gtest/gtest.h>

#include <set>

#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::bad_input_test {
namespace {

std::string code(const std::optional<json>& reply) {
  return reply && reply->contains("error") ? (*reply)["error"].value("code", "") : "<none>";
}

class bad_input : public ::testing::Test {
 protected:
  void SetUp() override {
    token = srv.add_user("manager", {"isms_manager"});
    client = connect_as(srv, token);
    ASSERT_NE(client, nullptr);
    head_before = srv.store().current_head().position;
  }
  void TearDown() override {
    // Still usable, and nothing was written by the bad requests.
    if (client && client->open()) {
      EXPECT_TRUE(ok(client->request({{"op", "ping"}})));
    }
    EXPECT_EQ(srv.store().current_head().position, head_before);
  }
  test_server srv;
  std::string token;
  std::unique_ptr<ws_client> client;
  std::uint64_t head_before = 0;
};

TEST_F(bad_input, malformed_json_gets_bad_request_and_connection_survives) {
  client->send_text("{\"id\":\"1\",\"op\":");
  auto r = client->next_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(code(r), "bad_request");
  EXPECT_TRUE((*r)["id"].is_null());
}

TEST_F(bad_input, non_object_json_is_refused) {
  client->send_text("[1,2,3]");
  EXPECT_EQ(code(client->next_reply()), "bad_request");
}

TEST_F(bad_input, binary_frame_is_refused) {
  client->send_binary(std::string("\x00\x01\x02", 3));
  EXPECT_EQ(code(client->next_reply()), "bad_request");
}

TEST_F(bad_input, missing_id_is_refused) {
  client->send_text(R"({"op":"ping"})");
  auto r = client->next_reply();
  EXPECT_EQ(code(r), "bad_request");
  EXPECT_EQ((*r)["error"].value("field", ""), "id");
}

TEST_F(bad_input, unknown_op_echoes_the_id) {
  auto r = client->request({{"op", "drop_tables"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(code(r), "bad_request");
  EXPECT_EQ((*r)["error"].value("field", ""), "op");
}

TEST_F(bad_input, wrong_field_types_name_the_field) {
  auto r = client->request({{"op", "command"}, {"type", "risk.identify"}, {"stream", 5}, {"data", json::object()}});
  EXPECT_EQ(code(r), "bad_request");
  EXPECT_EQ((*r)["error"].value("field", ""), "stream");
  r = client->request({{"op", "command"}, {"type", "risk.identify"}, {"stream", "risk-R-1"}, {"data", "text"}});
  EXPECT_EQ(code(r), "bad_request");
  EXPECT_EQ((*r)["error"].value("field", ""), "data");
  r = client->request({{"op", "command"}, {"type", "risk.identify"}, {"stream", "risk-R-1"}, {"expected_version", -3}});
  EXPECT_EQ(code(r), "bad_request");
  r = client->request({{"op", "query"}, {"view", 7}});
  EXPECT_EQ(code(r), "bad_request");
  r = client->request({{"op", "query"}, {"view", "risks"}, {"as_of", {{"time", "yesterday"}}}});
  EXPECT_EQ(code(r), "bad_request");
  r = client->request({{"op", "subscribe"}, {"channel", "everything"}});
  EXPECT_EQ(code(r), "bad_request");
}

TEST_F(bad_input, unknown_command_type_and_bad_stream_are_bad_requests) {
  auto r = client->command("risk.obliterate", "risk-R-1", json::object());
  EXPECT_EQ(code(r), "bad_request");
  r = client->command("risk.identify", "../../etc/passwd", json::object());
  EXPECT_EQ(code(r), "bad_request");
}

TEST_F(bad_input, missing_command_fields_are_named) {
  auto r = client->command("risk.identify", "risk-R-1", {{"title", "only a title"}});
  EXPECT_EQ(code(r), "bad_request");
  EXPECT_FALSE((*r)["error"].value("field", "").empty()) << r->dump();
}

TEST_F(bad_input, oversized_message_gets_too_large_and_connection_survives) {
  const std::string big = R"({"id":"big","op":"ping","pad":")" + std::string(1200 * 1024, 'x') + "\"}";
  client->send_text(big);
  EXPECT_EQ(code(client->next_reply()), "too_large");
}

TEST_F(bad_input, a_frame_beyond_the_hard_limit_closes_cleanly_and_the_server_lives) {
  client->send_text(std::string(3 * 1024 * 1024, ' '));
  EXPECT_FALSE(client->read());  // closed by the server
  EXPECT_EQ(client->close_code(), 1009);
  EXPECT_FALSE(client->open());
  client = connect_as(srv, token);
  ASSERT_NE(client, nullptr);
}

TEST(bad_input_limits, a_flood_beyond_the_rate_is_limited_and_the_connection_survives) {
  test_server srv([](server::server_config& c) {
    c.ledger.ws.requests_per_second = 0.1;
    c.ledger.ws.burst = 5;
  });
  auto client = connect_as(srv, srv.add_user("manager", {"isms_manager"}));
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 30; ++i) client->send_text(json{{"id", i}, {"op", "ping"}}.dump());
  int limited = 0, answered = 0;
  std::set<int> ids;
  for (int i = 0; i < 30; ++i) {
    auto r = client->next_reply();
    ASSERT_TRUE(r);
    if (code(r) == "rate_limited") ++limited;
    if (ok(r)) ++answered;
    // Every request is answered under its own id, the refused ones too.
    ASSERT_TRUE((*r)["id"].is_number_integer()) << r->dump();
    ids.insert((*r)["id"].get<int>());
  }
  EXPECT_GE(limited, 20);
  EXPECT_GE(answered, 1);
  EXPECT_EQ(ids.size(), 30u);
  EXPECT_TRUE(client->open());
}

TEST(bad_input_http, http_edge_refuses_bad_requests_and_stays_up) {
  test_server srv;
  const auto port = srv.port();
  EXPECT_EQ(http_call(port, "POST", "/api/session", "{not json").status, 400u);
  EXPECT_EQ(http_call(port, "POST", "/api/session", R"({"username":1,"password":2})").status, 400u);
  EXPECT_EQ(http_call(port, "POST", "/api/session", R"({"username":"admin","password":"wrong"})").status, 401u);
  // Over the body limit: 413, or — when the refusal overtakes the upload — the
  // connection closed; either way nothing is read past the limit.
  const unsigned oversized = http_call(port, "POST", "/api/session", std::string(2 << 20, 'x')).status;
  EXPECT_TRUE(oversized == 413u || oversized == 0u) << oversized;
  EXPECT_EQ(http_call(port, "GET", "/api/nothing").status, 404u);
  EXPECT_EQ(http_call(port, "GET", "/api/events").status, 401u);
  EXPECT_EQ(http_call(port, "GET", "/api/events?from=abc", {}, {{"authorization", "Bearer nonsense"}}).status, 401u);
  EXPECT_EQ(http_call(port, "GET", "/healthz").status, 200u);
}

TEST(bad_input_http, websocket_needs_a_session_and_the_servers_own_origin) {
  test_server srv;
  const std::string token = srv.add_user("manager", {"isms_manager"});
  unsigned status = 0;
  EXPECT_EQ(ws_client::connect(srv.port(), {}, &status), nullptr);
  EXPECT_EQ(status, 401u);
  ws_client::options forged;
  forged.bearer = "0000000000000000000000000000000000000000000000000000000000000000";
  EXPECT_EQ(ws_client::connect(srv.port(), forged, &status), nullptr);
  EXPECT_EQ(status, 401u);
  ws_client::options foreign;
  foreign.bearer = token;
  foreign.origin = "http://evil.example";
  EXPECT_EQ(ws_client::connect(srv.port(), foreign, &status), nullptr);
  EXPECT_EQ(status, 403u);
  ws_client::options own;
  own.cookie = "isms_session=" + token;
  own.origin = "http://127.0.0.1:" + std::to_string(srv.port());
  EXPECT_NE(ws_client::connect(srv.port(), own), nullptr);
}

TEST(bad_input_http, login_attempts_are_limited_per_account) {
  test_server srv;
  srv.add_user("manager", {"isms_manager"});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(http_call(srv.port(), "POST", "/api/session", R"({"username":"manager","password":"guess"})").status, 401u);
  // Even the right password is refused while the account is limited.
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/session", R"({"username":"manager","password":"pw-manager"})").status,
            429u);
  srv.now_ms += 16 * 60 * 1000;  // the window passes
  EXPECT_EQ(http_call(srv.port(), "POST", "/api/session", R"({"username":"manager","password":"pw-manager"})").status,
            200u);
}

TEST(bad_input_http, logout_revokes_the_token) {
  test_server srv;
  const std::string token = srv.add_user("manager", {"isms_manager"});
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", {}, {{"authorization", "Bearer " + token}}).status, 200u);
  EXPECT_EQ(http_call(srv.port(), "DELETE", "/api/session", {}, {{"authorization", "Bearer " + token}}).status, 200u);
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", {}, {{"authorization", "Bearer " + token}}).status, 401u);
}

TEST(bad_input_http, sessions_expire) {
  test_server srv;
  const std::string token = srv.add_user("manager", {"isms_manager"});
  srv.now_ms += 13LL * 3600 * 1000;
  EXPECT_EQ(http_call(srv.port(), "GET", "/api/session", {}, {{"authorization", "Bearer " + token}}).status, 401u);
}

}  // namespace
}  // namespace isms::testing::bad_input_test
