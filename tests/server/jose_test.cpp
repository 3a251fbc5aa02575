// The JOSE layer of single sign-on: base64url, compact JWS parsing, RS256
// and ES256 signatures checked against a JWK set (keys made here with
// OpenSSL, tokens signed here), and the ID token's claims; and how the
// OpenID Connect client treats a provider that is down or a forged callback
// (the whole flow runs against a real provider in tests/webui/sso.test.js).

#include "isms/server/jose.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "isms/server/oidc.hpp"
#include "support/loopback_receiver.hpp"

namespace isms::server::jose::jose_test {
namespace {

using nlohmann::json;

// A signing key of the test and its public JWK.
struct signer {
  std::shared_ptr<EVP_PKEY> key;
  std::string alg;  // "RS256" or "ES256"
  json jwk;

  std::string sign(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
    std::size_t length = 0;
    EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()),
              1);
    std::string sig(length, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &length,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    sig.resize(length);
    if (alg == "RS256") return sig;
    // DER → r‖s, as JWS carries an ECDSA signature.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())),
                                                                &ECDSA_SIG_free);
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    return raw;
  }

  // A compact JWS of `claims` with this key (header: alg, kid, typ; `header` merged over it).
  std::string token(const json& claims, const json& header = json::object()) const {
    json h{{"alg", alg}, {"kid", jwk.value("kid", "")}, {"typ", "JWT"}};
    h.update(header);
    const std::string input = base64url_encode(h.dump()) + "." + base64url_encode(claims.dump());
    return input + "." + base64url_encode(sign(input));
  }
};

std::string bn_param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

signer rsa_signer(const std::string& kid) {
  signer s{std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(2048), &EVP_PKEY_free), "RS256", json::object()};
  s.jwk = {{"kty", "RSA"}, {"kid", kid}, {"use", "sig"}, {"alg", "RS256"},
           {"n", base64url_encode(bn_param(s.key.get(), OSSL_PKEY_PARAM_RSA_N))},
           {"e", base64url_encode(bn_param(s.key.get(), OSSL_PKEY_PARAM_RSA_E))}};
  return s;
}

signer ec_signer(const std::string& kid) {
  signer s{std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), &EVP_PKEY_free), "ES256", json::object()};
  unsigned char point[65];
  std::size_t length = 0;
  EXPECT_EQ(EVP_PKEY_get_octet_string_param(s.key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &length), 1);
  EXPECT_EQ(length, 65u);
  s.jwk = {{"kty", "EC"}, {"kid", kid}, {"crv", "P-256"},
           {"x", base64url_encode(std::string(reinterpret_cast<char*>(point) + 1, 32))},
           {"y", base64url_encode(std::string(reinterpret_cast<char*>(point) + 33, 32))}};
  return s;
}

// The error of a result, or `ok` when there is none.
std::string why(const std::expected<void, std::string>& r, const std::string& ok = "") { return r ? ok : r.error(); }

json claims_for(const std::string& nonce, std::int64_t now) {
  return {{"iss", "https://id.example.com"}, {"aud", "isms-ledger"}, {"sub", "u-1"}, {"nonce", nonce},
          {"iat", now - 10}, {"exp", now + 300}, {"preferred_username", "olga"}};
}

TEST(jose, base64url_round_trips_and_refuses_padding_and_other_alphabets) {
  for (const std::string& text : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                                  std::string("foob"), std::string("fooba"), std::string("foobar"),
                                  std::string("\xff\xfe\x00\x01", 4)})
    EXPECT_EQ(base64url_decode(base64url_encode(text)), text);
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64url_decode("Zm9v="));   // padding
  EXPECT_FALSE(base64url_decode("Zm+v"));    // the other alphabet
  EXPECT_FALSE(base64url_decode("Z"));       // a dangling sextet
  EXPECT_FALSE(base64url_decode("Zm9vYh")) << "bits left over that are not zero (canonical: Zm9vYg)";
  EXPECT_EQ(base64url_decode("Zm9vYg"), "foob");
}

TEST(jose, rs256_and_es256_signatures_verify_and_a_changed_byte_does_not) {
  const signer rsa = rsa_signer("r1"), ec = ec_signer("e1");
  auto set = key_set::from_json(json{{"keys", {rsa.jwk, ec.jwk}}});
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->size(), 2u);
  for (const signer* s : {&rsa, &ec}) {
    const std::string token = s->token(claims_for("n", 1000));
    auto parsed = parse(token);
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_TRUE(set->verify(*parsed)) << s->alg;
    EXPECT_EQ(parsed->claims.at("preferred_username"), "olga");

    // The payload changed (another user), the signature kept.
    json forged = claims_for("n", 1000);
    forged["preferred_username"] = "admin";
    const std::string tampered = token.substr(0, token.find('.') + 1) + base64url_encode(forged.dump()) +
                                 token.substr(token.rfind('.'));
    auto t = parse(tampered);
    ASSERT_TRUE(t);
    EXPECT_EQ(why(set->verify(*t)), "the signature does not match") << s->alg;
  }
}

