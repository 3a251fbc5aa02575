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

void child_output::append(std::string_view bytes) {
  {
    std::lock_guard lock(mutex_);
    text_.append(bytes);
  }
  changed_.notify_all();
}

void child_output::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

std::string child_output::text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

std::size_t child_output::wait_for(std::string_view needle, std::size_t from, std::chrono::milliseconds limit) const {
  std::unique_lock lock(mutex_);
  std::size_t at = std::string::npos;
  changed_.wait_for(lock, limit, [&] {
    at = from <= text_.size() ? text_.find(needle, from) : std::string::npos;
    return at != std::string::npos || closed_;
  });
  return at == std::string::npos ? at : at + needle.size();
}

void exec_ismsd(const std::vector<std::string>& args) {
  std::vector<std::string> all{ISMSD_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(ISMSD_PATH, argv.data());
  ::_exit(127);
}

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
    std::vector<std::string> args{"serve", "--data", data.string(), "--address", "127.0.0.1", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    exec_ismsd(args);
  }
  ::close(out[1]);
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    c.output.append(buf, static_cast<std::size_t>(n));
    c.log->append(std::string_view(buf, static_cast<std::size_t>(n)));
    // "running at http://127.0.0.1:PORT/", or https://
    const auto at = c.output.find("running at http");
    const auto host = at == std::string::npos ? at : c.output.find("://127.0.0.1:", at);
    if (host != std::string::npos && c.output.find('/', host + 13) != std::string::npos) {
      c.port = static_cast<std::uint16_t>(std::stoi(c.output.substr(host + 13)));
      break;
    }
  }
  std::thread([fd = out[0], log = c.log] {
    char more[4096];
    for (;;) {
      const ssize_t n = ::read(fd, more, sizeof more);
      if (n <= 0) break;
      log->append(std::string_view(more, static_cast<std::size_t>(n)));
    }
    ::close(fd);
    log->close();
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

void remove_data_dir(const std::filesystem::path& data) {
  std::error_code ec;
  std::filesystem::remove_all(data, ec);
  std::filesystem::path normal = data.lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();
  std::filesystem::remove(normal.string() + "-signing.key", ec);
  std::filesystem::remove(normal.string() + "-second-factor.key", ec);
}

void expect_gapless_and_verified(eventstore::store& store, const std::vector<eventstore::recorded_event>& all) {
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].position, i + 1) << "gap in positions";
  auto verified = store.verify();
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->position, all.size());
}

}  // namespace isms::testing
