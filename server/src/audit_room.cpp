#include "isms/server/audit_room.hpp"

#include <algorithm>
#include <expected>
#include <string>
#include <utility>

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
  routes.on("/api/checkpoints", {"GET", "POST"}, on_pool(pool_, [this](const http_request& r) {
    return r.method == "POST" ? make_checkpoint(r) : list_checkpoints(r);
  }, "the checkpoint request failed"));
  routes.on("/api/checkpoints/key", {"GET"},
            on_pool(pool_, [this](const http_request& r) { return checkpoint_key(r); }, "the key request failed"));
  routes.on("/api/proof/inclusion", {"GET"},
            on_pool(pool_, [this](const http_request& r) { return inclusion_proof(r); }, "the inclusion proof failed"));
  routes.on("/api/proof/consistency", {"GET"}, on_pool(pool_, [this](const http_request& r) {
    return consistency_proof(r);
  }, "the consistency proof failed"));
  routes.on("/api/evidence", {"GET"},
            on_pool(pool_, [this](const http_request& r) { return evidence_bundle(r); }, "the evidence bundle failed"));
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

namespace {

// A store error as an HTTP answer.
http_response store_refusal(const eventstore::error& e) {
  switch (e.code) {
    case eventstore::errc::invalid_argument: return json_error(400, "bad_request", e.message);
    case eventstore::errc::not_found: return json_error(404, "not_found", e.message);
    case eventstore::errc::io:
    case eventstore::errc::busy:
    case eventstore::errc::closed: return json_error(503, "unavailable", e.message);
    default: return json_error(500, "internal", e.message);
  }
}

json hex_list(const std::vector<eventstore::digest>& proof) {
  json out = json::array();
  for (const auto& d : proof) out.push_back(eventstore::to_hex(d));
  return out;
}

json key_json(const signing_key& key) {
  return {{"algorithm", "Ed25519"}, {"public_key", key.public_key_hex()}, {"fingerprint", key.fingerprint()}};
}

}  // namespace

http_response audit_room::list_checkpoints(const http_request& request) const {
  auto who = require_caller(parts_.identify, request, endpoint("events.export"));
  if (!who) return who.error();
  if (parts_.checkpoints == nullptr) return json_error(503, "unavailable", "this server does not sign checkpoints");
  auto all = parts_.checkpoints->list();
  if (!all) return store_refusal(all.error());
  json list = json::array();
  for (const auto& c : *all) list.push_back(to_json(c));
  return json_response(200, json{{"checkpoints", std::move(list)}, {"key", key_json(parts_.checkpoints->key())}});
}

http_response audit_room::make_checkpoint(const http_request& request) {
  auto who = require_caller(parts_.identify, request, endpoint("checkpoints.make"));
  if (!who) return who.error();
  if (parts_.checkpoints == nullptr) return json_error(503, "unavailable", "this server does not sign checkpoints");
  auto c = parts_.checkpoints->make(who->user_id);
  if (!c) return store_refusal(c.error());
  log::info("checkpoints", who->user_id + " asked for a checkpoint: position " + std::to_string(c->position) +
                               ", recorded at " + std::to_string(c->recorded_at));
  return json_response(200, to_json(*c));
}

http_response audit_room::checkpoint_key(const http_request& request) const {
  auto who = require_caller(parts_.identify, request);
  if (!who) return who.error();
  if (parts_.checkpoints == nullptr) return json_error(503, "unavailable", "this server does not sign checkpoints");
  return json_response(200, key_json(parts_.checkpoints->key()));
}

namespace {

// The two sizes a proof is asked about: `first` (1 or more, required) and
// `second` (the log's head unless given), or the 400 that says how to ask.
std::expected<std::pair<std::uint64_t, std::uint64_t>, http_response> proof_sizes(
    const http_request& request, std::string_view first, std::string_view second, std::uint64_t head) {
  const auto a = query_number(request.query, first, 0);
  const auto b = query_number(request.query, second, head);
  if (!a || *a == 0 || !b)
    return std::unexpected(json_error(400, "bad_request",
                                      "send " + std::string(first) + "=N (1 or more) and, optionally, " +
                                          std::string(second) + "=N (decimal digits)"));
  return std::pair{*a, *b};
}

}  // namespace

