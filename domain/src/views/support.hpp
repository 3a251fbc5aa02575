#pragma once
// Private to the views: reading query parameters (untrusted JSON from the
// wire) and small text helpers. Nothing here throws for bad input.

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isms/domain/core.hpp"
#include "isms/domain/views/common.hpp"
#include "../wire_fields.hpp"

namespace isms::domain::views::support {

[[nodiscard]] inline std::unexpected<rejection> bad_param(std::string_view key, std::string rule) {
  return std::unexpected(
      rejection{rejection_kind::invalid, "params." + std::string(key), std::move(rule)});
}

// params must be an object or null (no parameters).
[[nodiscard]] inline std::optional<rejection> check_params(const json& params) {
  if (params.is_null() || params.is_object()) return std::nullopt;
  return rejection{rejection_kind::invalid, "params", "must be an object"};
}

// An optional string parameter: absent or null → "".
[[nodiscard]] inline std::expected<std::string, rejection> text_param(const json& params,
                                                                      std::string_view key,
                                                                      std::size_t max_len = 200) {
  if (!params.is_object()) return std::string{};
  const auto it = params.find(key);
  if (it == params.end() || it->is_null()) return std::string{};
  if (!it->is_string()) return bad_param(key, "must be a string");
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > max_len) return bad_param(key, "must be at most " + std::to_string(max_len) + " bytes");
  return s;
}

// A required string parameter.
[[nodiscard]] inline std::expected<std::string, rejection> required_text_param(
    const json& params, std::string_view key, std::size_t max_len = 200) {
  auto s = text_param(params, key, max_len);
  if (!s) return s;
  if (s->empty()) return bad_param(key, "is required");
  return s;
}

// An optional string parameter that must be one of `allowed` when present.
[[nodiscard]] inline std::expected<std::string, rejection> choice_param(
    const json& params, std::string_view key, const std::vector<std::string_view>& allowed) {
  auto s = text_param(params, key);
  if (!s || s->empty()) return s;
  for (auto a : allowed)
    if (*s == a) return s;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return bad_param(key, "must be one of: " + list);
}

// An optional integer parameter in [lo, hi]: absent or null → fallback.
[[nodiscard]] inline std::expected<std::int64_t, rejection> int_param(const json& params,
                                                                      std::string_view key,
                                                                      std::int64_t lo,
                                                                      std::int64_t hi,
                                                                      std::int64_t fallback) {
  if (!params.is_object()) return fallback;
  const auto it = params.find(key);
  if (it == params.end() || it->is_null()) return fallback;
  const std::string range = "must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (!it->is_number_integer()) return bad_param(key, range);
  // A non-negative JSON integer is stored unsigned (0 included): bring it into
  // the signed range first, then check both bounds on every path.
  std::int64_t v = 0;
  if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return bad_param(key, range);
    v = static_cast<std::int64_t>(u);
  } else {
    v = it->get<std::int64_t>();
  }
  if (v < lo || v > hi) return bad_param(key, range);
  return v;
}

// A json value as a number for sorting (0 for non-numbers).
[[nodiscard]] inline double number_of(const json& j) {
  return j.is_number() ? j.get<double>() : 0.0;
}

// True if `day` (YYYY-MM-DD, "" = none) is set and strictly before `today`.
[[nodiscard]] inline bool before(const std::string& day, date today) {
  return !day.empty() && day < format_date(today);
}

}  // namespace isms::domain::views::support

namespace isms::domain::views {

using wire::overloaded;

// The entry of `e`'s stream in `entries` (keyed by the id in the stream name),
// created on first sight, with its id and, where the entry records it, its stream.
template <class Map>
[[nodiscard]] typename Map::mapped_type& entry_of(Map& entries, const recorded_event& e) {
  std::string id = id_in_stream(e.stream);
  auto& entry = entries[id];
  entry.id = std::move(id);
  if constexpr (requires { entry.stream; }) entry.stream = e.stream;
  return entry;
}

// The enumerator of `all` whose wire name (its aggregate's to_string) is
// `name`, else `fallback`: enums as a snapshot stores them.
template <class E, std::size_t N>
[[nodiscard]] E enum_named(const std::array<E, N>& all, std::string_view name, E fallback) {
  for (E e : all)
    if (to_string(e) == name) return e;
  return fallback;
}

}  // namespace isms::domain::views
