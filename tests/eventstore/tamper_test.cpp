// Tamper evidence: a changed byte, a rewritten event, a truncated chain, a
// missing head record and undecodable bytes are each named — by verify, by
// reads, and (near the head) already by open. Never served silently, never
// thrown out of the store.
#include "raw_db.hpp"
#include "test_support.hpp"

namespace isms::eventstore::tamper_test {
namespace {

using testing::corrupted_on_open;
using testing::events;
using testing::fill_fifty;
using testing::open_store;
using testing::raw_db;
using testing::temp_dir;

// Offsets of the stored record (docs/eventstore.md, "Stored record").
constexpr std::size_t record_hash_offset = 34;
constexpr std::size_t record_canonical_offset = 70;

class tamper : public ::testing::Test {
 protected:
  void SetUp() override {
    fill_fifty(dir_.path(), [](int i) { return "risk-" + std::to_string(i % 4); }, [](int i) { return events(2, i); });
    auto s = open_store(dir_.path());
    ASSERT_TRUE(s && s->verify());
  }
  // Flips `mask` in the byte at `offset` of the value at `key` of `family`,
  // written back past the store (the store is closed); `offset` counts from
  // the end when negative.
  void flip(const std::string& family, const std::string& key, std::ptrdiff_t offset, char mask = 0x01) {
    raw_db raw(dir_.path());
    std::string v = raw.get(family, key);
    const auto at = offset < 0 ? static_cast<std::ptrdiff_t>(v.size()) + offset : offset;
    v[static_cast<std::size_t>(at)] ^= mask;
    raw.put(family, key, v);
  }
  error open_error() {
    auto s = store::open(options{}, dir_.path());
    EXPECT_FALSE(s) << "a damaged store opened";
    return s ? error{} : s.error();
  }
  error corrupted_at(std::uint64_t position) { return corrupted_on_open(dir_.path(), position); }
  temp_dir dir_;
};

TEST_F(tamper, one_changed_payload_byte_is_named_by_verify) {
  flip("events", raw_db::key(20), -3);  // inside the payload JSON
  auto s = open_store(dir_.path());  // position 20 is outside the open-time window
  ASSERT_TRUE(s);
  auto r = s->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupted);
  EXPECT_EQ(r.error().position, 20u);
  EXPECT_NE(r.error().message.find("payload"), std::string::npos) << r.error().message;
  EXPECT_TRUE(s->verify(21));   // the rest of the chain is intact
  EXPECT_TRUE(s->verify(1, 19));
}

TEST_F(tamper, one_changed_metadata_byte_is_named_by_verify) {
  flip("events", raw_db::key(7), record_canonical_offset + 30, 0x40);  // inside the canonical bytes
  auto s = open_store(dir_.path());
  auto r = s->verify();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().position, 7u);
}

TEST_F(tamper, a_consistently_rewritten_event_breaks_the_link_to_the_next) {
  // An attacker rewrites event 30 completely — payload, digest and its own
  // hash — but cannot rewrite what the following event committed to.
  recorded_event forged;
  {
    auto s = open_store(dir_.path());
    forged = s->read_all(30, 1)->front();
  }
  forged.data["likelihood"] = 1;
  forged.data_digest = sha256(*canonical_json(forged.data));
  forged.hash = *compute_hash(forged);
  {
    raw_db raw(dir_.path());
    std::string v = raw.get("events", raw_db::key(30));
    const std::size_t canonical_len = (static_cast<unsigned char>(v[66]) << 24) | (static_cast<unsigned char>(v[67]) << 16) |
                                      (static_cast<unsigned char>(v[68]) << 8) | static_cast<unsigned char>(v[69]);
    std::string rebuilt = v.substr(0, record_canonical_offset);
    rebuilt.replace(record_hash_offset, 32, reinterpret_cast<const char*>(forged.hash.data()), 32);
    rebuilt += *canonical_bytes(forged);
    rebuilt += *canonical_json(forged.data);
    ASSERT_EQ(canonical_bytes(forged)->size(), canonical_len);
    raw.put("events", raw_db::key(30), rebuilt);
  }
  auto s = open_store(dir_.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->read_all(30, 1)->front().data.at("likelihood"), 1);  // the forgery decodes…
  auto r = s->verify();
  ASSERT_FALSE(r);                              // …but the chain names it
  EXPECT_EQ(r.error().position, 31u);
  EXPECT_NE(r.error().message.find("prev_hash"), std::string::npos);
}

TEST_F(tamper, a_changed_head_event_is_named_on_open) {
  flip("events", raw_db::key(50), -1);
  corrupted_at(50u);
}

TEST_F(tamper, a_changed_event_near_the_head_is_named_on_open) {
  flip("events", raw_db::key(44), record_canonical_offset + 20);
  corrupted_at(44u);
}

TEST_F(tamper, a_tampered_head_record_is_named_on_open) {
  flip("chain", "head", 20);  // the hash part
  corrupted_at(50u);
}

TEST_F(tamper, deleting_the_last_events_is_named_on_open) {
  {
    raw_db raw(dir_.path());
    for (std::uint64_t p = 48; p <= 50; ++p) raw.erase("events", raw_db::key(p));
  }
  auto e = corrupted_at(48u);
  EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;
}

