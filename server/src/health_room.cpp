#include "isms/server/health_room.hpp"

#include <algorithm>

#include <string>

#include <nlohmann/json.hpp>

#include "isms/server/http_room.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

json store_health_json(const eventstore::store_health& h) {
  json j{{"writable", h.writable}};
  if (!h.writable) {
    j["reason"] = h.reason == eventstore::errc::corrupted ? "corrupted" : "io";
    j["message"] = h.message;
    if (h.position != 0) j["position"] = h.position;
  }
  return j;
}

json verification_json(const chain_verifier::status& v) {
  json j{{"state", to_string(v.current)},
         {"verified_position", v.verified.position},
         {"verified_hash", eventstore::to_hex(v.verified.hash)},
         {"target_position", v.target_position}};
  if (v.failure) j["failure"] = {{"position", v.failure->position}, {"message", v.failure->message}};
  return j;
}

}  // namespace

void health_room::add_routes(router& routes) {
  routes.on("/healthz", {"GET", "HEAD"}, answer_with([this](const http_request&) { return healthz_answer(figures_()); }));
  routes.on("/metrics", {"GET"}, answer_with([this](const http_request&) { return metrics_answer(figures_()); }));
}

// Read-only: a failed write such as a full disk, or a chain that failed
// verification.
http_response healthz_answer(const server_figures& f) {
  const bool ok = f.store.writable && f.verification.current != chain_verifier::state::failed;
  return json_response(ok ? 200 : 503,
                       json{{"status", ok ? "ok" : "read_only"},
                            {"head", {{"position", f.head.position}, {"hash", eventstore::to_hex(f.head.hash)}}},
                            {"views_position", f.views.position},
                            {"store", store_health_json(f.store)},
                            {"chain_verification", verification_json(f.verification)}});
}

http_response metrics_answer(const server_figures& f) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, std::uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(value) + "\n";
  };
  const auto& health = f.store;
  const auto& verification = f.verification;
  metric("ismsd_log_head_position", "gauge", "Last committed position of the event log.", f.head.position);
  metric("ismsd_views_position", "gauge", "Last position folded into the live views.", f.views.position);
  metric("ismsd_reactions_position", "gauge", "Last position whose reactions are done.", f.reactions_position);
  metric("ismsd_http_requests_total", "counter", "HTTP requests answered.", f.http_requests);
  metric("ismsd_http_errors_total", "counter", "HTTP requests answered with status 400 or above.", f.http_errors);
  metric("ismsd_websocket_upgrades_total", "counter", "WebSocket connections accepted.", f.websocket_upgrades);
  metric("ismsd_websocket_connections", "gauge", "WebSocket connections open.", f.websocket_connections);
  metric("ismsd_webhook_outbox", "gauge", "Webhook posts waiting for delivery.", f.webhook_outbox);
  metric("ismsd_webhook_delivered_total", "counter", "Webhook posts delivered since start.", f.webhook_delivered);
  metric("ismsd_store_writable", "gauge", "1 while the event store accepts appends, 0 while it is read-only.",
         health.writable ? 1 : 0);
  metric("ismsd_store_read_only_io", "gauge", "1 while the store is read-only after a failed write (e.g. a full disk).",
         !health.writable && health.reason == eventstore::errc::io ? 1 : 0);
  metric("ismsd_store_read_only_corrupted", "gauge", "1 while the store is read-only because it found itself corrupted.",
         !health.writable && health.reason == eventstore::errc::corrupted ? 1 : 0);
  metric("ismsd_chain_verified_position", "gauge", "Last position of the verified chain prefix.",
         verification.verified.position);
  metric("ismsd_chain_verification_target_position", "gauge",
         "The head the background chain verification walks to.", verification.target_position);
  metric("ismsd_chain_verification_failed", "gauge", "1 when the chain failed verification.",
         verification.current == chain_verifier::state::failed ? 1 : 0);
  metric("ismsd_chain_verification_running", "gauge", "1 while the background chain verification runs.",
         verification.current == chain_verifier::state::running ? 1 : 0);
  metric("ismsd_worker_jobs_failed_total", "counter", "Worker jobs that failed with an exception.",
         f.worker_jobs_failed);
  metric("ismsd_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed or timed out (plain HTTP to the HTTPS port, old TLS versions, scanners).",
         f.tls_handshake_failures);
  metric("ismsd_checkpoints_enabled", "gauge", "1 when the server signs checkpoints (a signing key is configured).",
         f.checkpoints_enabled ? 1 : 0);
  if (f.checkpoint_age_ms)
    metric("ismsd_checkpoint_age_seconds", "gauge", "Seconds since the newest signed checkpoint.",
           static_cast<std::uint64_t>(std::max<std::int64_t>(0, *f.checkpoint_age_ms) / 1000));
  const auto& views = f.views;
  metric("ismsd_views_snapshots", "gauge", "Snapshots of the views kept on disk for start-up and time travel.",
         views.snapshots);
  metric("ismsd_views_last_snapshot_position", "gauge", "Position of the newest snapshot of the views on disk.",
         views.last_snapshot_position);
  metric("ismsd_views_last_snapshot_bytes", "gauge", "Encoded size of the newest snapshot of the views.",
         views.last_snapshot_bytes);
  metric("ismsd_views_snapshot_failures_total", "counter", "Snapshots of the views that could not be written or read.",
         views.snapshot_failures);
  metric("ismsd_views_cached", "gauge", "Past views held in memory for time travel.", views.cached_views);
  metric("ismsd_views_started_from_position", "gauge",
         "The snapshot position start-up restored (the tail after it was folded).", views.started_from);
  http_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace isms::server
