#include "support/loopback_receiver.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace isms::testing {

namespace {

constexpr auto deadline = std::chrono::seconds(60);

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

}  // namespace

loopback_receiver::loopback_receiver(std::optional<std::string> answer, std::uint16_t port)
    : answer_(std::move(answer)) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
    ::close(fd_);
    throw std::runtime_error("bind/listen");
  }
  port_ = bound_port(fd_);
  thread_ = std::thread([this] { run(); });
}

loopback_receiver::~loopback_receiver() {
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  thread_.join();
  for (int c : held_) ::close(c);
}

std::string loopback_receiver::url(const std::string& scheme) const {
  return scheme + "://127.0.0.1:" + std::to_string(port_) + "/hook";
}

std::vector<std::string> loopback_receiver::wait_for(std::size_t n) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, deadline, [&] { return requests_.size() >= n; });
  return requests_;
}

std::vector<std::string> loopback_receiver::wait_for_bodies(std::size_t n) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, deadline, [&] { return bodies_.size() >= n; });
  return bodies_;
}

void loopback_receiver::run() {
  for (;;) {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string in;
    std::optional<std::string> body;
    char buf[4096];
    for (;;) {
      const auto header_end = in.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const auto cl = in.find("Content-Length: ");
        const std::size_t length = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
        if (in.size() >= header_end + 4 + length) {
          body = in.substr(header_end + 4, length);
          break;
        }
      }
      const ssize_t r = ::recv(c, buf, sizeof buf, 0);
      if (r <= 0) break;
      in.append(buf, static_cast<std::size_t>(r));
    }
    if (answer_) {
      ::send(c, answer_->data(), answer_->size(), MSG_NOSIGNAL);
      ::close(c);
    } else {
      held_.push_back(c);  // never answered, closed only when the receiver ends
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(in));
      if (body) bodies_.push_back(std::move(*body));
    }
    cv_.notify_all();
  }
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const std::uint16_t port = bound_port(fd);
  ::close(fd);
  return port;
}

}  // namespace isms::testing