TEST_F(tamper, deleting_the_head_record_is_named_on_open) {
  {
    raw_db raw(dir_.path());
    raw.erase("chain", "head");
  }
  corrupted_at(50u);
}

TEST_F(tamper, deleting_the_last_events_and_rewinding_the_head_record_is_named_on_open) {
  // Truncation with a consistent-looking head record pointing at event 47:
  // the hash recorded for the head is still that of event 50.
  {
    raw_db raw(dir_.path());
    for (std::uint64_t p = 48; p <= 50; ++p) raw.erase("events", raw_db::key(p));
    std::string h = raw.get("chain", "head");
    h.replace(0, 8, raw_db::key(47));
    raw.put("chain", "head", h);
  }
  corrupted_at(47u);
}

TEST_F(tamper, a_missing_middle_event_is_named_by_verify_and_reads) {
  {
    raw_db raw(dir_.path());
    raw.erase("events", raw_db::key(12));
  }
  auto s = open_store(dir_.path());
  ASSERT_TRUE(s);
  auto v = s->verify();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().position, 12u);
  auto r = s->read_all(1, 100);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupted);
  EXPECT_EQ(r.error().position, 12u);
  EXPECT_TRUE(s->read_all(13, 100));
}

TEST_F(tamper, garbage_bytes_in_the_events_column_family_are_corrupted_never_a_throw) {
  const std::vector<std::string> garbage = {
      "", "x", std::string(70, '\x01'), std::string(200, '\xff'),
      std::string("\x01\x00", 2) + std::string(68, '\0') + "\xff\xff\xff\xff"};
  for (std::size_t g = 0; g < garbage.size(); ++g) {
    {
      raw_db raw(dir_.path());
      raw.put("events", raw_db::key(10), garbage[g]);
    }
    auto s = open_store(dir_.path());
    ASSERT_TRUE(s);
    auto all = s->read_all(1, 100);
    ASSERT_FALSE(all) << "garbage " << g;
    EXPECT_EQ(all.error().code, errc::corrupted);
    EXPECT_EQ(all.error().position, 10u);
    auto stream = s->read_stream("risk-0");  // positions 9 and 10 belong to risk-0
    ASSERT_FALSE(stream);
    EXPECT_EQ(stream.error().code, errc::corrupted);
    EXPECT_EQ(stream.error().position, 10u);
    std::uint64_t visited = 0;
    auto scanned = s->scan(1, UINT64_MAX, [&](const event_view&) { return ++visited, true; });
    ASSERT_FALSE(scanned);
    EXPECT_EQ(scanned.error().code, errc::corrupted);
    EXPECT_EQ(scanned.error().position, 10u);
    EXPECT_EQ(visited, 9u);
    auto v = s->verify();
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().position, 10u);
  }
}

TEST_F(tamper, a_payload_that_is_not_json_is_corrupted_on_read) {
  {
    raw_db raw(dir_.path());
    std::string v = raw.get("events", raw_db::key(5));
    v.back() = '{';  // the payload's closing brace becomes an opening one
    raw.put("events", raw_db::key(5), v);
  }
  auto s = open_store(dir_.path());
  auto r = s->read_all(5, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupted);
  EXPECT_EQ(r.error().position, 5u);
}

TEST_F(tamper, an_event_moved_to_another_position_is_named) {
  {
    raw_db raw(dir_.path());
    raw.put("events", raw_db::key(15), raw.get("events", raw_db::key(16)));
  }
  auto s = open_store(dir_.path());
  auto r = s->read_all(15, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().position, 15u);
  EXPECT_EQ(s->verify().error().position, 15u);
}

TEST_F(tamper, verify_of_an_intact_store_returns_the_head) {
  auto s = open_store(dir_.path());
  auto v = s->verify();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->position, 50u);
  EXPECT_EQ(v->hash, s->current_head().hash);
  auto part = s->verify(10, 20);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->position, 20u);
  EXPECT_EQ(part->hash, s->read_all(20, 1)->front().hash);
  auto beyond = s->verify(60);  // nothing to walk: the stored head, no error
  ASSERT_TRUE(beyond) << beyond.error().message;
  EXPECT_EQ(beyond->position, 50u);
}

TEST_F(tamper, verify_after_links_to_the_trusted_hash_not_the_stored_one) {
  auto s = open_store(dir_.path());
  auto prefix = s->verify(1, 30);
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->position, 30u);
  auto rest = s->verify_after(*prefix);
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->position, 50u);
  auto nothing_new = s->verify_after(*rest);
  ASSERT_TRUE(nothing_new);
  EXPECT_EQ(nothing_new->hash, rest->hash);
  head wrong = *prefix;
  wrong.hash[0] ^= 1;  // what an auditor trusted differs from what is stored
  auto r = s->verify_after(wrong);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().position, 31u);
  head changed_head = *rest;
  changed_head.hash[0] ^= 1;
  EXPECT_FALSE(s->verify_after(changed_head));
  EXPECT_FALSE(s->health().writable);
}

}  // namespace
}  // namespace isms::eventstore::tamper_test
