#include "isms/server/ledger.hpp"

#include <nlohmann/json.hpp>

#include <utility>

#include "isms/server/audit_room.hpp"
#include "isms/server/registers_csv.hpp"
#include "isms/server/reports_room.hpp"
#include "isms/server/backup_room.hpp"
#include "isms/server/checkpoints.hpp"
#include "isms/server/health_room.hpp"
#include "isms/server/log.hpp"
#include "isms/server/reaction_runner.hpp"
#include "isms/server/scheduler.hpp"
#include "isms/server/session_room.hpp"
#include "isms/server/time_rules.hpp"
#include "isms/server/view_access.hpp"

namespace isms::server {

using json = nlohmann::json;
namespace views = domain::views;

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

ledger::ledger(ledger_options options, eventstore::store& store)
    : options_(std::move(options)), store_(store), webui_(options_.webui_dir) {
  for (const auto& why : webui_.skipped()) log::warn("webui", "not served: " + why);
  if (!options_.clock) options_.clock = system_now_ms;
  pool_ = std::make_unique<worker_pool>(options_.workers);
  options_.auth.identity_provider = options_.oidc.enabled();
  if (!options_.second_factor_key_file.empty()) {
    auto key = load_or_create_secret_key(options_.second_factor_key_file);
    if (!key) throw std::runtime_error(key.error());
    options_.auth.secret_key = std::move(*key);
    log::info("auth", "second factors are sealed with the key in " + options_.second_factor_key_file.string());
  }
  auth_ = std::make_unique<auth_service>(options_.auth, store_, [this](std::string_view user_id) {
    bool enabled = false;
    views_->read_current([&](const views::all_views& v) { enabled = user_enabled(v, user_id); });
    return enabled;
  });
  if (!options_.webhook_secret_file.empty()) {
    auto secrets = read_webhook_secrets(options_.webhook_secret_file);
    if (!secrets) throw std::runtime_error(secrets.error());
    options_.notify.webhook_secrets = std::move(*secrets);
    log::info("notify", "webhook posts are signed with " + std::to_string(options_.notify.webhook_secrets.size()) +
                            " secret(s) from " + options_.webhook_secret_file.string());
  }
  if (!options_.smtp_password_file.empty()) {
    auto lines = read_secret_lines(options_.smtp_password_file, "the SMTP password file");
    if (!lines) throw std::runtime_error(lines.error());
    if (lines->size() != 1)
      throw std::runtime_error("the SMTP password file " + options_.smtp_password_file.string() +
                               " holds more than one line");
    options_.notify.mail.password = lines->front();
  }
  if (options_.oidc.enabled()) {
    if (options_.oidc.client_id.empty()) throw std::runtime_error("oidc_issuer is set but oidc_client_id is not");
    if (!options_.oidc_client_secret_file.empty()) {
      auto lines = read_secret_lines(options_.oidc_client_secret_file, "the OpenID Connect client secret file");
      if (!lines) throw std::runtime_error(lines.error());
      options_.oidc.client_secret = lines->front();
    }
    oidc_ = std::make_unique<oidc_client>(options_.oidc);
    log::info("oidc", "single sign-on through " + options_.oidc.issuer + " as client " + options_.oidc.client_id +
                          (options_.oidc.create_users ? "; unknown users are created with the roles of their groups"
                                                      : "; unknown users are refused"));
  }
  if (options_.notify.mail.enabled())
    log::info("notify", "notifications are mailed through " + options_.notify.mail.url + " from " +
                            options_.notify.mail.from);
  centre_ = std::make_unique<notification_centre>(options_.centre, store_);
  notifier_ = std::make_unique<notifier>(
      options_.notify, store_,
      [this](const std::string& user, const json& n) {
        if (ws_) ws_->push_notification(user, n);
      },
      [this](const std::string& user_id) {
        // The views as they stand: the notifier is called on the thread that
        // folds them, outside their lock, or from the time rules.
        std::optional<mail_recipient> to;
        views_->read_current([&](const views::all_views& v) {
          const auto it = v.users.users.find(user_id);
          if (it != v.users.users.end() && it->second.enabled && !it->second.email.empty())
            to = mail_recipient{it->second.email, it->second.name};
        });
        return to;
      },
      [this](const std::string& user_id, std::string_view category) {
        return centre_->mail_preference(user_id, category);
      });
  views_ = std::make_unique<projection_engine>(
      options_.projections, store_,
      [this](const views::all_views& after, const domain::recorded_event& e, bool replaying) {
        after_apply(after, e, replaying);
      });
  pipeline_ = std::make_unique<command_pipeline>(options_.pipeline, store_, *views_, *pool_, options_.clock);
  pipeline_->use_second_factor(second_factor_gate{
      [this](const std::string& user_id) { return !auth_->confirm_by(user_id).empty(); },
      [this](const domain::actor& who) { return auth_->second_factor_required(who); },
      [this](const std::string& user_id, const std::string& code)
          -> std::expected<domain::confirmation, std::pair<std::string, std::string>> {
        auto c = auth_->check_second_factor(user_id, code,
                                            std::chrono::system_clock::time_point{std::chrono::milliseconds{now_ms()}});
        if (c) return *c;
        switch (c.error().code) {
          case auth_errc::rate_limited: return std::unexpected(std::pair{std::string("rate_limited"), c.error().message});
          case auth_errc::io: return std::unexpected(std::pair{std::string("unavailable"), c.error().message});
          default: return std::unexpected(std::pair{std::string("unauthenticated"), c.error().message});
        }
      },
      [this](const std::string& user_id) { return auth_->fresh_sign_in_until(user_id) > now_ms(); }});
  ws_ = std::make_shared<ws_api>(options_.ws, *pipeline_, *views_, *pool_, options_.clock,
                                 [this](const std::string& token) {
                                   return auth_->authenticate(token, std::chrono::system_clock::time_point{
                                                                         std::chrono::milliseconds{now_ms()}})
                                       .has_value();
                                 });
  views_->start();
  reactions_ = std::make_unique<reaction_runner>(store_, *pipeline_);
  time_rules_ = std::make_unique<time_rules>(time_rules_parts{
      options_.clock,
      [this](domain::date today) -> std::expected<due_today, domain::rejection> {
        std::expected<json, domain::rejection> lists = std::unexpected(domain::rejection{});
        std::vector<std::string> managers;
        const domain::actor system{"system", {domain::role::system}};
        views_->read_current([&](const views::all_views& v) {
          lists = views::query(v, "due", json::object(), system, today);
          managers = views::users_holding(v.users, domain::role::isms_manager);
        });
        if (!lists) return std::unexpected(lists.error());
        return due_today{std::move(*lists), std::move(managers)};
      },
      [this](command_request req) { return pipeline_->run("system", std::move(req)); },
      [this](const std::string& key, const std::string& user_id, const json& n) {
        if (notifier_->remind(key, user_id, n)) centre_->remind(user_id, n, now_ms());
      }});
  if (options_.scheduler_interval.count() > 0)
    scheduler_ = std::make_unique<scheduler>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.scheduler_interval),
        [this] { (void)run_scheduler_once(); });
  session_sweeper_ = std::make_unique<scheduler>(options_.session_sweep_interval, [this] { ws_->sweep_sessions(); });
  verifier_ = std::make_unique<chain_verifier>(options_.verify, store_);
  if (!options_.signing_key_file.empty()) {
    bool created = false;
    auto key = signing_key::load_or_create(options_.signing_key_file, &created);
    if (!key) throw std::runtime_error(key.error());
    log::info("checkpoints", std::string(created ? "created the signing key " : "signing with the key ") +
                                 options_.signing_key_file.string() + ", fingerprint " + key->fingerprint());
    checkpoints_ = std::make_unique<checkpoint_keeper>(store_, *key, options_.clock);
    // The first turn is at start, when nothing new needs signing: skipped.
    checkpoint_scheduler_ = std::make_unique<scheduler>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.checkpoint_interval),
        [this, first = true]() mutable {
          if (std::exchange(first, false)) return;
          sign_checkpoint("the scheduled checkpoint");
        });
  }
  verifier_->start();
  add_routes();
}

