#pragma once
// One-time codes of an authenticator app: HOTP (RFC 4226) and TOTP
// (RFC 6238) with HMAC-SHA-1, 6 digits and 30-second steps — the parameters
// every authenticator app reads from an otpauth:// URI, and the ones it
// assumes when the URI leaves them out. Also what enrolment shows: the
// secret in base32 (RFC 4648) for typing in, and as a QR code.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace isms::server::totp {

inline constexpr int digits = 6;
inline constexpr std::int64_t step_seconds = 30;
// A code is accepted one step either side of the server's clock: a phone's
// clock may be that far off, and a code typed at the end of its step arrives
// in the next.
inline constexpr std::int64_t window_steps = 1;

// RFC 4648 base32, upper case, without padding (as otpauth:// URIs carry it).
[[nodiscard]] std::string base32_encode(std::string_view bytes);
// Decodes base32 in either case, ignoring spaces and '=' padding; nullopt
// for any other character or a dangling partial group.
[[nodiscard]] std::optional<std::string> base32_decode(std::string_view text);

// The HOTP value of `counter` under `secret` (raw bytes), as `digits` digits.
[[nodiscard]] std::string hotp(std::string_view secret, std::uint64_t counter);
// The time step a moment (seconds since the epoch) falls in.
[[nodiscard]] std::int64_t step_of(std::int64_t unix_seconds) noexcept;
// The code of the step `unix_seconds` falls in.
[[nodiscard]] std::string code_at(std::string_view secret, std::int64_t unix_seconds);

// The step whose code `code` is, within the window around `unix_seconds`
// and after `last_used_step` (a code is accepted once: a step at or before
// the last one used is refused), or nullopt. Compared in constant time.
[[nodiscard]] std::optional<std::int64_t> accept(std::string_view secret, std::string_view code,
                                                 std::int64_t unix_seconds, std::int64_t last_used_step);

// The otpauth:// URI an authenticator app reads from the QR code.
[[nodiscard]] std::string otpauth_uri(std::string_view issuer, std::string_view account,
                                      std::string_view secret_base32);

// A QR code's modules, row by row, '1' dark and '0' light (error correction
// level M); empty if the text does not fit a QR code.
[[nodiscard]] std::vector<std::string> qr_rows(std::string_view text);

}  // namespace isms::server::totp
