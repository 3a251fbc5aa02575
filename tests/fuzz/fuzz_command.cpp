// Fuzz target: a WebSocket command as it arrives from outside, through the
// JSON reader and the domain's command validation. Input: lines; each line is
// "<command type>\t<stream>\t<data JSON>". Every line is decided by an actor
// holding every role against the stream's history so far, and accepted events
// are appended to that history, so later lines reach deeper states.
// Property: nothing throws, crashes or hangs; a decision either rejects or
// gives events whose payloads are canonicalisable objects.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/recorded.hpp"
#include "isms/server/json_input.hpp"

namespace {

using namespace isms;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  domain::command_context ctx;
  ctx.by = domain::actor{"fuzzer",
                         {domain::role::admin, domain::role::isms_manager, domain::role::top_management,
                          domain::role::risk_owner, domain::role::contributor, domain::role::internal_auditor}};
  ctx.now = domain::instant{std::chrono::milliseconds{1772442000000}};
  const domain::stream_reads related;
  std::map<std::string, std::vector<domain::recorded_event>, std::less<>> streams;
  std::uint64_t position = 0;
  int n = 0;
  for (const auto line : split(input, '\n')) {
    if (++n > 16) break;
    const auto parts = split(line, '\t');
    if (parts.size() != 3) continue;
    auto data = server::read_json(parts[2]);
    if (!data) continue;
    ctx.command_id = "fuzz-" + std::to_string(n);
    auto& history = streams[std::string(parts[1])];
    const auto d = domain::decide_command(parts[0], parts[1], *data, history, ctx, related);
    if (!d) continue;
    for (const auto& e : *d) {
      (void)canonical::json_text(e.data);
      history.push_back(domain::record_decided(e, {std::string(parts[1]), history.size() + 1, ++position}, ctx));
    }
  }
  return 0;
}
