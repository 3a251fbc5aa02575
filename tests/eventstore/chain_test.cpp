// The canonical form of the hash chain: canonical JSON, canonical bytes, the
// worked example of docs/eventstore.md, per-event verification, and the
// NDJSON export form.
#include <cmath>
#include <limits>

#include "test_support.hpp"

namespace isms::eventstore::chain_test {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) {
    s.push_back(k[c >> 4]);
    s.push_back(k[c & 15]);
  }
  return s;
}

// The event of the worked example in docs/eventstore.md.
recorded_event worked_example() {
  recorded_event e;
  e.position = 1;
  e.stream = "risk-R-1";
  e.version = 1;
  e.type = "risk.identified.v1";
  e.data = {{"title", "Laptop theft"}, {"likelihood", 3}};
  e.metadata.actor = "u-alice";
  e.metadata.command_id = "c-1";
  e.metadata.recorded_at_ms = 1764374400000;
  e.metadata.extra = {{"comment", "first"}};
  e.data_digest = sha256(*canonical_json(e.data));
  e.hash = *compute_hash(e);
  return e;
}

TEST(canonical_json, sorts_keys_and_drops_whitespace) {
  auto j = nlohmann::json::parse(R"({ "b": 1, "a": [true, null, "x"], "A": {"z": -2, "y": 18446744073709551615} })");
  EXPECT_EQ(*canonical_json(j), R"({"A":{"y":18446744073709551615,"z":-2},"a":[true,null,"x"],"b":1})");
}

TEST(canonical_json, escapes_only_what_json_requires) {
  nlohmann::json j = std::string("q\"b\\s/\b\f\n\r\t\x01\x7f\xc3\xa9");
  EXPECT_EQ(*canonical_json(j), "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\x7f\xc3\xa9\"");
}

TEST(canonical_json, writes_floats_as_printf_17g) {
  EXPECT_EQ(*canonical_json(0.1), "0.10000000000000001");
  EXPECT_EQ(*canonical_json(1.5), "1.5");
  EXPECT_EQ(*canonical_json(3.0), "3");
  EXPECT_EQ(*canonical_json(1e100), "1e+100");
  EXPECT_EQ(*canonical_json(-0.0), "0");
}

// What is stored must canonicalise to itself after a read, and after the
// export's round trip through nlohmann's own writer, or a payload read back
// (or exported) would no longer match its digest.
TEST(canonical_json, is_idempotent_through_reads_and_exports) {
  const std::vector<nlohmann::json> values = {
      0.1, -0.0, 0.0, 3.0, 1e16, 1e17, 1e-7, 123.456, 1e300, 5e-324, -1.7976931348623157e308,
      std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::uint64_t>::max(),
      nlohmann::json::parse(R"({"b":[1.5,{"z":null,"a":"\u00e9\n"}],"a":-2})")};
  for (const auto& v : values) {
    const std::string first = *canonical_json(v);
    const auto read_back = nlohmann::json::parse(first);
    EXPECT_EQ(*canonical_json(read_back), first) << first;
    const auto exported = nlohmann::json::parse(read_back.dump());
    EXPECT_EQ(*canonical_json(exported), first) << first;
  }
}

TEST(canonical_json, rejects_non_finite_numbers_and_invalid_utf8) {
  EXPECT_EQ(canonical_json(std::numeric_limits<double>::infinity()).error().code, errc::invalid_data);
  EXPECT_EQ(canonical_json(nlohmann::json{{"x", std::nan("")}}).error().code, errc::invalid_data);
  EXPECT_EQ(canonical_json(std::string("\xc3\x28")).error().code, errc::invalid_data);
  EXPECT_EQ(canonical_json(std::string("\xed\xa0\x80")).error().code, errc::invalid_data);  // surrogate
  EXPECT_EQ(canonical_json(std::string("\xc0\xaf")).error().code, errc::invalid_data);      // overlong
  nlohmann::json key_bad = nlohmann::json::object();
  key_bad[std::string("\xff")] = 1;
  EXPECT_EQ(canonical_json(key_bad).error().code, errc::invalid_data);
}

TEST(canonical_json, rejects_nesting_deeper_than_128) {
  nlohmann::json deep = 1;
  for (int i = 0; i < 129; ++i) deep = nlohmann::json::array({deep});
  EXPECT_EQ(canonical_json(deep).error().code, errc::invalid_data);
  nlohmann::json ok = 1;
  for (int i = 0; i < 128; ++i) ok = nlohmann::json::array({ok});
  EXPECT_TRUE(canonical_json(ok).has_value());
}

