// The WebSocket request reader on its own: every op read into its fields,
// every refusal with the code, message and field the protocol documents
// (docs/protocol.md), without a server.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "isms/server/ws_request.hpp"

namespace isms::server::ws_request_test {
namespace {

using json = nlohmann::json;

ws_request accepted(const json& frame) {
  auto r = read_ws_request(frame.dump());
  EXPECT_TRUE(r.has_value()) << frame.dump() << " -> " << (r ? "" : r.error().message);
  return r ? *r : ws_request{};
}

ws_request_error refused(std::string_view text, const ws_request_limits& limits = {}) {
  auto r = read_ws_request(text, limits);
  EXPECT_FALSE(r.has_value()) << text;
  return r ? ws_request_error{} : r.error();
}
ws_request_error refused_frame(const json& frame) { return refused(frame.dump()); }

void expect_refusal(const json& frame, std::string_view message, std::string_view field) {
  const auto e = refused_frame(frame);
  EXPECT_EQ(e.message, message) << frame.dump();
  EXPECT_EQ(e.field, field) << frame.dump();
  EXPECT_EQ(e.id, frame.value("id", json())) << frame.dump();
}

json command(json fields) {
  json j{{"id", "c1"}, {"op", "command"}, {"type", "risk.assess"}, {"stream", "risk-R-1"}};
  for (auto& [k, v] : fields.items()) j[k] = v;
  return j;
}
json query(json fields) {
  json j{{"id", 7}, {"op", "query"}, {"view", "risks"}};
  for (auto& [k, v] : fields.items()) j[k] = v;
  return j;
}

// --- the envelope ---------------------------------------------------------

TEST(ws_request, ping_with_string_or_integer_id) {
  auto r = accepted({{"id", "p"}, {"op", "ping"}});
  EXPECT_EQ(r.id, "p");
  EXPECT_TRUE(std::holds_alternative<ws_ping>(r.op));
  EXPECT_EQ(accepted({{"id", 42}, {"op", "ping"}}).id, 42);
  EXPECT_EQ(accepted({{"id", -3}, {"op", "ping"}}).id, -3);
  EXPECT_EQ(accepted({{"id", 18446744073709551615ULL}, {"op", "ping"}}).id, 18446744073709551615ULL);
  EXPECT_EQ(accepted({{"id", std::string(128, 'x')}, {"op", "ping"}}).id, std::string(128, 'x'));
}

TEST(ws_request, refuses_what_is_not_a_json_object) {
  auto e = refused("{not json");
  EXPECT_TRUE(e.message.starts_with("message is ")) << e.message;
  EXPECT_TRUE(e.id.is_null());
  EXPECT_EQ(e.field, "");
  e = refused("");
  EXPECT_TRUE(e.message.starts_with("message is ")) << e.message;
  e = refused("[1,2]");
  EXPECT_EQ(e.message, "message must be a JSON object");
  EXPECT_TRUE(e.id.is_null());
  e = refused("\"ping\"");
  EXPECT_EQ(e.message, "message must be a JSON object");
}

TEST(ws_request, refuses_nesting_beyond_the_limit) {
  const std::string deep = R"({"id":1,"op":"ping","x":)" + std::string(10, '[') + std::string(10, ']') + "}";
  EXPECT_TRUE(read_ws_request(deep, {.max_json_depth = 11}).has_value());
  auto e = refused(deep, {.max_json_depth = 10});
  EXPECT_TRUE(e.message.starts_with("message is ")) << e.message;
  EXPECT_TRUE(e.id.is_null());  // not read: the tree is never built
}

TEST(ws_request, refuses_a_missing_or_unusable_id) {
  const std::string msg = "every request needs an \"id\": a non-empty string or an integer";
  for (const json& id : {json(), json(""), json(std::string(129, 'x')), json(1.5), json(true), json::array({1}),
                         json::object()}) {
    json frame{{"op", "ping"}};
    if (!id.is_null()) frame["id"] = id;
    const auto e = refused_frame(frame);
    EXPECT_EQ(e.message, msg) << frame.dump();
    EXPECT_EQ(e.field, "id");
    EXPECT_TRUE(e.id.is_null()) << frame.dump();  // an unusable id is not echoed
  }
  EXPECT_EQ(refused(R"({"id":null,"op":"ping"})").field, "id");
}

TEST(ws_request, refuses_a_missing_or_unknown_op) {
  expect_refusal({{"id", "a"}}, "\"op\" must be a string", "op");
  expect_refusal({{"id", "a"}, {"op", 1}}, "\"op\" must be a string", "op");
  expect_refusal({{"id", "a"}, {"op", "delete"}},
                 "unknown op 'delete'; use command, query, subscribe, unsubscribe or ping", "op");
  expect_refusal({{"id", "a"}, {"op", "Ping"}},
                 "unknown op 'Ping'; use command, query, subscribe, unsubscribe or ping", "op");
}

// --- command --------------------------------------------------------------

TEST(ws_request, command_with_every_field) {
  auto r = accepted(command({{"command_id", "k-1"},
                             {"correlation_id", "corr"},
                             {"expected_version", 3},
                             {"data", {{"likelihood", 4}, {"comment", "inner"}}},
                             {"comment", "outer"}}));
  EXPECT_EQ(r.id, "c1");
  const auto& c = std::get<ws_command>(r.op);
  EXPECT_EQ(c.type, "risk.assess");
  EXPECT_EQ(c.stream, "risk-R-1");
  EXPECT_EQ(c.command_id, "k-1");
  EXPECT_EQ(c.correlation_id, "corr");
  EXPECT_EQ(c.expected_version, 3u);
  EXPECT_EQ(c.data, (json{{"likelihood", 4}, {"comment", "inner"}}));
  EXPECT_EQ(c.comment, "outer");  // the top-level comment wins
}

TEST(ws_request, command_defaults_and_comment_from_data) {
  auto c = std::get<ws_command>(accepted(command({})).op);
  EXPECT_EQ(c.command_id, "");
  EXPECT_EQ(c.correlation_id, "");
  EXPECT_FALSE(c.expected_version);
  EXPECT_EQ(c.data, json::object());
  EXPECT_EQ(c.comment, "");
  // null counts as absent
  c = std::get<ws_command>(
      accepted(command({{"command_id", nullptr}, {"expected_version", nullptr}, {"data", nullptr}})).op);
  EXPECT_EQ(c.command_id, "");
  EXPECT_FALSE(c.expected_version);
  EXPECT_EQ(c.data, json::object());
  // data.comment when there is no top-level string comment
  c = std::get<ws_command>(accepted(command({{"data", {{"comment", "why"}}}})).op);
  EXPECT_EQ(c.comment, "why");
  c = std::get<ws_command>(accepted(command({{"data", {{"comment", "why"}}}, {"comment", 5}})).op);
  EXPECT_EQ(c.comment, "why");
  c = std::get<ws_command>(accepted(command({{"data", {{"comment", 5}}}})).op);
  EXPECT_EQ(c.comment, "");
  c = std::get<ws_command>(accepted(command({{"expected_version", 18446744073709551615ULL}})).op);
  EXPECT_EQ(c.expected_version, 18446744073709551615ULL);
  c = std::get<ws_command>(accepted(command({{"type", std::string(256, 't')}})).op);
  EXPECT_EQ(c.type.size(), 256u);
}

TEST(ws_request, command_refusals) {
  json no_type = command({});
  no_type.erase("type");
  expect_refusal(no_type, "\"type\" is required", "type");
  expect_refusal(command({{"type", nullptr}}), "\"type\" is required", "type");
  json no_stream = command({});
  no_stream.erase("stream");
  expect_refusal(no_stream, "\"stream\" is required", "stream");
  const std::string long_text(257, 'x');
  for (const char* name : {"type", "stream", "command_id", "correlation_id"}) {
    const std::string msg = std::string("\"") + name + "\" must be a string of at most 256 bytes";
    expect_refusal(command({{name, 1}}), msg, name);
    expect_refusal(command({{name, long_text}}), msg, name);
    expect_refusal(command({{name, json::array()}}), msg, name);
  }
  for (const json& v : {json(-1), json(1.0), json("3"), json(true)})
    expect_refusal(command({{"expected_version", v}}), "\"expected_version\" must be a non-negative integer",
                   "expected_version");
  for (const json& v : {json::array(), json("x"), json(1)})
    expect_refusal(command({{"data", v}}), "\"data\" must be an object", "data");
  // The first problem in the documented order is the one reported.
  json both = command({{"data", 1}, {"expected_version", -1}});
  both.erase("type");
  expect_refusal(both, "\"type\" is required", "type");
}

// --- query ----------------------------------------------------------------

TEST(ws_request, query_now_with_params) {
  auto r = accepted(query({{"params", {{"limit", 2}}}}));
  EXPECT_EQ(r.id, 7);
  const auto& q = std::get<ws_query>(r.op);
  EXPECT_EQ(q.view, "risks");
  EXPECT_EQ(q.params, (json{{"limit", 2}}));
  EXPECT_FALSE(q.as_of);
  EXPECT_FALSE(q.diff_from);
  EXPECT_FALSE(q.diff_to);
  const auto plain = std::get<ws_query>(accepted(query({{"params", nullptr}, {"as_of", nullptr}, {"diff", nullptr}})).op);
  EXPECT_EQ(plain.params, json::object());
  EXPECT_FALSE(plain.as_of);
  EXPECT_FALSE(plain.diff_from);
}

TEST(ws_request, query_as_of_a_position_or_a_time) {
  auto q = std::get<ws_query>(accepted(query({{"as_of", {{"position", 12}}}})).op);
  ASSERT_TRUE(q.as_of);
  EXPECT_FALSE(q.as_of->by_time);
  EXPECT_EQ(q.as_of->position, 12u);

  q = std::get<ws_query>(accepted(query({{"as_of", {{"time", "2026-11-29T10:00:00Z"}}}})).op);
  ASSERT_TRUE(q.as_of);
  EXPECT_TRUE(q.as_of->by_time);
  EXPECT_EQ(q.as_of->time, "2026-11-29T10:00:00Z");
  using namespace std::chrono;
  const auto expected = sys_days{year{2026} / November / 29} + hours{10};
  EXPECT_EQ(q.as_of->time_ms, duration_cast<milliseconds>(expected.time_since_epoch()).count());

  // position wins over time when both are given
  q = std::get<ws_query>(accepted(query({{"as_of", {{"position", 3}, {"time", "bad"}}}})).op);
  EXPECT_FALSE(q.as_of->by_time);
  EXPECT_EQ(q.as_of->position, 3u);
}

TEST(ws_request, query_diff_from_and_to) {
  auto q = std::get<ws_query>(accepted(query({{"diff", {{"from", {{"position", 1}}}}}})).op);
  ASSERT_TRUE(q.diff_from);
  EXPECT_EQ(q.diff_from->position, 1u);
  EXPECT_FALSE(q.diff_to);
  q = std::get<ws_query>(accepted(query({{"diff", {{"from", {{"position", 1}}}, {"to", {{"time", "2026-01-01T00:00:00Z"}}}}}})).op);
  ASSERT_TRUE(q.diff_to);
  EXPECT_TRUE(q.diff_to->by_time);
  q = std::get<ws_query>(accepted(query({{"diff", {{"from", {{"position", 1}}}, {"to", nullptr}}}})).op);
  EXPECT_FALSE(q.diff_to);
}

TEST(ws_request, query_refusals) {
  json no_view = query({});
  no_view.erase("view");
  expect_refusal(no_view, "\"view\" must be a string", "view");
  expect_refusal(query({{"view", 1}}), "\"view\" must be a string", "view");
  expect_refusal(query({{"params", json::array()}}), "\"params\" must be an object", "params");
  expect_refusal(query({{"as_of", 5}}), "\"as_of\" must be an object with \"position\" or \"time\"", "as_of");
  expect_refusal(query({{"as_of", {{"position", -1}}}}), "as_of.position must be a non-negative integer", "as_of");
  expect_refusal(query({{"as_of", {{"position", "1"}}}}), "as_of.position must be a non-negative integer", "as_of");
  for (const json& t : {json("2026-11-29"), json("yesterday"), json(1700000000), json("2026-02-30T10:00:00Z")})
    expect_refusal(query({{"as_of", {{"time", t}}}}), "as_of.time must be RFC 3339 UTC, e.g. 2026-11-29T10:00:00Z",
                   "as_of");
  expect_refusal(query({{"as_of", json::object()}}), "\"as_of\" needs \"position\" or \"time\"", "as_of");
  expect_refusal(query({{"diff", 1}}), "\"diff\" must be an object with \"from\"", "diff");
  expect_refusal(query({{"diff", json::object()}}), "\"diff\" needs \"from\"", "diff.from");
  expect_refusal(query({{"diff", {{"from", nullptr}}}}),
                 "\"diff.from\" must be an object with \"position\" or \"time\"", "diff.from");
  expect_refusal(query({{"diff", {{"from", {{"position", -2}}}}}}), "diff.from.position must be a non-negative integer",
                 "diff.from");
  expect_refusal(query({{"diff", {{"from", {{"position", 1}}}, {"to", {{"time", "x"}}}}}}),
                 "diff.to.time must be RFC 3339 UTC, e.g. 2026-11-29T10:00:00Z", "diff.to");
  expect_refusal(query({{"diff", {{"from", {{"position", 1}}}, {"to", json::object()}}}}),
                 "\"diff.to\" needs \"position\" or \"time\"", "diff.to");
  // as_of is checked before diff
  expect_refusal(query({{"as_of", 1}, {"diff", 1}}), "\"as_of\" must be an object with \"position\" or \"time\"",
                 "as_of");
}

// --- subscribe / unsubscribe ----------------------------------------------

TEST(ws_request, subscribe_and_unsubscribe_known_channels) {
  const std::string longest_review = "review:" + std::string(72, 'r');
  for (const std::string ch : {"notifications", "events", "view:risks", "review:MR-1", longest_review.c_str()}) {
    auto s = accepted({{"id", "s"}, {"op", "subscribe"}, {"channel", ch}});
    EXPECT_EQ(std::get<ws_subscribe>(s.op).channel, ch);
    auto u = accepted({{"id", "u"}, {"op", "unsubscribe"}, {"channel", ch}});
    EXPECT_EQ(std::get<ws_unsubscribe>(u.op).channel, ch);
  }
}

TEST(ws_request, subscribe_refusals) {
  for (const char* op : {"subscribe", "unsubscribe"}) {
    expect_refusal({{"id", "s"}, {"op", op}}, "\"channel\" must be a string", "channel");
    expect_refusal({{"id", "s"}, {"op", op}, {"channel", 3}}, "\"channel\" must be a string", "channel");
    const std::string too_long = "review:" + std::string(73, 'r');
    for (const std::string ch : {"", "view:", "review:", "Events", "notification", "push", too_long.c_str()})
      expect_refusal({{"id", "s"}, {"op", op}, {"channel", ch}},
                     "unknown channel '" + ch + "'; use notifications, events, view:<name> or review:<id>", "channel");
  }
}

}  // namespace
}  // namespace isms::server::ws_request_test