TEST(jose, refuses_none_hmac_a_mismatched_algorithm_and_an_unknown_key) {
  const signer rsa = rsa_signer("r1");
  auto set = key_set::from_json(json{{"keys", {rsa.jwk}}});
  ASSERT_TRUE(set);
  const json claims = claims_for("n", 1000);

  const std::string unsigned_token =
      base64url_encode(json{{"alg", "none"}}.dump()) + "." + base64url_encode(claims.dump()) + ".";
  EXPECT_FALSE(set->verify(*parse(unsigned_token)));

  // HS256 with the public modulus as the secret: the classic confusion.
  const std::string input = base64url_encode(json{{"alg", "HS256"}, {"kid", "r1"}}.dump()) + "." +
                            base64url_encode(claims.dump());
  const std::string secret = rsa.jwk.at("n").get<std::string>();
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
       input.size(), mac, &length);
  const std::string hmac_token = input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), length));
  EXPECT_EQ(why(set->verify(*parse(hmac_token))), "the token's algorithm 'HS256' is not accepted");

  // ES256 claimed for an RSA key.
  const signer ec = ec_signer("r1");
  EXPECT_EQ(why(set->verify(*parse(ec.token(claims)))), "the token's algorithm does not match its key");
  // A key the set does not hold: the caller fetches the set again.
  EXPECT_EQ(why(set->verify(*parse(rsa_signer("r2").token(claims)))), "unknown_key");

  EXPECT_FALSE(parse("a.b"));
  EXPECT_FALSE(parse("a.b.c.d"));
  EXPECT_FALSE(parse(std::string(70000, 'a')));
  EXPECT_FALSE(parse(base64url_encode("[1]") + "." + base64url_encode("{}") + ".")) << "a header that is no object";
  EXPECT_FALSE(key_set::from_json(json{{"keys", {{{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}}}}}))
      << "an RSA key of 24 bits";
  EXPECT_FALSE(key_set::from_json(json::array()));
}

TEST(jose, an_id_token_is_for_this_client_from_this_issuer_current_and_with_the_nonce_sent) {
  const std::int64_t now = 1'800'000'000;
  const expected_claims want{"https://id.example.com", "isms-ledger", "n-123", now, 120};
  EXPECT_TRUE(check_id_token_claims(claims_for("n-123", now), want));

  auto with = [&](const char* key, const json& value) {
    json c = claims_for("n-123", now);
    if (value.is_null()) c.erase(key);
    else c[key] = value;
    return why(check_id_token_claims(c, want), "accepted");
  };
  EXPECT_EQ(with("iss", "https://evil.example.com"), "issued by another issuer");
  EXPECT_EQ(with("aud", "another-client"), "issued for another audience");
  EXPECT_EQ(with("aud", json::array({"another-client", "isms-ledger"})),
            "issued for several audiences, and not authorized for this one");
  EXPECT_EQ(with("exp", now - 121), "the token has expired");
  EXPECT_EQ(with("exp", now - 60), "accepted") << "within the clock skew";
  EXPECT_EQ(with("iat", now + 600), "the token was issued in the future");
  EXPECT_EQ(with("nonce", "n-999"), "the token's nonce is not the one sent");
  EXPECT_EQ(with("nonce", nullptr), "the token's nonce is not the one sent");
  EXPECT_EQ(with("exp", nullptr), "the token carries no exp or iat");
  EXPECT_EQ(with("sub", nullptr), "the token names no subject");
  json several = claims_for("n-123", now);
  several["aud"] = json::array({"another-client", "isms-ledger"});
  several["azp"] = "isms-ledger";
  EXPECT_TRUE(check_id_token_claims(several, want));
}

TEST(oidc_client, a_provider_that_is_down_is_asked_again_only_after_thirty_seconds) {
  testing::loopback_receiver down(std::string("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  oidc_options o;
  o.issuer = "http://127.0.0.1:" + std::to_string(down.port());
  o.client_id = "isms-ledger";
  oidc_client client(o);
  const std::int64_t t = 1'800'000'000'000;
  auto first = client.begin("http://127.0.0.1:1/api/oidc/callback", t);
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().find("answered 503"), std::string::npos) << first.error();
  EXPECT_EQ(client.provider_requests(), 1u);
  // Every click within the next thirty seconds fails at once, without
  // holding a worker thread on the provider.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(client.begin("http://127.0.0.1:1/api/oidc/callback", t + 1000 * i));
  EXPECT_EQ(client.provider_requests(), 1u);
  EXPECT_FALSE(client.begin("http://127.0.0.1:1/api/oidc/callback", t + 31'000));
  EXPECT_EQ(client.provider_requests(), 2u);
  ASSERT_EQ(down.wait_for(2).size(), 2u);
}

TEST(oidc_client, a_callback_with_a_state_it_did_not_give_is_refused_without_asking_the_provider) {
  oidc_options o;
  o.issuer = "https://id.example.invalid";
  o.client_id = "isms-ledger";
  oidc_client client(o);
  auto forged = client.finish("a-state-nobody-gave", "a-code", 1'800'000'000'000);
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().find("unknown or used state"), std::string::npos) << forged.error();
  EXPECT_EQ(client.provider_requests(), 0u);
}

}  // namespace
}  // namespace isms::server::jose::jose_test
