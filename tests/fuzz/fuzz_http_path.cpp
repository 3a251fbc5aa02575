// Fuzz target: what the server does with a request target before any
// handler: splitting path and query, reading query parameters, and looking
// the path up in the web UI's file set. Property: a lookup answers only with
// a file read at start (or the shell), never anything else, whatever the
// bytes of the path; nothing crashes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <unistd.h>

#include "isms/server/http_types.hpp"
#include "isms/server/static_site.hpp"

namespace {

namespace fs = std::filesystem;

const isms::server::static_site* site = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = (fs::temp_directory_path() / "ismsd-fuzz-webui-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) std::abort();
  const fs::path root = tmpl;
  fs::create_directories(root / "webui" / "js");
  std::ofstream(root / "webui" / "index.html") << "shell";
  std::ofstream(root / "webui" / "js" / "app.js") << "app";
  std::ofstream(root / "secret") << "secret";
  fs::create_symlink(root / "secret", root / "webui" / "secret.txt");
  site = new isms::server::static_site(root / "webui");
  std::error_code ec;
  fs::remove_all(root, ec);  // the set lives in memory; the folder is not needed any more
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(bytes), size);
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  std::string value;
  for (const char* name : {"from", "limit", "stream", ""}) (void)isms::server::query_param(query, name, value);
  if (const auto* f = site->find(path)) {
    if (f->body != "shell" && f->body != "app") __builtin_trap();
    if (f->body == "app" && path != "/js/app.js") __builtin_trap();
  }
  return 0;
}