// The exact bytes and hash printed in docs/eventstore.md. If this test fails
// the canonical form changed: every stored chain would stop verifying.
TEST(canonical_bytes, worked_example_matches_the_documentation) {
  const recorded_event e = worked_example();
  EXPECT_EQ(*canonical_json(e.data), R"({"likelihood":3,"title":"Laptop theft"})");
  EXPECT_EQ(to_hex(e.data_digest), "b0f1aa4ed9213c46dfdbcd30a48528768ec0462e609f9768f01694cb707466fe");
  EXPECT_EQ(hex(*canonical_bytes(e)),
            "0100000000000000010000000000000001000000087269736b2d522d31000000"
            "127269736b2e6964656e7469666965642e7631b0f1aa4ed9213c46dfdbcd30a4"
            "8528768ec0462e609f9768f01694cb707466fe00000007752d616c6963650000"
            "0003632d3100000000000000000000019acce8cc00000000137b22636f6d6d65"
            "6e74223a226669727374227d");
  EXPECT_EQ(e.hash_hex(), "4f718d8f721fb17ac631f047ed0432227c8b8e6c2236dac65070823f2777f803");
}

TEST(canonical_bytes, every_field_changes_the_hash) {
  const recorded_event base = worked_example();
  std::vector<recorded_event> variants(10, base);
  variants[0].position = 2;
  variants[1].stream = "risk-R-2";
  variants[2].version = 2;
  variants[3].type = "risk.identified.v2";
  variants[4].data_digest[0] ^= 1;
  variants[5].metadata.actor = "u-bob";
  variants[6].metadata.command_id = "c-2";
  variants[7].metadata.causation_id = "x";
  variants[8].metadata.recorded_at_ms += 1;
  variants[9].metadata.extra = {{"comment", "second"}};
  for (std::size_t i = 0; i < variants.size(); ++i)
    EXPECT_NE(*compute_hash(variants[i]), base.hash) << "variant " << i;
  recorded_event prev = base;
  prev.prev_hash[31] = 1;
  EXPECT_NE(*compute_hash(prev), base.hash);
}

TEST(canonical_bytes, length_prefixes_keep_fields_apart) {
  recorded_event a = worked_example();
  recorded_event b = a;
  a.metadata.actor = "ab";
  a.metadata.command_id = "c";
  b.metadata.actor = "a";
  b.metadata.command_id = "bc";
  EXPECT_NE(*canonical_bytes(a), *canonical_bytes(b));
}

TEST(verify_event, accepts_the_example_and_names_what_is_wrong) {
  const recorded_event e = worked_example();
  EXPECT_TRUE(verify_event(e, digest{}).has_value());

  recorded_event changed = e;
  changed.data["likelihood"] = 1;
  auto r = verify_event(changed, digest{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupted);
  EXPECT_EQ(r.error().position, 1u);
  EXPECT_NE(r.error().message.find("digest"), std::string::npos);

  digest other{};
  other[0] = 9;
  EXPECT_NE(verify_event(e, other).error().message.find("prev_hash"), std::string::npos);
}

TEST(verify_event, an_erased_payload_still_verifies_through_its_digest) {
  recorded_event e = worked_example();
  e.data = {{"erased", true}};
  e.data_erased = true;
  EXPECT_TRUE(verify_event(e, digest{}).has_value());
  e.data_erased = false;
  EXPECT_FALSE(verify_event(e, digest{}).has_value());
}

TEST(export_json, round_trips_and_verifies_from_text) {
  const recorded_event e = worked_example();
  const std::string line = to_export_json(e).dump();
  auto parsed = from_export_json(nlohmann::json::parse(line));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->hash, e.hash);
  EXPECT_EQ(parsed->data, e.data);
  EXPECT_TRUE(verify_event(*parsed, digest{}).has_value());
}

TEST(export_json, names_a_missing_field) {
  auto j = to_export_json(worked_example());
  j.erase("prev_hash");
  auto r = from_export_json(j);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupted);
  EXPECT_NE(r.error().message.find("prev_hash"), std::string::npos);
}

TEST(hex, round_trips_and_rejects_bad_input) {
  digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(digest_from_hex(to_hex(d)), d);
  EXPECT_FALSE(digest_from_hex("00"));
  EXPECT_FALSE(digest_from_hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace isms::eventstore::chain_test
