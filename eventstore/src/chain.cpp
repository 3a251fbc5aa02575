// The public face of the hash chain: canonical JSON and bytes, hashes, and the
// export form that auditors verify outside the store.
#include "codec.hpp"

namespace isms::eventstore {

using detail::make_error;

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::conflict: return "conflict";
    case errc::invalid_stream: return "invalid_stream";
    case errc::invalid_type: return "invalid_type";
    case errc::invalid_data: return "invalid_data";
    case errc::invalid_command_id: return "invalid_command_id";
    case errc::too_large: return "too_large";
    case errc::too_many_events: return "too_many_events";
    case errc::empty_append: return "empty_append";
    case errc::busy: return "busy";
    case errc::io: return "io";
    case errc::corrupted: return "corrupted";
    case errc::closed: return "closed";
    case errc::not_found: return "not_found";
    case errc::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

result<std::string> canonical_json(const nlohmann::json& value) {
  std::string out;
  if (!detail::append_canonical_json(out, value))
    return std::unexpected(make_error(
        errc::invalid_data, "value has a non-finite number, invalid UTF-8 or nests deeper than 128"));
  return out;
}

result<std::string> canonical_bytes(const recorded_event& e) {
  std::string extra = "{}";
  if (!e.metadata.extra.is_null() && !e.metadata.extra.empty()) {
    if (!e.metadata.extra.is_object())
      return std::unexpected(make_error(errc::invalid_data, "metadata.extra is not an object"));
    auto x = canonical_json(e.metadata.extra);
    if (!x) return std::unexpected(x.error());
    extra = std::move(*x);
  }
  std::string out;
  detail::append_canonical_bytes(out, e.position, e.stream, e.version, e.type, e.data_digest,
                                 e.metadata, extra);
  return out;
}

result<digest> compute_hash(const recorded_event& e) {
  auto c = canonical_bytes(e);
  if (!c) return std::unexpected(c.error());
  detail::hasher h;
  h.update(e.prev_hash.data(), e.prev_hash.size());
  h.update(*c);
  return h.finish();
}

result<void> verify_event(const recorded_event& e, const digest& expected_prev_hash) {
  auto bad = [&](const std::string& why) {
    return std::unexpected(make_error(
        errc::corrupted, "event at position " + std::to_string(e.position) + ": " + why,
        e.position));
  };
  if (!e.data_erased) {
    auto text = canonical_json(e.data);
    if (!text) return bad("payload cannot be canonicalised");
    if (sha256(*text) != e.data_digest) return bad("payload does not match its digest");
  }
  if (e.prev_hash != expected_prev_hash) return bad("prev_hash does not link to the event before");
  auto h = compute_hash(e);
  if (!h) return bad(h.error().message);
  if (*h != e.hash) return bad("hash does not match the recomputed hash");
  return {};
}

nlohmann::json to_export_json(const recorded_event& e) {
  nlohmann::json j = nlohmann::json::object();
  j["position"] = e.position;
  j["stream"] = e.stream;
  j["version"] = e.version;
  j["type"] = e.type;
  j["data"] = e.data;
  j["metadata"] = {
      {"actor", e.metadata.actor},
      {"command_id", e.metadata.command_id},
      {"correlation_id", e.metadata.correlation_id},
      {"causation_id", e.metadata.causation_id},
      {"recorded_at_ms", e.metadata.recorded_at_ms},
      {"extra", e.metadata.extra.is_null() ? nlohmann::json::object() : e.metadata.extra},
  };
  j["data_sha256"] = to_hex(e.data_digest);
  j["data_erased"] = e.data_erased;
  j["prev_hash"] = to_hex(e.prev_hash);
  j["hash"] = to_hex(e.hash);
  return j;
}

result<recorded_event> from_export_json(const nlohmann::json& j) {
  auto bad = [](const std::string& field) {
    return std::unexpected(make_error(errc::corrupted, "export line: field '" + field +
                                                           "' missing or malformed"));
  };
  if (!j.is_object()) return bad("(line)");
  recorded_event e;
  auto u64 = [&](const char* k, std::uint64_t& out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_unsigned()) return false;
    out = it->get<std::uint64_t>();
    return true;
  };
  auto str = [](const nlohmann::json& o, const char* k, std::string& out) {
    auto it = o.find(k);
    if (it == o.end() || !it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  auto hash = [&](const char* k, digest& out) {
    std::string s;
    if (!str(j, k, s)) return false;
    auto d = digest_from_hex(s);
    if (!d) return false;
    out = *d;
    return true;
  };
  if (!u64("position", e.position)) return bad("position");
  if (!str(j, "stream", e.stream)) return bad("stream");
  if (!u64("version", e.version)) return bad("version");
  if (!str(j, "type", e.type)) return bad("type");
  auto data = j.find("data");
  if (data == j.end()) return bad("data");
  e.data = *data;
  auto meta = j.find("metadata");
  if (meta == j.end() || !meta->is_object()) return bad("metadata");
  if (!str(*meta, "actor", e.metadata.actor)) return bad("metadata.actor");
  if (!str(*meta, "command_id", e.metadata.command_id)) return bad("metadata.command_id");
  if (!str(*meta, "correlation_id", e.metadata.correlation_id)) return bad("metadata.correlation_id");
  if (!str(*meta, "causation_id", e.metadata.causation_id)) return bad("metadata.causation_id");
  auto at = meta->find("recorded_at_ms");
  if (at == meta->end() || !at->is_number_integer()) return bad("metadata.recorded_at_ms");
  e.metadata.recorded_at_ms = at->get<std::int64_t>();
  auto extra = meta->find("extra");
  if (extra == meta->end() || !extra->is_object()) return bad("metadata.extra");
  e.metadata.extra = *extra;
  if (!hash("data_sha256", e.data_digest)) return bad("data_sha256");
  if (auto it = j.find("data_erased"); it != j.end()) {
    if (!it->is_boolean()) return bad("data_erased");
    e.data_erased = it->get<bool>();
  }
  if (!hash("prev_hash", e.prev_hash)) return bad("prev_hash");
  if (!hash("hash", e.hash)) return bad("hash");
  return e;
}

}  // namespace isms::eventstore
