#include "ismsd_process.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

#ifndef ISMSD_PATH
#error "ISMSD_PATH must name the ismsd executable"
#endif

namespace isms::testing {

ismsd_child spawn_ismsd(const std::filesystem::path& data, const std::string& admin_password,
                        const std::vector<std::string>& extra) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe");
  ismsd_child c;
  c.pid = ::fork();
  if (c.pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::setenv("ISMS_ADMIN_PASSWORD", admin_password.c_str(), 1);
    std::vector<std::string> args{ISMSD_PATH, "serve", "--data", data.string(), "--address", "127.0.0.1", "--port", "0"};
    for (const auto& e : extra) args.push_back(e);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(ISMSD_PATH, argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    c.output.append(buf, static_cast<std::size_t>(n));
    const auto at = c.output.find("running at http://127.0.0.1:");
    if (at != std::string::npos && c.output.find('/', at + 28) != std::string::npos) {
      c.port = static_cast<std::uint16_t>(std::stoi(c.output.substr(at + 28)));
      break;
    }
  }
  std::thread([fd = out[0]] {
    char sink[4096];
    while (::read(fd, sink, sizeof sink) > 0) {
    }
    ::close(fd);
  }).detach();
  return c;
}

int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) return status;
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << "ismsd did not exit within " << limit.count() << " s";
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::filesystem::path make_temp_dir(std::string_view prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  return tmpl;
}

void expect_gapless_and_verified(eventstore::store& store, const std::vector<eventstore::recorded_event>& all) {
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].position, i + 1) << "gap in positions";
  auto verified = store.verify();
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->position, all.size());
}

}  // namespace isms::testing
