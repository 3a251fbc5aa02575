#include "isms/domain/dispatch.hpp"

#include <array>
#include <vector>

#include "isms/domain/approval.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/user.hpp"

namespace isms::domain {

namespace {

// One line per aggregate: command prefix, stream kind, singleton id (empty:
// any id), handle. Add a line when an aggregate lands; keep prefixes unique.
const std::vector<route>& table() {
  static const std::vector<route> routes{
      {"risk_matrix", "config", "risk-matrix", &risk_matrix::handle},
      {"risk", "risk", "", &risk::handle},
      {"approval", "approval", "", &approval::handle, &approval::check_stream},
      {"soa", "soa", "main", &soa::handle},
      {"user", "user", "", &user::handle},
      {"scope", "scope", "main", &scope::handle},
      {"document", "document", "", &document::handle, &document::check_stream},
      {"objective", "objective", "", &objective::handle, &objective::check_stream},
      {"nc", "nc", "", &nonconformity::handle, &nonconformity::check_stream},
      {"audit", "audit", "", &internal_audit::handle, &internal_audit::check_stream},
      {"review", "review", "", &management_review::handle, &management_review::check_stream},
  };
  return routes;
}

template <class... Commands>
constexpr auto joined_types() {
  constexpr std::size_t n = (std::variant_size_v<Commands> + ...);
  std::array<std::string_view, n> out{};
  std::size_t i = 0;
  ((void)[&] {
     for (auto t : types_of<Commands>()) out[i++] = t;
   }(), ...);
  return out;
}

// In the order of the routing table.
constexpr auto all_command_types =
    joined_types<risk_matrix::command, risk::command, approval::command, soa::command, user::command,
                 scope::command, document::command, objective::command, nonconformity::command,
                 internal_audit::command, management_review::command>();

bool id_char(char c, bool first) {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

const route* route_for_stream(std::string_view stream) noexcept {
  for (const auto& r : table()) {
    if (stream.size() <= r.stream_kind.size() + 1) continue;
    if (stream.substr(0, r.stream_kind.size()) != r.stream_kind) continue;
    if (stream[r.stream_kind.size()] != '-') continue;
    const auto id = stream.substr(r.stream_kind.size() + 1);
    if (!valid_stream_id(id)) continue;
    if (!r.singleton_id.empty() && id != r.singleton_id) continue;
    return &r;
  }
  return nullptr;
}

}  // namespace

std::span<const route> routing_table() noexcept { return table(); }

std::span<const std::string_view> command_types() noexcept { return all_command_types; }

bool valid_stream_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (std::size_t i = 0; i < id.size(); ++i)
    if (!id_char(id[i], i == 0)) return false;
  return true;
}

std::optional<std::string> stream_kind_of(std::string_view stream) {
  if (const route* r = route_for_stream(stream)) return std::string(r->stream_kind);
  return std::nullopt;
}

const route* route_for_command(std::string_view command_type) noexcept {
  const auto dot = command_type.find('.');
  if (dot == std::string_view::npos || dot + 1 >= command_type.size()) return nullptr;
  const auto prefix = command_type.substr(0, dot);
  for (const auto& r : table())
    if (r.command_prefix == prefix) return &r;
  return nullptr;
}

std::optional<rejection> admit_command(std::string_view command_type, std::string_view stream, const json& data,
                                      const command_context& ctx) {
  const route* r = route_for_command(command_type);
  if (r == nullptr || !allowed_roles(command_type))
    return rejection{rejection_kind::invalid, "type", "unknown command type '" + std::string(command_type) + "'"};
  const route* by_stream = route_for_stream(stream);
  if (by_stream != r) {
    std::string rule = "stream must be '" + std::string(r->stream_kind) + "-";
    rule += r->singleton_id.empty() ? std::string("<id>'") : std::string(r->singleton_id) + "'";
    if (r->singleton_id.empty()) rule += " with <id> matching [A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    return rejection{rejection_kind::invalid, "stream", rule};
  }
  // "system" names the server itself in every event's actor: no user may take it.
  if (stream == "user-system")
    return rejection{rejection_kind::invalid, "stream", "the user id 'system' is reserved for the server itself"};
  if (!may_issue(ctx.by, command_type)) return forbidden_command(ctx.by, command_type);
  if (!data.is_object()) return rejection{rejection_kind::invalid, "data", "data must be a JSON object"};
  if (r->bind != nullptr)
    if (auto bad = r->bind(command_type, stream, data)) return *bad;
  return std::nullopt;
}

decision decide_command(std::string_view command_type, std::string_view stream, const json& data,
                        std::span<const recorded_event> history, const command_context& ctx,
                        const related_streams& related) {
  if (auto refused = admit_command(command_type, stream, data, ctx)) return std::unexpected(*refused);
  return route_for_command(command_type)->handle(command_type, data, history, ctx, related);
}

}  // namespace isms::domain
