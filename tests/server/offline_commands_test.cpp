// The operator's offline subcommands of the real ismsd executable: each one
// that works on an existing store refuses a --data that holds none, with a
// clear message and a non-zero exit, and creates nothing there.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "isms/eventstore/store.hpp"

#ifndef ISMSD_PATH
#error "ISMSD_PATH must name the ismsd executable"
#endif

namespace isms::testing {
namespace {

namespace fs = std::filesystem;

struct run_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

run_result run_ismsd(const std::vector<std::string>& args) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<std::string> all{ISMSD_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(ISMSD_PATH, argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  run_result r;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "ismsd-offline-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

TEST(offline_commands, backup_of_a_missing_store_is_refused_and_creates_nothing) {
  const auto root = temp_dir();
  const auto missing = root / "no-such-store";
  const auto target = root / "backup";
  const auto r = run_ismsd({"backup", "--data", missing.string(), "--to", target.string()});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no event store in " + missing.string()), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(missing)) << "the missing store was created";
  EXPECT_FALSE(fs::exists(target)) << "a backup of nothing was written";
  fs::remove_all(root);
}

TEST(offline_commands, an_empty_folder_is_not_a_store_either) {
  const auto root = temp_dir();
  const auto empty = root / "empty";
  fs::create_directory(empty);
  const auto r = run_ismsd({"backup", "--data", empty.string(), "--to", (root / "backup").string()});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no event store"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::is_empty(empty)) << "files were created in the empty folder";
  fs::remove_all(root);
}

TEST(offline_commands, verify_of_a_missing_store_is_refused_and_creates_nothing) {
  const auto root = temp_dir();
  const auto missing = root / "no-such-store";
  const auto r = run_ismsd({"verify", "--data", missing.string()});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no event store in " + missing.string()), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(missing));
  fs::remove_all(root);
}

TEST(offline_commands, restore_from_a_missing_backup_is_refused) {
  const auto root = temp_dir();
  const auto r = run_ismsd({"restore", "--from", (root / "none").string(), "--data", (root / "data").string()});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no backup in"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(root / "data"));
  fs::remove_all(root);
}

TEST(offline_commands, an_existing_store_is_still_backed_up_and_verified) {
  const auto root = temp_dir();
  const auto data = root / "data";
  {
    auto s = eventstore::store::open(eventstore::options{}, data);
    ASSERT_TRUE(s) << s.error().message;
    eventstore::event_data e;
    e.type = "test.recorded.v1";
    e.data = {{"n", 1}};
    e.metadata.actor = "t";
    ASSERT_TRUE((*s)->append("test-1", eventstore::expected_version::any(), {e}, "c-1"));
  }
  const auto backup = run_ismsd({"backup", "--data", data.string(), "--to", (root / "backup").string()});
  EXPECT_EQ(backup.exit_code, 0) << backup.output;
  const auto verify = run_ismsd({"verify", "--data", (root / "backup").string()});
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("verified positions 1..1"), std::string::npos) << verify.output;
  // A position on the command line is read as strictly as one in a URL.
  for (const char* bad : {"+1", " 1", "-1", "0x1", ""}) {
    const auto r = run_ismsd({"verify", "--data", (root / "backup").string(), "--from", bad});
    EXPECT_NE(r.exit_code, 0) << "'" << bad << "': " << r.output;
    EXPECT_NE(r.output.find("--from must be a position"), std::string::npos) << r.output;
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace isms::testing
