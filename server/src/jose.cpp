#include "isms/server/jose.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <array>

#include "isms/server/json_input.hpp"

namespace isms::server::jose {

using nlohmann::json;

namespace {

constexpr std::size_t max_token_bytes = 64 * 1024;
constexpr std::size_t max_json_depth_in_token = 16;

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

using bignum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

bignum bn_of(const std::string& bytes) {
  return bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr),
                &BN_free);
}

std::string text_member(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// An EVP_PKEY from parameters, of the named type ("RSA", "EC").
std::shared_ptr<EVP_PKEY> key_from(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld), &OSSL_PARAM_free);
  if (!params) return nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return std::shared_ptr<EVP_PKEY>(pkey, &EVP_PKEY_free);
}

std::shared_ptr<EVP_PKEY> rsa_key(const json& jwk) {
  const auto n = base64url_decode(text_member(jwk, "n"));
  const auto e = base64url_decode(text_member(jwk, "e"));
  // At least 2048 bits (RFC 7518 §3.3); at most 8192.
  if (!n || !e || n->size() < 256 || n->size() > 1024 || e->empty() || e->size() > 8) return nullptr;
  auto bn_n = bn_of(*n), bn_e = bn_of(*e);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return nullptr;
  return key_from("RSA", bld.get());
}

std::shared_ptr<EVP_PKEY> ec_key(const json& jwk) {
  if (text_member(jwk, "crv") != "P-256") return nullptr;
  const auto x = base64url_decode(text_member(jwk, "x"));
  const auto y = base64url_decode(text_member(jwk, "y"));
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // uncompressed
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return nullptr;
  return key_from("EC", bld.get());
}

// JWS's ECDSA signature is r‖s, 32 bytes each; OpenSSL checks DER.
std::optional<std::string> der_of_ecdsa(const std::string& raw) {
  if (raw.size() != 64) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  // The bits left over must be zero (a canonical encoding).
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

std::expected<jws, std::string> parse(std::string_view token) {
  if (token.size() > max_token_bytes) return std::unexpected("the token is longer than 64 KiB");
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::unexpected("not a compact JWS (three parts separated by dots)");
  const auto header = base64url_decode(token.substr(0, first));
  const auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  const auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !payload || !signature) return std::unexpected("a part of the token is not base64url");
  jws out;
  out.header = read_json(*header, max_json_depth_in_token).value_or(json());
  out.claims = read_json(*payload, max_json_depth_in_token).value_or(json());
  if (!out.header.is_object() || !out.claims.is_object())
    return std::unexpected("the token's header or payload is not a JSON object");
  out.signing_input = std::string(token.substr(0, second));
  out.signature = std::move(*signature);
  return out;
}

std::expected<key_set, std::string> key_set::from_json(const json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array())
    return std::unexpected("not a JWK set ({\"keys\": [...]})");
  key_set set;
  for (const auto& jwk : jwks["keys"]) {
    if (!jwk.is_object()) continue;
    if (const std::string use = text_member(jwk, "use"); !use.empty() && use != "sig") continue;
    const std::string kty = text_member(jwk, "kty");
    std::shared_ptr<EVP_PKEY> pkey = kty == "RSA" ? rsa_key(jwk) : kty == "EC" ? ec_key(jwk) : nullptr;
    if (!pkey) continue;
    set.keys_.insert_or_assign(text_member(jwk, "kid"), key{std::move(pkey), kty, text_member(jwk, "alg")});
  }
  if (set.keys_.empty()) return std::unexpected("the JWK set holds no RSA or P-256 signing key");
  return set;
}

std::expected<void, std::string> key_set::verify(const jws& token) const {
  const std::string alg = text_member(token.header, "alg");
  if (alg != "RS256" && alg != "ES256") return std::unexpected("the token's algorithm '" + alg + "' is not accepted");
  const std::string kty = alg == "RS256" ? "RSA" : "EC";
  const key* chosen = nullptr;
  if (token.header.contains("kid")) {
    const auto it = keys_.find(text_member(token.header, "kid"));
    if (it == keys_.end()) return std::unexpected("unknown_key");
    chosen = &it->second;
  } else {
    for (const auto& [kid, k] : keys_)
      if (k.kty == kty) {
        if (chosen) return std::unexpected("the token names no key and several could sign it");
        chosen = &k;
      }
    if (!chosen) return std::unexpected("unknown_key");
  }
  if (chosen->kty != kty || (!chosen->alg.empty() && chosen->alg != alg))
    return std::unexpected("the token's algorithm does not match its key");
  std::string signature = token.signature;
  if (kty == "EC") {
    auto der = der_of_ecdsa(signature);
    if (!der) return std::unexpected("the signature is not an ES256 signature");
    signature = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, chosen->pkey.get()) != 1)
    return std::unexpected("the signature could not be checked");
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(token.signing_input.data()),
                                  token.signing_input.size());
  if (ok != 1) return std::unexpected("the signature does not match");
  return {};
}

std::expected<void, std::string> check_id_token_claims(const json& claims, const expected_claims& expected) {
  if (text_member(claims, "iss") != expected.issuer) return std::unexpected("issued by another issuer");
  const auto aud = claims.find("aud");
  bool for_us = false;
  std::size_t audiences = 0;
  if (aud != claims.end() && aud->is_string()) {
    audiences = 1;
    for_us = aud->get<std::string>() == expected.client_id;
  } else if (aud != claims.end() && aud->is_array()) {
    audiences = aud->size();
    for_us = std::ranges::any_of(*aud, [&](const json& a) { return a.is_string() && a.get<std::string>() == expected.client_id; });
  }
  if (!for_us) return std::unexpected("issued for another audience");
  if (audiences > 1 && text_member(claims, "azp") != expected.client_id)
    return std::unexpected("issued for several audiences, and not authorized for this one");
  const auto exp = claims.find("exp");
  const auto iat = claims.find("iat");
  if (exp == claims.end() || !exp->is_number() || iat == claims.end() || !iat->is_number())
    return std::unexpected("the token carries no exp or iat");
  if (exp->get<double>() + static_cast<double>(expected.skew_s) <= static_cast<double>(expected.now_s))
    return std::unexpected("the token has expired");
  if (iat->get<double>() - static_cast<double>(expected.skew_s) > static_cast<double>(expected.now_s))
    return std::unexpected("the token was issued in the future");
  if (expected.nonce.empty() || text_member(claims, "nonce") != expected.nonce)
    return std::unexpected("the token's nonce is not the one sent");
  if (text_member(claims, "sub").empty()) return std::unexpected("the token names no subject");
  return {};
}

}  // namespace isms::server::jose