void ledger::add_routes() {
  session_ = std::make_unique<session_room>(
      session_room_options{options_.auth.session_ttl, options_.secure_cookie, options_.max_json_depth,
                           options_.notify.mail.web_url},
      *auth_, *pool_,
      session_room_parts{
          options_.clock, [this](const std::string& user_id) { return pipeline_->actor_of(user_id); },
          [this](std::string_view user_id) {
            json user;
            views_->read_current([&](const views::all_views& v) { user = user_summary(v, user_id); });
            return user;
          },
          [this](const std::string& user_id) {
            bool known = false;
            views_->read_current([&](const views::all_views& v) { known = v.users.users.contains(user_id); });
            return known;
          },
          [this](const std::string& user_id, const std::string& why) { ws_->close_user(user_id, why); },
          [this](const std::string& token, const std::string& why) { ws_->close_session(token, why); },
          [this](const oidc_identity& who, const std::vector<std::string>& roles) -> std::expected<void, std::string> {
            command_request req;
            req.type = "user.register";
            req.stream = "user-" + who.user_id;
            req.command_id = "sso-register:" + who.user_id;
            req.data = {{"name", who.name.empty() ? who.user_id : who.name}, {"roles", roles}};
            if (!who.email.empty()) req.data["email"] = who.email;
            req.as_system = true;
            req.roles_override = std::vector<domain::role>{domain::role::admin};
            req.comment = "created at the first sign-in through " + options_.oidc.issuer + " (subject " +
                          who.subject + ")";
            const auto o = pipeline_->run("system", std::move(req));
            if (!o.ok) return std::unexpected(o.error_code + ": " + o.error_message);
            views_->wait_applied(o.position);
            return {};
          },
          [this](const std::string& user_id, const std::vector<std::string>& grant,
                 const std::vector<std::string>& revoke, const std::string& why) -> std::expected<void, std::string> {
            std::uint64_t last = 0;
            for (const auto& [type, roles] : {std::pair{"user.grant_role", &grant}, std::pair{"user.revoke_role", &revoke}})
              for (const auto& role : *roles) {
                command_request req;
                req.type = type;
                req.stream = "user-" + user_id;
                req.data = {{"role", role}};
                req.as_system = true;
                req.roles_override = std::vector<domain::role>{domain::role::admin};
                req.comment = "as " + why + " say";
                const auto o = pipeline_->run("system", std::move(req));
                if (!o.ok) return std::unexpected(o.error_code + ": " + o.error_message);
                last = o.position;
              }
            views_->wait_applied(last);
            return {};
          }},
      oidc_.get());
  identify_fn identify = [this](const http_request& r) { return session_->identify(r); };
  const auto views_at = [this](std::uint64_t position)
      -> std::expected<std::shared_ptr<const views::all_views>, std::string> {
    auto at = views_->as_of_position(position);
    if (!at) return std::unexpected("the views at " + std::to_string(position) + ": " + at.error().message);
    return *at;
  };
  const registers_at_fn registers_at = [views_at](std::uint64_t position)
      -> std::expected<std::vector<register_csv>, std::string> {
    auto at = views_at(position);
    if (!at) return std::unexpected(at.error());
    return registers_csv(**at, position);
  };
  audit_ = std::make_unique<audit_room>(
      audit_room_options{options_.max_export_events, options_.max_json_depth}, store_, *verifier_, *pool_,
      audit_room_parts{identify, options_.clock,
                       [this](std::uint64_t erased_position, std::uint64_t erasure_position) {
                         // Nor does a command decide on a history read before the erasure.
                         pipeline_->forget_cached_histories();
                         views_->wait_applied(erasure_position);
                         // Nor does the notification centre keep titles made from it.
                         std::string stream;
                         (void)store_.scan(erased_position, erased_position, [&](const eventstore::event_view& e) {
                           stream = std::string(e.stream);
                           return false;
                         });
                         centre_->forget(stream, erased_position);
                       },
                       checkpoints_.get(), registers_at, options_.evidence_dir});
  if (!options_.evidence_dir.empty()) {
    evidence_files_ = std::make_unique<evidence_files>(options_.evidence_dir);
    evidence_ = std::make_unique<evidence_room>(
        options_.evidence, *evidence_files_, *pool_,
        evidence_room_parts{identify, [this](const http_request& r) { return origin_allowed(r); },
                            [this](const std::string& user_id, command_request req) {
                              return pipeline_->run(user_id, std::move(req));
                            },
                            [this](const std::string& id) {
                              std::optional<views::evidence_entry> found;
                              views_->read_current([&](const views::all_views& v) {
                                if (auto it = v.evidence.files.find(id);
                                    it != v.evidence.files.end() && !it->second.evidence_id.empty())
                                  found = it->second;
                              });
                              return found;
                            }});
  }
  backup_ = std::make_unique<backup_room>(options_.backup_dir, store_, *pool_, identify, options_.clock,
                                          evidence_files_.get());
  reports_ = std::make_unique<reports_room>(
      *pool_, reports_room_parts{identify, [this] { return views_->position(); },
                                 [this](std::int64_t ms) -> std::expected<std::uint64_t, std::string> {
                                   auto p = views_->position_at(ms);
                                   if (!p) return std::unexpected(p.error().message);
                                   return *p;
                                 },
                                 views_at,
                                 [this](std::uint64_t position) -> std::expected<std::string, std::string> {
                                   if (position == 0) return std::string(64, '0');
                                   std::string hash;
                                   auto seen = store_.scan(position, position, [&](const eventstore::event_view& e) {
                                     hash = eventstore::to_hex(e.hash);
                                     return false;
                                   });
                                   if (!seen) return std::unexpected(seen.error().message);
                                   if (hash.empty()) return std::unexpected("no event at " + std::to_string(position));
                                   return hash;
                                 },
                                 options_.clock});
  health_ = std::make_unique<health_room>([this] {
    server_figures f{store_.current_head(),     store_.health(),          verifier_->current(),
                     views_->stats(),           reactions_position(), http_requests_.load(),
                     http_errors_.load(),       ws_upgrades_.load(),      ws_->connection_count(),
                     notifier_->outbox_size(),  notifier_->delivered(),   pool_->failed_jobs()};
    f.tls_handshake_failures = tls_handshake_failures_.load();
    f.store_stats = store_.stats();
    f.commands = pipeline_->figures();
    f.worker_queue = pool_->queued_jobs();
    f.checkpoints_enabled = checkpoints_ != nullptr;
    if (checkpoints_)
      if (auto newest = checkpoints_->newest_time_ms()) f.checkpoint_age_ms = now_ms() - *newest;
    return f;
  });
  session_->add_routes(routes_);
  centre_->add_routes(routes_, identify, *pool_, [this](const std::string& user_id) {
    std::string address;
    views_->read_current([&](const views::all_views& v) {
      if (const auto it = v.users.users.find(user_id); it != v.users.users.end()) address = it->second.email;
    });
    return json{{"sent", options_.notify.mail.enabled()},
                {"address", address},
                {"digest_hour_utc", options_.notify.digest_hour}};
  });
  audit_->add_routes(routes_);
  backup_->add_routes(routes_);
  if (evidence_) {
    evidence_->add_routes(routes_);
  } else {
    routes_.on_prefix("/api/evidence-files", {}, answer_with([](const http_request&) {
      return json_error(503, "unavailable", "no evidence folder is configured (evidence_dir)");
    }));
  }
  reports_->add_routes(routes_);
  health_->add_routes(routes_);
  // The time rules now, for an administrator who will not wait for the scheduler.
  routes_.on("/api/rules/run", {"POST"},
             on_pool(*pool_,
                     [this, identify](const http_request& r) {
                       auto who = require_caller(identify, r, endpoint("rules.run"));
                       if (!who) return who.error();
                       // The rules see every command answered before this request.
                       views_->wait_applied(store_.current_head().position);
                       const time_rules_report done = run_scheduler_once();
                       if (!done.ok) return json_error(503, "unavailable", done.error);
                       log::info("scheduler", who->user_id + " ran the time rules for " + done.today + ": " +
                                                  std::to_string(done.applied) + " commands recorded, " +
                                                  std::to_string(done.reminders) + " reminders due");
                       return json_response(200, time_rules_json(done));
                     },
                     "running the time rules failed"));
  routes_.on("/api/ws", {"GET"}, answer_with([](const http_request&) {
    return json_error(426, "bad_request", "this endpoint speaks WebSocket only");
  }));
  routes_.on_prefix("/api/", {}, answer_with([](const http_request&) {
    return json_error(404, "not_found", "no such endpoint");
  }));
  routes_.on_prefix("/", {"GET", "HEAD"},
                    answer_with([this](const http_request& r) { return webui_.answer(r.path); }));
}

