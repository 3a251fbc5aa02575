#pragma once
// Private to the views: the binary encoding of view state for snapshots.
//
// A snapshot of the views of a few thousand entities is megabytes; restoring
// it through a JSON document (MessagePack → tree → structures) spent most of
// its time building and freeing the tree. This codec writes the structures'
// fields straight to bytes and reads them straight back, in the order each
// structure declares them (ISMS_VIEW_FIELDS, common.hpp):
//
//   unsigned integers   LEB128 varint
//   signed integers     zigzag, then varint
//   enums               their underlying integer
//   bool                one byte, 0 or 1
//   double              8 bytes, little-endian IEEE 754
//   string              varint length, then the bytes
//   vector, deque       varint count, then the elements
//   map                 varint count, then key and value of each, in order
//   optional            one byte (0 absent, 1 present), then the value
//   json                a tagged tree (json_tag below)
//   json_text           its text, as a string (checked to be JSON on reading)
//   a declared struct   its fields, in declaration order, without names
//   anything else       its JSON conversion, as json
//
// No field names are written, so the bytes are only meaningful to a build
// with the same layout: layout_fingerprint<T>() hashes the names and kinds of
// every field, recursively, and a snapshot records it. The reader checks every
// length and count against what is left (each element takes at least one
// byte) and reserves memory only up to a bound, so a damaged count cannot
// make it allocate far beyond the input; a truncated or corrupted input fails
// with a message instead of reading past its end.

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/views/common.hpp"

namespace isms::domain::views::binary {

class writer {
 public:
  void byte(std::uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      byte(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    byte(static_cast<std::uint8_t>(v));
  }
  void fixed64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void text(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  // Room for n bytes in all, so that a large output grows without copies.
  void reserve(std::size_t n) { out_.reserve(n); }
  // Room for a fixed64 written later with fill64 (a length known only once
  // what follows is written): returns where it is.
  [[nodiscard]] std::size_t hold64() {
    out_.append(8, '\0');
    return out_.size() - 8;
  }
  void fill64(std::size_t at, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_[at + i] = static_cast<char>(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  [[nodiscard]] std::string take() && { return std::move(out_); }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }

 private:
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}

  std::uint8_t byte() {
    if (at_ >= in_.size()) return fail("ends early"), 0;
    return static_cast<std::uint8_t>(in_[at_++]);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = byte();
      if (failed()) return 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail("an integer runs over 64 bits"), 0;
  }
  std::uint64_t fixed64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return v;
  }
  // A count of items each taking at least one byte: never more than is left.
  std::size_t count() {
    const std::uint64_t n = varint();
    if (n > remaining()) return fail("a count of " + std::to_string(n) + " exceeds the bytes left"), 0;
    return static_cast<std::size_t>(n);
  }
  std::string_view text() {
    const std::uint64_t n = varint();
    if (n > remaining()) return fail("a text of " + std::to_string(n) + " bytes exceeds the bytes left"), "";
    const auto s = in_.substr(at_, static_cast<std::size_t>(n));
    at_ += static_cast<std::size_t>(n);
    return s;
  }
  std::string_view raw(std::size_t n) {
    if (n > remaining()) return fail("ends early"), "";
    const auto s = in_.substr(at_, n);
    at_ += n;
    return s;
  }

  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why) + " (at byte " + std::to_string(at_) + ")";
    at_ = in_.size();
  }
  [[nodiscard]] bool failed() const noexcept { return !error_.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return in_.size() - at_; }

 private:
  std::string_view in_;
  std::size_t at_ = 0;
  std::string error_;
};

// ---------------------------------------------------------------------------
// Kinds of types

// What visit_fields is called with to learn whether a type declares fields.
struct field_probe {
  template <class M>
  void operator()(const char*, M&) const {}
};

template <class T>
concept declared_fields = requires(T& x, field_probe f) { visit_fields(x, f); };

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_map : std::false_type {};
template <class K, class V, class C, class A>
struct is_map<std::map<K, V, C, A>> : std::true_type {};

template <class T>
struct is_sequence : std::false_type {};
template <class T, class A>
struct is_sequence<std::vector<T, A>> : std::true_type {};
template <class T, class A>
struct is_sequence<std::deque<T, A>> : std::true_type {};

