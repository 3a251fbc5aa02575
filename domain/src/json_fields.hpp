#pragma once
// Private to the domain library: validating access to the fields of untrusted
// JSON command payloads and stored event data. Every function names the field
// and the rule it broke; none throws.

#include <cstdint>
#include <expected>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"

namespace isms::domain::fields {

template <class T>
using result = std::expected<T, rejection>;

inline constexpr std::size_t max_text = 4000;   // free text: rationale, comments, justifications
inline constexpr std::size_t max_line = 300;    // one-line texts: titles, summaries
inline constexpr std::size_t max_id = 64;       // identifiers: user ids, control ids

[[nodiscard]] inline std::unexpected<rejection> invalid(std::string field, std::string rule) {
  return std::unexpected(rejection{rejection_kind::invalid, std::move(field), std::move(rule)});
}

[[nodiscard]] inline std::string name(std::string_view prefix, std::string_view key) {
  std::string n(prefix);
  if (!n.empty()) n += '.';
  n += key;
  return n;
}

// A string member; `allow_empty` false rejects "" (and all-blank text).
[[nodiscard]] inline result<std::string> text(const json& obj, std::string_view key,
                                              std::string_view prefix, std::size_t max_len,
                                              bool allow_empty = false) {
  const auto f = name(prefix, key);
  if (!obj.is_object()) return invalid(std::string(prefix), "must be an object");
  const auto it = obj.find(key);
  if (it == obj.end()) return invalid(f, "is required");
  if (!it->is_string()) return invalid(f, "must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (!allow_empty && s.find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid(f, "must not be empty");
  if (s.size() > max_len) return invalid(f, "must be at most " + std::to_string(max_len) + " bytes");
  return s;
}

// An optional string member: absent or null → default_value.
[[nodiscard]] inline result<std::string> optional_text(const json& obj, std::string_view key,
                                                       std::string_view prefix, std::size_t max_len,
                                                       std::string default_value = {}) {
  if (!obj.is_object()) return invalid(std::string(prefix), "must be an object");
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return default_value;
  return text(obj, key, prefix, max_len, true);
}

[[nodiscard]] inline result<std::int64_t> integer(const json& obj, std::string_view key,
                                                  std::string_view prefix, std::int64_t min,
                                                  std::int64_t max) {
  const auto f = name(prefix, key);
  if (!obj.is_object()) return invalid(std::string(prefix), "must be an object");
  const auto it = obj.find(key);
  if (it == obj.end()) return invalid(f, "is required");
  if (!it->is_number_integer()) return invalid(f, "must be an integer");
  std::int64_t v = 0;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(max)) return invalid(f, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    v = static_cast<std::int64_t>(u);
  } else {
    v = it->get<std::int64_t>();
  }
  if (v < min || v > max)
    return invalid(f, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

[[nodiscard]] inline result<bool> boolean(const json& obj, std::string_view key,
                                          std::string_view prefix,
                                          std::optional<bool> default_value = std::nullopt) {
  const auto f = name(prefix, key);
  if (!obj.is_object()) return invalid(std::string(prefix), "must be an object");
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (default_value) return *default_value;
    return invalid(f, "is required");
  }
  if (!it->is_boolean()) return invalid(f, "must be true or false");
  return it->get<bool>();
}

[[nodiscard]] inline result<date> day(const json& obj, std::string_view key,
                                      std::string_view prefix) {
  auto s = text(obj, key, prefix, 10);
  if (!s) {
    if (s.error().message == "must be at most 10 bytes")
      return invalid(name(prefix, key), "must be a date YYYY-MM-DD");
    return std::unexpected(s.error());
  }
  const auto d = parse_date(*s);
  if (!d) return invalid(name(prefix, key), "must be a date YYYY-MM-DD");
  return *d;
}

[[nodiscard]] inline result<instant> moment(const json& obj, std::string_view key,
                                            std::string_view prefix) {
  auto s = text(obj, key, prefix, 24);
  if (!s) return std::unexpected(s.error());
  const auto t = parse_instant(*s);
  if (!t) return invalid(name(prefix, key), "must be an instant YYYY-MM-DDTHH:MM:SS.mmmZ");
  return *t;
}

// An array of non-empty strings (each ≤ max_len), at most max_items long.
// Absent → empty when `required` is false.
[[nodiscard]] inline result<std::vector<std::string>> text_list(
    const json& obj, std::string_view key, std::string_view prefix, std::size_t max_len,
    std::size_t max_items, bool required = false) {
  const auto f = name(prefix, key);
  if (!obj.is_object()) return invalid(std::string(prefix), "must be an object");
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return invalid(f, "is required");
    return std::vector<std::string>{};
  }
  if (!it->is_array()) return invalid(f, "must be an array of strings");
  if (it->size() > max_items)
    return invalid(f, "must hold at most " + std::to_string(max_items) + " entries");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const auto& e = (*it)[i];
    const auto ef = f + "[" + std::to_string(i) + "]";
    if (!e.is_string()) return invalid(ef, "must be a string");
    const auto& s = e.get_ref<const std::string&>();
    if (s.empty()) return invalid(ef, "must not be empty");
    if (s.size() > max_len) return invalid(ef, "must be at most " + std::to_string(max_len) + " bytes");
    out.push_back(s);
  }
  return out;
}

}  // namespace isms::domain::fields

// Reading stored event data: these throw std::runtime_error naming the field;
// every decode() calls them inside a try and turns the exception into an error
// value, so nothing escapes a decoder.
namespace isms::domain::stored {

[[noreturn]] inline void fail(std::string_view key, std::string_view what) {
  throw std::runtime_error(std::string(key) + ": " + std::string(what));
}

[[nodiscard]] inline const json& member(const json& j, std::string_view key) {
  if (!j.is_object()) fail(key, "event data is not an object");
  const auto it = j.find(key);
  if (it == j.end()) fail(key, "missing");
  return *it;
}

[[nodiscard]] inline std::string str(const json& j, std::string_view key) {
  const json& v = member(j, key);
  if (!v.is_string()) fail(key, "not a string");
  return v.get<std::string>();
}

[[nodiscard]] inline std::string opt_str(const json& j, std::string_view key) {
  if (!j.is_object() || !j.contains(key) || j.at(std::string(key)).is_null()) return {};
  return str(j, key);
}

[[nodiscard]] inline std::int64_t integer(const json& j, std::string_view key) {
  const json& v = member(j, key);
  if (!v.is_number_integer()) fail(key, "not an integer");
  return v.get<std::int64_t>();
}

[[nodiscard]] inline bool boolean(const json& j, std::string_view key) {
  const json& v = member(j, key);
  if (!v.is_boolean()) fail(key, "not a boolean");
  return v.get<bool>();
}

[[nodiscard]] inline date day(const json& j, std::string_view key) {
  const auto d = parse_date(str(j, key));
  if (!d) fail(key, "not a date");
  return *d;
}

[[nodiscard]] inline std::vector<std::string> strings(const json& j, std::string_view key) {
  const json& v = member(j, key);
  if (!v.is_array()) fail(key, "not an array");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) fail(key, "holds a non-string");
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace isms::domain::stored
