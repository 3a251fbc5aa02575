#pragma once
// The web UI's files, read once at start and served from memory. A request
// path is only ever a key into this set: it never becomes a filesystem path,
// so no spelling of a path ("//etc/passwd", "x/../..", percent-encodings)
// can reach a file outside the folder.
// Thread-safety: immutable after construction; lookups from any thread.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "isms/server/http_types.hpp"

namespace isms::server {

struct static_site_limits {
  // Largest single file taken into the set; larger ones are skipped with a
  // warning. Default: 16 MiB
  std::size_t max_file_bytes = std::size_t{16} << 20;
  // Most bytes the whole set may hold; files past it are skipped with a
  // warning. Default: 64 MiB
  std::size_t max_total_bytes = std::size_t{64} << 20;
};

class static_site {
 public:
  struct file {
    std::string content_type;
    std::string body;
  };

  // An empty site: every lookup misses.
  static_site() = default;

  // Reads every regular file under `root` (recursively). Files whose resolved
  // path lies outside the resolved root (symlinks leading out) are refused,
  // as are names with a component starting with '.', and files over the
  // limits. What was skipped and why is in skipped(). A root that does not
  // exist gives an empty site.
  static_site(const std::filesystem::path& root, static_site_limits limits = {});

  // The file a request path names: "/" is "index.html"; "/js/app.js" is
  // "js/app.js". A miss whose last segment has no '.' is a client-side route
  // and gets the application shell (index.html); any other miss is nullptr.
  [[nodiscard]] const file* find(std::string_view request_path) const noexcept;

  // True when `request_path` was answered with the shell rather than a file
  // of its own name (for the shell's own headers).
  [[nodiscard]] bool is_shell(const file* f) const noexcept { return f != nullptr && f == shell_; }

  [[nodiscard]] std::size_t size() const noexcept { return files_.size(); }
  [[nodiscard]] const std::vector<std::string>& skipped() const noexcept { return skipped_; }

  // The media type served for a file name, by its extension.
  [[nodiscard]] static std::string_view content_type_for(std::string_view name) noexcept;

  // The answer to GET `request_path`: the file (HTML, the shell included,
  // with the web UI's Content-Security-Policy), or 404 `not_found`.
  [[nodiscard]] http_response answer(std::string_view request_path) const;

 private:
  std::map<std::string, file, std::less<>> files_;
  const file* shell_ = nullptr;
  std::vector<std::string> skipped_;
};

}  // namespace isms::server
