#pragma once
// Wire type names, declared once. Every command and event struct of an
// aggregate names its wire type as a static member:
//
//   struct identify {
//     static constexpr std::string_view type = "risk.identify";
//     …
//   };
//
// Encoding, decode dispatch, each aggregate's list of command types, the
// dispatcher's list of every command type and the authorization table all read
// these declarations; no type name is spelled a second time.
//
// Thread-safety: compile-time helpers and pure functions only.

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace isms::domain {

// The wire type of the alternative `v` holds.
template <class Variant>
[[nodiscard]] constexpr std::string_view type_of(const Variant& v) noexcept {
  return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type; }, v);
}

// The wire types of every alternative of `Variant`, in declaration order.
template <class Variant>
[[nodiscard]] consteval auto types_of() noexcept {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, sizeof...(I)>{std::variant_alternative_t<I, Variant>::type...};
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
}

// Calls `on(std::type_identity<T>{})` for the alternative T of `Variant` whose
// wire type is `type` and returns what it returns; `otherwise()` when no
// alternative has that type.
template <class Variant, class On, class Otherwise>
[[nodiscard]] auto dispatch_type(std::string_view type, On&& on, Otherwise&& otherwise) {
  using result = decltype(otherwise());
  std::optional<result> out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (void)((std::variant_alternative_t<I, Variant>::type == type
                ? (out.emplace(on(std::type_identity<std::variant_alternative_t<I, Variant>>{})), true)
                : false) ||
           ...);
  }(std::make_index_sequence<std::variant_size_v<Variant>>{});
  if (out) return std::move(*out);
  return otherwise();
}

}  // namespace isms::domain
