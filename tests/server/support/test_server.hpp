#pragma once
// An in-process ISMS Ledger on a real RocksDB in a temporary directory and a
// real transport on 127.0.0.1 port 0, with a clock the test controls.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "isms/eventstore/store.hpp"
#include "isms/server/config.hpp"
#include "isms/server/ledger.hpp"
#include "isms/server/transport.hpp"
#include "support/client.hpp"

namespace isms::testing {

class test_server {
 public:
  // `tweak` adjusts the configuration before every start.
  explicit test_server(std::function<void(server::server_config&)> tweak = {});
  ~test_server();

  // Stops the transport, the application and the store, then opens them
  // again on the same directory.
  void restart();
  void stop();

  [[nodiscard]] std::uint16_t port() const { return transport_->port(); }
  [[nodiscard]] server::ledger& app() { return *app_; }
  [[nodiscard]] eventstore::store& store() { return *store_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  // Registers a user through the command pipeline (as admin) with password
  // "pw-<id>", and signs them in; returns the session token.
  std::string add_user(const std::string& id, const std::vector<std::string>& roles);
  std::string token_of(const std::string& id) const;

  // The clock every part of the server reads, UTC ms. Starts 2026-03-02T09:00:00Z.
  std::atomic<std::int64_t> now_ms;
  void advance_days(int days) { now_ms += std::int64_t{days} * 86400000; }

  static constexpr const char* admin_password = "admin-password-for-tests";

 private:
  void start();
  std::function<void(server::server_config&)> tweak_;
  std::filesystem::path dir_;
  std::unique_ptr<eventstore::store> store_;
  std::shared_ptr<server::ledger> app_;
  std::unique_ptr<server::transport> transport_;
};

// A WebSocket client signed in with `token` (a failed connection fails the
// test and is null).
[[nodiscard]] std::unique_ptr<ws_client> connect_as(test_server& srv, const std::string& token);

// The payload of a risk.identify: laptop theft, the risk of `owner`.
[[nodiscard]] json identify_data(const std::string& owner,
                                 const std::string& title = "Laptop theft exposes customer data");

// Risk "risk-R-2", owned by olga (a registered risk owner), identified,
// assessed, treatment planned and its acceptance requested by `manager`, the
// views settled: the request is in olga's inbox only.
void risk_awaiting_olga(ws_client& manager, test_server& srv);

}  // namespace isms::testing