void ledger::shutdown() {
  if (shutting_down_.exchange(true)) return;
  // Stop the producers of work first. Then refuse new commands and answer
  // every accepted one (its reply is queued on its connection), and only
  // then close the connections, so each close frame follows those replies.
  session_sweeper_.reset();
  scheduler_.reset();
  {
    std::lock_guard lock(reactions_mutex_);
    reactions_stopped_at_ = reactions_->checkpoint();
    reactions_.reset();  // stops after the event in hand
  }
  pipeline_->drain();
  checkpoint_scheduler_.reset();
  if (checkpoints_) sign_checkpoint("the checkpoint at shutdown");
  ws_->shutdown();
}

void ledger::sign_checkpoint(std::string_view which) {
  auto c = checkpoints_->make("system");
  if (!c) {
    // An empty log has nothing to sign.
    if (c.error().code != eventstore::errc::invalid_argument)
      log::error("checkpoints", std::string(which) + " failed: " + c.error().message);
    return;
  }
  log::info("checkpoints", std::string(which) + ": position " + std::to_string(c->position) + ", root " +
                               eventstore::to_hex(c->merkle_root).substr(0, 16) + "…, recorded at " +
                               std::to_string(c->recorded_at));
}

ledger::~ledger() {
  // The connections are forgotten (shutdown) so that none keeps this
  // object's parts alive; then the consumers go. The verifier lives until
  // here because /healthz and /metrics read it until the transport stops.
  shutdown();
  pool_.reset();  // runs what is still queued (sign-ins, queries, verifications)
  verifier_.reset();
  views_.reset();
  pipeline_.reset();
  notifier_.reset();
  centre_.reset();  // after the views: stores what they handed in
  ws_.reset();
  auth_.reset();
}