http_response audit_room::inclusion_proof(const http_request& request) const {
  auto who = require_caller(parts_.identify, request, endpoint("events.export"));
  if (!who) return who.error();
  auto sizes = proof_sizes(request, "position", "tree_size", store_.current_head().position);
  if (!sizes) return sizes.error();
  const auto [position, size] = *sizes;
  auto proof = store_.inclusion_proof(position, size);
  if (!proof) return store_refusal(proof.error());
  auto root = store_.merkle_root(size);
  if (!root) return store_refusal(root.error());
  auto event = store_.read_all(position, 1);
  if (!event) return store_refusal(event.error());
  if (event->empty()) return json_error(404, "not_found", "no event at position " + std::to_string(position));
  return json_response(200, json{{"position", position},
                                 {"tree_size", size},
                                 {"leaf", eventstore::to_hex(event->front().hash)},
                                 {"proof", hex_list(*proof)},
                                 {"root", eventstore::to_hex(*root)}});
}

http_response audit_room::consistency_proof(const http_request& request) const {
  auto who = require_caller(parts_.identify, request, endpoint("events.export"));
  if (!who) return who.error();
  auto sizes = proof_sizes(request, "from", "to", store_.current_head().position);
  if (!sizes) return sizes.error();
  const auto [from, to] = *sizes;
  auto proof = store_.consistency_proof(from, to);
  if (!proof) return store_refusal(proof.error());
  auto from_root = store_.merkle_root(from);
  auto to_root = store_.merkle_root(to);
  if (!from_root) return store_refusal(from_root.error());
  if (!to_root) return store_refusal(to_root.error());
  return json_response(200, json{{"from", from},
                                 {"to", to},
                                 {"proof", hex_list(*proof)},
                                 {"from_root", eventstore::to_hex(*from_root)},
                                 {"to_root", eventstore::to_hex(*to_root)}});
}

// The bundle an auditor takes home (evidence.hpp): from/to bound the period,
// streams=a,b picks streams; a fresh checkpoint signs the log it covers.
http_response audit_room::evidence_bundle(const http_request& request) {
  auto who = require_caller(parts_.identify, request, endpoint("checkpoints.make"));
  if (!who) return who.error();
  if (parts_.checkpoints == nullptr) return json_error(503, "unavailable", "this server does not sign checkpoints");
  evidence_request want;
  want.actor = who->user_id;
  want.files = parts_.evidence_files;
  const auto from = query_number(request.query, "from", 1);
  const auto to = query_number(request.query, "to", 0);
  if (!from || !to) return json_error(400, "bad_request", "from and to are positions (decimal digits only)");
  want.from = *from;
  want.to = *to;
  if (*from > store_.current_head().position || (*to != 0 && *from > *to))
    return json_error(400, "bad_request", "the period from " + std::to_string(*from) + " holds no event");
  std::string streams;
  (void)query_param(request.query, "streams", streams);
  want.streams = split_list(streams);
  if (want.streams.size() > 1000) return json_error(400, "bad_request", "name at most 1000 streams");
  std::string body;
  bool too_large = false;
  const auto sink = [&](std::string_view chunk) {
    if (body.size() + chunk.size() > options_.max_evidence_bytes) {
      too_large = true;
      return false;
    }
    body.append(chunk);
    return true;
  };
  auto made = write_evidence(store_, *parts_.checkpoints, want, sink, std::filesystem::temp_directory_path(),
                             parts_.registers);
  if (too_large)
    return json_error(413, "too_large", "the bundle would exceed " + std::to_string(options_.max_evidence_bytes >> 20) +
                                            " MiB: ask for a period (from, to) or run ismsd export on the server");
  if (!made) return json_error(500, "internal", made.error());
  log::info("evidence", who->user_id + " took an evidence bundle of positions " + std::to_string(made->from) + ".." +
                            std::to_string(made->to) + " (" + std::to_string(made->events) + " events, " +
                            std::to_string(made->bytes) + " bytes)");
  http_response r;
  r.content_type = "application/gzip";
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"isms-evidence-" + std::to_string(made->to) + ".tar.gz\"");
  return r;
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
  if (parts_.after_erasure) parts_.after_erasure(req.position, r->erasure_position);
  log::info("erasure", who->user_id + " erased " + std::to_string(req.fields.size()) + " field(s) of position " +
                           std::to_string(req.position) + " (erasure event at position " +
                           std::to_string(r->erasure_position) + ")");
  return json_response(200, json{{"position", req.position},
                                 {"erasure_position", r->erasure_position},
                                 {"tombstone_sha256", eventstore::to_hex(r->tombstone_digest)},
                                 {"duplicate", r->duplicate}});
}

}  // namespace isms::server
