// Crash safety: a child process appends from several threads and reports each
// acknowledgement through a pipe; it is SIGKILLed at a random moment, again
// and again. After every kill the store must open, hold every acknowledged
// event at its acknowledged position, be gapless, and verify.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <sstream>

#include "test_support.hpp"

namespace isms::eventstore::crash_test {
namespace {

using testing::temp_dir;

struct ack {
  std::string stream;
  std::uint64_t version;
};

// Runs the child on `dir`, kills it after `kill_after` acknowledgements, and
// returns every line it wrote before dying.
std::vector<std::string> run_and_kill(const std::filesystem::path& dir, int run, int kill_after) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2";
    return {};
  }
  const std::string child = ISMS_CRASH_CHILD;
  const std::string dir_arg = dir.string();
  const std::string run_arg = std::to_string(run);
  char* argv[] = {const_cast<char*>(child.c_str()), const_cast<char*>(dir_arg.c_str()),
                  const_cast<char*>(run_arg.c_str()), nullptr};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
    ::execv(argv[0], argv);
    _exit(127);
  }
  ::close(fds[1]);
  std::vector<std::string> lines;
  std::string partial;
  bool killed = false;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child is dead and everything it wrote is read
    partial.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
      lines.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    if (!killed && static_cast<int>(lines.size()) >= kill_after) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child ended on its own: " << (lines.empty() ? "" : lines.back());
  return lines;
}

TEST(crash, every_acknowledged_append_survives_sigkill_and_the_chain_verifies) {
  temp_dir dir;
  std::mt19937 rng(20251129);
  std::map<std::uint64_t, ack> acked;  // position → what was acknowledged there
  constexpr int runs = 12;
  for (int run = 0; run < runs; ++run) {
    // Kill early (during open/first appends) in some runs, later in others.
    const int kill_after = run % 4 == 0 ? 1 : std::uniform_int_distribution<int>(2, 400)(rng);
    auto lines = run_and_kill(dir.path(), run, kill_after);
    ASSERT_FALSE(lines.empty()) << "run " << run;
    for (const auto& line : lines) {
      ASSERT_NE(line.rfind("OPEN_FAILED", 0), 0u) << line;
      ASSERT_NE(line.rfind("APPEND_FAILED", 0), 0u) << line;
      std::istringstream in(line);
      std::string stream;
      std::uint64_t version = 0, first = 0, last = 0;
      ASSERT_TRUE(in >> stream >> version >> first >> last) << line;
      for (std::uint64_t p = first; p <= last; ++p) {
        const bool fresh = acked.emplace(p, ack{stream, version - (last - p)}).second;
        ASSERT_TRUE(fresh) << "position " << p << " acknowledged twice";
      }
    }

    auto opened = store::open(options{}, dir.path());
    ASSERT_TRUE(opened) << "run " << run << ": " << opened.error().message;
    store& s = **opened;
    auto v = s.verify();
    ASSERT_TRUE(v) << "run " << run << ": " << v.error().message;
    ASSERT_GE(v->position, acked.rbegin()->first);
    auto all = s.read_all(1, SIZE_MAX);  // fails on any gap
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), v->position);
    for (const auto& [pos, a] : acked) {
      const recorded_event& e = (*all)[pos - 1];
      ASSERT_EQ(e.stream, a.stream) << "position " << pos;
      ASSERT_EQ(e.version, a.version) << "position " << pos;
    }
  }
  EXPECT_GT(acked.size(), static_cast<std::size_t>(runs));
}

}  // namespace
}  // namespace isms::eventstore::crash_test
