#include "isms/server/router.hpp"

#include <algorithm>

namespace isms::server {

http_handler answer_with(std::function<http_response(const http_request&)> answer) {
  return [answer = std::move(answer)](http_request request, http_reply reply) { reply(answer(request)); };
}

void router::on(std::string path, std::vector<std::string> methods, http_handler handler) {
  exact_.insert_or_assign(std::move(path), route{std::move(methods), std::move(handler)});
}

void router::on_prefix(std::string prefix, std::vector<std::string> methods, http_handler handler) {
  prefixes_.insert_or_assign(std::move(prefix), route{std::move(methods), std::move(handler)});
}

const router::route* router::find(std::string_view path) const {
  if (auto it = exact_.find(path); it != exact_.end()) return &it->second;
  const route* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [prefix, r] : prefixes_) {
    if (path.starts_with(prefix) && (best == nullptr || prefix.size() > best_length)) {
      best = &r;
      best_length = prefix.size();
    }
  }
  return best;
}

void router::dispatch(http_request request, http_reply reply) const {
  const route* r = find(request.path);
  if (r == nullptr) return reply(json_error(404, "not_found", "no such endpoint"));
  if (!r->methods.empty() && std::ranges::find(r->methods, request.method) == r->methods.end()) {
    std::string allow;
    for (const auto& m : r->methods) allow += (allow.empty() ? "" : ", ") + m;
    http_response refused = json_error(405, "bad_request", "use " + allow);
    refused.headers.emplace_back("Allow", allow);
    return reply(std::move(refused));
  }
  if (request.method == "HEAD") {
    reply = [reply = std::move(reply)](http_response r) {
      r.body.clear();
      r.file.clear();
      reply(std::move(r));
    };
  }
  r->handler(std::move(request), std::move(reply));
}

}  // namespace isms::server
