#include "isms/server/static_site.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

namespace isms::server {

namespace fs = std::filesystem;

std::string_view static_site::content_type_for(std::string_view name) noexcept {
  const auto dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".webmanifest") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".csv") return "text/csv; charset=utf-8";
  if (ext == ".txt" || ext == ".md") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

namespace {

// True when `p` (resolved) lies inside `root` (resolved).
bool inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), q = p.begin();
  for (; r != root.end(); ++r, ++q)
    if (q == p.end() || *r != *q) return false;
  return true;
}

}  // namespace

static_site::static_site(const fs::path& root, static_site_limits limits) {
  std::error_code ec;
  const fs::path real_root = fs::canonical(root, ec);
  if (ec || !fs::is_directory(real_root, ec)) return;
  std::size_t total = 0;
  // Directory symlinks are not followed; file symlinks are resolved and must
  // stay inside the root.
  fs::recursive_directory_iterator it(real_root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const fs::path rel = it->path().lexically_relative(real_root);
    bool hidden = false;
    for (const auto& part : rel)
      if (part.string().starts_with('.')) hidden = true;
    if (hidden) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::error_code fe;
    if (it->is_directory(fe) || !it->is_regular_file(fe)) continue;  // is_regular_file follows symlinks
    const fs::path real = fs::canonical(it->path(), fe);
    if (fe || !inside(real_root, real)) {
      skipped_.push_back(rel.generic_string() + ": leads outside the web UI folder");
      continue;
    }
    const auto bytes = fs::file_size(real, fe);
    if (fe || bytes > limits.max_file_bytes || total + bytes > limits.max_total_bytes) {
      skipped_.push_back(rel.generic_string() + ": too large");
      continue;
    }
    std::ifstream in(real, std::ios::binary);
    std::string body{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) {
      skipped_.push_back(rel.generic_string() + ": cannot be read");
      continue;
    }
    total += body.size();
    const std::string key = rel.generic_string();
    files_.emplace(key, file{std::string(content_type_for(key)), std::move(body)});
  }
  if (auto s = files_.find("index.html"); s != files_.end()) shell_ = &s->second;
}

const static_site::file* static_site::find(std::string_view request_path) const noexcept {
  if (request_path.empty() || request_path.front() != '/') return nullptr;
  const std::string_view key = request_path == "/" ? std::string_view{"index.html"} : request_path.substr(1);
  if (auto it = files_.find(key); it != files_.end()) return &it->second;
  const auto slash = key.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? key : key.substr(slash + 1);
  if (last.find('.') == std::string_view::npos) return shell_;
  return nullptr;
}

http_response static_site::answer(std::string_view request_path) const {
  const file* f = find(request_path);
  if (f == nullptr) return json_error(404, "not_found", "no such file");
  http_response r;
  r.content_type = f->content_type;
  r.body = f->body;
  if (is_shell(f) || f->content_type.starts_with("text/html"))
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' "
                           "'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  return r;
}

}  // namespace isms::server
