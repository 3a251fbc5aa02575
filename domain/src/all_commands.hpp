#pragma once
// Every aggregate's command variant, in the order of the routing table
// (dispatch.cpp): the one list from which the list of command types and the
// authorization tables are collected. Private to the domain library.
//
// Thread-safety: compile-time helpers only.

#include <array>
#include <cstddef>
#include <variant>

#include "isms/domain/approval.hpp"
#include "isms/domain/asset.hpp"
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/user.hpp"

namespace isms::domain::detail {

template <class... Variants>
struct variant_list {};

using command_variants =
    variant_list<risk_matrix::command, risk::command, approval::command, soa::command, user::command,
                 scope::command, document::command, objective::command, nonconformity::command,
                 internal_audit::command, management_review::command, incident::command,
                 supplier::command, classification_scheme::command, asset::command, evidence::command>;

// One entry per command struct: `Row::of<T>()` for every alternative T of
// every variant of the list, in order. Row names the entry type (`type`) and
// builds one entry (`of<T>()`).
template <class Row, class... Alternatives>
constexpr auto rows_of_variant(const std::variant<Alternatives...>*) {
  return std::array<typename Row::type, sizeof...(Alternatives)>{Row::template of<Alternatives>()...};
}

template <class T, std::size_t... N>
constexpr auto concat(const std::array<T, N>&... parts) {
  std::array<T, (N + ...)> out{};
  std::size_t i = 0;
  ((void)(std::copy(parts.begin(), parts.end(), out.begin() + static_cast<std::ptrdiff_t>(i)), i += N), ...);
  return out;
}

template <class Row, class... Variants>
constexpr auto collect(variant_list<Variants...>) {
  return concat(rows_of_variant<Row>(static_cast<const Variants*>(nullptr))...);
}

// The rows of every command, in routing order.
template <class Row>
constexpr auto every_command() {
  return collect<Row>(command_variants{});
}

}  // namespace isms::domain::detail
