#pragma once
// The part of JOSE that an OpenID Connect relying party needs: a compact JWS
// (RFC 7515) parsed, its signature checked against a JSON Web Key Set
// (RFC 7517) with OpenSSL's EVP (RS256: RSASSA-PKCS1-v1_5 with SHA-256;
// ES256: ECDSA on P-256 with SHA-256, RFC 7518), and an ID token's claims
// checked (OpenID Connect Core 1.0, 3.1.3.7).
//
// Only asymmetric algorithms are accepted: "none", the HMAC family and any
// algorithm a key does not declare are refused, so that a token cannot pick
// how it is checked. Every input is untrusted and bounded.
//
// Thread-safety: a key_set is immutable after construction.

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

typedef struct evp_pkey_st EVP_PKEY;

namespace isms::server::jose {

// RFC 4648 §5, without padding (padding is refused, as JWS forbids it).
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);
[[nodiscard]] std::string base64url_encode(std::string_view bytes);

// A compact JWS: header.payload.signature, each base64url.
struct jws {
  nlohmann::json header;
  nlohmann::json claims;      // the payload, a JSON object
  std::string signing_input;  // the first two segments with their dot
  std::string signature;      // raw bytes
};

// Parses a token of at most 64 KiB whose header and payload are JSON
// objects. Errors: a message saying what is wrong.
[[nodiscard]] std::expected<jws, std::string> parse(std::string_view token);

// The public keys of a JWKS document: RSA (n, e) and EC P-256 (x, y) keys
// meant for signatures; others are left out.
class key_set {
 public:
  // Errors: not a JWKS object, or no usable key.
  [[nodiscard]] static std::expected<key_set, std::string> from_json(const nlohmann::json& jwks);

  // Checks the token's signature: its `alg` must be RS256 or ES256 and match
  // the key's type (and the key's own `alg` where it names one); the key is
  // the one named by `kid`, or, without `kid`, the only key of that type.
  // Errors: a message (unknown_key when no key has that kid, so that the
  // caller may fetch the set again after a rotation).
  [[nodiscard]] std::expected<void, std::string> verify(const jws& token) const;

  [[nodiscard]] bool has_kid(std::string_view kid) const { return keys_.contains(std::string(kid)); }
  [[nodiscard]] std::size_t size() const { return keys_.size(); }

 private:
  struct key {
    std::shared_ptr<EVP_PKEY> pkey;
    std::string kty;  // "RSA" or "EC"
    std::string alg;  // as the key declares it, or ""
  };
  std::map<std::string, key> keys_;  // by kid ("" for a key without one)
};

// What an ID token must say for this relying party (Core 3.1.3.7): issued by
// `issuer`, for `client_id` (in `aud`; `azp` too when there are several
// audiences), not expired and not issued in the future beyond `skew_s`
// seconds, and carrying the `nonce` sent with the request.
struct expected_claims {
  std::string issuer;
  std::string client_id;
  std::string nonce;
  std::int64_t now_s = 0;
  std::int64_t skew_s = 120;
};
[[nodiscard]] std::expected<void, std::string> check_id_token_claims(const nlohmann::json& claims,
                                                                      const expected_claims& expected);

}  // namespace isms::server::jose
