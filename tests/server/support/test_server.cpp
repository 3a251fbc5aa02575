#include "test_server.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include <sodium.h>

#include "client.hpp"

namespace isms::testing {

namespace {
std::filesystem::path fresh_dir() {
  auto base = std::filesystem::temp_directory_path() / "ismsd-test-XXXXXX";
  std::string tmpl = base.string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}
}  // namespace

test_server::test_server(std::function<void(server::server_config&)> tweak)
    : now_ms(1772442000000), tweak_(std::move(tweak)), dir_(fresh_dir()) {
  start();
}

test_server::~test_server() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::remove_all(dir_.string() + "-evidence", ec);
}

void test_server::start() {
  server::server_config config;
  config.transport.address = "127.0.0.1";
  config.transport.port = 0;
  config.ledger.webui_dir.clear();
  config.ledger.evidence_dir = dir_.string() + "-evidence";
  config.ledger.clock = [this] { return now_ms.load(); };
  config.ledger.scheduler_interval = std::chrono::hours(24);  // tests run the rules explicitly
  config.ledger.auth.argon2_opslimit = crypto_pwhash_OPSLIMIT_MIN;
  config.ledger.auth.argon2_memlimit = crypto_pwhash_MEMLIMIT_MIN;
  if (tweak_) tweak_(config);
  auto s = eventstore::store::open(eventstore::options{}, dir_);
  if (!s) throw std::runtime_error("cannot open store: " + s.error().message);
  store_ = std::move(*s);
  app_ = std::make_shared<server::ledger>(config.ledger, *store_);
  auto admin = app_->bootstrap_admin(admin_password);
  if (!admin) throw std::runtime_error(admin.error());
  auto t = server::start_transport(config.transport, app_);
  if (!t) throw std::runtime_error(t.error());
  transport_ = std::move(*t);
}

void test_server::stop() {
  // The order the server itself keeps (see `ismsd serve` and transport::stop).
  if (app_) app_->shutdown();
  if (transport_) transport_->stop();
  app_.reset();
  transport_.reset();
  store_.reset();
}

void test_server::restart() {
  stop();
  start();
}

std::string test_server::add_user(const std::string& id, const std::vector<std::string>& roles) {
  auto o = app_->register_user("admin", id, "User " + id, roles, "pw-" + id);
  if (!o.ok) throw std::runtime_error("register " + id + ": " + o.error_code + " " + o.error_message);
  return token_of(id);
}

std::string test_server::token_of(const std::string& id) const {
  return login(transport_->port(), id, "pw-" + id);
}

std::unique_ptr<ws_client> connect_as(test_server& srv, const std::string& token) {
  ws_client::options o;
  o.bearer = token;
  auto c = ws_client::connect(srv.port(), o);
  EXPECT_NE(c, nullptr);
  return c;
}

void risk_awaiting_olga(ws_client& manager, test_server& srv) {
  ASSERT_TRUE(ok(manager.command("risk.identify", "risk-R-2",
                                 {{"title", "Supplier outage"},
                                  {"asset", "Carrier API"},
                                  {"threat", "Outage"},
                                  {"vulnerability", "Single supplier"},
                                  {"owner", "olga"},
                                  {"category", "supplier"}})));
  ASSERT_TRUE(ok(manager.command("risk.assess", "risk-R-2", {{"likelihood", 2}, {"impact", 2}, {"rationale", "x"}})));
  ASSERT_TRUE(ok(manager.command("risk.plan_treatment", "risk-R-2",
                                 {{"option", "retain"}, {"actions", "Monitor"}, {"target_likelihood", 2},
                                  {"target_impact", 2}, {"due", "2026-12-31"}})));
  ASSERT_TRUE(ok(manager.command("risk.request_acceptance", "risk-R-2", json::object())));
  srv.app().settle();
}

json identify_data(const std::string& owner, const std::string& title) {
  return {{"title", title},
          {"asset", "Sales laptops"},
          {"threat", "Theft"},
          {"vulnerability", "Unencrypted disks"},
          {"owner", owner},
          {"category", "physical"}};
}

}  // namespace isms::testing
