#pragma once
// The ISMS Ledger application behind the transport: routes HTTP requests and
// WebSocket connections to the services that own the state.
// Thread-safety: all members may be called concurrently from the transport's
// I/O threads.

#include <filesystem>
#include <memory>

#include "isms/eventstore/store.hpp"
#include "isms/server/transport.hpp"

namespace isms::server {

struct ledger_options {
  // Folder whose files are served under "/" (index.html for "/"). Default: none (404).
  std::filesystem::path webui_dir;
};

class ledger final : public application {
 public:
  ledger(ledger_options options, eventstore::store& store);
  ~ledger() override;

  void handle(http_request request, std::function<void(http_response)> reply) override;
  upgrade_decision upgrade(const http_request& request) override;
  void log_request(const http_request& request, unsigned status, std::size_t bytes,
                   std::chrono::microseconds elapsed) override;

 private:
  http_response healthz() const;
  http_response static_file(const http_request& request) const;

  ledger_options options_;
  eventstore::store& store_;
};

}  // namespace isms::server
