#pragma once
// A decided event as a log records it: the log gives its place (stream,
// version within the stream, global position), the command's context its
// actor, time and command id. The server's store stamps its own records the
// same way; this is that stamping for logs kept in memory (domain tests,
// fuzzing, benchmarks that build a history without a server).
//
// Thread-safety: a pure function.

#include <cstdint>
#include <string>
#include <utility>

#include "isms/domain/core.hpp"

namespace isms::domain {

// Where a log puts an event.
struct log_place {
  std::string stream;
  std::uint64_t version = 0;   // 1-based within the stream
  std::uint64_t position = 0;  // global, 1-based
};

[[nodiscard]] inline recorded_event record_decided(new_event e, log_place at, const command_context& ctx,
                                                   std::string comment = {}) {
  recorded_event r;
  r.position = at.position;
  r.stream = std::move(at.stream);
  r.version = at.version;
  r.type = std::move(e.type);
  r.data = std::move(e.data);
  r.meta.actor = ctx.by.user_id;
  r.meta.recorded_at = ctx.now;
  r.meta.command_id = ctx.command_id;
  r.meta.comment = std::move(comment);
  return r;
}

}  // namespace isms::domain
