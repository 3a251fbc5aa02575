#include "isms/server/ws_request.hpp"

#include "isms/domain/core.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

constexpr std::size_t max_review_channel_bytes = 79;
constexpr std::size_t max_command_string_bytes = 256;

using failure = std::unexpected<ws_request_error>;

failure refuse(const json& id, std::string message, std::string field = {}) {
  return failure(ws_request_error{id, std::move(message), std::move(field)});
}

std::string in_quotes(std::string_view name) { return "\"" + std::string(name) + "\""; }

bool non_negative_integer(const json& j) {
  return j.is_number_unsigned() || (j.is_number_integer() && j.get<std::int64_t>() >= 0);
}

// A field that is absent or null counts as absent.
const json* field_of(const json& obj, std::string_view name) {
  auto it = obj.find(name);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::expected<ws_command, ws_request_error> read_command(const json& id, const json& req) {
  ws_command cmd;
  auto str_field = [&](std::string_view name, std::string& out, bool required) -> std::optional<ws_request_error> {
    const json* v = field_of(req, name);
    if (!v) {
      if (required) return ws_request_error{id, in_quotes(name) + " is required", std::string(name)};
      return std::nullopt;
    }
    if (!v->is_string() || v->get_ref<const std::string&>().size() > max_command_string_bytes)
      return ws_request_error{id, in_quotes(name) + " must be a string of at most 256 bytes", std::string(name)};
    out = v->get<std::string>();
    return std::nullopt;
  };
  if (auto e = str_field("type", cmd.type, true)) return failure(std::move(*e));
  if (auto e = str_field("stream", cmd.stream, true)) return failure(std::move(*e));
  if (auto e = str_field("command_id", cmd.command_id, false)) return failure(std::move(*e));
  if (auto e = str_field("correlation_id", cmd.correlation_id, false)) return failure(std::move(*e));
  if (const json* v = field_of(req, "expected_version")) {
    if (!non_negative_integer(*v))
      return refuse(id, "\"expected_version\" must be a non-negative integer", "expected_version");
    cmd.expected_version = v->get<std::uint64_t>();
  }
  if (const json* v = field_of(req, "data")) {
    if (!v->is_object()) return refuse(id, "\"data\" must be an object", "data");
    cmd.data = *v;
  }
  if (const json* v = field_of(req, "confirm")) {
    const json* code = v->is_object() ? field_of(*v, "code") : nullptr;
    const json* sign_in = v->is_object() ? field_of(*v, "sign_in") : nullptr;
    if (sign_in && !code && sign_in->is_boolean() && sign_in->get<bool>() && v->size() == 1) {
      cmd.confirm_sign_in = true;
    } else {
      if (!code || !code->is_string() || code->get_ref<const std::string&>().empty() ||
          code->get_ref<const std::string&>().size() > 64 || v->size() != 1)
        return refuse(id,
                      "\"confirm\" must be {\"code\": a code of your second factor} or {\"sign_in\": true} after "
                      "signing in again at the identity provider",
                      "confirm.code");
      cmd.confirm_code = code->get<std::string>();
    }
  }
  if (auto it = cmd.data.find("comment"); it != cmd.data.end() && it->is_string()) cmd.comment = it->get<std::string>();
  if (auto it = req.find("comment"); it != req.end() && it->is_string()) cmd.comment = it->get<std::string>();
  return cmd;
}

std::expected<ws_point, ws_request_error> read_point(const json& id, const json& j, const std::string& field) {
  if (!j.is_object()) return refuse(id, in_quotes(field) + " must be an object with \"position\" or \"time\"", field);
  ws_point out;
  if (auto p = j.find("position"); p != j.end()) {
    if (!non_negative_integer(*p)) return refuse(id, field + ".position must be a non-negative integer", field);
    out.position = p->get<std::uint64_t>();
    return out;
  }
  if (auto t = j.find("time"); t != j.end()) {
    auto instant = t->is_string() ? domain::parse_instant(t->get_ref<const std::string&>()) : std::nullopt;
    if (!instant) return refuse(id, field + ".time must be RFC 3339 UTC, e.g. 2026-11-29T10:00:00Z", field);
    out.by_time = true;
    out.time = t->get<std::string>();
    out.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(instant->time_since_epoch()).count();
    return out;
  }
  return refuse(id, in_quotes(field) + " needs \"position\" or \"time\"", field);
}

std::expected<ws_query, ws_request_error> read_query(const json& id, const json& req) {
  ws_query q;
  auto view_it = req.find("view");
  if (view_it == req.end() || !view_it->is_string()) return refuse(id, "\"view\" must be a string", "view");
  q.view = view_it->get<std::string>();
  if (const json* v = field_of(req, "params")) {
    if (!v->is_object()) return refuse(id, "\"params\" must be an object", "params");
    q.params = *v;
  }
  if (const json* v = field_of(req, "as_of")) {
    auto p = read_point(id, *v, "as_of");
    if (!p) return failure(std::move(p.error()));
    q.as_of = std::move(*p);
  }
  if (const json* v = field_of(req, "diff")) {
    if (!v->is_object()) return refuse(id, "\"diff\" must be an object with \"from\"", "diff");
    auto f = v->find("from");
    if (f == v->end()) return refuse(id, "\"diff\" needs \"from\"", "diff.from");
    auto from = read_point(id, *f, "diff.from");
    if (!from) return failure(std::move(from.error()));
    q.diff_from = std::move(*from);
    if (const json* t = field_of(*v, "to")) {
      auto to = read_point(id, *t, "diff.to");
      if (!to) return failure(std::move(to.error()));
      q.diff_to = std::move(*to);
    }
  }
  return q;
}

std::expected<std::string, ws_request_error> read_channel(const json& id, const json& req) {
  auto ch_it = req.find("channel");
  if (ch_it == req.end() || !ch_it->is_string()) return refuse(id, "\"channel\" must be a string", "channel");
  std::string channel = ch_it->get<std::string>();
  const bool known = channel == channel_notifications || channel == channel_events ||
                     (channel.starts_with(view_channel_prefix) && channel.size() > view_channel_prefix.size()) ||
                     (channel.starts_with(review_channel_prefix) && channel.size() > review_channel_prefix.size() &&
                      channel.size() <= max_review_channel_bytes);
  if (!known)
    return refuse(id, "unknown channel '" + channel + "'; use notifications, events, view:<name> or review:<id>",
                  "channel");
  return channel;
}

}  // namespace

