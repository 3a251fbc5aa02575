// The routing table alone (no server, no store): exact paths, the longest
// prefix, 405 with Allow, HEAD without a body; and on a real server, that
// every route refuses a wrong method the same way.

#include <future>

#include <gtest/gtest.h>

#include "isms/server/router.hpp"
#include "support/client.hpp"
#include "support/test_server.hpp"

namespace isms::testing::router_test {
namespace {

using server::http_request;
using server::http_response;

http_response ok(std::string body) {
  http_response r;
  r.body = std::move(body);
  return r;
}

// Dispatches and returns the answer (every handler here answers at once).
http_response call(const server::router& routes, std::string method, std::string path) {
  http_request request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.target = request.path;
  std::optional<http_response> answer;
  int answers = 0;
  routes.dispatch(std::move(request), [&](http_response r) {
    ++answers;
    answer = std::move(r);
  });
  EXPECT_EQ(answers, 1);
  return answer.value_or(http_response{});
}

std::string allow_of(const http_response& r) {
  for (const auto& [name, value] : r.headers)
    if (name == "Allow") return value;
  return {};
}

server::router table() {
  server::router routes;
  routes.on("/healthz", {"GET", "HEAD"}, server::answer_with([](const http_request&) { return ok("health"); }));
  routes.on("/api/session", {"POST", "GET", "DELETE"},
            server::answer_with([](const http_request& r) { return ok("session " + r.method); }));
  routes.on_prefix("/api/", {}, server::answer_with([](const http_request&) {
    return server::json_error(404, "not_found", "no such endpoint");
  }));
  routes.on_prefix("/", {"GET", "HEAD"}, server::answer_with([](const http_request& r) { return ok("file " + r.path); }));
  return routes;
}

TEST(router, an_exact_path_reaches_its_handler_with_each_method_it_takes) {
  const auto routes = table();
  EXPECT_EQ(call(routes, "GET", "/healthz").body, "health");
  EXPECT_EQ(call(routes, "POST", "/api/session").body, "session POST");
  EXPECT_EQ(call(routes, "DELETE", "/api/session").body, "session DELETE");
}

TEST(router, a_method_the_path_does_not_take_is_405_with_allow) {
  const auto routes = table();
  const auto r = call(routes, "PUT", "/api/session");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(allow_of(r), "POST, GET, DELETE");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "bad_request");
  EXPECT_EQ(allow_of(call(routes, "POST", "/healthz")), "GET, HEAD");
  // The web UI's prefix takes GET and HEAD only.
  EXPECT_EQ(call(routes, "POST", "/index.html").status, 405u);
  EXPECT_EQ(allow_of(call(routes, "POST", "/index.html")), "GET, HEAD");
}

TEST(router, an_unknown_api_path_is_404_with_any_method) {
  const auto routes = table();
  for (const char* method : {"GET", "POST", "DELETE", "HEAD"}) {
    const auto r = call(routes, method, "/api/nothing-here");
    EXPECT_EQ(r.status, 404u) << method;
    EXPECT_TRUE(allow_of(r).empty());
  }
}

TEST(router, other_paths_fall_to_the_longest_prefix) {
  const auto routes = table();
  EXPECT_EQ(call(routes, "GET", "/js/app.js").body, "file /js/app.js");
  EXPECT_EQ(call(routes, "GET", "/").body, "file /");
  // "/api/session/x" is not "/api/session": the /api/ prefix answers.
  EXPECT_EQ(call(routes, "GET", "/api/session/x").status, 404u);
  // A path that no prefix covers.
  EXPECT_EQ(call(routes, "GET", "healthz").status, 404u);
}

TEST(router, head_is_answered_like_get_without_the_body_and_only_where_named) {
  const auto routes = table();
  const auto r = call(routes, "HEAD", "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(call(routes, "HEAD", "/api/session").status, 405u);
}

TEST(router, a_handler_may_answer_later_from_another_thread) {
  server::router routes;
  std::promise<server::http_reply> pending;
  routes.on("/later", {"POST"}, [&](http_request, server::http_reply reply) { pending.set_value(std::move(reply)); });
  http_request request;
  request.method = "POST";
  request.path = "/later";
  std::promise<http_response> answered;
  routes.dispatch(request, [&](http_response r) { answered.set_value(std::move(r)); });
  std::thread([reply = pending.get_future().get()] { reply(ok("done")); }).join();
  EXPECT_EQ(answered.get_future().get().body, "done");
}

// On the real server: each endpoint's wrong method is 405 with its Allow
// header, and HEAD /healthz carries no body.
TEST(edge_http, every_route_refuses_a_wrong_method_with_allow) {
  test_server srv;
  const auto port = srv.port();
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"POST", "/healthz", "GET, HEAD"},          {"POST", "/metrics", "GET"},
      {"PUT", "/api/session", "POST, GET, DELETE"}, {"GET", "/api/users/password", "POST"},
      {"GET", "/api/session/password", "POST"},   {"POST", "/api/events", "GET"},
      {"POST", "/api/verify", "GET"},             {"GET", "/api/erasure", "POST"},
      {"GET", "/api/backup", "POST"},             {"DELETE", "/index.html", "GET, HEAD"},
  };
  for (const auto& [method, path, allow] : cases) {
    const auto r = http_call(port, method, path);
    EXPECT_EQ(r.status, 405u) << method << " " << path;
    EXPECT_EQ(r.header("allow"), allow) << method << " " << path;
    EXPECT_EQ(r.json_body()["error"]["code"], "bad_request") << method << " " << path;
  }
  const auto head = http_call(port, "HEAD", "/healthz");
  EXPECT_EQ(head.status, 200u);
  EXPECT_TRUE(head.body.empty()) << head.body;
  EXPECT_EQ(http_call(port, "GET", "/api/ws").status, 426u);
  EXPECT_EQ(http_call(port, "GET", "/api/nothing").status, 404u);
}

// Between the application's orderly stop and the transport's, requests are
// still answered: the health check and the metrics included (the reactions
// have stopped by then, and the metrics tell where they stopped).
TEST(edge_http, health_and_metrics_answer_after_the_application_has_begun_to_stop) {
  test_server srv;
  srv.add_user("ann", {"isms_manager"});
  srv.app().settle();
  const auto before = http_call(srv.port(), "GET", "/metrics").body;
  srv.app().shutdown();
  EXPECT_EQ(http_call(srv.port(), "GET", "/healthz").status, 200u);
  const auto after = http_call(srv.port(), "GET", "/metrics");
  ASSERT_EQ(after.status, 200u);
  auto line = [](const std::string& text) {
    const auto at = text.find("\nismsd_reactions_position ");
    return at == std::string::npos ? std::string{} : text.substr(at, text.find('\n', at + 1) - at);
  };
  EXPECT_FALSE(line(before).empty()) << before;
  EXPECT_EQ(line(after.body), line(before));
}

}  // namespace
}  // namespace isms::testing::router_test
