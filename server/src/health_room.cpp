#include "isms/server/health_room.hpp"

#include <algorithm>

#include <string>

#include <nlohmann/json.hpp>

#include "isms/server/http_room.hpp"
#include "isms/server/metrics.hpp"

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
  using namespace metrics;
  std::string out;
  auto lag = [](std::uint64_t head, std::uint64_t at) { return head > at ? head - at : 0; };
  const auto& health = f.store;
  const auto& verification = f.verification;
  const auto& views = f.views;
  write_gauge(out, "ismsd_log_head_position", "Last committed position of the event log.", f.head.position);
  write_gauge(out, "ismsd_views_position", "Last position folded into the live views.", views.position);
  write_gauge(out, "ismsd_reactions_position", "Last position whose reactions are done.", f.reactions_position);
  write_gauge(out, "ismsd_views_lag_events", "Events committed but not yet folded into the live views (head - views).",
              lag(f.head.position, views.position));
  write_gauge(out, "ismsd_reactions_lag_events",
              "Events committed whose reactions are not yet done (head - reactions).",
              lag(f.head.position, f.reactions_position));

  write_header(out, "ismsd_commands_total", "counter",
               "Commands answered, by command type (\"other\" for a type the domain does not declare) and outcome "
               "(ok, duplicate, or the error code).");
  for (const auto& line : f.commands.answered) {
    const label labels[] = {{"type", line.type}, {"outcome", line.outcome}};
    write_sample(out, "ismsd_commands_total", labels, line.count);
  }
  write_histogram(out, "ismsd_command_seconds",
                  "Seconds from a command's arrival in the pipeline to its reply (decision, append, views).",
                  f.commands.seconds);
  write_counter(out, "ismsd_command_events_folded_total",
                "Events of commanded streams folded to decide: about one per event recorded while the folded-state "
                "cache holds the streams commanded, every event of the stream per command when it does not.",
                f.commands.events_folded);

  write_counter(out, "ismsd_http_requests_total", "HTTP requests answered.", f.http_requests);
  write_counter(out, "ismsd_http_errors_total", "HTTP requests answered with status 400 or above.", f.http_errors);
  write_counter(out, "ismsd_websocket_upgrades_total", "WebSocket connections accepted.", f.websocket_upgrades);
  write_gauge(out, "ismsd_websocket_connections", "WebSocket connections open.", f.websocket_connections);
  write_gauge(out, "ismsd_webhook_outbox", "Webhook posts waiting for delivery.", f.webhook_outbox);
  write_counter(out, "ismsd_webhook_delivered_total", "Webhook posts delivered since start.", f.webhook_delivered);

  write_gauge(out, "ismsd_store_writable", "1 while the event store accepts appends, 0 while it is read-only.",
              std::uint64_t{health.writable ? 1u : 0u});
  write_gauge(out, "ismsd_store_read_only_io",
              "1 while the store is read-only after a failed write (e.g. a full disk).",
              std::uint64_t{!health.writable && health.reason == eventstore::errc::io ? 1u : 0u});
  write_gauge(out, "ismsd_store_read_only_corrupted",
              "1 while the store is read-only because it found itself corrupted.",
              std::uint64_t{!health.writable && health.reason == eventstore::errc::corrupted ? 1u : 0u});
  const auto& store = f.store_stats;
  write_histogram(out, "ismsd_store_append_seconds",
                  "Seconds from an append's queueing for the event store's writer until its group commit is durable "
                  "(acknowledged appends).",
                  store.append_seconds.upper_bounds, store.append_seconds.counts, store.append_seconds.sum);
  write_histogram(out, "ismsd_store_group_commit_events",
                  "Events per group commit of the event store (one synced write each).",
                  store.group_events.upper_bounds, store.group_events.counts, store.group_events.sum);
  write_gauge(out, "ismsd_store_queue_depth", "Appends waiting for the event store's writer.",
              std::uint64_t{store.queued_appends});

  write_gauge(out, "ismsd_chain_verified_position", "Last position of the verified chain prefix.",
              verification.verified.position);
  write_gauge(out, "ismsd_chain_verification_target_position",
              "The head the background chain verification walks to.", verification.target_position);
  write_gauge(out, "ismsd_chain_verification_progress_ratio",
              "Verified position / target position of the background chain verification (1 when done).",
              verification.target_position == 0 || verification.verified.position >= verification.target_position
                  ? 1.0
                  : static_cast<double>(verification.verified.position) /
                        static_cast<double>(verification.target_position));
  write_gauge(out, "ismsd_chain_verification_failed", "1 when the chain failed verification.",
              std::uint64_t{verification.current == chain_verifier::state::failed ? 1u : 0u});
  write_gauge(out, "ismsd_chain_verification_running", "1 while the background chain verification runs.",
              std::uint64_t{verification.current == chain_verifier::state::running ? 1u : 0u});

  write_counter(out, "ismsd_worker_jobs_failed_total", "Worker jobs that failed with an exception.",
                f.worker_jobs_failed);
  write_gauge(out, "ismsd_worker_queue_depth",
              "Jobs (decisions, queries, sign-ins) waiting for a worker thread.", f.worker_queue);
  write_counter(out, "ismsd_tls_handshake_failures_total",
                "TLS handshakes that failed or timed out (plain HTTP to the HTTPS port, old TLS versions, scanners).",
                f.tls_handshake_failures);
  write_gauge(out, "ismsd_checkpoints_enabled", "1 when the server signs checkpoints (a signing key is configured).",
              std::uint64_t{f.checkpoints_enabled ? 1u : 0u});
  if (f.checkpoint_age_ms)
    write_gauge(out, "ismsd_checkpoint_age_seconds", "Seconds since the newest signed checkpoint.",
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, *f.checkpoint_age_ms) / 1000));

  write_gauge(out, "ismsd_views_snapshots", "Snapshots of the views kept on disk for start-up and time travel.",
              std::uint64_t{views.snapshots});
  write_gauge(out, "ismsd_views_last_snapshot_position", "Position of the newest snapshot of the views on disk.",
              views.last_snapshot_position);
  write_gauge(out, "ismsd_views_last_snapshot_bytes", "Encoded size of the newest snapshot of the views.",
              std::uint64_t{views.last_snapshot_bytes});
  write_counter(out, "ismsd_views_snapshot_failures_total",
                "Snapshots of the views that could not be written or read.", views.snapshot_failures);
  write_gauge(out, "ismsd_views_cached", "Past views held in memory for time travel.",
              std::uint64_t{views.cached_views});
  write_gauge(out, "ismsd_views_started_from_position",
              "The snapshot position start-up restored (the tail after it was folded).", views.started_from);
  write_histogram(out, "ismsd_views_fold_seconds", "Seconds to fold one event into the live views.",
                  views.fold_seconds);
  write_histogram(out, "ismsd_views_as_of_seconds",
                  "Seconds to produce the views as of a position (time travel: cache, snapshot and fold).",
                  views.as_of_seconds);
  http_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace isms::server
