#pragma once
// What every room of the HTTP API shares: who sent a request, a JSON answer,
// a refusal for those not signed in or not allowed, and running an answer on
// the worker pool rather than an I/O thread. A room is a small class that
// answers a few routes from narrow parts given to it, so it can be tested
// without the whole ledger; the ledger registers its routes (router.hpp).
// Thread-safety: plain functions and values.

#include <expected>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "isms/domain/core.hpp"
#include "isms/server/http_types.hpp"
#include "isms/server/router.hpp"
#include "isms/server/worker_pool.hpp"

namespace isms::server {

// The signed-in sender of a request: its session token and who it acts as.
struct caller {
  std::string user_id;
  std::string token;
  domain::actor actor;
};

// Who sent a request (bearer token or session cookie), or nullopt.
using identify_fn = std::function<std::optional<caller>(const http_request&)>;

[[nodiscard]] http_response json_response(unsigned status, const nlohmann::json& body);

// Who may use the HTTP endpoints that not everyone may: one row per
// permission, checked by the rooms and listed for each user in the session
// reply (`user.may.endpoints`), so the web UI asks rather than restates it.
struct endpoint_permission {
  std::string_view name;  // "events.export": GET /api/events, /api/verify, /api/checkpoints and /api/proof/*
  std::initializer_list<domain::role> roles;
  std::string_view refusal;  // the 403 message
};
[[nodiscard]] const endpoint_permission& endpoint(std::string_view name);
[[nodiscard]] std::span<const endpoint_permission> endpoint_permissions() noexcept;

// The caller when signed in and allowed `permission`; else 401 or 403.
[[nodiscard]] std::expected<caller, http_response> require_caller(const identify_fn& identify,
                                                                  const http_request& request,
                                                                  const endpoint_permission& permission);

// The caller when signed in and holding one of `roles` (none listed: any);
// else the answer: 401 `unauthenticated` or 403 `forbidden` with `forbidden_message`.
[[nodiscard]] std::expected<caller, http_response> require_caller(const identify_fn& identify,
                                                                  const http_request& request,
                                                                  std::initializer_list<domain::role> roles = {},
                                                                  std::string_view forbidden_message = {});

// The failure handler of a pool job that owes an HTTP `reply`: a 500
// `internal` with `message`. What the job threw is in the server log.
[[nodiscard]] worker_pool::failure_fn reply_internal(
    http_reply reply, std::string message = "the request failed on the server; the server log has the cause");

// A handler that answers with `work` on the pool (reading and encoding many
// events, walking the chain, copying the store are not for an I/O thread); if
// `work` throws, 500 `internal` with `failure_message`.
[[nodiscard]] http_handler on_pool(worker_pool& pool, std::function<http_response(const http_request&)> work,
                                   std::string failure_message);

}  // namespace isms::server
