#pragma once
// The ISMS Ledger application behind the transport: the composition root. It
// owns the services — projections, the command pipeline, reactions,
// notifications, the scheduler, sessions — and the rooms of the HTTP API
// (session_room, audit_room, backup_room, reports_room, health_room, the web UI's files),
// registers their routes in one table (router.hpp) and decides WebSocket
// upgrades.
//
// Thread-safety: all members may be called concurrently from the transport's
// I/O threads.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "isms/eventstore/store.hpp"
#include "isms/server/auth.hpp"
#include "isms/server/chain_verifier.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/evidence_room.hpp"
#include "isms/server/notification_centre.hpp"
#include "isms/server/notifier.hpp"
#include "isms/server/oidc.hpp"
#include "isms/server/projections.hpp"
#include "isms/server/router.hpp"
#include "isms/server/static_site.hpp"
#include "isms/server/time_rules.hpp"
#include "isms/server/transport.hpp"
#include "isms/server/ws_api.hpp"

namespace isms::server {

class audit_room;
class backup_room;
class reports_room;
class checkpoint_keeper;
class health_room;
class reaction_runner;
class scheduler;
class session_room;

struct ledger_options {
  // Folder whose files are served under "/" (index.html for "/"), read once
  // when the ledger is made (see static_site). Default: none (404).
  std::filesystem::path webui_dir;
  // Browser origins allowed to open the WebSocket besides the server's own
  // ("http://<Host header>" or "https://<Host header>"). Default: none
  std::vector<std::string> allowed_origins;
  // Mark the session cookie Secure (set when served behind TLS). Default: false
  bool secure_cookie = false;
  // The transport itself speaks TLS (tls_certificate): the server's own
  // origin is then "https://<Host header>" only. Without it both schemes
  // count, since a reverse proxy may terminate TLS. Default: false
  bool transport_tls = false;
  // Worker threads for decisions, queries and password hashing. Default: 2
  unsigned workers = 2;
  // How often the scheduler asks the domain what is due; 0: never by itself,
  // only when asked (run_scheduler_once, POST /api/rules/run; the offline
  // commands). Default: 60 s
  std::chrono::seconds scheduler_interval{60};
  // How often open WebSockets are checked for a session that has ended
  // (expired) while they sent nothing; every request is checked as well.
  // Default: 30 s
  std::chrono::milliseconds session_sweep_interval{30000};
  // Where POST /api/backup writes online backups (one new folder each).
  // Default: none here; `ismsd serve` uses "<data dir>-backups".
  std::filesystem::path backup_dir;
  // Where the bytes of evidence files are kept (evidence_files.hpp); a
  // backup takes them along. Default: none here (uploads are refused);
  // `ismsd serve` uses "<data dir>-evidence".
  std::filesystem::path evidence_dir;
  evidence_room_options evidence;
  // The Ed25519 key that signs checkpoints (created there, mode 0600, when
  // missing; a key readable by others is refused). Default: none here (no
  // checkpoints are signed); `ismsd serve` uses "<data dir>-signing.key".
  std::filesystem::path signing_key_file;
  // The key that seals second factors' secrets in the store (32 random
  // bytes, hex, mode 0600; created when missing). Empty: stored unsealed.
  // `ismsd serve` defaults it to <data dir>-second-factor.key.
  std::filesystem::path second_factor_key_file;
  // The secrets that sign webhook posts, one per line (read_webhook_secrets;
  // mode 0600). Read at start into notify.webhook_secrets; a file that cannot
  // be used stops the start. Default: none (posts go unsigned)
  std::filesystem::path webhook_secret_file;
  // The SMTP password, the file's one line (read_secret_lines; mode 0600).
  // Read at start into notify.mail.password. Default: none
  std::filesystem::path smtp_password_file;
  // How often the server signs a checkpoint of its log; one is signed at
  // every orderly stop as well. Default: 24 h
  std::chrono::seconds checkpoint_interval{86400};
  // Most events one GET /api/events answer carries. Default: 10000
  std::size_t max_export_events = 10000;
  // Deepest nesting of an HTTP body's JSON; deeper → 400 before any tree is
  // built. Default: 64 (default_max_json_depth; ws.max_json_depth follows
  // the same setting, limits.max_json_depth)
  std::size_t max_json_depth = 64;
  auth_options auth;
  chain_verifier_options verify;
  projection_options projections;
  pipeline_options pipeline;
  ws_api_options ws;
  notifier_options notify;
  notification_centre_options centre;
  // Single sign-on (OpenID Connect); off without an issuer. Its client
  // secret is read from oidc_client_secret_file (mode 0600).
  oidc_options oidc;
  std::filesystem::path oidc_client_secret_file;
  // The server's clock, UTC ms. Default: the system clock.
  clock_fn clock;
};

class ledger final : public application {
 public:
  ledger(ledger_options options, eventstore::store& store);
  ~ledger() override;

