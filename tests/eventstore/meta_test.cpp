// The meta side store: small blobs (projection checkpoints) persisted
// atomically in their own column family, next to the log.
#include "test_support.hpp"

namespace isms::eventstore::meta_test {
namespace {

using testing::open_store;
using testing::temp_dir;

TEST(meta, put_get_erase_and_survive_reopen) {
  temp_dir dir;
  {
    auto s = open_store(dir.path());
    EXPECT_EQ(s->get_meta("projection/risks").error().code, errc::not_found);
    ASSERT_TRUE(s->put_meta("projection/risks", std::string("pos=42\0bin", 10)));
    ASSERT_TRUE(s->put_meta("projection/soa", "pos=7"));
    ASSERT_TRUE(s->put_meta("projection/soa", "pos=8"));
    ASSERT_TRUE(s->erase_meta("gone"));
  }
  auto s = open_store(dir.path());
  EXPECT_EQ(*s->get_meta("projection/risks"), std::string("pos=42\0bin", 10));
  EXPECT_EQ(*s->get_meta("projection/soa"), "pos=8");
  ASSERT_TRUE(s->erase_meta("projection/soa"));
  EXPECT_EQ(s->get_meta("projection/soa").error().code, errc::not_found);
  EXPECT_EQ(s->current_head().position, 0u);  // meta is not part of the log
  EXPECT_TRUE(s->verify());
}

TEST(meta, bounds_on_keys_and_values) {
  temp_dir dir;
  options o;
  o.max_meta_bytes = 100;
  auto s = open_store(dir.path(), o);
  EXPECT_EQ(s->put_meta("", "x").error().code, errc::invalid_argument);
  EXPECT_EQ(s->put_meta(std::string(257, 'k'), "x").error().code, errc::invalid_argument);
  EXPECT_EQ(s->put_meta("k", std::string(101, 'v')).error().code, errc::invalid_argument);
  EXPECT_TRUE(s->put_meta(std::string(256, 'k'), std::string(100, 'v')));
  EXPECT_EQ(s->get_meta("").error().code, errc::invalid_argument);
}

// Several keys in one write: all survive a reopen, or, when one is out of
// bounds, none is written.
TEST(meta, several_keys_in_one_write_all_or_none) {
  temp_dir dir;
  options o;
  o.max_meta_bytes = 100;
  {
    auto s = open_store(dir.path(), o);
    const std::vector<std::pair<std::string, std::string_view>> good{{"snap/1/0", "first"}, {"snap/1/1", "second"}};
    ASSERT_TRUE(s->put_meta(good));
    const std::string too_long(101, 'v');
    const std::vector<std::pair<std::string, std::string_view>> bad{{"snap/2/0", "fine"}, {"snap/2/1", too_long}};
    EXPECT_EQ(s->put_meta(bad).error().code, errc::invalid_argument);
    const std::vector<std::pair<std::string, std::string_view>> no_key{{"snap/3/0", "fine"}, {"", "x"}};
    EXPECT_EQ(s->put_meta(no_key).error().code, errc::invalid_argument);
  }
  auto s = open_store(dir.path(), o);
  EXPECT_EQ(*s->get_meta("snap/1/0"), "first");
  EXPECT_EQ(*s->get_meta("snap/1/1"), "second");
  EXPECT_EQ(s->get_meta("snap/2/0").error().code, errc::not_found);
  EXPECT_EQ(s->get_meta("snap/3/0").error().code, errc::not_found);
}

}  // namespace
}  // namespace isms::eventstore::meta_test
