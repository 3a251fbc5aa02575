#pragma once
// Evidence files over HTTP:
//
// - POST /api/evidence-files?subject_kind=K&subject_id=ID&purpose=P&name=N
//   [&review_by=YYYY-MM-DD][&owner=U][&evidence_id=E], the file's bytes as
//   the body and its media type as Content-Type: received a piece at a time
//   (never held whole), hashed on the way, stored once by content
//   (evidence_files.hpp), then attached by the command evidence.attach
//   issued for the sender with what the server measured (digest, size). 201
//   {evidence_id, digest, size, already_stored, position}. Refused before the
//   body is read: not signed in (401), a role that attaches nothing or a
//   page of another origin (403), missing parameters (400), a declared
//   length over the limit (413). A body over the limit: 413; a full disk:
//   507; the domain's refusal (no such subject, …) as for any command.
// - GET /api/evidence-files/<id>: the bytes of an evidence file, for anyone
//   signed in who may read the views (withdrawn evidence included: it is
//   history). Checked against the recorded digest before a byte is sent (a
//   file altered on disk is refused, 500, and logged); always an attachment
//   (Content-Disposition), its media type sent only when it is one of a few
//   plain document types and application/octet-stream otherwise, nosniff and
//   a CSP that forbids everything, so no upload is ever rendered as a page.
//
// Thread-safety: stream_body is called on I/O threads, routes from any thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "isms/domain/views/evidence.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/evidence_files.hpp"
#include "isms/server/http_room.hpp"
#include "isms/server/router.hpp"
#include "isms/server/transport.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server {

struct evidence_room_options {
  // Largest evidence file accepted. Default: 25 MiB
  std::uint64_t max_file_bytes = 25u << 20;
};

struct evidence_room_parts {
  identify_fn identify;
  // Whether a browser's request comes from a page of this server.
  std::function<bool(const http_request&)> origin_allowed;
  // Runs a command for a user and waits (a pool thread).
  std::function<command_outcome(const std::string& user_id, command_request)> run;
  // The evidence on record now with this id.
  std::function<std::optional<domain::views::evidence_entry>(const std::string& id)> entry;
};

class evidence_room {
 public:
  evidence_room(evidence_room_options options, const evidence_files& files, worker_pool& pool,
                evidence_room_parts parts);
  void add_routes(router& routes);
  // The transport's question once a request's headers are in (transport.hpp).
  [[nodiscard]] body_decision stream_body(const http_request& head);

  static constexpr std::string_view upload_path = "/api/evidence-files";
  static constexpr std::string_view prefix = "/api/evidence-files/";

 private:
  [[nodiscard]] http_response download(const http_request& request) const;

  evidence_room_options options_;
  const evidence_files& files_;
  worker_pool& pool_;
  evidence_room_parts parts_;
};

// The HTTP status for a command's wire error code (403 forbidden, 404
// not_found, 409 conflict or a rule, 400 invalid, …).
[[nodiscard]] unsigned http_status_of(std::string_view error_code) noexcept;

}  // namespace isms::server