  void handle(http_request request, std::function<void(http_response)> reply) override;
  upgrade_decision upgrade(const http_request& request) override;
  body_decision stream_body(const http_request& head) override;
  void log_request(const http_request& request, unsigned status, std::size_t bytes,
                   std::chrono::microseconds elapsed, std::string_view actor) override;
  // Counted for /metrics; logged at DEBUG each, and at WARN at most once a
  // minute with the number since the last such line (scanners try often).
  void tls_handshake_failed(const std::string& remote, const std::string& reason) override;

  // On a store with no user yet, registers the first administrator ("admin")
  // with `password`, or a random one when empty; returns the password it set,
  // or nullopt when users already exist. There is no default password.
  [[nodiscard]] std::expected<std::optional<std::string>, std::string> bootstrap_admin(const std::string& password);

  // Registers a user with roles and a password through the command pipeline
  // (as `by`, who must be allowed to). For the demo loader and tests.
  [[nodiscard]] command_outcome register_user(const std::string& by, const std::string& user_id,
                                              const std::string& name, const std::vector<std::string>& roles,
                                              const std::string& password);

  // The services, for the demo loader and tests running in-process.
  [[nodiscard]] command_pipeline& pipeline() noexcept { return *pipeline_; }
  [[nodiscard]] projection_engine& views() noexcept { return *views_; }
  [[nodiscard]] auth_service& auth() noexcept { return *auth_; }
  [[nodiscard]] chain_verifier& verifier() noexcept { return *verifier_; }
  // Null when no signing key is configured.
  [[nodiscard]] checkpoint_keeper* checkpoints() noexcept { return checkpoints_.get(); }
  // Null when no evidence folder is configured.
  [[nodiscard]] const evidence_files* evidence_store() const noexcept { return evidence_files_.get(); }
  // Blocks until views and reactions have caught up with the log's head.
  void settle();
  // Runs the time rules once, now (one run at a time), and says what they did.
  time_rules_report run_scheduler_once();

  // Begins an orderly stop, before the transport stops: WebSocket upgrades
  // are refused, the scheduler and the reactions stop, new commands are
  // answered `unavailable`, every command already accepted is answered, and
  // only then is each WebSocket closed (1001), its close frame behind those
  // replies. Idempotent; the destructor runs it too.
  void shutdown();

 private:
  bool origin_allowed(const http_request& request) const;
  void add_routes();
  void after_apply(const domain::views::all_views& after, const domain::recorded_event& e, bool replaying);
  // The reactions' checkpoint; once they have stopped, where they stopped.
  std::uint64_t reactions_position() const;
  std::int64_t now_ms() const { return options_.clock(); }
  // Signs a checkpoint as the system and logs it (`which`: why).
  void sign_checkpoint(std::string_view which);

  ledger_options options_;
  eventstore::store& store_;
  static_site webui_;
  std::unique_ptr<worker_pool> pool_;
  std::unique_ptr<auth_service> auth_;
  std::unique_ptr<notifier> notifier_;
  std::unique_ptr<notification_centre> centre_;
  std::unique_ptr<oidc_client> oidc_;
  std::shared_ptr<ws_api> ws_;
  std::unique_ptr<projection_engine> views_;
  std::unique_ptr<command_pipeline> pipeline_;
  mutable std::mutex reactions_mutex_;  // guards reactions_ against shutdown(): /metrics reads it until the transport stops
  std::unique_ptr<reaction_runner> reactions_;
  std::uint64_t reactions_stopped_at_ = 0;
  std::unique_ptr<time_rules> time_rules_;
  std::mutex rules_mutex_;  // one run of the time rules at a time (scheduler, API, offline)
  std::unique_ptr<scheduler> scheduler_;
  std::unique_ptr<scheduler> session_sweeper_;
  std::unique_ptr<checkpoint_keeper> checkpoints_;
  std::unique_ptr<scheduler> checkpoint_scheduler_;
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<chain_verifier> verifier_;
  std::unique_ptr<session_room> session_;
  std::unique_ptr<audit_room> audit_;
  std::unique_ptr<backup_room> backup_;
  std::unique_ptr<evidence_files> evidence_files_;  // null without evidence_dir
  std::unique_ptr<evidence_room> evidence_;
  std::unique_ptr<reports_room> reports_;
  std::unique_ptr<health_room> health_;
  router routes_;  // filled in the constructor, read-only after

  std::atomic<std::uint64_t> http_requests_{0};
  std::atomic<std::uint64_t> http_errors_{0};
  std::atomic<std::uint64_t> ws_upgrades_{0};
  std::atomic<std::uint64_t> tls_handshake_failures_{0};
  std::mutex tls_warning_mutex_;  // guards the two below
  std::chrono::steady_clock::time_point tls_warned_at_{};
  std::uint64_t tls_failures_unreported_ = 0;
};

}  // namespace isms::server
