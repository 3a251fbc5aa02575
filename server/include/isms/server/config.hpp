#pragma once
// The server's configuration: every bound and setting is a named option with
// its default (see the option structs), settable in a JSON config file
// (`ismsd serve --config FILE`) and by flags, flags winning. The file is
// untrusted input: an unknown key, a wrong type or a value out of range is an
// error naming the key, and the server does not start.
// Thread-safety: plain values and pure functions.

#include <expected>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "isms/server/ledger.hpp"
#include "isms/server/log.hpp"
#include "isms/server/transport.hpp"

namespace isms::server {

struct server_config {
  std::filesystem::path data_dir = "./data";  // Default: ./data
  // The lines of the server's log: "text" or "json" (log.hpp). Default: text
  log::format log_format = log::format::text;
  transport_options transport;
  ledger_options ledger;
};

// Applies a config document onto `config`. Keys (all optional):
//   data, address, port, threads, log_format ("text" | "json"), webui, workers, allowed_origins[], secure_cookie,
//   tls_certificate, tls_private_key, webhooks[], scheduler_interval_s, signing_key,
//   checkpoint_interval_s,
//   limits: { max_body_bytes, read_timeout_s, max_connections, max_ws_message_bytes,
//             max_ws_frame_bytes, max_ws_queued_bytes, ws_idle_timeout_s,
//             requests_per_second, request_burst, max_subscriptions,
//             login_failures_per_account, login_failures_per_address, login_window_s,
//             session_ttl_s, max_export_events, max_json_depth }
[[nodiscard]] std::expected<void, std::string> apply_config(const nlohmann::json& doc, server_config& config);

// Applies flags given as name → value (the same names as the config keys,
// limits without the "limits." prefix). Unknown flag or bad value → error.
[[nodiscard]] std::expected<void, std::string> apply_flags(const std::map<std::string, std::string>& flags,
                                                           server_config& config);

// What follows from settings taken together, once the file and the flags are
// applied: tls_certificate and tls_private_key come both or neither (error
// otherwise); with them the session cookie is Secure whatever secure_cookie
// says, and a browser's own origin is https://<Host> only.
[[nodiscard]] std::expected<void, std::string> finish_config(server_config& config);

// Reads and applies a config file.
[[nodiscard]] std::expected<void, std::string> load_config_file(const std::filesystem::path& file,
                                                                server_config& config);

}  // namespace isms::server
