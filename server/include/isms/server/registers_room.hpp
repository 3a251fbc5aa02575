#pragma once
// The registers as CSV files people hand to others (a spreadsheet, an
// auditor's working papers): GET /api/registers/<name>.csv, as the log stands
// now, or as it stood at a position (?position=N) or a time
// (?time=2026-06-30T23:59:59Z). The files and their columns are those of the
// evidence bundle (registers_csv.hpp), the first line "# position N"; sent as
// UTF-8 with a byte order mark, which spreadsheet programs need to read the
// text as UTF-8, and as an attachment named after the register and the
// position. Anyone signed in who holds a role may read them, as the views.
// Thread-safety: routes may be dispatched from any thread.

#include <cstdint>
#include <expected>
#include <functional>
#include <string>

#include "isms/server/evidence.hpp"
#include "isms/server/http_room.hpp"
#include "isms/server/router.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server {

struct registers_room_parts {
  identify_fn identify;
  // The position the views include now.
  std::function<std::uint64_t()> views_position;
  // The last position recorded at or before a time (UTC ms); 0 before the first.
  std::function<std::expected<std::uint64_t, std::string>(std::int64_t instant_ms)> position_at;
  // The registers at a position (the views as of it).
  registers_at_fn registers;
};

class registers_room {
 public:
  registers_room(worker_pool& pool, registers_room_parts parts);
  void add_routes(router& routes);

  // The path prefix of the files: "/api/registers/".
  static constexpr std::string_view prefix = "/api/registers/";

 private:
  [[nodiscard]] http_response answer(const http_request& request) const;

  worker_pool& pool_;
  registers_room_parts parts_;
};

}  // namespace isms::server
