#include "isms/server/audit_room.hpp"

#include <algorithm>

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

using json = nlohmann::json;
using domain::role;

audit_room::audit_room(audit_room_options options, eventstore::store& store, chain_verifier& verifier,
                       worker_pool& pool, audit_room_parts parts)
    : options_(options), store_(store), verifier_(verifier), pool_(pool), parts_(std::move(parts)) {}

void audit_room::add_routes(router& routes) {
  routes.on("/api/events", {"GET"},
            on_pool(pool_, [this](const http_request& r) { return events_export(r); }, "the event log export failed"));
  routes.on("/api/verify", {"GET"},
            on_pool(pool_, [this](const http_request& r) { return verify_chain(r); }, "the chain verification failed"));
  routes.on("/api/erasure", {"POST"},
            on_pool(pool_, [this](const http_request& r) { return erase_personal_data(r); }, "the erasure failed"));
}

http_response audit_room::events_export(const http_request& request) const {
  auto who = require_caller(parts_.identify, request, endpoint("events.export"));
  if (!who) return who.error();
  const auto from = query_number(request.query, "from", 1);
  if (!from) return json_error(400, "bad_request", "from must be a position (decimal digits only)");
  auto limit = query_number(request.query, "limit", 1000);
  if (!limit || *limit == 0)
    return json_error(400, "bad_request", "limit must be a positive integer (decimal digits only)");
  const std::uint64_t count = std::min<std::uint64_t>(*limit, options_.max_export_events);
  auto events = store_.read_all(*from, count);
  if (!events) return json_error(500, "internal", events.error().message);
  http_response r;
  r.content_type = "application/x-ndjson";
  for (const auto& e : *events) {
    r.body += eventstore::to_export_json(e).dump(-1, ' ', false, json::error_handler_t::replace);
    r.body += '\n';
  }
  r.headers.emplace_back("X-Head-Position", std::to_string(store_.current_head().position));
  return r;
}

// One at a time; extends the verified prefix to the head rather than
// re-walking it.
http_response audit_room::verify_chain(const http_request& request) const {
  auto who = require_caller(parts_.identify, request, endpoint("events.export"));
  if (!who) return who.error();
  auto o = verifier_.verify_to_head();
  if (!o) return json_error(429, "rate_limited", "a chain verification is running; ask again when it has finished");
  if (!o->ok) {
    if (o->failure.code != eventstore::errc::corrupted)
      return json_error(503, "unavailable", "verification could not read the store: " + o->failure.message);
    return json_response(200, json{{"verified", false},
                                   {"first_bad_position", o->failure.position},
                                   {"reason", o->failure.message}});
  }
  return json_response(200, json{{"verified", true},
                                 {"position", o->head.position},
                                 {"hash", eventstore::to_hex(o->head.hash)},
                                 {"walked_from", o->from_position}});
}

// Named text fields of one event's payload, with a reason; the erasure is
// itself an event in the chain.
http_response audit_room::erase_personal_data(const http_request& request) {
  auto who = require_caller(parts_.identify, request, endpoint("erasure"));
  if (!who) return who.error();
  const json body = read_json(request.body, options_.max_json_depth).value_or(json());
  const char* shape =
      "send {\"position\": N, \"fields\": [\"email\", ...], \"reason\": string, \"command_id\"?: string}";
  if (!body.is_object() || !body.contains("position") || !body["position"].is_number_unsigned() ||
      !body.contains("fields") || !body["fields"].is_array() || !body.contains("reason") ||
      !body["reason"].is_string() || (body.contains("command_id") && !body["command_id"].is_string()))
    return json_error(400, "bad_request", shape);
  eventstore::erasure_request req;
  req.position = body["position"].get<std::uint64_t>();
  for (const auto& f : body["fields"]) {
    if (!f.is_string()) return json_error(400, "bad_request", shape);
    req.fields.push_back(f.get<std::string>());
  }
  req.reason = body["reason"].get<std::string>();
  req.metadata.actor = who->user_id;
  req.metadata.recorded_at_ms = parts_.clock();
  if (body.contains("command_id")) req.metadata.command_id = body["command_id"].get<std::string>();
  auto r = store_.erase_payload(req);
  if (!r) {
    switch (r.error().code) {
      case eventstore::errc::not_found: return json_error(404, "not_found", r.error().message);
      case eventstore::errc::invalid_argument:
      case eventstore::errc::invalid_data:
      case eventstore::errc::invalid_command_id:
      case eventstore::errc::too_large: return json_error(400, "bad_request", r.error().message);
      case eventstore::errc::io:
      case eventstore::errc::busy:
      case eventstore::errc::closed: return json_error(503, "unavailable", r.error().message);
      default: return json_error(500, "internal", r.error().message);
    }
  }
  // The answer means no command decides on a history read before the
  // erasure, and the views no longer hold the erased fields.
  if (parts_.after_erasure) parts_.after_erasure(r->erasure_position);
  log::info("erasure", who->user_id + " erased " + std::to_string(req.fields.size()) + " field(s) of position " +
                           std::to_string(req.position) + " (erasure event at position " +
                           std::to_string(r->erasure_position) + ")");
  return json_response(200, json{{"position", req.position},
                                 {"erasure_position", r->erasure_position},
                                 {"tombstone_sha256", eventstore::to_hex(r->tombstone_digest)},
                                 {"duplicate", r->duplicate}});
}

}  // namespace isms::server
