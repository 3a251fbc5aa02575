// The system's one canonical form (isms/canonical): SHA-256 against the
// FIPS 180-4 / NIST test vectors and at the padding boundaries, and the
// canonical JSON rules of docs/eventstore.md on the values the domain hashes.

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "isms/canonical/canonical.hpp"

namespace isms::canonical::canonical_test {
namespace {

TEST(Sha256, NistVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55 bytes fit one final block with the length; 56 need a second one; 64 is a whole block.
  EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

// A file's digest is built while each line written into it is hashed too
// (the evidence bundle's events.ndjson): hashers on one thread never share
// their state, however they nest.
TEST(Sha256, HashersLiveAtOnceOnOneThreadStayApart) {
  const std::string a(1000, 'a'), b = "abc";
  canonical::hasher outer;
  outer.update(std::string_view(a).substr(0, 300));
  canonical::hasher inner;
  inner.update(b);
  EXPECT_EQ(canonical::to_hex(canonical::sha256(b)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // a one-shot in between
  outer.update(std::string_view(a).substr(300));
  EXPECT_EQ(inner.finish(), canonical::sha256(b));
  canonical::hasher moved = std::move(outer);
  EXPECT_EQ(moved.finish(), canonical::sha256(a));
}

TEST(CanonicalJson, NumbersFollowTheDocumentedForm) {
  // An integral float is written as an integer (nlohmann's dump() keeps
  // "80.0"); other floats as %.17g; zero, also negative zero, as 0.
  EXPECT_EQ(json_text(nlohmann::json{{"b", 80.0}, {"a", 0.1}, {"c", -0.0}, {"d", 1e100}}),
            R"({"a":0.10000000000000001,"b":80,"c":0,"d":1e+100})");
  EXPECT_EQ(json_sha256_hex(nlohmann::json{{"x", 1}}), sha256_hex(R"({"x":1})"));
  EXPECT_EQ(json_sha256_hex(nlohmann::json{{"x", 1.0}}), sha256_hex(R"({"x":1})"));
}

TEST(CanonicalJson, RefusesWhatHasNoCanonicalForm) {
  EXPECT_FALSE(json_text(nlohmann::json(std::numeric_limits<double>::infinity())));
  EXPECT_FALSE(json_text(nlohmann::json(std::string("\xff"))));
  nlohmann::json deep = 1;
  for (int i = 0; i <= max_depth; ++i) deep = nlohmann::json::array({deep});
  EXPECT_FALSE(json_text(deep));
  EXPECT_FALSE(json_sha256_hex(deep));
}

TEST(Digest, HexRoundTrip) {
  const auto d = sha256("abc");
  EXPECT_EQ(digest_from_hex(to_hex(d)), d);
  EXPECT_FALSE(digest_from_hex("abc"));
}

}  // namespace
}  // namespace isms::canonical::canonical_test
