#include "isms/domain/core.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include "wire_fields.hpp"

namespace isms::domain {

namespace {
constexpr std::array<std::pair<role, std::string_view>, 8> role_names{{
    {role::admin, "admin"},
    {role::isms_manager, "isms_manager"},
    {role::top_management, "top_management"},
    {role::risk_owner, "risk_owner"},
    {role::contributor, "contributor"},
    {role::internal_auditor, "internal_auditor"},
    {role::external_auditor, "external_auditor"},
    {role::system, "system"},
}};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}
}  // namespace

std::string_view to_string(role r) noexcept { return wire::name_of(role_names, r); }

std::optional<role> role_from_string(std::string_view s) noexcept { return wire::value_of(role_names, s); }

std::string_view to_string(confirmation c) noexcept {
  switch (c) {
    case confirmation::none: return "";
    case confirmation::totp: return "totp";
    case confirmation::recovery_code: return "recovery_code";
    case confirmation::sign_in: return "sign_in";
  }
  return "";
}

bool actor::has(role r) const noexcept {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

std::string_view wire_code(rejection_kind k) noexcept {
  switch (k) {
    case rejection_kind::invalid: return "bad_request";
    case rejection_kind::forbidden: return "forbidden";
    case rejection_kind::not_found: return "not_found";
    case rejection_kind::rule: return "rejected";
    case rejection_kind::unconfirmed: return "confirmation_required";
  }
  return "rejected";
}

std::string format_date(date d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<date> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
  if (!all_digits(y) || !all_digits(m) || !all_digits(d)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{to_int(y)},
                                        std::chrono::month{static_cast<unsigned>(to_int(m))},
                                        std::chrono::day{static_cast<unsigned>(to_int(d))}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd};
}

std::string format_instant(instant t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "T%02d:%02d:%02d.%03dZ", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return format_date(day) + buf;
}

std::optional<instant> parse_instant(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.mmm]Z
  if (s.size() != 20 && s.size() != 24) return std::nullopt;
  auto d = parse_date(s.substr(0, 10));
  if (!d || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z') return std::nullopt;
  const auto hh = s.substr(11, 2), mm = s.substr(14, 2), ss = s.substr(17, 2);
  if (!all_digits(hh) || !all_digits(mm) || !all_digits(ss)) return std::nullopt;
  int ms = 0;
  if (s.size() == 24) {
    if (s[19] != '.' || !all_digits(s.substr(20, 3))) return std::nullopt;
    ms = to_int(s.substr(20, 3));
  }
  const int h = to_int(hh), m = to_int(mm), sec = to_int(ss);
  if (h > 23 || m > 59 || sec > 59) return std::nullopt;
  return instant{*d} + std::chrono::hours{h} + std::chrono::minutes{m} + std::chrono::seconds{sec} +
         std::chrono::milliseconds{ms};
}

std::string canonical_hash(const json& j) {
  auto h = canonical::json_sha256_hex(j);
  if (!h) throw std::invalid_argument("a value without a canonical JSON form cannot be hashed");
  return *std::move(h);
}

}  // namespace isms::domain