template <class T>
constexpr std::uint64_t zigzag(T v) {
  const auto s = static_cast<std::int64_t>(v);
  return (static_cast<std::uint64_t>(s) << 1) ^ static_cast<std::uint64_t>(s >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
}

// ---------------------------------------------------------------------------
// json

enum class json_tag : std::uint8_t { null, no, yes, unsigned_int, negative_int, real, text, array, object };

// Deeper trees are refused when read; nothing the views keep comes near.
inline constexpr int max_json_depth = 256;

inline void put_json(writer& w, const json& j) {
  switch (j.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
    case json::value_t::binary:  // the views hold none
      w.byte(static_cast<std::uint8_t>(json_tag::null));
      return;
    case json::value_t::boolean:
      w.byte(static_cast<std::uint8_t>(j.get<bool>() ? json_tag::yes : json_tag::no));
      return;
    case json::value_t::number_unsigned:
      w.byte(static_cast<std::uint8_t>(json_tag::unsigned_int));
      w.varint(j.get<std::uint64_t>());
      return;
    case json::value_t::number_integer: {
      const auto v = j.get<std::int64_t>();
      if (v >= 0) {
        w.byte(static_cast<std::uint8_t>(json_tag::unsigned_int));
        w.varint(static_cast<std::uint64_t>(v));
      } else {
        w.byte(static_cast<std::uint8_t>(json_tag::negative_int));
        w.varint(static_cast<std::uint64_t>(-(v + 1)));
      }
      return;
    }
    case json::value_t::number_float:
      w.byte(static_cast<std::uint8_t>(json_tag::real));
      w.fixed64(std::bit_cast<std::uint64_t>(j.get<double>()));
      return;
    case json::value_t::string:
      w.byte(static_cast<std::uint8_t>(json_tag::text));
      w.text(j.get_ref<const std::string&>());
      return;
    case json::value_t::array:
      w.byte(static_cast<std::uint8_t>(json_tag::array));
      w.varint(j.size());
      for (const auto& x : j) put_json(w, x);
      return;
    case json::value_t::object:
      w.byte(static_cast<std::uint8_t>(json_tag::object));
      w.varint(j.size());
      for (const auto& [k, x] : j.items()) {
        w.text(k);
        put_json(w, x);
      }
      return;
  }
}

inline void get_json(reader& r, json& out, int depth = 0) {
  if (depth > max_json_depth) return r.fail("a JSON value nests deeper than " + std::to_string(max_json_depth));
  switch (static_cast<json_tag>(r.byte())) {
    case json_tag::null: out = nullptr; return;
    case json_tag::no: out = false; return;
    case json_tag::yes: out = true; return;
    case json_tag::unsigned_int: out = r.varint(); return;
    case json_tag::negative_int: {
      const std::uint64_t m = r.varint();
      if (m > static_cast<std::uint64_t>(INT64_MAX)) return r.fail("a negative integer out of range");
      out = -static_cast<std::int64_t>(m) - 1;
      return;
    }
    case json_tag::real: out = std::bit_cast<double>(r.fixed64()); return;
    case json_tag::text: out = std::string(r.text()); return;
    case json_tag::array: {
      out = json::array();
      const std::size_t n = r.count();
      for (std::size_t i = 0; i < n && !r.failed(); ++i) {
        json x;
        get_json(r, x, depth + 1);
        out.push_back(std::move(x));
      }
      return;
    }
    case json_tag::object: {
      out = json::object();
      const std::size_t n = r.count();
      for (std::size_t i = 0; i < n && !r.failed(); ++i) {
        std::string k(r.text());
        get_json(r, out[std::move(k)], depth + 1);
      }
      return;
    }
  }
  if (!r.failed()) r.fail("an unknown JSON tag");
}

// ---------------------------------------------------------------------------
// Values

template <class T>
void put(writer& w, const T& x) {
  if constexpr (std::same_as<T, bool>) {
    w.byte(x ? 1 : 0);
  } else if constexpr (std::is_enum_v<T>) {
    put(w, std::to_underlying(x));
  } else if constexpr (std::unsigned_integral<T>) {
    w.varint(x);
  } else if constexpr (std::signed_integral<T>) {
    w.varint(zigzag(x));
  } else if constexpr (std::same_as<T, double>) {
    w.fixed64(std::bit_cast<std::uint64_t>(x));
  } else if constexpr (std::same_as<T, std::string>) {
    w.text(x);
  } else if constexpr (std::same_as<T, json>) {
    put_json(w, x);
  } else if constexpr (std::same_as<T, json_text>) {
    w.text(x.text());
  } else if constexpr (is_optional<T>::value) {
    w.byte(x ? 1 : 0);
    if (x) put(w, *x);
  } else if constexpr (is_map<T>::value) {
    w.varint(x.size());
    for (const auto& [k, v] : x) {
      put(w, k);
      put(w, v);
    }
  } else if constexpr (is_sequence<T>::value) {
    w.varint(x.size());
    for (const auto& v : x) put(w, v);
  } else if constexpr (declared_fields<const T>) {
    visit_fields(x, [&w](const char*, const auto& m) { put(w, m); });
  } else {
    put_json(w, json(x));
  }
}

template <class T>
void get(reader& r, T& x) {
  if constexpr (std::same_as<T, bool>) {
    const auto b = r.byte();
    if (b > 1) r.fail("a boolean that is neither 0 nor 1");
    x = b == 1;
  } else if constexpr (std::is_enum_v<T>) {
    std::underlying_type_t<T> u{};
    get(r, u);
    x = static_cast<T>(u);
  } else if constexpr (std::unsigned_integral<T>) {
    const std::uint64_t v = r.varint();
    if (v > std::numeric_limits<T>::max()) r.fail("an integer out of range");
    x = static_cast<T>(v);
  } else if constexpr (std::signed_integral<T>) {
    const std::int64_t v = unzigzag(r.varint());
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) r.fail("an integer out of range");
    x = static_cast<T>(v);
  } else if constexpr (std::same_as<T, double>) {
    x = std::bit_cast<double>(r.fixed64());
  } else if constexpr (std::same_as<T, std::string>) {
    x = std::string(r.text());
  } else if constexpr (std::same_as<T, json>) {
    get_json(r, x);
  } else if constexpr (std::same_as<T, json_text>) {
    auto t = json_text::from_text(std::string(r.text()));
    if (!t) return r.fail("a JSON text that is not JSON");
    x = std::move(*t);
  } else if constexpr (is_optional<T>::value) {
    const auto present = r.byte();
    if (present > 1) return r.fail("an optional marker that is neither 0 nor 1");
    if (present == 0) {
      x.reset();
    } else {
      x.emplace();
      get(r, *x);
    }
  } else if constexpr (is_map<T>::value) {
    x.clear();
    const std::size_t n = r.count();
    for (std::size_t i = 0; i < n && !r.failed(); ++i) {
      typename T::key_type k{};
      get(r, k);
      typename T::mapped_type v{};
      get(r, v);
      x.emplace_hint(x.end(), std::move(k), std::move(v));
    }
  } else if constexpr (is_sequence<T>::value) {
    x.clear();
    const std::size_t n = r.count();
    // Reserved up to a bound: a damaged count may pass count() (one byte
    // per element) yet name elements far larger in memory than in bytes.
    if constexpr (requires { x.reserve(n); }) x.reserve(std::min<std::size_t>(n, 1024));
    for (std::size_t i = 0; i < n && !r.failed(); ++i) get(r, x.emplace_back());
  } else if constexpr (declared_fields<T>) {
    visit_fields(x, [&r](const char*, auto& m) {
      if (!r.failed()) get(r, m);
    });
  } else {
    json j;
    get_json(r, j);
    if (r.failed()) return;
    try {
      j.get_to(x);
    } catch (const std::exception& ex) {
      r.fail(std::string("a value not of its type: ") + ex.what());
    }
  }
}

