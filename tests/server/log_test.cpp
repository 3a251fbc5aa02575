// The server's log: the text format stays what it always was, the JSON
// format is one parseable object per line with the access log's fields, every
// HTTP answer names its request id as the log does, and no password, token or
// cookie ever reaches the log. The log's sink is replaced for the test.

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/server/http_types.hpp"
#include "isms/server/log.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::log_test {
namespace {

namespace log = server::log;
using ordered_json = nlohmann::ordered_json;

// Takes every line logged while it lives, in `format`; then stderr and the
// text format again. Declare it before a test_server so that it outlives the
// server's threads.
class captured_log {
 public:
  explicit captured_log(log::format f) {
    log::set_format(f);
    log::set_sink([state = state_](std::string_view line) {
      std::lock_guard lock(state->mutex);
      state->lines.emplace_back(line);
    });
  }
  ~captured_log() {
    log::set_sink({});
    log::set_format(log::format::text);
  }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  [[nodiscard]] std::vector<std::string> lines() const {
    std::lock_guard lock(state_->mutex);
    return state_->lines;
  }
  // Every line as JSON (a line that does not parse fails the test).
  [[nodiscard]] std::vector<ordered_json> records() const {
    std::vector<ordered_json> out;
    for (const auto& line : lines()) {
      EXPECT_TRUE(line.ends_with("\n")) << line;
      EXPECT_EQ(line.find('\n'), line.size() - 1) << "one record, one line: " << line;
      auto j = ordered_json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
      if (j.is_object()) out.push_back(std::move(j));
    }
    return out;
  }
  // The access line of `method path` with `status`, in the JSON format.
  [[nodiscard]] std::optional<ordered_json> access(const std::string& method, const std::string& path,
                                                   unsigned status) const {
    for (auto& r : records())
      if (r.value("component", "") == "http" && r.value("method", "") == method && r.value("path", "") == path &&
          r.value("status", 0u) == status)
        return r;
    return std::nullopt;
  }

 private:
  struct shared {
    mutable std::mutex mutex;
    std::vector<std::string> lines;
  };
  std::shared_ptr<shared> state_ = std::make_shared<shared>();
};

const std::string stamp = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

log::http_access session_get() {
  return log::http_access{"3f9a2c1e-2a",       "mia", "127.0.0.1:44194", "GET", "/api/session?x=1", 200, 3019,
                          std::chrono::microseconds{300}};
}

// ------------------------------------------------------------ the formats

TEST(log_format, the_text_access_line_is_what_it_always_was) {
  captured_log captured(log::format::text);
  log::access(session_get());
  auto line = captured.lines();
  ASSERT_EQ(line.size(), 1u);
  // Neither the request id nor the actor: the text line is unchanged.
  EXPECT_TRUE(std::regex_match(line[0], std::regex(stamp + R"( INFO http 127\.0\.0\.1:44194 "GET /api/session\?x=1" 200 3019B 0\.3ms\n)")))
      << line[0];
}

TEST(log_format, text_lines_show_the_message_alone) {
  captured_log captured(log::format::text);
  log::write(log::level::warn, "views", "snapshot unusable\non two lines", {{"position", 42}, {"why", "format"}});
  auto line = captured.lines();
  ASSERT_EQ(line.size(), 1u);
  EXPECT_TRUE(std::regex_match(line[0], std::regex(stamp + " WARN views snapshot unusable on two lines\n"))) << line[0];
}

TEST(log_format, a_json_access_line_carries_its_fields) {
  captured_log captured(log::format::json);
  log::access(session_get());
  auto records = captured.records();
  ASSERT_EQ(records.size(), 1u);
  const auto& r = records[0];
  // The fixed members first, in this order, then the fields.
  std::vector<std::string> keys;
  for (const auto& [k, _] : r.items()) keys.push_back(k);
  ASSERT_GE(keys.size(), 4u);
  EXPECT_EQ(keys[0], "time");
  EXPECT_EQ(keys[1], "level");
  EXPECT_EQ(keys[2], "component");
  EXPECT_EQ(keys[3], "message");
  EXPECT_TRUE(std::regex_match(r["time"].get<std::string>(), std::regex(stamp))) << r.dump();
  EXPECT_EQ(r["level"], "info");
  EXPECT_EQ(r["component"], "http");
  EXPECT_EQ(r["message"], "127.0.0.1:44194 \"GET /api/session?x=1\" 200 3019B 0.3ms");
  EXPECT_EQ(r["request_id"], "3f9a2c1e-2a");
  EXPECT_EQ(r["actor"], "mia");
  EXPECT_EQ(r["remote"], "127.0.0.1:44194");
  EXPECT_EQ(r["method"], "GET");
  EXPECT_EQ(r["path"], "/api/session");
  ASSERT_TRUE(r["status"].is_number_unsigned()) << r.dump();
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(r["bytes"], 3019);
  ASSERT_TRUE(r["ms"].is_number()) << r.dump();
  EXPECT_DOUBLE_EQ(r["ms"].get<double>(), 0.3);
}

TEST(log_format, a_request_of_nobody_has_no_actor) {
  captured_log captured(log::format::json);
  auto a = session_get();
  a.actor = {};
  log::access(a);
  auto records = captured.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_FALSE(records[0].contains("actor")) << records[0].dump();
}

TEST(log_format, json_lines_escape_what_they_carry_and_survive_invalid_utf8) {
  captured_log captured(log::format::json);
  const std::string nasty = "quote \" backslash \\ newline \n tab \t bell \x07 bad \xff\xfe end";
  log::write(log::level::error, "notify", nasty, {{"url", nasty}, {"count", std::size_t{3}}, {"delta", -2}});
  auto a = session_get();
  a.target = "/api/\"x\"\n\xc3(?q=\xff";
  log::access(a);
  auto records = captured.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["level"], "error");
  const auto message = records[0]["message"].get<std::string>();
  EXPECT_NE(message.find("quote \" backslash \\ newline \n tab \t bell \x07 bad "), std::string::npos) << message;
  EXPECT_NE(message.find("\xef\xbf\xbd"), std::string::npos) << "invalid bytes become U+FFFD: " << message;
  EXPECT_EQ(records[0]["count"], 3);
  EXPECT_EQ(records[0]["delta"], -2);
  EXPECT_EQ(records[1]["path"], "/api/\"x\"\n\xef\xbf\xbd(") << records[1].dump();
}