bool valid_ws_id(const json& id) noexcept {
  return (id.is_string() && !id.get_ref<const std::string&>().empty() && id.get_ref<const std::string&>().size() <= 128) ||
         id.is_number_integer() || id.is_number_unsigned();
}

std::expected<ws_request, ws_request_error> read_ws_request(std::string_view text, const ws_request_limits& limits) {
  auto parsed = read_json(text, limits.max_json_depth);
  if (!parsed) return refuse(nullptr, "message is " + parsed.error().message);
  const json req = std::move(*parsed);
  if (!req.is_object()) return refuse(nullptr, "message must be a JSON object");
  const auto id_it = req.find("id");
  if (id_it == req.end() || !valid_ws_id(*id_it))
    return refuse(nullptr, "every request needs an \"id\": a non-empty string or an integer", "id");
  const json& id = *id_it;
  const auto op_it = req.find("op");
  if (op_it == req.end() || !op_it->is_string()) return refuse(id, "\"op\" must be a string", "op");
  const std::string& op = op_it->get_ref<const std::string&>();

  ws_request out{id, ws_ping{}};
  if (op == "ping") return out;
  if (op == "command") {
    auto c = read_command(id, req);
    if (!c) return failure(std::move(c.error()));
    out.op = std::move(*c);
    return out;
  }
  if (op == "query") {
    auto q = read_query(id, req);
    if (!q) return failure(std::move(q.error()));
    out.op = std::move(*q);
    return out;
  }
  if (op == "subscribe" || op == "unsubscribe") {
    auto ch = read_channel(id, req);
    if (!ch) return failure(std::move(ch.error()));
    if (op == "subscribe")
      out.op = ws_subscribe{std::move(*ch)};
    else
      out.op = ws_unsubscribe{std::move(*ch)};
    return out;
  }
  return refuse(id, "unknown op '" + op + "'; use command, query, subscribe, unsubscribe or ping", "op");
}

}  // namespace isms::server
