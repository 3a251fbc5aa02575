#pragma once
// What auditors and administrators ask of the log itself: the event log as
// NDJSON (GET /api/events), the chain verified to the head (GET /api/verify),
// signed checkpoints (GET and POST /api/checkpoints, the public key at GET
// /api/checkpoints/key), Merkle proofs (GET /api/proof/inclusion and
// /api/proof/consistency), the evidence bundle (GET /api/evidence), and,
// administrators only, erasing personal data
// (POST /api/erasure, GDPR Art. 17). Each answer is worked out on the worker
// pool.
// Thread-safety: all members may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>

#include "isms/eventstore/store.hpp"
#include "isms/server/chain_verifier.hpp"
#include "isms/server/checkpoints.hpp"
#include "isms/server/evidence.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/http_room.hpp"

namespace isms::server {

struct audit_room_options {
  // Most events one GET /api/events answer carries. Default: 10000
  std::size_t max_export_events = 10000;
  // Deepest nesting of an erasure body's JSON. Default: 64
  std::size_t max_json_depth = 64;
  // Largest evidence bundle GET /api/evidence builds in memory; beyond it the
  // answer is 413 (ask for a period, or run `ismsd export` on the server).
  // Default: 256 MiB
  std::size_t max_evidence_bytes = std::size_t{256} << 20;
};

struct audit_room_parts {
  identify_fn identify;
  clock_fn clock;
  // Called once an erasure is in the log, with the erased event's position and the erasure event's:
  // returns when nothing the server holds (cached histories, views) still
  // carries the erased fields.
  std::function<void(std::uint64_t erased_position, std::uint64_t erasure_position)> after_erasure;
  // Signs and lists checkpoints; the checkpoint and evidence routes answer 503 without it.
  checkpoint_keeper* checkpoints = nullptr;
  // The registers as CSV at a position, for the evidence bundle.
  registers_at_fn registers;
  // Where the evidence files' bytes are, for the bundle; empty: none carried.
  std::filesystem::path evidence_files = {};
};

class audit_room {
 public:
  audit_room(audit_room_options options, eventstore::store& store, chain_verifier& verifier, worker_pool& pool,
             audit_room_parts parts);

  void add_routes(router& routes);

  [[nodiscard]] http_response events_export(const http_request& request) const;
  [[nodiscard]] http_response verify_chain(const http_request& request) const;
  [[nodiscard]] http_response erase_personal_data(const http_request& request);
  [[nodiscard]] http_response list_checkpoints(const http_request& request) const;
  [[nodiscard]] http_response make_checkpoint(const http_request& request);
  [[nodiscard]] http_response checkpoint_key(const http_request& request) const;
  [[nodiscard]] http_response inclusion_proof(const http_request& request) const;
  [[nodiscard]] http_response consistency_proof(const http_request& request) const;
  [[nodiscard]] http_response evidence_bundle(const http_request& request);

 private:
  audit_room_options options_;
  eventstore::store& store_;
  chain_verifier& verifier_;
  worker_pool& pool_;
  audit_room_parts parts_;
};

}  // namespace isms::server
