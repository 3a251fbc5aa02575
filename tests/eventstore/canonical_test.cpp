// The system's one canonical form (isms/canonical): SHA-256 against the
// FIPS 180-4 / NIST test vectors and at the padding boundaries, and the
// canonical JSON rules of docs/eventstore.md on the values the domain hashes;
// parse_json reads JSON text to the tree nlohmann's reader gives.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

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

// The kinds of every node, so that two trees compare by kind as well as by
// value (nlohmann's == holds 1 == 1u == 1.0). An integer zero is either kind:
// text "-0" reads as an unsigned zero (canonical.hpp; canonical text never
// holds it).
std::string kinds(const nlohmann::json& j) {
  std::string out = j.type_name();
  if (j.is_number_integer() && j == 0) return out + "/0";
  if (j.is_number_unsigned()) out += "/u";
  if (j.is_number_integer() && !j.is_number_unsigned()) out += "/i";
  if (j.is_structured()) {
    out += "[";
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (j.is_object()) out += it.key() + ":";
      out += kinds(*it) + ",";
    }
    out += "]";
  }
  return out;
}

void expect_same_as_nlohmann(const std::string& text) {
  SCOPED_TRACE(text.substr(0, 200));
  nlohmann::json theirs;
  int their_error = 0;  // nlohmann's exception id (101 syntax, 406 number overflow, …)
  try {
    theirs = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    their_error = e.id;
  }
  EXPECT_EQ(parse_json(text, /*allow_exceptions=*/false).is_discarded(),
            nlohmann::json::parse(text, nullptr, false).is_discarded());
  if (their_error != 0) {
    int our_error = 0;
    try {
      (void)parse_json(text);
    } catch (const nlohmann::json::exception& e) {
      our_error = e.id;
    }
    EXPECT_EQ(our_error, their_error);
    return;
  }
  const nlohmann::json ours = parse_json(text);
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(kinds(ours), kinds(theirs));
  EXPECT_EQ(ours.dump(), theirs.dump());
}

TEST(ParseJson, GivesTheTreeAndTheErrorsOfNlohmannsReader) {
  for (const std::string text : {
           R"({"a":1,"b":-2,"c":2.5,"d":"x","e":true,"f":false,"g":null,"h":[],"i":{}})",
           R"([0, -1, 18446744073709551615, -9223372036854775808, 9223372036854775807, 9223372036854775808])",
           R"([1.0, 1e3, -0.0, 1.7976931348623157e308, 5e-324, 0.1, 123456789012345678901234567890])",
           R"([1e400, -1e400])",
           R"("\u00e9\ud83d\ude00\n\t\"\\\/ \u0000")",
           R"({"b":1,"a":2,"b":3})",
           R"(  {"z" : [ 1 , {"y":[[[]]]} ] }  )",
           "\xEF\xBB\xBF{\"bom\":1}",
           "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", ".5", "+1", "-", "tru", "nul",
           "\"unterminated", "\"\\x\"", "\"\\ud800\"", "\"\xC3\x28\"", "\"\xF5\x80\x80\x80\"", "\"a\tb\"", "[1] [2]",
           "NaN", "Infinity", "[1e]", "{\"a\":1}x", "\"\x01\"",
       })
    expect_same_as_nlohmann(text);
}

TEST(ParseJson, AgreesOnRandomTreesAndTheirDamagedText) {
  std::mt19937_64 rng(27001);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const std::vector<std::string> words{"risk", "Überprüfung", "a\"b", "line\nbreak", "", "€", "\\", "x y"};
  std::function<nlohmann::json(int)> tree = [&](int depth) -> nlohmann::json {
    switch (depth > 4 ? pick(6) : pick(8)) {
      case 0: return nullptr;
      case 1: return pick(2) == 0;
      case 2: return static_cast<std::int64_t>(rng()) >> pick(64);
      case 3: return rng() >> pick(64);
      case 4: return std::ldexp(static_cast<double>(static_cast<std::int64_t>(rng())), pick(200) - 100);
      case 5: return words[static_cast<std::size_t>(pick(static_cast<int>(words.size())))];
      case 6: {
        nlohmann::json a = nlohmann::json::array();
        for (int i = pick(5); i > 0; --i) a.push_back(tree(depth + 1));
        return a;
      }
      default: {
        nlohmann::json o = nlohmann::json::object();
        for (int i = pick(5); i > 0; --i) o[words[static_cast<std::size_t>(pick(static_cast<int>(words.size())))] + std::to_string(i)] = tree(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 2000; ++i) {
    std::string text = tree(0).dump(pick(2) == 0 ? -1 : 2);
    expect_same_as_nlohmann(text);
    // The same text with one byte changed, cut short, or a byte added.
    if (!text.empty()) {
      std::string damaged = text;
      damaged[static_cast<std::size_t>(pick(static_cast<int>(text.size())))] = static_cast<char>(pick(256));
      expect_same_as_nlohmann(damaged);
      expect_same_as_nlohmann(text.substr(0, static_cast<std::size_t>(pick(static_cast<int>(text.size())))));
      expect_same_as_nlohmann(text + static_cast<char>(pick(128)));
    }
  }
}

TEST(ParseJson, ReadsTextBeyondTheFastReadersLimit) {
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 20000; ++i) big.push_back({{"i", i}, {"text", "entry " + std::to_string(i)}});
  const std::string text = big.dump();
  ASSERT_GT(text.size(), std::size_t{64} << 10);
  expect_same_as_nlohmann(text);
  expect_same_as_nlohmann(text.substr(0, text.size() - 1));
}

}  // namespace
}  // namespace isms::canonical::canonical_test
