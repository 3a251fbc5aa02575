#include "ismsd.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

#ifndef ISMSD_PATH
#error "ISMSD_PATH must name the ismsd executable"
#endif

namespace isms::bench {

std::filesystem::path default_ismsd() { return ISMSD_PATH; }

std::vector<std::string> bench_flags() {
  return {"--requests_per_second", "100000", "--request_burst", "100000", "--max_connections", "30000"};
}

std::optional<ismsd_process> ismsd_process::start(const std::filesystem::path& exe, const std::filesystem::path& data,
                                                  const std::vector<std::string>& flags) {
  int out[2];
  if (::pipe(out) != 0) return std::nullopt;
  ismsd_process p;
  p.pid_ = ::fork();
  if (p.pid_ == 0) {
    // A benchmark that dies leaves no server behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::setenv("ISMS_ADMIN_PASSWORD", admin_password, 1);
    std::vector<std::string> args{exe.string(), "serve", "--data", data.string(), "--address", "127.0.0.1", "--port",
                                  "0"};
    for (const auto& f : flags) args.push_back(f);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(args[0].c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    output.append(buf, static_cast<std::size_t>(n));
    const auto at = output.find("running at http://127.0.0.1:");
    if (at != std::string::npos && output.find('/', at + 28) != std::string::npos) {
      p.port_ = static_cast<std::uint16_t>(std::stoi(output.substr(at + 28)));
      break;
    }
  }
  if (p.port_ == 0) {
    std::fprintf(stderr, "ismsd did not start:\n%s\n", output.c_str());
    ::close(out[0]);
    int st = 0;
    ::waitpid(p.pid_, &st, 0);
    p.pid_ = -1;
    return std::nullopt;
  }
  // Drain its later output (the log) so that it never blocks on a full pipe.
  std::thread([fd = out[0]] {
    char sink[4096];
    while (::read(fd, sink, sizeof sink) > 0) {
    }
    ::close(fd);
  }).detach();
  return p;
}

ismsd_process::ismsd_process(ismsd_process&& o) noexcept : pid_(o.pid_), port_(o.port_) { o.pid_ = -1; }

ismsd_process::~ismsd_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

std::uint64_t ismsd_process::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

bool ismsd_process::wait_healthy(std::uint64_t position, std::chrono::seconds limit, json* last) const {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    auto r = http_call(port_, "GET", "/healthz", {}, {}, std::chrono::seconds(10));
    if (r.status == 200) {
      auto j = json::parse(r.body, nullptr, false);
      if (last) *last = j;
      if (j.is_object() && j.value("views_position", std::uint64_t{0}) >= position) return true;
    }
    // Every 10 ms: often enough to time a start to a hundredth of a second,
    // rarely enough not to load a server that is folding its views.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int ismsd_process::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return st;
}

nlohmann::json must(std::optional<nlohmann::json> r, const std::string& what) {
  if (!r || !r->value("ok", false)) {
    std::fprintf(stderr, "%s: %s\n", what.c_str(), r ? r->dump().c_str() : "no reply");
    std::exit(1);
  }
  return *r;
}

std::string day_from_today(int days) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string must_login(std::uint16_t port, const std::string& user, const std::string& password) {
  auto token = login(port, user, password);
  if (token.empty()) {
    std::fprintf(stderr, "cannot sign in as %s\n", user.c_str());
    std::exit(1);
  }
  return token;
}

void register_users(std::uint16_t port, const std::vector<bench_user>& users) {
  const std::string admin = must_login(port, "admin", admin_password);
  auto ws = ws_session::connect(port, admin);
  if (!ws) {
    std::fprintf(stderr, "cannot open the WebSocket API as admin\n");
    std::exit(1);
  }
  for (const auto& u : users) {
    auto r = ws->request({{"op", "command"},
                          {"type", "user.register"},
                          {"stream", "user-" + u.id},
                          {"expected_version", 0},
                          {"data", {{"name", "Bench user " + u.id}, {"roles", u.roles}}}});
    if (!r || !r->value("ok", false)) {
      std::fprintf(stderr, "user.register %s: %s\n", u.id.c_str(), r ? r->dump().c_str() : "no reply");
      std::exit(1);
    }
    auto p = http_call(port, "POST", "/api/users/password",
                       json{{"user", u.id}, {"password", user_password}}.dump(), admin);
    if (p.status != 200) {
      std::fprintf(stderr, "set password of %s: %u %s\n", u.id.c_str(), p.status, p.body.c_str());
      std::exit(1);
    }
  }
}

}  // namespace isms::bench
