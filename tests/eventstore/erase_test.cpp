// Erasure of personal data: the erasure is an event in the chain naming the
// erased position and the digest of the tombstone; the tombstone keeps every
// field but the erased ones. A payload flagged erased without such an event —
// a forgery by someone holding the data folder — is named by open, reads and
// verify, and is never served.
#include <rocksdb/sst_file_reader.h>

#include <fstream>
#include <iterator>

#include "raw_db.hpp"
#include "test_support.hpp"

namespace isms::eventstore::erase_test {
namespace {

using testing::corrupted_on_open;
using testing::fill_fifty;
using testing::make_event;
using testing::open_store;
using testing::raw_db;
using testing::temp_dir;

std::vector<event_data> user_events(int count) {
  std::vector<event_data> v;
  for (int i = 0; i < count; ++i)
    v.push_back(make_event("user.registered.v1", {{"name", "User " + std::to_string(i)},
                                                  {"email", "user" + std::to_string(i) + "@example.org"},
                                                  {"roles", {"contributor"}}}));
  return v;
}

erasure_request erase_email(std::uint64_t position, std::string command_id = "") {
  erasure_request r;
  r.position = position;
  r.fields = {"email"};
  r.reason = "GDPR Art. 17, request DSR-2026-004 (employee left)";
  r.metadata.actor = "u-admin";
  r.metadata.command_id = std::move(command_id);
  r.metadata.recorded_at_ms = 1764460800000;
  return r;
}

TEST(erase_payload, records_an_erasure_event_and_keeps_the_chain_verifiable) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-17", expected_version::any(), user_events(5), ""));
  const recorded_event before = s->read_all(3, 1)->front();

