#include "isms/server/http_room.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace isms::server {

http_response json_response(unsigned status, const nlohmann::json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

namespace {
using domain::role;
const endpoint_permission endpoint_table[] = {
    {"events.export", {role::external_auditor, role::internal_auditor, role::admin},
     "the event log export and its verification are for auditors and admins"},
    {"checkpoints.make", {role::external_auditor, role::internal_auditor, role::admin},
     "only auditors and admins ask for a signed checkpoint"},
    {"erasure", {role::admin}, "only an administrator erases personal data"},
    {"backup", {role::admin}, "only an administrator takes backups"},
    {"rules.run", {role::admin}, "only an administrator runs the time rules on demand"},
    {"users.password", {role::admin}, "only an administrator sets another user's password"},
    {"users.second_factor", {role::admin}, "only an administrator resets another user's second factor"},
};
}  // namespace

std::span<const endpoint_permission> endpoint_permissions() noexcept { return endpoint_table; }

const endpoint_permission& endpoint(std::string_view name) {
  for (const auto& e : endpoint_table)
    if (e.name == name) return e;
  throw std::logic_error("no endpoint permission named " + std::string(name));
}

std::expected<caller, http_response> require_caller(const identify_fn& identify, const http_request& request,
                                                    const endpoint_permission& permission) {
  return require_caller(identify, request, permission.roles, permission.refusal);
}

std::expected<caller, http_response> require_caller(const identify_fn& identify, const http_request& request,
                                                    std::initializer_list<domain::role> roles,
                                                    std::string_view forbidden_message) {
  auto who = identify(request);
  if (!who) return std::unexpected(json_error(401, "unauthenticated", "sign in first"));
  if (roles.size() != 0 && std::ranges::none_of(roles, [&](domain::role r) { return who->actor.has(r); }))
    return std::unexpected(json_error(403, "forbidden", forbidden_message));
  return std::move(*who);
}

worker_pool::failure_fn reply_internal(http_reply reply, std::string message) {
  return [reply = std::move(reply), message = std::move(message)](std::string_view) {
    reply(json_error(500, "internal", message));
  };
}

http_handler on_pool(worker_pool& pool, std::function<http_response(const http_request&)> work,
                     std::string failure_message) {
  return [&pool, work = std::move(work), failure_message = std::move(failure_message)](http_request request,
                                                                                        http_reply reply) {
    // A failure there still owes the client an answer, and only one.
    auto answer = at_most_once(std::move(reply));
    pool.post([work, request = std::move(request), answer] { answer(work(request)); },
              reply_internal(answer, failure_message));
  };
}

}  // namespace isms::server
