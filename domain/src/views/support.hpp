#pragma once
// Private to the views: reading query parameters (untrusted JSON from the
// wire) and small text helpers. Nothing here throws for bad input.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/views/common.hpp"
#include "../wire_fields.hpp"

namespace isms::domain::views::support {

// A list of entries in their stored form, each also carrying its own id
// (the member `id` points to) as "id", the name the web UI keys rows by.
template <class Entry, class Id>
[[nodiscard]] json with_ids(const std::vector<Entry>& list, Id Entry::*id) {
  json out = json::array();
  for (const auto& e : list) {
    json j = e;
    j["id"] = e.*id;
    out.push_back(std::move(j));
  }
  return out;
}

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

// The corrective or review actions of an entry as the wire shows them: each
// in its stored form with its id as "id" and whether it is `overdue`; then
// `rules(action_id, action)` adds what the aggregate's rules say of it (the
// command types its state admits, who may send them).
template <class Action, class Rules>
[[nodiscard]] json actions_wire(const std::vector<Action>& actions, const std::vector<std::string>& overdue,
                                Rules rules) {
  json out = with_ids(actions, &Action::action_id);
  for (auto& a : out) {
    const auto id = a.at("id").template get<std::string>();
    a["overdue"] = std::find(overdue.begin(), overdue.end(), id) != overdue.end();
    rules(id, a);
  }
  return out;
}

// An entity's actor limits (authorization.hpp) as the wire shows them:
// {command type: {"only": [user…]?, "never": [user…]?}}, each list only
// when it limits.
[[nodiscard]] inline json actors_json(const std::vector<actor_limit>& limits) {
  json out = json::object();
  for (const auto& l : limits) {
    json j = json::object();
    if (!l.only.empty()) j["only"] = l.only;
    if (!l.never.empty()) j["never"] = l.never;
    out[std::string(l.command_type)] = std::move(j);
  }
  return out;
}

// A view's query parameters read the way wire::fields reads a command: each
// getter checks one parameter and returns its value, or a neutral fallback
// after remembering the first failure; the query reads every parameter, then
// asks ok(). Parameters must be an object or null (none).
//   support::query_params p(params);
//   const auto owner = p.text("owner");
//   const bool overdue = p.flag("overdue");
//   if (!p.ok()) return p.failure();
class query_params {
 public:
  explicit query_params(const json& params) : params_(params) {
    if (auto bad = check_params(params)) error_ = std::move(*bad);
  }

  // An optional string: absent or null → "".
  std::string text(std::string_view key, std::size_t max_len = 200) { return take(text_param(params_, key, max_len), std::string{}); }
  std::string required_text(std::string_view key, std::size_t max_len = 200) {
    return take(required_text_param(params_, key, max_len), std::string{});
  }
  // An optional string that must be one of `allowed`: absent → "".
  std::string choice(std::string_view key, const std::vector<std::string_view>& allowed) {
    return take(choice_param(params_, key, allowed), std::string{});
  }
  // An optional integer in [lo, hi]: absent → fallback.
  std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi, std::int64_t fallback) {
    return take(int_param(params_, key, lo, hi, fallback), fallback);
  }
  // An optional day (YYYY-MM-DD): absent or null → nullopt.
  std::optional<date> day(std::string_view key) {
    const std::string text = this->text(key, 10);
    if (text.empty() || !ok()) return std::nullopt;
    auto d = parse_date(text);
    if (!d) note(bad_param(key, "must be a day, YYYY-MM-DD").error());
    return d;
  }
  // An optional boolean: absent → fallback.
  bool flag(std::string_view key, bool fallback = false) {
    if (!params_.is_object()) return fallback;
    const auto it = params_.find(key);
    if (it == params_.end() || it->is_null()) return fallback;
    if (it->is_boolean()) return it->get<bool>();
    note(bad_param(key, "must be true or false").error());
    return fallback;
  }

  // The entry of `entries` a one-entity view names by params.id, its id
  // ("R-12") or its stream ("<kind>-R-12"); nullptr after a failure, a
  // missing id included (not_found, "no <what> <id>").
  template <class Map>
  const typename Map::mapped_type* entry(const Map& entries, std::string_view kind, std::string_view what) {
    const auto id = required_text("id");
    if (!ok()) return nullptr;
    std::string key = id;
    if (key.size() > kind.size() && key.starts_with(kind) && key[kind.size()] == '-') key = key.substr(kind.size() + 1);
    const auto it = entries.find(key);
    if (it != entries.end()) return &it->second;
    note(rejection{rejection_kind::not_found, "params.id", "no " + std::string(what) + " " + id});
    return nullptr;
  }

  [[nodiscard]] bool ok() const noexcept { return !error_; }
  // The first failure (call only when !ok()).
  [[nodiscard]] std::unexpected<rejection> failure() const { return std::unexpected(*error_); }

 private:
  template <class T>
  T take(std::expected<T, rejection> r, T fallback) {
    if (r) return std::move(*r);
    note(std::move(r.error()));
    return fallback;
  }
  void note(rejection r) {
    if (!error_) error_ = std::move(r);
  }

  const json& params_;
  std::optional<rejection> error_;
};

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
