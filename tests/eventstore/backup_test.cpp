// Online backups and restore: a backup taken while appends continue restores
// to a store that verifies and holds every event acknowledged before it began.
#include <atomic>
#include <fstream>
#include <thread>

#include "test_support.hpp"

namespace isms::eventstore::backup_test {
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

// Long work tells how far it got: restore the bytes it copied, then the
// events verified, each ending at its total; the verify walk is the same
// single walk as verify(), with the same answer.
TEST(restore, reports_the_bytes_copied_and_the_events_verified) {
  temp_dir dir;
  {
    auto s = open_store(dir / "live");
    ASSERT_TRUE(s);
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(s->append("risk-" + std::to_string(i % 3), expected_version::any(), events(500), ""));
    ASSERT_TRUE(s->backup_to(dir / "backup"));
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> copied, verified;
  auto r = store::restore(dir / "backup", dir / "restored",
                          [&](std::uint64_t done, std::uint64_t total) { copied.emplace_back(done, total); },
                          [&](std::uint64_t done, std::uint64_t total) { verified.emplace_back(done, total); });
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(copied.empty());
  EXPECT_GT(copied.back().second, 0u);
  EXPECT_EQ(copied.back().first, copied.back().second);
  ASSERT_GE(verified.size(), 2u) << "20000 events: a report every 16384, and the end";
  EXPECT_EQ(verified.front(), (std::pair<std::uint64_t, std::uint64_t>{16384, 20000}));
  EXPECT_EQ(verified.back(), (std::pair<std::uint64_t, std::uint64_t>{20000, 20000}));
  for (std::size_t i = 1; i < copied.size(); ++i) EXPECT_LE(copied[i - 1].first, copied[i].first);

  auto restored = open_store(dir / "restored");
  ASSERT_TRUE(restored);
  std::uint64_t calls = 0;
  auto walked = restored->verify_with_progress(5, [&](std::uint64_t, std::uint64_t total) {
    ++calls;
    EXPECT_EQ(total, 20000u - 4);
  });
  ASSERT_TRUE(walked) << walked.error().message;
  EXPECT_EQ(walked->position, 20000u);
  EXPECT_EQ(walked->hash, restored->verify()->hash);
  EXPECT_EQ(calls, 2u);
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
}  // namespace isms::eventstore::backup_test
