// The byte formats of the event store (see codec.hpp and docs/eventstore.md).
#include "codec.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace isms::eventstore::detail {

// ---- canonical bytes ----------------------------------------------------------

namespace {

void append_lp(std::string& out, std::string_view s) {
  append_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

}  // namespace

void append_canonical_bytes(std::string& out, std::uint64_t position, std::string_view stream,
                            std::uint64_t version, std::string_view type,
                            const digest& data_digest, const event_metadata& meta,
                            std::string_view extra_json) {
  out.push_back(static_cast<char>(canonical_form_version));
  append_u64(out, position);
  append_u64(out, version);
  append_lp(out, stream);
  append_lp(out, type);
  out.append(reinterpret_cast<const char*>(data_digest.data()), data_digest.size());
  append_lp(out, meta.actor);
  append_lp(out, meta.command_id);
  append_lp(out, meta.correlation_id);
  append_lp(out, meta.causation_id);
  append_u64(out, static_cast<std::uint64_t>(meta.recorded_at_ms));
  append_lp(out, extra_json);
}

result<prepared_event> prepare_event(const options& opts, std::string_view stream,
                                     const event_data& e, std::string_view default_command_id) {
  if (!valid_type_name(e.type, opts.max_type_name))
    return std::unexpected(make_error(
        errc::invalid_type, "event type '" + e.type.substr(0, 64) +
                                "' is not lowercase dotted ending in .vN (or is too long)"));
  const event_metadata& m = e.metadata;
  if (!valid_utf8(m.actor) || !valid_utf8(m.command_id) || !valid_utf8(m.correlation_id) ||
      !valid_utf8(m.causation_id))
    return std::unexpected(make_error(errc::invalid_data, "metadata holds invalid UTF-8"));
  if (!m.extra.is_null() && !m.extra.is_object())
    return std::unexpected(make_error(errc::invalid_data, "metadata.extra is not an object"));

  std::string data_text;
  if (!append_canonical_json(data_text, e.data))
    return std::unexpected(make_error(
        errc::invalid_data,
        "payload of " + e.type + " has a non-finite number, invalid UTF-8 or nests deeper than 128"));
  std::string extra_text;
  if (m.extra.is_null() || m.extra.empty()) {
    extra_text = "{}";
  } else if (!append_canonical_json(extra_text, m.extra)) {
    return std::unexpected(make_error(
        errc::invalid_data, "metadata.extra has a non-finite number, invalid UTF-8 or nests too deep"));
  }

  const std::string_view command_id = m.command_id.empty() ? default_command_id : m.command_id;
  const std::size_t bytes = data_text.size() + extra_text.size() + m.actor.size() +
                            command_id.size() + m.correlation_id.size() +
                            m.causation_id.size() + 8;
  if (bytes > opts.max_event_bytes || bytes > (std::size_t{1} << 31))
    return std::unexpected(make_error(
        errc::too_large, "event " + e.type + " is " + std::to_string(bytes) +
                             " bytes of data and metadata; the limit is " +
                             std::to_string(opts.max_event_bytes)));

  hasher h;
  h.update(data_text);
  const digest data_digest = h.finish();

  prepared_event p;
  std::string& r = p.record;
  r.reserve(rec_canonical + 1 + 16 + 8 + stream.size() + e.type.size() + 32 + 24 + bytes);
  r.assign(rec_canonical, '\0');
  r[0] = static_cast<char>(record_format_version);
  if (command_id.data() == m.command_id.data()) {
    append_canonical_bytes(r, 0, stream, 0, e.type, data_digest, m, extra_text);
  } else {
    event_metadata with_id{m.actor, std::string(command_id), m.correlation_id, m.causation_id,
                           m.recorded_at_ms, {}};
    append_canonical_bytes(r, 0, stream, 0, e.type, data_digest, with_id, extra_text);
  }
  // The canonical bytes end with recorded_at_ms (8) and extra_json (length-prefixed).
  p.recorded_at_offset = r.size() - extra_text.size() - 4 - 8;
  const std::size_t canonical_len = r.size() - rec_canonical;
  std::string len;
  append_u32(len, static_cast<std::uint32_t>(canonical_len));
  std::memcpy(r.data() + rec_canonical_len, len.data(), 4);
  r.append(data_text);
  return p;
}

digest seal_record(std::string& record, std::uint64_t position, std::uint64_t version,
                   const digest& prev_hash) {
  char* can = record.data() + rec_canonical;
  put_u64(can + can_position, position);
  put_u64(can + can_version, version);
  std::memcpy(record.data() + rec_prev_hash, prev_hash.data(), 32);
  const std::size_t len = get_u32(record.data() + rec_canonical_len);
  hasher h;
  h.update(prev_hash.data(), prev_hash.size());
  h.update(can, len);
  const digest d = h.finish();
  std::memcpy(record.data() + rec_hash, d.data(), 32);
  return d;
}

// ---- parsing --------------------------------------------------------------------

namespace {

// A bounds-checked reader over the canonical bytes.
struct reader {
  std::string_view s;
  std::size_t at = 0;
  bool ok = true;

