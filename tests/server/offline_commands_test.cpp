// The operator's offline subcommands of the real ismsd executable: each one
// that works on an existing store refuses a --data that holds none, with a
// clear message and a non-zero exit, and creates nothing there.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "isms/eventstore/store.hpp"
#include "support/client.hpp"
#include "support/ismsd_process.hpp"


namespace isms::testing::offline_commands_test {
namespace {

namespace fs = std::filesystem;

struct run_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs ismsd with `args`; its standard input is `input` (a pipe), or empty.
run_result run_ismsd(const std::vector<std::string>& args, const std::string& input = "") {
  int out[2], in[2];
  if (::pipe(out) != 0 || ::pipe(in) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::close(in[0]);
    ::close(in[1]);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    exec_ismsd(args);
  }
  ::close(out[1]);
  ::close(in[0]);
  if (!input.empty() && ::write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size()))
    throw std::runtime_error("write to ismsd's standard input");
  ::close(in[1]);
  run_result r;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

fs::path temp_dir() { return make_temp_dir("ismsd-offline"); }

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
  // Not on a terminal: the progress is a plain line, here only the last one.
  EXPECT_NE(verify.output.find("verified events: 1/1 (100%)"), std::string::npos) << verify.output;
  // A position on the command line is read as strictly as one in a URL.
  for (const char* bad : {"+1", " 1", "-1", "0x1", ""}) {
    const auto r = run_ismsd({"verify", "--data", (root / "backup").string(), "--from", bad});
    EXPECT_NE(r.exit_code, 0) << "'" << bad << "': " << r.output;
    EXPECT_NE(r.output.find("--from must be a position"), std::string::npos) << r.output;
  }
  fs::remove_all(root);
}

// The users of a stopped store, managed the way the API would: each change
// an event decided by the domain's rules, recorded as the administrator.
TEST(offline_commands, users_are_added_granted_disabled_and_given_passwords_on_a_stopped_store) {
  const auto root = temp_dir();
  const auto data = root / "data";
  {  // A store whose first administrator exists, as `ismsd serve` leaves it.
    auto first = spawn_ismsd(data, "admin-password-1");
    ASSERT_NE(first.port, 0) << first.output;
    ::kill(first.pid, SIGTERM);
    ASSERT_EQ(wait_exit(first.pid), 0);
  }
  const auto d = data.string();
  const auto list = [&] { return run_ismsd({"user", "list", "--data", d}).output; };

  auto r = run_ismsd({"user", "add", "--data", d, "--id", "zoe", "--name", "Zoe Brandt", "--roles", "risk_owner"},
                     "zoe-password-0001\n");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("registered zoe (Zoe Brandt) with roles risk_owner"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("zoe-password-0001"), std::string::npos) << "a password read from stdin is never echoed";
  EXPECT_NE(list().find("Zoe Brandt"), std::string::npos) << list();
  EXPECT_NE(list().find("enabled  risk_owner\n"), std::string::npos) << list();

  r = run_ismsd({"user", "add", "--data", d, "--id", "zoe", "--name", "Z", "--roles", "risk_owner"}, "another-password-1\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("user 'zoe' exists already"), std::string::npos) << r.output;
  r = run_ismsd({"user", "add", "--data", d, "--id", "max", "--name", "Max", "--roles", "auditor_of_nothing"},
                "max-password-0001\n");
  EXPECT_NE(r.exit_code, 0) << "an unknown role is refused by the domain";
  EXPECT_NE(r.output.find("user add refused"), std::string::npos) << r.output;
  r = run_ismsd({"user", "add", "--data", d, "--id", "max", "--name", "Max", "--roles", "risk_owner"}, "short\n");
  EXPECT_NE(r.output.find("at least 12 characters"), std::string::npos) << r.output;
  EXPECT_EQ(list().find("max"), std::string::npos) << "nothing is recorded without a password to set";

  ASSERT_EQ(run_ismsd({"user", "grant", "--data", d, "--id", "zoe", "--role", "isms_manager"}).exit_code, 0);
  ASSERT_EQ(run_ismsd({"user", "revoke", "--data", d, "--id", "zoe", "--role", "risk_owner"}).exit_code, 0);
  EXPECT_NE(list().find("enabled  isms_manager\n"), std::string::npos) << list();
  r = run_ismsd({"user", "grant", "--data", d, "--id", "admin", "--role", "isms_manager", "--actor", "zoe"});
  EXPECT_NE(r.exit_code, 0) << "only an administrator manages users";
  EXPECT_NE(r.output.find("forbidden"), std::string::npos) << r.output;
  r = run_ismsd({"user", "disable", "--data", d, "--id", "zoe"});
  EXPECT_NE(r.output.find("--reason"), std::string::npos) << r.output;
  ASSERT_EQ(run_ismsd({"user", "disable", "--data", d, "--id", "zoe", "--reason", "left the company"}).exit_code, 0);
  EXPECT_NE(list().find("disabled isms_manager"), std::string::npos) << list();
  ASSERT_EQ(run_ismsd({"user", "enable", "--data", d, "--id", "zoe"}).exit_code, 0);
  r = run_ismsd({"user", "passwd", "--data", d, "--id", "nobody"}, "nobody-password-1\n");
  EXPECT_NE(r.output.find("no user 'nobody'"), std::string::npos) << r.output;
  ASSERT_EQ(run_ismsd({"user", "passwd", "--data", d, "--id", "zoe"}, "zoe-password-0002\n").exit_code, 0);
  r = run_ismsd({"user", "frobnicate", "--data", d});
  EXPECT_NE(r.output.find("unknown user command"), std::string::npos) << r.output;

  // The server, started on the store, knows what was done while it was stopped.
  auto server = spawn_ismsd(data, "admin-password-1");
  ASSERT_NE(server.port, 0) << server.output;
  EXPECT_EQ(login(server.port, "zoe", "zoe-password-0001"), "") << "the replaced password is refused";
  EXPECT_NE(login(server.port, "zoe", "zoe-password-0002"), "");
  // While it runs, it holds the store: the offline commands say so and change nothing.
  r = run_ismsd({"user", "list", "--data", d});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("in use by another process"), std::string::npos) << r.output;
  ::kill(server.pid, SIGTERM);
  EXPECT_EQ(wait_exit(server.pid), 0);

  {  // The events say who did what, and how.
    auto s = eventstore::store::open(eventstore::options{}, data);
    ASSERT_TRUE(s) << s.error().message;
    auto zoe = (*s)->read_stream("user-zoe");
    ASSERT_TRUE(zoe);
    std::vector<std::string> types;
    for (const auto& e : *zoe) {
      types.push_back(e.type);
      EXPECT_EQ(e.metadata.actor, "admin");
    }
    EXPECT_EQ(types, (std::vector<std::string>{"user.registered.v1", "user.role_granted.v1", "user.role_revoked.v1",
                                               "user.disabled.v1", "user.enabled.v1"}));
  }
  fs::remove_all(root);
}

// `serve --demo` signs the year of history it loads, so an auditor trying
// the product has a checkpoint to check it against.
TEST(offline_commands, a_fresh_demo_is_signed_at_once) {
  const auto root = temp_dir();
  auto server = spawn_ismsd(root / "data", "admin-password-1", {"--demo", "--password-prefix", "pw-"});
  ASSERT_NE(server.port, 0) << server.output;
  const auto token = login(server.port, "admin", "pw-admin");
  ASSERT_NE(token, "");
  const auto list = http_call(server.port, "GET", "/api/checkpoints", "", {{"authorization", "Bearer " + token}});
  ASSERT_EQ(list.status, 200u) << list.body;
  const auto checkpoints = list.json_body().at("checkpoints");
  ASSERT_EQ(checkpoints.size(), 1u) << list.body;
  const auto health = http_call(server.port, "GET", "/healthz").json_body();
  EXPECT_EQ(checkpoints[0].at("position").get<std::uint64_t>() + 1, health.at("head").at("position").get<std::uint64_t>())
      << "the checkpoint covers the whole demo; its own event follows";
  ::kill(server.pid, SIGTERM);
  EXPECT_EQ(wait_exit(server.pid), 0);
  fs::remove_all(root);
}

// The time rules on demand, on a stopped store: what is due today is
// recorded once, however often they run.
TEST(offline_commands, the_time_rules_run_on_demand_and_record_each_due_command_once) {
  const auto root = temp_dir();
  const auto data = (root / "data").string();
  ASSERT_EQ(run_ismsd({"demo", "--data", data}).exit_code, 0);
  auto first = run_ismsd({"rules", "run", "--data", data});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("time rules for 20"), std::string::npos) << first.output;
  auto again = run_ismsd({"rules", "run", "--data", data});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find(" 0 recorded now"), std::string::npos) << again.output;
  auto bad = run_ismsd({"rules", "run", "--data", data, "--now", "x"});
  EXPECT_NE(bad.output.find("--now: unknown flag for rules run"), std::string::npos) << bad.output;
  fs::remove_all(root);
}

}  // namespace
}  // namespace isms::testing::offline_commands_test