void ledger::settle() {
  // Reactions may append more while we wait: settle until the log is quiet.
  for (;;) {
    const auto head = store_.current_head().position;
    views_->wait_applied(head);
    reactions_->wait_done(head);
    views_->wait_applied(store_.current_head().position);
    if (store_.current_head().position == head) return;
  }
}

void ledger::after_apply(const views::all_views& after, const domain::recorded_event& e, bool replaying) {
  // A disabled account is signed out everywhere at once: its tokens are
  // revoked and its open connections closed (sign-in already refuses it).
  if (!replaying && e.type == "user.disabled.v1" && e.stream.starts_with("user-")) {
    const std::string user_id = e.stream.substr(5);
    auth_->revoke_user(user_id);
    if (ws_) ws_->close_user(user_id, "this account has been disabled");
  }

  std::vector<std::pair<std::string, json>> out;
  // A replayed event's notifications are computed only for whoever has not
  // handled them before a restart: the outbox when anything is posted or
  // mailed, and the notification centre (the log is read at start before
  // anyone can connect, so a push would reach no one).
  const bool outbox_behind = notifier_->sends_outside() && !notifier_->handled(e.position);
  if (!replaying || outbox_behind || !centre_->handled(e.position)) {
    for (const auto& n : views::notifications_for(after, e)) out.emplace_back(n.user_id, notification_json(n));
  }
  notifier_->on_event(e.position, out);
  centre_->on_event(e.position, out,
                    std::chrono::duration_cast<std::chrono::milliseconds>(e.meta.recorded_at.time_since_epoch()).count());
  if (ws_) ws_->on_applied(after, e);
}

