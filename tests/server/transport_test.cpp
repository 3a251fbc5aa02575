// The transport's socket options, observed on the sockets themselves: the
// server runs in this process, so its accepted sockets are among this
// process's file descriptors and can be asked with getsockopt.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <string>
#include <vector>

#include "support/client.hpp"
#include "support/ismsd_process.hpp"
#include "support/test_server.hpp"

namespace isms::testing::transport_test {
namespace {

// A connected TCP socket of this process and whether it has TCP_NODELAY.
struct tcp_socket_seen {
  int fd = -1;
  bool nodelay = false;
};

// Port of an IPv4/IPv6 socket address, or 0.
std::uint16_t port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return 0;
}

// Connected sockets of this process whose local port (server side: accepted
// by the server) or peer port (client side) is `port`.
std::vector<tcp_socket_seen> connected_sockets(std::uint16_t port, bool server_side) {
  std::vector<tcp_socket_seen> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (...) {
      continue;
    }
    sockaddr_storage local{}, peer{};
    socklen_t ll = sizeof local, pl = sizeof peer;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0) continue;  // not a socket
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;   // listening or unconnected
    if ((server_side ? port_of(local) : port_of(peer)) != port) continue;
    int type = 0;
    socklen_t tl = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_STREAM) continue;
    int nodelay = 0;
    socklen_t nl = sizeof nodelay;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nl) != 0) continue;
    out.push_back({fd, nodelay != 0});
  }
  return out;
}

// A plain keep-alive HTTP connection that has been answered once, so that the
// server has accepted it and set it up.
class raw_http_connection {
 public:
  explicit raw_http_connection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (connected_) connected_ = ::send(fd_, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size());
    if (connected_) {
      timeval tv{20, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char buf[512];
      answered_ = ::recv(fd_, buf, sizeof buf, 0) > 0;
    }
  }
  ~raw_http_connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] bool answered() const { return answered_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool answered_ = false;
};

TEST(transport, every_accepted_http_and_websocket_socket_has_tcp_nodelay) {
  test_server srv;
  const std::string token = srv.add_user("mia", {"isms_manager"});

  raw_http_connection http(srv.port());
  ASSERT_TRUE(http.answered());
  auto ws = connect_as(srv, token);
  ASSERT_NE(ws, nullptr);
  // The WebSocket has been answered too, so its socket is set up.
  auto pong = ws->request(json{{"op", "ping"}});
  ASSERT_TRUE(pong && pong->value("ok", false));

  const auto accepted = connected_sockets(srv.port(), true);
  // At least the HTTP connection and the WebSocket (others may still be
  // closing from add_user's sign-in).
  ASSERT_GE(accepted.size(), 2u);
  for (const auto& s : accepted) EXPECT_TRUE(s.nodelay) << "accepted socket fd " << s.fd << " has Nagle on";

  // The test client's WebSocket sends its requests without waiting either
  // (the raw HTTP connection above is the one client socket left as it is).
  std::size_t client_nodelay = 0;
  for (const auto& s : connected_sockets(srv.port(), false)) client_nodelay += s.nodelay ? 1 : 0;
  EXPECT_GE(client_nodelay, 1u);
}

// The soft "Max open files" limit of a process, from /proc/<pid>/limits.
std::string soft_open_files(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("Max open files")) continue;
    std::istringstream fields(line.substr(std::strlen("Max open files")));
    std::string soft;
    fields >> soft;
    return soft;
  }
  return {};
}

TEST(transport, ismsd_raises_its_open_file_limit_to_the_hard_limit) {
  // Started with a soft limit below the hard one (as many systems start a
  // process with 1024), ismsd takes the hard limit, so that
  // limits.max_connections WebSockets fit.
  rlimit original{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &original), 0);
  ASSERT_GT(original.rlim_max, 256u) << "the hard limit leaves no room to test";
  rlimit lowered = original;
  lowered.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  const auto data = make_temp_dir("ismsd-nofile");
  auto child = spawn_ismsd(data, "admin-password-for-tests");
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &original), 0);
  ASSERT_NE(child.port, 0) << child.output;

  const std::string hard =
      original.rlim_max == RLIM_INFINITY ? std::string("unlimited") : std::to_string(original.rlim_max);
  EXPECT_EQ(soft_open_files(child.pid), hard);

  ::kill(child.pid, SIGTERM);
  EXPECT_EQ(wait_exit(child.pid), 0);
  remove_data_dir(data);
}

}  // namespace
}  // namespace isms::testing::transport_test
