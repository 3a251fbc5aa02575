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

}  // namespace isms::testing
