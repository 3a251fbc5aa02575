#pragma once
// What people hand to others, as the log stands now, or as it stood at a
// position (?position=N) or a time (?time=2026-06-30T23:59:59Z); anyone
// signed in who holds a role may have them, as the views:
//
// - GET /api/registers/<name>.csv: one register as CSV, with the files and
//   columns of the evidence bundle (registers_csv.hpp), the first line
//   "# position N"; UTF-8 with a byte order mark, which spreadsheet programs
//   need to read the text as UTF-8; an attachment named after the register
//   and the position.
// - GET /api/print/soa.html: the Statement of Applicability as a document to
//   print (printables.hpp), stamped with the position and the hash of the
//   event there, so that the paper can be tied back to the signed history.
//
// Thread-safety: routes may be dispatched from any thread.

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>

#include "isms/domain/views/views.hpp"
#include "isms/server/http_room.hpp"
#include "isms/server/router.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server {

struct reports_room_parts {
  identify_fn identify;
  // The position the views include now.
  std::function<std::uint64_t()> views_position;
  // The last position recorded at or before a time (UTC ms); 0 before the first.
  std::function<std::expected<std::uint64_t, std::string>(std::int64_t instant_ms)> position_at;
  // The views as they stood at a position.
  std::function<std::expected<std::shared_ptr<const domain::views::all_views>, std::string>(std::uint64_t position)>
      views_at;
  // The hash (lower-case hex) of the event at a position; 64 zeros at 0.
  std::function<std::expected<std::string, std::string>(std::uint64_t position)> hash_at;
  // Now, UTC ms (when a document was printed).
  std::function<std::int64_t()> clock;
};

class reports_room {
 public:
  reports_room(worker_pool& pool, reports_room_parts parts);
  void add_routes(router& routes);

  static constexpr std::string_view csv_prefix = "/api/registers/";
  static constexpr std::string_view print_prefix = "/api/print/";

 private:
  // The position a request asks for, or the answer refusing it.
  [[nodiscard]] std::expected<std::uint64_t, http_response> position_of(const http_request& request) const;
  [[nodiscard]] http_response csv_file(const http_request& request) const;
  [[nodiscard]] http_response printable(const http_request& request) const;

  worker_pool& pool_;
  reports_room_parts parts_;
};

}  // namespace isms::server