TEST(log_format, only_text_and_json_are_formats) {
  EXPECT_EQ(log::parse_format("text"), log::format::text);
  EXPECT_EQ(log::parse_format("json"), log::format::json);
  EXPECT_FALSE(log::parse_format("JSON"));
  EXPECT_FALSE(log::parse_format(""));
  EXPECT_FALSE(log::parse_format("xml"));
}

TEST(request_id, ids_are_unique_and_safe_in_a_header) {
  const auto a = server::new_request_id();
  const auto b = server::new_request_id();
  EXPECT_NE(a, b);
  for (const auto& id : {a, b}) EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]+"))) << id;
}

TEST(request_id, an_incoming_id_is_kept_only_when_it_is_short_and_plain) {
  EXPECT_TRUE(server::acceptable_request_id("3f9a2c1e-2a"));
  EXPECT_TRUE(server::acceptable_request_id("nginx.7f3a_01:B"));
  EXPECT_TRUE(server::acceptable_request_id(std::string(64, 'a')));
  EXPECT_FALSE(server::acceptable_request_id(""));
  EXPECT_FALSE(server::acceptable_request_id(std::string(65, 'a')));
  for (const char* bad : {"a b", "a\"b", "a\tb", "id;drop", "ünicode", "a/b", "{\"x\":1}"})
    EXPECT_FALSE(server::acceptable_request_id(bad)) << bad;
}

// ------------------------------------------------------------ a real server

// Behind a reverse proxy the proxy's X-Request-Id names the request in the
// answer and in the access log; an unsafe one is replaced by the server's own.
TEST(access_log, a_proxys_request_id_is_kept_and_an_unsafe_one_replaced) {
  captured_log captured(log::format::json);
  test_server srv;
  auto kept = http_call(srv.port(), "GET", "/healthz", "", {{"X-Request-Id", "proxy-7f3a.42"}});
  ASSERT_EQ(kept.status, 200u);
  EXPECT_EQ(kept.header("x-request-id"), "proxy-7f3a.42");
  auto line = captured.access("GET", "/healthz", 200);
  ASSERT_TRUE(line);
  EXPECT_EQ((*line)["request_id"], "proxy-7f3a.42");

  auto replaced = http_call(srv.port(), "GET", "/api/nothing-here", "", {{"X-Request-Id", std::string(200, 'x')}});
  ASSERT_EQ(replaced.status, 404u);
  EXPECT_TRUE(std::regex_match(replaced.header("x-request-id"), std::regex("[0-9a-f]{8}-[0-9a-f]+")))
      << replaced.header("x-request-id");
  auto replaced_line = captured.access("GET", "/api/nothing-here", 404);
  ASSERT_TRUE(replaced_line);
  EXPECT_EQ((*replaced_line)["request_id"], replaced.header("x-request-id"));
}

