#include "isms/server/notifier.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "isms/server/json_input.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

constexpr std::string_view outbox_key = "notify/outbox";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits until fd is ready for `events` or the deadline passes.
bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace

bool http_post(const std::string& url, const std::string& body, std::chrono::milliseconds timeout,
               std::string& error) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) {
    error = "only http:// URLs are supported";
    return false;
  }
  const std::string rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  std::string host = authority, port = "80";
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos) {
      error = "bad IPv6 literal";
      return false;
    }
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    error = "no host in URL";
    return false;
  }

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = std::string("cannot resolve host: ") + ::gai_strerror(rc);
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int fd = -1;
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
      continue;
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (!wait_fd(fd, POLLOUT, deadline) || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 ||
        so_error != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(res);
  if (fd < 0) {
    error = "cannot connect";
    return false;
  }

  const std::string request = "POST " + path + " HTTP/1.1\r\nHost: " + authority +
                              "\r\nContent-Type: application/json\r\nUser-Agent: ismsd\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_fd(fd, POLLOUT, deadline)) {
      ::close(fd);
      error = "timed out sending";
      return false;
    }
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      ::close(fd);
      error = std::string("send failed: ") + std::strerror(errno);
      return false;
    }
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buf[512];
  while (answer.find("\r\n") == std::string::npos && answer.size() < 4096) {
    if (!wait_fd(fd, POLLIN, deadline)) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      break;
    }
  }
  ::close(fd);
  // "HTTP/1.1 204 No Content"
  if (answer.size() < 12 || !answer.starts_with("HTTP/1.")) {
    error = "no HTTP answer";
    return false;
  }
  if (answer[9] != '2') {
    error = "answered " + answer.substr(9, 3);
    return false;
  }
  return true;
}

notifier::notifier(notifier_options options, eventstore::store& store, push_fn push)
    : options_(std::move(options)), store_(store), push_(std::move(push)) {
  if (auto stored = store_.get_meta(outbox_key)) {
    const json j = read_json(*stored, max_stored_json_depth).value_or(json());
    if (j.is_object()) {
      checkpoint_ = j.value("checkpoint", std::uint64_t{0});
      next_seq_ = j.value("next_seq", std::uint64_t{1});
      if (auto it = j.find("reminded"); it != j.end() && it->is_array())
        for (const auto& k : *it)
          if (k.is_string()) reminded_.insert(k.get<std::string>());
      if (auto it = j.find("pending"); it != j.end() && it->is_array()) {
        for (const auto& p : *it) {
          if (!p.is_object()) continue;
          pending item;
          item.seq = p.value("seq", std::uint64_t{0});
          item.url = p.value("url", std::string{});
          item.body = p.value("body", std::string{});
          item.attempts = p.value("attempts", 0);
          item.next_attempt_ms = 0;  // try again soon after a restart
          if (!item.url.empty()) outbox_.push_back(std::move(item));
        }
      }
    } else {
      log::warn("notify", "persisted outbox unreadable; starting with an empty one");
    }
  }
  thread_ = std::thread([this] { run(); });
}

notifier::~notifier() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void notifier::enqueue_locked(const json& notification) {
  for (const auto& url : options_.webhook_urls) {
    pending item;
    item.seq = next_seq_++;
    item.url = url;
    item.body = json{{"seq", item.seq}, {"notification", notification}}.dump();
    outbox_.push_back(std::move(item));
  }
  while (outbox_.size() > options_.max_outbox) {
    log::warn("notify", "webhook outbox full; dropping post #" + std::to_string(outbox_.front().seq) + " to " +
                            outbox_.front().url);
    outbox_.pop_front();
  }
}

void notifier::persist_locked() {
  json pending_json = json::array();
  for (const auto& p : outbox_)
    pending_json.push_back({{"seq", p.seq}, {"url", p.url}, {"body", p.body}, {"attempts", p.attempts}});
  const json j{{"checkpoint", checkpoint_}, {"next_seq", next_seq_}, {"reminded", reminded_}, {"pending", pending_json}};
  if (auto r = store_.put_meta(outbox_key, j.dump()); !r)
    log::error("notify", "could not persist the outbox: " + r.error().message);
}

bool notifier::handled(std::uint64_t position) const {
  std::lock_guard lock(mutex_);
  return position <= checkpoint_;
}

void notifier::on_event(std::uint64_t position, const std::vector<std::pair<std::string, json>>& notifications) {
  {
    std::lock_guard lock(mutex_);
    if (position <= checkpoint_) return;  // handled before a restart
    checkpoint_ = position;
    if (notifications.empty()) return;
    if (!options_.webhook_urls.empty()) {
      for (const auto& [_, n] : notifications) enqueue_locked(n);
      persist_locked();  // before anyone is told: the posts survive a crash
    }
  }
  cv_.notify_all();
  for (const auto& [user, n] : notifications) push_(user, n);
}

void notifier::remind(const std::string& key, const std::string& user_id, const json& notification) {
  {
    std::lock_guard lock(mutex_);
    if (!reminded_.insert(key).second) return;
    if (!options_.webhook_urls.empty()) enqueue_locked(notification);
    persist_locked();
  }
  cv_.notify_all();
  push_(user_id, notification);
}

std::size_t notifier::outbox_size() const {
  std::lock_guard lock(mutex_);
  return outbox_.size();
}

std::uint64_t notifier::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

void notifier::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // The first item whose time has come (items are tried in order of due time).
    auto due = outbox_.end();
    std::int64_t earliest = INT64_MAX;
    const std::int64_t now = now_ms();
    for (auto it = outbox_.begin(); it != outbox_.end(); ++it) {
      if (it->next_attempt_ms <= now) {
        due = it;
        break;
      }
      earliest = std::min(earliest, it->next_attempt_ms);
    }
    if (due == outbox_.end()) {
      if (earliest == INT64_MAX)
        cv_.wait(lock);
      else
        cv_.wait_for(lock, std::chrono::milliseconds(earliest - now));
      continue;
    }
    const pending item = *due;
    lock.unlock();
    std::string error;
    const bool ok = http_post(item.url, item.body, options_.webhook_timeout, error);
    lock.lock();
    auto it = std::find_if(outbox_.begin(), outbox_.end(), [&](const pending& p) { return p.seq == item.seq; });
    if (it == outbox_.end()) continue;
    if (ok) {
      outbox_.erase(it);
      ++delivered_;
    } else {
      it->attempts++;
      const auto delay = std::min<std::int64_t>(options_.retry_max.count(),
                                                options_.retry_initial.count() << std::min(it->attempts - 1, 20));
      it->next_attempt_ms = now_ms() + delay;
      log::warn("notify", "webhook post #" + std::to_string(item.seq) + " to " + item.url + " failed (" + error +
                              "); attempt " + std::to_string(it->attempts) + ", retrying in " +
                              std::to_string(delay) + " ms");
    }
    persist_locked();
  }
}

}  // namespace isms::server
