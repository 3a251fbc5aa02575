#pragma once
// The HTTP routing table: method + path → handler. A path is matched exactly
// first, then against the longest registered prefix ("/api/" for the API's
// 404, "/" for the web UI's files). A path that matches with another method
// is 405 `bad_request` with an `Allow` header naming the methods it takes.
// A HEAD request is answered like its route's handler answers, without the
// body (a route takes HEAD only where it names it).
// Thread-safety: fill before the first dispatch; dispatch from any thread.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "isms/server/http_types.hpp"

namespace isms::server {

using http_reply = std::function<void(http_response)>;
using http_handler = std::function<void(http_request, http_reply)>;

// A handler that answers at once, on the calling thread.
[[nodiscard]] http_handler answer_with(std::function<http_response(const http_request&)> answer);

class router {
 public:
  // `methods` empty: every method.
  void on(std::string path, std::vector<std::string> methods, http_handler handler);
  void on_prefix(std::string prefix, std::vector<std::string> methods, http_handler handler);

  // Calls the route's handler, which calls `reply` exactly once; or replies
  // 404 (no route) / 405 (wrong method) itself.
  void dispatch(http_request request, http_reply reply) const;

 private:
  struct route {
    std::vector<std::string> methods;
    http_handler handler;
  };
  const route* find(std::string_view path) const;

  std::map<std::string, route, std::less<>> exact_;
  std::map<std::string, route, std::less<>> prefixes_;
};

}  // namespace isms::server