std::uint64_t ledger::reactions_position() const {
  std::lock_guard lock(reactions_mutex_);
  return reactions_ ? reactions_->checkpoint() : reactions_stopped_at_;
}

time_rules_report ledger::run_scheduler_once() {
  std::lock_guard lock(rules_mutex_);
  time_rules_report report = time_rules_->run_once();
  report.digests = notifier_->send_digests(now_ms());
  return report;
}

std::expected<std::optional<std::string>, std::string> ledger::bootstrap_admin(const std::string& password) {
  settle();
  bool any_user = false;
  views_->read_current([&](const views::all_views& v) { any_user = user_count(v) > 0; });
  if (any_user) return std::optional<std::string>{};
  const std::string chosen = password.empty() ? auth_service::random_password() : password;
  command_request req;
  req.type = "user.register";
  req.stream = "user-admin";
  req.command_id = "bootstrap:user-admin";
  req.data = {{"name", "Administrator"}, {"roles", {"admin"}}};
  req.roles_override = std::vector<domain::role>{domain::role::admin};
  req.as_system = true;
  const auto o = pipeline_->run("system", std::move(req));
  if (!o.ok) return std::unexpected("cannot register the first administrator: " + o.error_message);
  if (auto r = auth_->set_password("admin", chosen); !r) return std::unexpected(r.error().message);
  return std::optional<std::string>{chosen};
}