TEST(access_log, every_answer_names_the_request_id_the_log_names) {
  captured_log captured(log::format::json);
  test_server srv;
  auto health = http_call(srv.port(), "GET", "/healthz");
  auto missing = http_call(srv.port(), "GET", "/api/nothing-here?from=1");
  ASSERT_EQ(health.status, 200u);
  ASSERT_EQ(missing.status, 404u);
  ASSERT_FALSE(health.header("x-request-id").empty());
  ASSERT_FALSE(missing.header("x-request-id").empty());
  EXPECT_NE(health.header("x-request-id"), missing.header("x-request-id"));

  auto health_line = captured.access("GET", "/healthz", 200);
  ASSERT_TRUE(health_line);
  EXPECT_EQ((*health_line)["request_id"], health.header("x-request-id"));
  EXPECT_EQ((*health_line)["bytes"], health.body.size());
  EXPECT_FALSE(health_line->contains("actor"));
  EXPECT_TRUE(std::regex_match((*health_line)["remote"].get<std::string>(), std::regex(R"(127\.0\.0\.1:\d+)")));

  auto missing_line = captured.access("GET", "/api/nothing-here", 404);
  ASSERT_TRUE(missing_line);
  EXPECT_EQ((*missing_line)["request_id"], missing.header("x-request-id"));
}

TEST(access_log, the_text_line_of_a_real_request_is_unchanged) {
  captured_log captured(log::format::text);
  test_server srv;
  auto health = http_call(srv.port(), "GET", "/healthz");
  ASSERT_EQ(health.status, 200u);
  const std::regex line(stamp + R"( INFO http 127\.0\.0\.1:\d+ "GET /healthz" 200 )" +
                        std::to_string(health.body.size()) + R"(B \d+\.\dms\n)");
  int found = 0;
  for (const auto& l : captured.lines()) found += std::regex_match(l, line) ? 1 : 0;
  EXPECT_EQ(found, 1);
}

TEST(access_log, signing_in_logs_the_user_and_never_the_password_token_or_cookie) {
  captured_log captured(log::format::json);
  test_server srv;
  const std::string password = test_server::admin_password;
  auto signed_in = http_call(srv.port(), "POST", "/api/session",
                             json{{"username", "admin"}, {"password", password}}.dump());
  ASSERT_EQ(signed_in.status, 200u) << signed_in.body;
  const std::string token = signed_in.json_body()["token"].get<std::string>();
  ASSERT_EQ(token.size(), 64u);
  const std::string cookie = signed_in.header("set-cookie");
  ASSERT_NE(cookie.find(token), std::string::npos);

  // The token sent back as a bearer token and as the cookie.
  auto whoami = http_call(srv.port(), "GET", "/api/session", {}, {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(whoami.status, 200u);
  auto bye = http_call(srv.port(), "DELETE", "/api/session", {}, {{"Cookie", "isms_session=" + token}});
  ASSERT_EQ(bye.status, 200u);
  // A wrong password is no more logged than a right one.
  auto refused = http_call(srv.port(), "POST", "/api/session",
                           json{{"username", "admin"}, {"password", password + "-wrong"}}.dump());
  ASSERT_EQ(refused.status, 401u);

  auto sign_in_line = captured.access("POST", "/api/session", 200);
  ASSERT_TRUE(sign_in_line);
  EXPECT_EQ((*sign_in_line)["actor"], "admin");
  EXPECT_EQ((*sign_in_line)["request_id"], signed_in.header("x-request-id"));
  auto whoami_line = captured.access("GET", "/api/session", 200);
  ASSERT_TRUE(whoami_line);
  EXPECT_EQ((*whoami_line)["actor"], "admin");
  // Signing out names who signed out, though the session is gone after.
  auto bye_line = captured.access("DELETE", "/api/session", 200);
  ASSERT_TRUE(bye_line);
  EXPECT_EQ((*bye_line)["actor"], "admin");
  auto refused_line = captured.access("POST", "/api/session", 401);
  ASSERT_TRUE(refused_line);
  EXPECT_FALSE(refused_line->contains("actor"));

  // Nothing the server logged, access lines or any other, holds a secret.
  const auto lines = captured.lines();
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find(password), std::string::npos) << line;
    EXPECT_EQ(line.find(token), std::string::npos) << line;
    EXPECT_EQ(line.find(token.substr(0, 16)), std::string::npos) << line;
    EXPECT_EQ(line.find("isms_session"), std::string::npos) << line;
    EXPECT_EQ(line.find("Bearer"), std::string::npos) << line;
  }
}

TEST(access_log, a_websocket_upgrade_is_logged_with_its_user) {
  captured_log captured(log::format::json);
  test_server srv;
  const std::string token = srv.add_user("mia", {"isms_manager"});
  auto ws = connect_as(srv, token);
  ASSERT_TRUE(ws);
  auto upgrade = captured.access("GET", "/api/ws", 101);
  ASSERT_TRUE(upgrade);
  EXPECT_EQ((*upgrade)["actor"], "mia");
  EXPECT_FALSE((*upgrade).value("request_id", "").empty());
  for (const auto& line : captured.lines()) EXPECT_EQ(line.find(token), std::string::npos) << line;
}

}  // namespace
}  // namespace isms::testing::log_test
