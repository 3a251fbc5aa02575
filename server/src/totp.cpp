#include "isms/server/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>

#include <array>
#include <memory>

namespace isms::server::totp {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string uri_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

}  // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == ' ' || ch == '=') continue;
    const char up = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
    const auto at = alphabet.find(up);
    if (at == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(at);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // What is left over must be padding bits of the last character, all zero.
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string hotp(std::string_view secret, std::uint64_t counter) {
  std::array<unsigned char, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), message.data(), message.size(), mac,
           &mac_length) == nullptr ||
      mac_length < 20)
    return {};
  // RFC 4226 5.3, dynamic truncation.
  const unsigned offset = mac[mac_length - 1] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::int64_t step_of(std::int64_t unix_seconds) noexcept {
  return unix_seconds >= 0 ? unix_seconds / step_seconds : 0;
}

std::string code_at(std::string_view secret, std::int64_t unix_seconds) {
  return hotp(secret, static_cast<std::uint64_t>(step_of(unix_seconds)));
}

std::optional<std::int64_t> accept(std::string_view secret, std::string_view code, std::int64_t unix_seconds,
                                   std::int64_t last_used_step) {
  if (code.size() != static_cast<std::size_t>(digits)) return std::nullopt;
  const std::int64_t now = step_of(unix_seconds);
  std::optional<std::int64_t> found;
  // Every step of the window is compared, whichever matches, so that the
  // time taken does not tell which.
  for (std::int64_t step = now - window_steps; step <= now + window_steps; ++step) {
    if (step < 0) continue;
    const std::string expected = hotp(secret, static_cast<std::uint64_t>(step));
    if (expected.size() == code.size() && CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0 &&
        step > last_used_step)
      found = step;
  }
  return found;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret_base32) {
  return "otpauth://totp/" + uri_component(issuer) + ":" + uri_component(account) +
         "?secret=" + std::string(secret_base32) + "&issuer=" + uri_component(issuer) +
         "&algorithm=SHA1&digits=" + std::to_string(digits) + "&period=" + std::to_string(step_seconds);
}

std::vector<std::string> qr_rows(std::string_view text) {
  const std::string owned(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
      QRcode_encodeString8bit(owned.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!qr) return {};
  std::vector<std::string> rows;
  const auto width = static_cast<std::size_t>(qr->width);
  rows.reserve(width);
  for (std::size_t y = 0; y < width; ++y) {
    std::string row(width, '0');
    for (std::size_t x = 0; x < width; ++x)
      if (qr->data[y * width + x] & 1) row[x] = '1';
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace isms::server::totp
