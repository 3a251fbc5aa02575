#pragma once
// The canonical form of ISMS Ledger, specified byte for byte in
// docs/eventstore.md ("Canonical JSON"): the text every hash in the system is
// taken over — the hash chain's payload digests and every content hash the
// domain records. One implementation, so that an auditor who follows the
// documented rules recomputes each hash from an exported event.
//
// Thread-safety: pure functions on values; SHA-256 keeps one OpenSSL context
// per thread.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

struct evp_md_ctx_st;

namespace isms::canonical {

using digest = std::array<std::uint8_t, 32>;  // a SHA-256 value

// ---- SHA-256 (FIPS 180-4, through OpenSSL) ----------------------------------

// Incremental SHA-256. Each hasher holds an OpenSSL context of its own, taken
// from a per-thread pool and given back when it is destroyed, so any number
// may be live at once on one thread (a file's digest while the events written
// into it are hashed) and a steady state allocates nothing.
class hasher {
 public:
  hasher();
  ~hasher();
  hasher(const hasher&) = delete;
  hasher& operator=(const hasher&) = delete;
  hasher(hasher&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
  hasher& operator=(hasher&&) = delete;

  void update(const void* data, std::size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The digest of everything given; call once (a hasher makes one digest).
  [[nodiscard]] digest finish();

 private:
  evp_md_ctx_st* ctx_;
};

[[nodiscard]] digest sha256(std::string_view bytes);

// Lowercase hex of a digest (64 characters), and back (either case; nullopt
// unless exactly 64 hex digits).
[[nodiscard]] std::string to_hex(const digest& d);
[[nodiscard]] std::optional<digest> digest_from_hex(std::string_view hex) noexcept;

// Lowercase hex SHA-256 of the bytes.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

// ---- canonical JSON ---------------------------------------------------------

// Nesting deeper than this is refused.
inline constexpr int max_depth = 128;

// Appends the canonical JSON text of `v` to `out`: object members in byte order
// of their keys, no whitespace, strings as UTF-8 with the minimal escapes,
// integers in decimal, floats as "%.17g" (zero as "0"). Returns false (out
// unspecified) for a non-finite float, invalid UTF-8, a binary value or
// nesting deeper than max_depth.
[[nodiscard]] bool append_json(std::string& out, const nlohmann::json& v);

// The canonical JSON text of `v`; nullopt where append_json fails.
[[nodiscard]] std::optional<std::string> json_text(const nlohmann::json& v);

// SHA-256 (lowercase hex) of the canonical JSON text of `v`: the content hash
// of an approval subject, a review pack, … nullopt where json_text fails.
[[nodiscard]] std::optional<std::string> json_sha256_hex(const nlohmann::json& v);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
[[nodiscard]] bool valid_utf8(std::string_view s) noexcept;

// ---- reading JSON text ------------------------------------------------------

// The value of JSON text as nlohmann::json::parse(text, nullptr,
// allow_exceptions) gives it (the same tree, number kinds and errors; only an
// integer written -0 reads as an unsigned rather than a signed zero), read
// about twice as fast: every stored event's payload is read this way before
// the views or an aggregate fold it. Text of up to 64 KiB is read with
// simdjson (one parser per thread) and turned into the tree; any text that
// parser refuses, and longer text, goes to nlohmann's own, whose verdict
// stands. Invalid text throws nlohmann::json::parse_error, or gives a
// discarded value when allow_exceptions is false.
[[nodiscard]] nlohmann::json parse_json(std::string_view text, bool allow_exceptions = true);

// Whether parse_json would read `text` without an error, without building
// the tree.
[[nodiscard]] bool valid_json(std::string_view text);

}  // namespace isms::canonical
