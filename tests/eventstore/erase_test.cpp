// Erasure of personal data: a payload replaced by a tombstone leaves the chain
// verifiable through the payload's digest, in the store and in an export.
#include "test_support.hpp"

namespace isms::eventstore {
namespace {

using testing::events;
using testing::open_store;
using testing::temp_dir;

TEST(erase_payload, replaces_the_payload_and_the_chain_still_verifies) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-17", expected_version::any(), events(5), ""));
  const recorded_event before = s->read_all(3, 1)->front();
  const nlohmann::json tombstone = {{"erased", "gdpr-art-17"}, {"request", "dsr-2025-004"}};
  ASSERT_TRUE(s->erase_payload(3, tombstone));

  const recorded_event after = s->read_all(3, 1)->front();
  EXPECT_TRUE(after.data_erased);
  EXPECT_EQ(after.data, tombstone);
  EXPECT_EQ(after.data_digest, before.data_digest);
  EXPECT_EQ(after.hash, before.hash);
  EXPECT_EQ(after.metadata.actor, before.metadata.actor);
  EXPECT_TRUE(s->verify());
  // An export line of the erased event verifies on its own too.
  auto line = from_export_json(nlohmann::json::parse(to_export_json(after).dump()));
  ASSERT_TRUE(line);
  EXPECT_TRUE(verify_event(*line, before.prev_hash));
  // Erasing again replaces the tombstone; the head event can be erased and the
  // store still opens (the open-time check honours the flag).
  ASSERT_TRUE(s->erase_payload(3, {{"erased", "again"}}));
  ASSERT_TRUE(s->erase_payload(5, tombstone));
  s.reset();
  s = open_store(dir.path());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->read_all(3, 1)->front().data.at("erased"), "again");
  EXPECT_TRUE(s->verify());
}

TEST(erase_payload, refuses_what_it_cannot_do) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-17", expected_version::any(), events(2), ""));
  EXPECT_EQ(s->erase_payload(0, {{"erased", true}}).error().code, errc::not_found);
  EXPECT_EQ(s->erase_payload(3, {{"erased", true}}).error().code, errc::not_found);
  EXPECT_EQ(s->erase_payload(1, "erased").error().code, errc::invalid_data);
  EXPECT_FALSE(s->read_all(1, 1)->front().data_erased);
}

TEST(erase_payload, an_export_that_hides_the_erasure_fails_verification) {
  temp_dir dir;
  auto s = open_store(dir.path());
  ASSERT_TRUE(s->append("user-17", expected_version::any(), events(2), ""));
  ASSERT_TRUE(s->erase_payload(1, {{"erased", true}}));
  auto e = s->read_all(1, 1)->front();
  EXPECT_TRUE(verify_event(e, digest{}));
  e.data_erased = false;  // presents the tombstone as if it were the payload
  EXPECT_FALSE(verify_event(e, digest{}));
}

}  // namespace
}  // namespace isms::eventstore
