#include "isms/server/ledger.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "isms/server/log.hpp"

namespace isms::server {

namespace {
std::string_view content_type_for(const std::filesystem::path& p) {
  const auto ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}
}  // namespace

ledger::ledger(ledger_options options, eventstore::store& store)
    : options_(std::move(options)), store_(store) {}

ledger::~ledger() = default;

void ledger::handle(http_request request, std::function<void(http_response)> reply) {
  if (request.path == "/healthz") {
    if (request.method != "GET" && request.method != "HEAD")
      return reply(json_error(405, "bad_request", "use GET"));
    return reply(healthz());
  }
  if (request.path.starts_with("/api/"))
    return reply(json_error(404, "not_found", "no such endpoint"));
  if (request.method != "GET" && request.method != "HEAD")
    return reply(json_error(405, "bad_request", "use GET"));
  reply(static_file(request));
}

upgrade_decision ledger::upgrade(const http_request&) {
  return {nullptr, json_error(404, "not_found", "no WebSocket endpoint here")};
}

void ledger::log_request(const http_request& request, unsigned status, std::size_t bytes,
                         std::chrono::microseconds elapsed) {
  char tail[96];
  std::snprintf(tail, sizeof tail, " %u %zuB %.1fms", status, bytes,
                static_cast<double>(elapsed.count()) / 1000.0);
  log::info("http", request.remote + " \"" + request.method + " " + request.target + "\"" + tail);
}

http_response ledger::healthz() const {
  const auto head = store_.current_head();
  http_response r;
  r.body = nlohmann::json{{"status", "ok"},
                          {"head", {{"position", head.position}, {"hash", eventstore::to_hex(head.hash)}}}}
               .dump();
  return r;
}

http_response ledger::static_file(const http_request& request) const {
  if (options_.webui_dir.empty()) return json_error(404, "not_found", "no web UI configured");
  std::string rel = request.path == "/" ? std::string("index.html") : request.path.substr(1);
  // Only plain relative names: no "..", no backslashes, no NUL.
  if (rel.find("..") != std::string::npos || rel.find('\\') != std::string::npos ||
      rel.find('\0') != std::string::npos)
    return json_error(400, "bad_request", "bad path");
  auto path = options_.webui_dir / rel;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    // Client-side routes fall back to the application shell.
    if (rel.find('.') == std::string::npos) path = options_.webui_dir / "index.html";
    if (!std::filesystem::is_regular_file(path, ec)) return json_error(404, "not_found", "no such file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  http_response r;
  r.content_type = content_type_for(path);
  r.body = std::move(body).str();
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
                         "frame-ancestors 'none'");
  return r;
}

}  // namespace isms::server