  [[gnu::always_inline]] const char* take(std::size_t n) {
    if (!ok || s.size() - at < n) {
      ok = false;
      return nullptr;
    }
    const char* p = s.data() + at;
    at += n;
    return p;
  }
  [[gnu::always_inline]] std::uint64_t u64() {
    const char* p = take(8);
    return p ? get_u64(p) : 0;
  }
  [[gnu::always_inline]] std::string_view lp() {
    const char* p = take(4);
    if (!p) return {};
    const std::uint32_t n = get_u32(p);
    const char* q = take(n);
    return q ? std::string_view(q, n) : std::string_view{};
  }
};

}  // namespace

std::expected<record_view, std::string> parse_record(std::string_view bytes) {
  if (bytes.size() < rec_canonical) return std::unexpected("record shorter than its header");
  if (static_cast<unsigned char>(bytes[0]) != record_format_version)
    return std::unexpected("unknown record format " +
                           std::to_string(static_cast<unsigned char>(bytes[0])));
  record_view r;
  r.flags = static_cast<unsigned char>(bytes[rec_flags]);
  if ((r.flags & ~flag_data_erased) != 0) return std::unexpected("unknown record flags");
  std::memcpy(r.prev_hash.data(), bytes.data() + rec_prev_hash, 32);
  std::memcpy(r.hash.data(), bytes.data() + rec_hash, 32);
  const std::size_t len = get_u32(bytes.data() + rec_canonical_len);
  if (bytes.size() - rec_canonical < len) return std::unexpected("canonical bytes truncated");
  r.data_erased = (r.flags & flag_data_erased) != 0;
  r.canonical = bytes.substr(rec_canonical, len);
  r.data_json = bytes.substr(rec_canonical + len);

  reader rd{r.canonical};
  const char* v = rd.take(1);
  if (v == nullptr || static_cast<unsigned char>(*v) != canonical_form_version)
    return std::unexpected("unknown canonical form");
  r.position = rd.u64();
  r.version = rd.u64();
  r.stream = rd.lp();
  r.type = rd.lp();
  if (const char* d = rd.take(32)) std::memcpy(r.data_digest.data(), d, 32);
  r.actor = rd.lp();
  r.command_id = rd.lp();
  r.correlation_id = rd.lp();
  r.causation_id = rd.lp();
  r.recorded_at_ms = static_cast<std::int64_t>(rd.u64());
  r.extra_json = rd.lp();
  if (!rd.ok) return std::unexpected("canonical bytes truncated");
  if (rd.at != r.canonical.size()) return std::unexpected("trailing bytes after the canonical form");
  return r;
}

digest recompute_hash(const record_view& r) {
  hasher h;
  h.update(r.prev_hash.data(), r.prev_hash.size());
  h.update(r.canonical);
  return h.finish();
}

result<recorded_event> decode_record(std::uint64_t key_position, std::string_view bytes) {
  auto r = parse_record(bytes);
  if (!r)
    return std::unexpected(make_error(
        errc::corrupted, "event at position " + std::to_string(key_position) + ": " + r.error(),
        key_position));
  if (r->position != key_position)
    return std::unexpected(make_error(
        errc::corrupted, "event at position " + std::to_string(key_position) +
                             ": stored under position " + std::to_string(key_position) +
                             " but records " + std::to_string(r->position),
        key_position));
  return r->materialize();
}

}  // namespace isms::eventstore::detail

namespace isms::eventstore {

result<recorded_event> event_view::materialize() const {
  auto bad = [&](const std::string& why) {
    return std::unexpected(detail::make_error(
        errc::corrupted, "event at position " + std::to_string(position) + ": " + why, position));
  };
  recorded_event e;
  e.position = position;
  e.stream.assign(stream);
  e.version = version;
  e.type.assign(type);
  e.data = canonical::parse_json(data_json, /*allow_exceptions=*/false);
  if (e.data.is_discarded()) return bad("payload is not valid JSON");
  e.metadata.actor.assign(actor);
  e.metadata.command_id.assign(command_id);
  e.metadata.correlation_id.assign(correlation_id);
  e.metadata.causation_id.assign(causation_id);
  e.metadata.recorded_at_ms = recorded_at_ms;
  if (extra_json == "{}") {
    e.metadata.extra = nlohmann::json::object();
  } else {
    e.metadata.extra = canonical::parse_json(extra_json, /*allow_exceptions=*/false);
    if (e.metadata.extra.is_discarded() || !e.metadata.extra.is_object())
      return bad("metadata.extra is not a JSON object");
  }
  e.data_digest = data_digest;
  e.data_erased = data_erased;
  e.prev_hash = prev_hash;
  e.hash = hash;
  return e;
}

}  // namespace isms::eventstore

namespace isms::eventstore::detail {

// ---- validation ---------------------------------------------------------------

bool valid_stream_name(std::string_view s, std::size_t max_len) noexcept {
  if (s.empty() || s.size() > max_len) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(s[0])) return false;
  for (char c : s.substr(1))
    if (!alnum(c) && c != '_' && c != '.' && c != ':' && c != '-') return false;
  return true;
}

bool valid_type_name(std::string_view s, std::size_t max_len) noexcept {
  if (s.empty() || s.size() > max_len) return false;
  const auto last_dot = s.rfind('.');
  if (last_dot == std::string_view::npos) return false;
  // Version suffix: v followed by a decimal number without leading zeros.
  const std::string_view ver = s.substr(last_dot + 1);
  if (ver.size() < 2 || ver[0] != 'v' || ver[1] == '0') return false;
  for (char c : ver.substr(1))
    if (c < '0' || c > '9') return false;
  // Name segments: [a-z0-9_]+, the first starting with a letter.
  if (s[0] < 'a' || s[0] > 'z') return false;
  bool segment_empty = true;
  for (char c : s.substr(0, last_dot)) {
    if (c == '.') {
      if (segment_empty) return false;
      segment_empty = true;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    segment_empty = false;
  }
  return !segment_empty;
}

}  // namespace isms::eventstore::detail
