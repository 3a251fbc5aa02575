// Online backups and restore: a backup taken while appends continue restores
// to a store that verifies and holds every event acknowledged before it began.
#include <atomic>
#include <fstream>
#include <thread>

#include "test_support.hpp"

namespace isms::eventstore {
namespace {

using testing::events;
using testing::open_store;
using testing::temp_dir;

TEST(backup, taken_during_appends_restores_a_verified_store_with_every_acknowledged_event) {
  temp_dir dir;
  auto s = open_store(dir / "live");
  ASSERT_TRUE(s);
  std::atomic<std::uint64_t> acknowledged{0};  // highest position acknowledged so far
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        auto r = s->append("risk-" + std::to_string(t), expected_version::any(), events(1 + i % 2, i), "");
        ASSERT_TRUE(r) << r.error().message;
        std::uint64_t seen = acknowledged.load();
        while (seen < r->last_position && !acknowledged.compare_exchange_weak(seen, r->last_position)) {
        }
        acknowledged.notify_all();
      }
    });
  }
  // Let some appends land, then back up while they continue.
  while (acknowledged.load() < 300) acknowledged.wait(acknowledged.load());
  const std::uint64_t before = acknowledged.load();
  auto b = s->backup_to(dir / "backup");
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_TRUE(b) << b.error().message;

  auto r = store::restore(dir / "backup", dir / "restored");
  ASSERT_TRUE(r) << r.error().message;
  auto restored = open_store(dir / "restored");
  ASSERT_TRUE(restored);
  const head h = restored->current_head();
  EXPECT_GE(h.position, before);
  EXPECT_TRUE(restored->verify());
  // The restored events are the live store's events, byte for byte in hash.
  auto mine = restored->read_all(1, SIZE_MAX);
  auto live = s->read_all(1, h.position);
  ASSERT_TRUE(mine && live);
  ASSERT_EQ(mine->size(), h.position);
  for (std::size_t i = 0; i < mine->size(); ++i) ASSERT_EQ((*mine)[i].hash, (*live)[i].hash) << i + 1;
  // The restored store continues the chain.
  auto next = restored->append("risk-0", expected_version::any(), events(1), "");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first_position, h.position + 1);
  EXPECT_EQ(restored->read_all(h.position + 1, 1)->front().prev_hash, h.hash);
}

TEST(backup, refuses_an_existing_target) {
  temp_dir dir;
  auto s = open_store(dir / "live");
  std::filesystem::create_directories(dir / "taken");
  auto b = s->backup_to(dir / "taken");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, errc::invalid_argument);
}

TEST(restore, refuses_a_non_empty_target_and_a_missing_backup) {
  temp_dir dir;
  {
    auto s = open_store(dir / "live");
    ASSERT_TRUE(s->append("risk-1", expected_version::any(), events(2), ""));
    ASSERT_TRUE(s->backup_to(dir / "backup"));
  }
  std::filesystem::create_directories(dir / "busy");
  std::ofstream(dir / "busy" / "x") << "x";
  EXPECT_EQ(store::restore(dir / "backup", dir / "busy").error().code, errc::invalid_argument);
  EXPECT_EQ(store::restore(dir / "nothing", dir / "new").error().code, errc::not_found);
}

}  // namespace
}  // namespace isms::eventstore