  auto r = s->erase_payload(erase_email(3, "erase-1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->erasure_position, 6u);
  EXPECT_FALSE(r->duplicate);

  const recorded_event after = s->read_all(3, 1)->front();
  EXPECT_TRUE(after.data_erased);
  EXPECT_EQ(after.data.at("email"), std::string(erased_marker));
  EXPECT_EQ(after.data.at("name"), "User 2");  // only the named field is gone
  EXPECT_EQ(after.data_digest, before.data_digest);
  EXPECT_EQ(after.hash, before.hash);
  EXPECT_EQ(r->tombstone_digest, sha256(*canonical_json(after.data)));

  // The erasure event: who, why, which position, which tombstone.
  const recorded_event erasure = s->read_all(6, 1)->front();
  EXPECT_EQ(erasure.stream, erasure_stream);
  EXPECT_EQ(erasure.type, erasure_event_type);
  EXPECT_EQ(erasure.metadata.actor, "u-admin");
  EXPECT_EQ(erasure.data.at("position"), 3);
  EXPECT_EQ(erasure.data.at("fields"), nlohmann::json::array({"email"}));
  EXPECT_EQ(erasure.data.at("reason"), "GDPR Art. 17, request DSR-2026-004 (employee left)");
  EXPECT_EQ(erasure.data.at("tombstone_sha256"), to_hex(r->tombstone_digest));
  EXPECT_EQ(s->read_stream(std::string(erasure_stream))->size(), 1u);
  EXPECT_TRUE(s->verify());

  // The same command again writes nothing; erasing more fields later works;
  // the store reopens and verifies.
  auto again = s->erase_payload(erase_email(3, "erase-1"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(s->current_head().position, 6u);
  auto name = erase_email(3);
  name.fields = {"name"};
  ASSERT_TRUE(s->erase_payload(name));
  ASSERT_TRUE(s->erase_payload(erase_email(5)));
  s.reset();
  s = open_store(dir.path());
  ASSERT_TRUE(s);
  const auto third = s->read_all(3, 1)->front().data;
  EXPECT_EQ(third.at("name"), std::string(erased_marker));
  EXPECT_EQ(third.at("email"), std::string(erased_marker));
  EXPECT_EQ(third.at("roles"), nlohmann::json::array({"contributor"}));
  EXPECT_TRUE(s->verify());
  EXPECT_TRUE(s->health().writable);
  // An export line of the erased event verifies on its own too.
  auto line = from_export_json(nlohmann::json::parse(to_export_json(s->read_all(3, 1)->front()).dump()));
  ASSERT_TRUE(line);
  EXPECT_TRUE(verify_event(*line, before.prev_hash));
}

// True when any file of the store holds `needle`: the write-ahead logs byte
// for byte (they are not compressed), the SST files entry by entry (their
// blocks may be).
bool any_file_holds(const std::filesystem::path& dir, const std::string& needle) {
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    if (f.path().extension() == ".sst") {
      rocksdb::Options o;
      rocksdb::SstFileReader reader(o);
      if (!reader.Open(f.path().string()).ok()) {
        ADD_FAILURE() << "cannot read " << f.path();
        continue;
      }
      std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
      for (it->SeekToFirst(); it->Valid(); it->Next())
        if (it->value().ToString().find(needle) != std::string::npos) return true;
      continue;
    }
    std::ifstream in(f.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(erase_payload, leaves_the_erased_bytes_in_no_file_of_the_store) {
  // Addresses that occur once each, so that even compressed files hold them
  // as literal bytes.
  const std::string erased = "q7v2k9x4m1z8w3c6@example.org", kept = "h5j0n8b2t6r4y1p9@example.org";
  temp_dir dir;
  auto s = open_store(dir.path());
  for (const auto& address : {erased, kept})
    ASSERT_TRUE(s->append("user-" + address.substr(0, 4), expected_version::any(),
                          {make_event("user.registered.v1", {{"name", "N"}, {"email", address}, {"roles", {"contributor"}}})},
                          ""));
  s.reset();  // the records now also sit in an SST file, not only in the log
  s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-18", expected_version::any(), user_events(2), ""));
  ASSERT_TRUE(any_file_holds(dir.path(), erased));
  ASSERT_TRUE(any_file_holds(dir.path(), kept));
  ASSERT_TRUE(s->erase_payload(erase_email(1)));
  EXPECT_FALSE(any_file_holds(dir.path(), erased));
  EXPECT_TRUE(any_file_holds(dir.path(), kept));  // only the erased event is touched
  EXPECT_TRUE(s->verify());
}

TEST(erase_payload, refuses_what_it_cannot_do) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-17", expected_version::any(), user_events(2), ""));
  ASSERT_TRUE(s->append("risk-1", expected_version::any(), {make_event("risk.rated.v1", 7)}, ""));
  EXPECT_EQ(s->erase_payload(erase_email(0)).error().code, errc::not_found);
  EXPECT_EQ(s->erase_payload(erase_email(4)).error().code, errc::not_found);
  auto no_fields = erase_email(1);
  no_fields.fields.clear();
  EXPECT_EQ(s->erase_payload(no_fields).error().code, errc::invalid_argument);
  auto absent = erase_email(1);
  absent.fields = {"phone"};
  EXPECT_EQ(s->erase_payload(absent).error().code, errc::invalid_argument);
  auto not_text = erase_email(1);
  not_text.fields = {"roles"};
  EXPECT_EQ(s->erase_payload(not_text).error().code, errc::invalid_argument);
  auto no_reason = erase_email(1);
  no_reason.reason.clear();
  EXPECT_EQ(s->erase_payload(no_reason).error().code, errc::invalid_argument);
  EXPECT_EQ(s->erase_payload(erase_email(3)).error().code, errc::invalid_argument);  // not an object
  EXPECT_EQ(s->current_head().position, 3u);
  EXPECT_FALSE(s->read_all(1, 1)->front().data_erased);

  // An erasure event cannot be erased, nor appended by anyone but the store.
  ASSERT_TRUE(s->erase_payload(erase_email(1)));
  auto erasure_itself = erase_email(4);
  erasure_itself.fields = {"reason"};
  EXPECT_EQ(s->erase_payload(erasure_itself).error().code, errc::invalid_argument);
  auto forged = s->append(std::string(erasure_stream), expected_version::any(),
                          {make_event("eventstore.payload_erased.v1", {{"position", 2}})}, "");
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, errc::invalid_stream);
  auto forged_type = s->append("user-17", expected_version::any(),
                               {make_event("eventstore.payload_erased.v1", {{"position", 2}})}, "");
  ASSERT_FALSE(forged_type);
  EXPECT_EQ(forged_type.error().code, errc::invalid_type);
  EXPECT_TRUE(s->verify());
}

TEST(erase_payload, an_export_that_hides_the_erasure_fails_verification) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-17", expected_version::any(), user_events(2), ""));
  ASSERT_TRUE(s->erase_payload(erase_email(1)));
  auto e = s->read_all(1, 1)->front();
  EXPECT_TRUE(verify_event(e, digest{}));
  e.data_erased = false;  // presents the tombstone as if it were the payload
  EXPECT_FALSE(verify_event(e, digest{}));
}

// ---- forgeries by someone holding the data folder ------------------------------

constexpr std::size_t record_flags_offset = 1;
constexpr std::size_t record_canonical_offset = 70;

std::size_t canonical_length(const std::string& record) {
  return (static_cast<std::size_t>(static_cast<unsigned char>(record[66])) << 24) |
         (static_cast<std::size_t>(static_cast<unsigned char>(record[67])) << 16) |
         (static_cast<std::size_t>(static_cast<unsigned char>(record[68])) << 8) |
         static_cast<std::size_t>(static_cast<unsigned char>(record[69]));
}

// Sets the erased flag on the record at `position` and writes `payload` in
// place of its payload — on a stopped store.
void forge_erased_payload(const std::filesystem::path& dir, std::uint64_t position, const nlohmann::json& payload) {
  raw_db raw(dir);
  std::string v = raw.get("events", raw_db::key(position));
  std::string forged = v.substr(0, record_canonical_offset + canonical_length(v));
  forged[record_flags_offset] = static_cast<char>(forged[record_flags_offset] | 1);
  forged += *canonical_json(payload);
  raw.put("events", raw_db::key(position), forged);
}

class erased_flag_forgery : public ::testing::Test {
 protected:
  void SetUp() override {
    fill_fifty(dir_.path(), [](int i) { return "user-" + std::to_string(i); }, [](int) { return user_events(2); });
  }
  temp_dir dir_;
  const nlohmann::json forged_ = {{"name", "Mallory"}, {"email", "mallory@example.org"}, {"roles", {"admin"}}};
};

TEST_F(erased_flag_forgery, in_the_middle_is_named_by_reads_and_verify_and_makes_the_store_read_only) {
  forge_erased_payload(dir_.path(), 20, forged_);
  auto s = open_store(dir_.path());  // position 20 is outside the open-time window
  ASSERT_TRUE(s);
  // Never served as data: reads, scans and subscriptions name the position.
  auto read = s->read_all(20, 1);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, errc::corrupted);
  EXPECT_EQ(read.error().position, 20u);
  auto stream = s->read_stream("user-9");
  ASSERT_FALSE(stream);
  EXPECT_EQ(stream.error().position, 20u);
  auto scanned = s->scan(1, 50, [](const event_view& e) { return e.data_json.find("Mallory") == std::string_view::npos; });
  ASSERT_FALSE(scanned);
  EXPECT_EQ(scanned.error().position, 20u);
  auto v = s->verify();
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, errc::corrupted);
  EXPECT_EQ(v.error().position, 20u);
  EXPECT_NE(v.error().message.find("erased"), std::string::npos) << v.error().message;
  // Read-only now: appends are refused and say why.
  const store_health h = s->health();
  EXPECT_FALSE(h.writable);
  EXPECT_EQ(h.reason, errc::corrupted);
  EXPECT_EQ(h.position, 20u);
  auto refused = s->append("user-99", expected_version::any(), user_events(1), "");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::corrupted);
  EXPECT_EQ(s->current_head().position, 50u);
}

TEST_F(erased_flag_forgery, near_the_head_is_named_on_open) {
  forge_erased_payload(dir_.path(), 48, forged_);
  corrupted_on_open(dir_.path(), 48u);
}

TEST_F(erased_flag_forgery, over_a_legitimate_erasure_is_named_on_open) {
  // The administrator erased position 10; the attacker replaces the tombstone.
  {
    auto s = open_store(dir_.path());
    ASSERT_TRUE(s->erase_payload(erase_email(10)));
  }
  forge_erased_payload(dir_.path(), 10, forged_);
  corrupted_on_open(dir_.path(), 10u);
}

TEST_F(erased_flag_forgery, undoing_an_erasure_is_named_on_open) {
  std::string original;
  {
    raw_db raw(dir_.path());
    original = raw.get("events", raw_db::key(10));
  }
  {
    auto s = open_store(dir_.path());
    ASSERT_TRUE(s->erase_payload(erase_email(10)));
  }
  {
    raw_db raw(dir_.path());
    raw.put("events", raw_db::key(10), original);  // the personal data is back
  }
  const auto e = corrupted_on_open(dir_.path(), 10u);
  EXPECT_NE(e.message.find("undone"), std::string::npos) << e.message;
}

TEST_F(erased_flag_forgery, verifying_from_a_trusted_prefix_checks_erasures_of_the_prefix) {
  auto s = open_store(dir_.path());
  auto prefix = s->verify();
  ASSERT_TRUE(prefix);
  ASSERT_TRUE(s->erase_payload(erase_email(10)));
  auto rest = s->verify_after(*prefix);
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_EQ(rest->position, 51u);
  EXPECT_EQ(rest->hash, s->current_head().hash);

  // A forged tombstone over an erasure deep in the prefix is named at open
  // (open checks the target of every erasure event).
  ASSERT_TRUE(s->erase_payload(erase_email(11)));
  s.reset();
  forge_erased_payload(dir_.path(), 11, forged_);
  auto reopened = store::open(options{}, dir_.path());
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().position, 11u);
}

}  // namespace
}  // namespace isms::eventstore::erase_test