command_outcome ledger::register_user(const std::string& by, const std::string& user_id, const std::string& name,
                                      const std::vector<std::string>& roles, const std::string& password) {
  command_request req;
  req.type = "user.register";
  req.stream = "user-" + user_id;
  req.command_id = "register:" + user_id;
  req.data = {{"name", name}, {"roles", roles}};
  auto o = pipeline_->run(by, std::move(req));
  if (!o.ok) return o;
  if (auto r = auth_->set_password(user_id, password); !r) {
    o.ok = false;
    o.error_code = "internal";
    o.error_message = r.error().message;
  }
  return o;
}

bool ledger::origin_allowed(const http_request& request) const {
  const auto origin = request.header("origin");
  if (origin.empty()) return true;  // not a browser: authenticated by token alone
  const auto host = request.header("host");
  // Behind a reverse proxy ismsd sees plain HTTP while the browser sees
  // HTTPS, so either scheme is the server's own; serving TLS itself, a page
  // of http://<Host> would be another server (on port 80) and is refused.
  if (!host.empty() && (origin == "https://" + std::string(host) ||
                        (!options_.transport_tls && origin == "http://" + std::string(host))))
    return true;
  for (const auto& allowed : options_.allowed_origins)
    if (origin == allowed) return true;
  return false;
}

void ledger::handle(http_request request, std::function<void(http_response)> reply) {
  http_requests_.fetch_add(1);
  // Who the request is made as, for the access log, read before the handler
  // runs: signing out ends the very session that names the user. A handler
  // that learns better (signing in) says so in its answer.
  std::string actor = session_->user_of(request);
  routes_.dispatch(std::move(request), [this, actor = std::move(actor), reply = std::move(reply)](http_response r) {
    if (r.status >= 400) http_errors_.fetch_add(1);
    if (r.actor.empty()) r.actor = actor;
    reply(std::move(r));
  });
}

body_decision ledger::stream_body(const http_request& head) {
  if (!evidence_) return {};
  if (shutting_down_ && head.path == evidence_room::upload_path)
    return {nullptr, json_error(503, "unavailable", "the server is shutting down")};
  return evidence_->stream_body(head);
}

upgrade_decision ledger::upgrade(const http_request& request) {
  if (request.path != "/api/ws") return {nullptr, json_error(404, "not_found", "no WebSocket endpoint here")};
  if (!origin_allowed(request))
    return {nullptr, json_error(403, "forbidden", "cross-origin WebSocket refused")};
  if (shutting_down_) return {nullptr, json_error(503, "unavailable", "the server is shutting down")};
  auto who = session_->identify(request);
  if (!who) return {nullptr, json_error(401, "unauthenticated", "sign in first (session cookie or bearer token)")};
  ws_upgrades_.fetch_add(1);
  return {ws_->handler_for(who->user_id, who->token), {}, who->user_id};
}

void ledger::log_request(const http_request& request, unsigned status, std::size_t bytes,
                         std::chrono::microseconds elapsed, std::string_view actor) {
  // The request line and the answer's status and size only: headers and
  // bodies carry passwords, tokens and cookies. The query string carries
  // nothing secret (tokens travel in headers); log::access bounds its length.
  log::access(log::http_access{request.id, actor, request.remote, request.method, request.target, status, bytes,
                               elapsed});
}

void ledger::tls_handshake_failed(const std::string& remote, const std::string& reason) {
  tls_handshake_failures_.fetch_add(1);
  log::write(log::level::debug, "tls", remote + ": handshake failed: " + reason);
  constexpr auto warn_every = std::chrono::minutes(1);
  std::uint64_t failures = 0;
  {
    std::lock_guard lock(tls_warning_mutex_);
    ++tls_failures_unreported_;
    const auto now = std::chrono::steady_clock::now();
    if (tls_warned_at_ != std::chrono::steady_clock::time_point{} && now - tls_warned_at_ < warn_every) return;
    tls_warned_at_ = now;
    failures = std::exchange(tls_failures_unreported_, 0);
  }
  log::warn("tls", "TLS handshakes failed: " + std::to_string(failures) +
                       " since the previous report (one a minute at most; each is logged at DEBUG); the latest from " +
                       remote + ": " + reason);
}

}  // namespace isms::server
