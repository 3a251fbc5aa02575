#pragma once
// Internal: the byte formats of the event store — canonical JSON, the canonical
// bytes that the hash chain covers, the stored record, and the RocksDB keys.
// Every format here is the storage format: change it only with a new format
// version and a migration. Specified in docs/eventstore.md.
//
// Thread-safety: free functions on values; sha256 keeps one OpenSSL context
// per thread.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "isms/eventstore/store.hpp"

namespace isms::eventstore::detail {

// ---- big-endian integers --------------------------------------------------

inline void put_u64(char* p, std::uint64_t v) noexcept {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}
inline void append_u64(std::string& s, std::uint64_t v) {
  char b[8];
  put_u64(b, v);
  s.append(b, 8);
}
inline void append_u32(std::string& s, std::uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  s.append(b, 4);
}
inline std::uint64_t get_u64(const char* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::uint32_t get_u32(const char* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// ---- keys -----------------------------------------------------------------

// events CF: the global position, 8 bytes big-endian (so byte order = position order).
inline std::string position_key(std::uint64_t position) {
  std::string k(8, '\0');
  put_u64(k.data(), position);
  return k;
}
// merkle CF: the level (1 byte) and the index at that level (8 bytes
// big-endian) of a perfect subtree.
[[nodiscard]] std::string merkle_key(unsigned level, std::uint64_t index);
// stream index CF: stream bytes, 0x00, version as 8 bytes big-endian.
// A stream name never contains 0x00, so one stream's keys are contiguous.
inline std::string stream_index_key(std::string_view stream, std::uint64_t version) {
  std::string k;
  k.reserve(stream.size() + 9);
  k.append(stream);
  k.push_back('\0');
  append_u64(k, version);
  return k;
}

// ---- SHA-256 and canonical JSON: the one canonical form (isms/canonical) ----

using canonical::hasher;
using canonical::valid_utf8;
inline constexpr int max_json_depth = canonical::max_depth;
[[nodiscard]] inline bool append_canonical_json(std::string& out, const nlohmann::json& v) {
  return canonical::append_json(out, v);
}

// ---- canonical bytes and the stored record ---------------------------------

inline constexpr unsigned char canonical_form_version = 1;
inline constexpr unsigned char record_format_version = 1;
inline constexpr unsigned char flag_data_erased = 1;

// Offsets inside a stored record (events CF value):
//   [0]      record format version (1)
//   [1]      flags (bit 0: payload erased)
//   [2,34)   prev_hash
//   [34,66)  hash
//   [66,70)  u32 length L of the canonical bytes
//   [70,70+L) canonical bytes
//   [70+L,…) the payload's canonical JSON (or the tombstone's when erased)
inline constexpr std::size_t rec_flags = 1;
inline constexpr std::size_t rec_prev_hash = 2;
inline constexpr std::size_t rec_hash = 34;
inline constexpr std::size_t rec_canonical_len = 66;
inline constexpr std::size_t rec_canonical = 70;
// Offsets inside the canonical bytes.
inline constexpr std::size_t can_position = 1;
inline constexpr std::size_t can_version = 9;
inline constexpr std::size_t can_stream_len = 17;

// One event prepared on the appending thread: the full stored record with
// position, version, prev_hash and hash still zero (the writer patches them).
struct prepared_event {
  std::string record;
  // Where metadata.recorded_at_ms sits in `record`, so that an append can be
  // stamped when it takes its place in the queue (restamp).
  std::size_t recorded_at_offset = 0;
};

// Overwrites the recorded_at_ms of a prepared event. Only before the writer
// seals the record.
inline void restamp(prepared_event& e, std::int64_t recorded_at_ms) noexcept {
  put_u64(e.record.data() + e.recorded_at_offset, static_cast<std::uint64_t>(recorded_at_ms));
}

// Builds the canonical bytes of an event into `out` (appending). The payload
// enters only through `data_digest`.
void append_canonical_bytes(std::string& out, std::uint64_t position, std::string_view stream,
                            std::uint64_t version, std::string_view type,
                            const digest& data_digest, const event_metadata& meta,
                            std::string_view extra_json);

// Prepares one event for `stream`: validates type and payload, serializes,
// digests. Errors: invalid_type, invalid_data, too_large.
[[nodiscard]] result<prepared_event> prepare_event(const options& opts, std::string_view stream,
                                                   const event_data& e,
                                                   std::string_view default_command_id);

// Writer side: fills position, version and prev_hash into a prepared record and
// computes its hash (also written into the record). Returns the hash.
digest seal_record(std::string& record, std::uint64_t position, std::uint64_t version,
                   const digest& prev_hash);

// A stored record split into its parts, without parsing any JSON or copying
// any string: the public event_view plus what only the store needs.
struct record_view : event_view {
  unsigned char flags = 0;
  std::string_view canonical;  // the canonical bytes
};

// Splits a stored record. Returns an explanation on malformed bytes.
[[nodiscard]] std::expected<record_view, std::string> parse_record(std::string_view bytes);

// Full decode (parses the payload and extra JSON). `key_position` is the
// position the record was stored under; a mismatch is corruption.
[[nodiscard]] result<recorded_event> decode_record(std::uint64_t key_position,
                                                   std::string_view bytes);

// Recomputes SHA-256(prev_hash || canonical) of a parsed record.
[[nodiscard]] digest recompute_hash(const record_view& r);

// ---- validation ---------------------------------------------------------------

[[nodiscard]] bool valid_stream_name(std::string_view s, std::size_t max_len) noexcept;
[[nodiscard]] bool valid_type_name(std::string_view s, std::size_t max_len) noexcept;

[[nodiscard]] inline error make_error(errc c, std::string msg, std::uint64_t position = 0) {
  return error{c, std::move(msg), position};
}

}  // namespace isms::eventstore::detail
