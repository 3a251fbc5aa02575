// Fuzz target: a WebSocket request frame as ws_api reads it, before any
// handler (read_ws_request). Properties: nothing throws or crashes, whatever
// the bytes; a refusal echoes either no id or a valid one and says why; an
// accepted request echoes a valid id, and writing its fields back as a frame
// and reading that again gives the same request (so no field is read into the
// wrong place, dropped, or accepted in a form the reader itself would refuse).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "isms/server/ws_request.hpp"

namespace {

using nlohmann::json;
namespace srv = isms::server;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_ws_request: %s: %s\n", what, detail.c_str());
  std::abort();
}

json point_json(const srv::ws_point& p) {
  return p.by_time ? json{{"time", p.time}} : json{{"position", p.position}};
}

// The request as a client would send it.
json frame_of(const srv::ws_request& r) {
  json f{{"id", r.id}};
  std::visit(
      [&](const auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, srv::ws_ping>) {
          f["op"] = "ping";
        } else if constexpr (std::is_same_v<T, srv::ws_command>) {
          f["op"] = "command";
          f["type"] = op.type;
          f["stream"] = op.stream;
          f["command_id"] = op.command_id;
          f["correlation_id"] = op.correlation_id;
          if (op.expected_version) f["expected_version"] = *op.expected_version;
          f["data"] = op.data;
          f["comment"] = op.comment;
        } else if constexpr (std::is_same_v<T, srv::ws_query>) {
          f["op"] = "query";
          f["view"] = op.view;
          f["params"] = op.params;
          if (op.as_of) f["as_of"] = point_json(*op.as_of);
          if (op.diff_to && !op.diff_from) fail("diff.to without diff.from", f.dump());
          if (op.diff_from) {
            f["diff"] = json{{"from", point_json(*op.diff_from)}};
            if (op.diff_to) f["diff"]["to"] = point_json(*op.diff_to);
          }
        } else if constexpr (std::is_same_v<T, srv::ws_subscribe>) {
          f["op"] = "subscribe";
          f["channel"] = op.channel;
        } else {
          f["op"] = "unsubscribe";
          f["channel"] = op.channel;
        }
      },
      r.op);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const srv::ws_request_limits limits;
  auto r = srv::read_ws_request(text, limits);
  if (!r) {
    const auto& e = r.error();
    if (!e.id.is_null() && !srv::valid_ws_id(e.id)) fail("refusal echoes an invalid id", e.id.dump());
    if (e.message.empty()) fail("refusal without a message", std::string(text));
    return 0;
  }
  if (!srv::valid_ws_id(r->id)) fail("accepted with an invalid id", r->id.dump());

  // Strings in an accepted request came through the JSON parser, so they are
  // valid UTF-8 and dump() (strict) does not throw.
  const std::string again = frame_of(*r).dump();
  auto r2 = srv::read_ws_request(again, limits);
  if (!r2) fail("the request written back is refused", again + " -> " + r2.error().message);
  if (!(*r2 == *r)) fail("the request written back reads differently", std::string(text) + " vs " + again);
  return 0;
}
