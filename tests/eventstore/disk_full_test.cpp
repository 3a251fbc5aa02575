// A full disk: the store stops accepting, answers every waiting append with
// errc::io, acknowledges nothing that is not durable, keeps serving reads, and
// takes appends again by itself once space returns. Runs on a size-limited
// tmpfs the test mounts (root only; skipped with a message otherwise).
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "test_support.hpp"

namespace isms::eventstore::disk_full_test {
namespace {

using testing::make_event;
using testing::open_store;
using testing::temp_dir;

// A tmpfs of `bytes` mounted on a fresh folder; unmounted on destruction.
class small_filesystem {
 public:
  explicit small_filesystem(std::size_t bytes) : mount_point_(dir_ / "fs") {
    std::filesystem::create_directories(mount_point_);
    const std::string opts = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
    } else {
      problem_ = std::string("cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ") + std::strerror(errno);
    }
  }
  ~small_filesystem() {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
  }
  [[nodiscard]] bool mounted() const { return mounted_; }
  [[nodiscard]] const std::string& problem() const { return problem_; }
  [[nodiscard]] const std::filesystem::path& path() const { return mount_point_; }

 private:
  temp_dir dir_;
  std::filesystem::path mount_point_;
  bool mounted_ = false;
  std::string problem_;
};

// Fills `file` with `bytes` zeros (the space the test gives back later).
bool write_filler(const std::filesystem::path& file, std::size_t bytes) {
  std::ofstream out(file, std::ios::binary);
  const std::string chunk(64 << 10, '\0');
  for (std::size_t n = 0; n < bytes; n += chunk.size()) out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  out.flush();
  return static_cast<bool>(out);
}

std::vector<event_data> big_event(int n) {
  std::vector<event_data> v;
  v.push_back(make_event("risk.identified.v1", {{"n", n}, {"notes", std::string(48 << 10, 'x')}}));
  return v;
}

TEST(disk_full, appends_fail_with_io_reads_continue_and_appends_resume_when_space_returns) {
  small_filesystem fs(24u << 20);
  if (!fs.mounted()) GTEST_SKIP() << fs.problem();
  const auto data = fs.path() / "store";
  const auto filler = fs.path() / "filler";
  ASSERT_TRUE(write_filler(filler, 6u << 20));

  options o;
  o.resume_interval = std::chrono::milliseconds(20);
  auto s = open_store(data, o);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->health().writable);

  // Several appenders at once, so that some wait in the queue when the write fails.
  std::atomic<int> next{0};
  std::atomic<bool> full{false};
  std::mutex mu;
  std::vector<std::pair<int, append_result>> acknowledged;
  std::vector<error> failures;
  std::vector<std::thread> appenders;
  for (int t = 0; t < 4; ++t) {
    appenders.emplace_back([&] {
      while (!full.load()) {
        const int n = next.fetch_add(1);
        auto r = s->append("risk-" + std::to_string(n % 3), expected_version::any(), big_event(n),
                           "cmd-" + std::to_string(n));
        std::lock_guard lk(mu);
        if (r) {
          acknowledged.emplace_back(n, *r);
        } else {
          failures.push_back(r.error());
          full = true;
        }
      }
    });
  }
  for (auto& t : appenders) t.join();
  ASSERT_FALSE(failures.empty());
  for (const auto& f : failures) EXPECT_EQ(f.code, errc::io) << to_string(f.code) << ": " << f.message;
  ASSERT_FALSE(acknowledged.empty());

  // Read-only now, and saying why; a further append is refused at once.
  const store_health h = s->health();
  EXPECT_FALSE(h.writable);
  EXPECT_EQ(h.reason, errc::io);
  EXPECT_FALSE(h.message.empty());
  auto refused = s->append("risk-0", expected_version::any(), big_event(-1), "cmd-refused");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::io);

  // Reads keep working, and hold exactly what was acknowledged.
  const head at_full = s->current_head();
  EXPECT_EQ(at_full.position, acknowledged.size());
  for (const auto& [n, r] : acknowledged) {
    auto e = s->read_all(r.first_position, 1);
    ASSERT_TRUE(e) << e.error().message;
    ASSERT_EQ(e->size(), 1u);
    EXPECT_EQ(e->front().data.at("n"), n);
  }
  EXPECT_TRUE(s->verify());

  // Space returns: appends resume by themselves (the store retries in the background).
  std::filesystem::remove(filler);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  result<append_result> resumed = std::unexpected(error{});
  while (std::chrono::steady_clock::now() < deadline) {
    resumed = s->append("risk-0", expected_version::any(), testing::one_event(1), "cmd-after");
    if (resumed) break;
    ASSERT_EQ(resumed.error().code, errc::io) << resumed.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_TRUE(s->health().writable);
  EXPECT_EQ(resumed->first_position, at_full.position + 1) << "positions stay gapless";
  EXPECT_TRUE(s->verify());

  // After a restart: every acknowledged event where it was acknowledged, no
  // failed append written, the chain intact.
  s.reset();
  s = open_store(data);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->current_head().position, at_full.position + 1);
  for (const auto& [n, r] : acknowledged) {
    auto found = s->find_command("cmd-" + std::to_string(n));
    ASSERT_TRUE(found && found->has_value()) << n;
    EXPECT_EQ((*found)->first_position, r.first_position);
  }
  EXPECT_TRUE(s->verify());
}

}  // namespace
}  // namespace isms::eventstore::disk_full_test
