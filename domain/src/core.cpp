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

namespace {

// Two digits of v (0..99) at p.
void put_two_digits(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// "YYYY-MM-DD" into p[0..10) for a year of four digits; false for any other
// year (written by the general path). Dates and instants are formatted for
// every event the views fold, so this avoids snprintf.
bool put_date(char* p, date d) {
  const std::chrono::year_month_day ymd{d};
  const int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) return false;
  put_two_digits(p, static_cast<unsigned>(y / 100));
  put_two_digits(p + 2, static_cast<unsigned>(y % 100));
  p[4] = '-';
  put_two_digits(p + 5, static_cast<unsigned>(ymd.month()));
  p[7] = '-';
  put_two_digits(p + 8, static_cast<unsigned>(ymd.day()));
  return true;
}

std::string format_date_general(date d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace

std::string format_date(date d) {
  std::string s(10, '0');
  if (!put_date(s.data(), d)) return format_date_general(d);
  return s;
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
  const auto h = static_cast<unsigned>(hms.hours().count());
  const auto m = static_cast<unsigned>(hms.minutes().count());
  const auto sec = static_cast<unsigned>(hms.seconds().count());
  const auto ms = static_cast<unsigned>(hms.subseconds().count());
  std::string s(24, '0');  // YYYY-MM-DDTHH:MM:SS.mmmZ
  char* p = s.data();
  if (!put_date(p, day)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "T%02u:%02u:%02u.%03uZ", h, m, sec, ms);
    return format_date_general(day) + buf;
  }
  p[10] = 'T';
  put_two_digits(p + 11, h);
  p[13] = ':';
  put_two_digits(p + 14, m);
  p[16] = ':';
  put_two_digits(p + 17, sec);
  p[19] = '.';
  p[20] = static_cast<char>('0' + ms / 100);
  put_two_digits(p + 21, ms % 100);
  p[23] = 'Z';
  return s;
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