// ---------------------------------------------------------------------------
// Layout

// The layout of T as text: the kind of each value and the name of each
// field, recursively. Two builds read each other's bytes only if their
// layouts are the same text.
template <class T>
void describe(std::string& out) {
  if constexpr (std::same_as<T, bool>) {
    out += 'b';
  } else if constexpr (std::is_enum_v<T>) {
    out += 'e';
    describe<std::underlying_type_t<T>>(out);
  } else if constexpr (std::unsigned_integral<T>) {
    out += 'u' + std::to_string(sizeof(T));
  } else if constexpr (std::signed_integral<T>) {
    out += 'i' + std::to_string(sizeof(T));
  } else if constexpr (std::same_as<T, double>) {
    out += 'd';
  } else if constexpr (std::same_as<T, std::string>) {
    out += 's';
  } else if constexpr (std::same_as<T, json>) {
    out += 'j';
  } else if constexpr (std::same_as<T, json_text>) {
    out += 'J';
  } else if constexpr (is_optional<T>::value) {
    out += "o(";
    describe<typename T::value_type>(out);
    out += ')';
  } else if constexpr (is_map<T>::value) {
    out += "m(";
    describe<typename T::key_type>(out);
    out += ',';
    describe<typename T::mapped_type>(out);
    out += ')';
  } else if constexpr (is_sequence<T>::value) {
    out += '[';
    describe<typename T::value_type>(out);
    out += ']';
  } else if constexpr (declared_fields<T>) {
    out += '{';
    T sample{};
    visit_fields(sample, [&out](const char* name, auto& m) {
      out += name;
      out += ':';
      describe<std::remove_cvref_t<decltype(m)>>(out);
      out += ';';
    });
    out += '}';
  } else {
    out += 'J';
  }
}

// FNV-1a of a layout's text: a check that the bytes were written by the
// same layout, not a defence against a forger (snapshots live in the store).
inline std::uint64_t fingerprint_of(std::string_view layout) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : layout) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

template <class T>
std::uint64_t layout_fingerprint() {
  std::string text;
  describe<T>(text);
  return fingerprint_of(text);
}

}  // namespace isms::domain::views::binary
