#pragma once
// GET/HEAD /healthz (200 while the store takes writes, 503 with the reason
// while it is read-only) and GET /metrics (Prometheus text format), both
// answered from one set of figures read at the moment of the request.
// Thread-safety: all members may be called from any thread.

#include <cstdint>
#include <functional>
#include <optional>

#include "isms/eventstore/store.hpp"
#include "isms/server/chain_verifier.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/projections.hpp"
#include "isms/server/router.hpp"

namespace isms::server {

// The server's state as the health check and the metrics tell it.
struct server_figures {
  eventstore::head head;
  eventstore::store_health store;
  chain_verifier::status verification;
  projection_stats views;  // views.position: the last position folded into the live views
  std::uint64_t reactions_position = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t http_errors = 0;
  std::uint64_t websocket_upgrades = 0;
  std::uint64_t websocket_connections = 0;
  std::uint64_t webhook_outbox = 0;
  std::uint64_t webhook_delivered = 0;
  std::uint64_t worker_jobs_failed = 0;
  std::uint64_t tls_handshake_failures = 0;          // with tls_certificate: handshakes failed or timed out
  bool checkpoints_enabled = false;                   // a signing key is configured
  std::optional<std::int64_t> checkpoint_age_ms;     // since the newest signed checkpoint, if any
  eventstore::store_stats store_stats;                // append latency, group commit sizes, queue
  command_figures commands;                           // answered by type and outcome, and their times
  std::uint64_t worker_queue = 0;                     // jobs waiting for a worker thread
};

[[nodiscard]] http_response healthz_answer(const server_figures& f);
[[nodiscard]] http_response metrics_answer(const server_figures& f);

class health_room {
 public:
  explicit health_room(std::function<server_figures()> figures) : figures_(std::move(figures)) {}
  void add_routes(router& routes);

 private:
  std::function<server_figures()> figures_;
};

}  // namespace isms::server
