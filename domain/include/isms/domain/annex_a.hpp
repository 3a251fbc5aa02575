#pragma once
// The Annex A reference controls of ISO/IEC 27001:2022, shipped as data: 93
// controls in four themes (5.1–5.37 organizational, 6.1–6.8 people,
// 7.1–7.14 physical, 8.1–8.34 technological). The Statement of Applicability
// has one entry per control; risk treatment plans link to them by id.
//
// Thread-safety: immutable data.

#include <optional>
#include <span>
#include <string_view>

namespace isms::domain::annex_a {

enum class theme { organizational, people, physical, technological };

[[nodiscard]] std::string_view to_string(theme t) noexcept;  // "Organizational", …

struct control {
  std::string_view id;     // "5.1"
  theme theme_;            // from the clause number: 5 → organizational, …
  std::string_view title;  // "Policies for information security"
};

// All 93 controls in catalogue order (5.1, 5.2, …, 8.34).
[[nodiscard]] std::span<const control> catalogue() noexcept;

// The control with this id ("8.28"), or nullopt.
[[nodiscard]] std::optional<control> find(std::string_view id) noexcept;

// The position of a control in catalogue order, or nullopt for an unknown id.
[[nodiscard]] std::optional<std::size_t> index_of(std::string_view id) noexcept;

}  // namespace isms::domain::annex_a
