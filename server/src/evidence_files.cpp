#include "isms/server/evidence_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

#include "isms/canonical/canonical.hpp"

namespace isms::server {

namespace fs = std::filesystem;

struct evidence_files::holds {
  struct entry {
    std::size_t count = 0;
    bool created = false;   // no upload had stored these bytes before this run of holds
    bool attached = false;  // an attach naming them was recorded (or may have been)
  };
  std::mutex mutex;
  std::map<std::string, entry, std::less<>> entries;
};

class file_hold {
 public:
  file_hold(std::shared_ptr<evidence_files::holds> holds, std::string digest, fs::path path)
      : holds_(std::move(holds)), digest_(std::move(digest)), path_(std::move(path)) {}
  file_hold(const file_hold&) = delete;
  file_hold& operator=(const file_hold&) = delete;
  ~file_hold();

  void attached() {
    std::lock_guard lock(holds_->mutex);
    holds_->entries[digest_].attached = true;
  }

 private:
  std::shared_ptr<evidence_files::holds> holds_;
  std::string digest_;
  fs::path path_;
};

namespace {

std::string errno_text() { return std::strerror(errno); }

bool sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string random_name() {
  static std::atomic<std::uint64_t> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" + std::to_string(rd());
}

class file_upload final : public evidence_files::upload {
 public:
  file_upload(const evidence_files& files, std::shared_ptr<evidence_files::holds> holds, fs::path temp, int fd)
      : files_(files), holds_(std::move(holds)), temp_(std::move(temp)), fd_(fd) {}
  ~file_upload() override {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(temp_.c_str());  // a stored file keeps its own name (a link)
  }

  bool write(std::string_view bytes) override {
    if (!error_.empty()) return false;
    hash_.update(bytes);
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = errno == ENOSPC ? "the disk is full" : "cannot write the file: " + errno_text();
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      size_ += static_cast<std::uint64_t>(n);
    }
    return true;
  }

  std::expected<stored_file, std::string> finish() override {
    if (!error_.empty()) return std::unexpected(error_);
    if (::fsync(fd_) != 0) return std::unexpected(error_ = "cannot sync the file: " + errno_text());
    ::fchmod(fd_, 0444);
    ::close(fd_);
    fd_ = -1;
    stored_file out;
    out.digest = canonical::to_hex(hash_.finish());
    out.size = size_;
    const fs::path target = files_.path_of(out.digest);
    std::error_code ec;
    // Under the holds' lock: bytes found stored here are held before any
    // refused attach could remove them.
    std::lock_guard lock(holds_->mutex);
    fs::create_directories(target.parent_path(), ec);
    if (ec) return std::unexpected(error_ = "cannot create " + target.parent_path().string() + ": " + ec.message());
    // link() fails when the content is there already: stored once.
    if (::link(temp_.c_str(), target.c_str()) != 0) {
      if (errno != EEXIST) return std::unexpected(error_ = "cannot store the file: " + errno_text());
      out.already_stored = true;
    } else if (!sync_dir(target.parent_path())) {
      ::unlink(target.c_str());
      return std::unexpected(error_ = "cannot sync " + target.parent_path().string());
    }
    auto& held = holds_->entries[out.digest];
    if (held.count++ == 0) {
      held.created = !out.already_stored;
      held.attached = false;
    }
    out.hold = std::make_shared<file_hold>(holds_, out.digest, target);
    return out;  // the destructor removes the incoming name
  }

  std::uint64_t size() const override { return size_; }
  const std::string& error() const override { return error_; }

 private:
  const evidence_files& files_;
  std::shared_ptr<evidence_files::holds> holds_;
  fs::path temp_;
  int fd_ = -1;
  canonical::hasher hash_;
  std::uint64_t size_ = 0;
  std::string error_;
};

}  // namespace

file_hold::~file_hold() {
  std::lock_guard lock(holds_->mutex);
  const auto it = holds_->entries.find(digest_);
  if (it == holds_->entries.end() || --it->second.count > 0) return;
  const bool orphaned = it->second.created && !it->second.attached;
  holds_->entries.erase(it);
  if (!orphaned) return;
  // Stored by this run of holds and named by no attach: as if never uploaded.
  if (::unlink(path_.c_str()) == 0) (void)sync_dir(path_.parent_path());
}

void keep_attached(const stored_file& f) {
  if (f.hold) f.hold->attached();
}

bool valid_digest(std::string_view digest) noexcept {
  if (digest.size() != 64) return false;
  for (const char c : digest)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

evidence_files::evidence_files(fs::path root) : root_(std::move(root)), holds_(std::make_shared<holds>()) {
  std::error_code ec;
  fs::create_directories(root_ / "sha256", ec);
  if (ec) throw std::runtime_error("cannot create the evidence folder " + root_.string() + ": " + ec.message());
  // What a crash left half received.
  fs::remove_all(root_ / "incoming", ec);
  fs::create_directories(root_ / "incoming", ec);
  if (ec) throw std::runtime_error("cannot create " + (root_ / "incoming").string() + ": " + ec.message());
}

std::expected<std::unique_ptr<evidence_files::upload>, std::string> evidence_files::begin() const {
  const fs::path temp = root_ / "incoming" / random_name();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected("cannot create " + temp.string() + ": " + errno_text());
  return std::make_unique<file_upload>(*this, holds_, temp, fd);
}

fs::path evidence_files::path_of(std::string_view digest) const {
  if (!valid_digest(digest)) return {};
  return root_ / "sha256" / std::string(digest.substr(0, 2)) / std::string(digest);
}

bool evidence_files::has(std::string_view digest) const {
  std::error_code ec;
  const auto p = path_of(digest);
  return !p.empty() && fs::is_regular_file(p, ec);
}

std::expected<void, std::string> evidence_files::check(std::string_view digest, std::uint64_t size) const {
  const fs::path p = path_of(digest);
  if (p.empty()) return std::unexpected("not a SHA-256 digest");
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected("the file " + std::string(digest) + " is missing from " + root_.string());
  canonical::hasher hash;
  std::array<char, 1 << 16> buf{};
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::unexpected("cannot read the file " + std::string(digest) + ": " + errno_text());
    }
    if (n == 0) break;
    hash.update(buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  const std::string actual = canonical::to_hex(hash.finish());
  if (actual != digest || total != size)
    return std::unexpected("the stored file " + std::string(digest) + " was altered: it now holds " +
                           std::to_string(total) + " bytes hashing to " + actual);
  return {};
}

std::expected<std::uint64_t, std::string> evidence_files::copy_to(const fs::path& target) const {
  std::error_code ec;
  std::uint64_t files = 0;
  fs::create_directories(target, ec);
  if (ec) return std::unexpected("cannot create " + target.string() + ": " + ec.message());
  for (fs::recursive_directory_iterator it(root_ / "sha256", ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path rel = fs::relative(it->path(), root_, ec);
    if (ec) break;
    const fs::path to = target / rel;
    if (it->is_directory(ec)) {
      fs::create_directories(to, ec);
      continue;
    }
    if (::link(it->path().c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) continue;
      fs::copy_file(it->path(), to, fs::copy_options::skip_existing, ec);
      if (ec) return std::unexpected("cannot copy " + it->path().string() + ": " + ec.message());
      const int fd = ::open(to.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
      }
    }
    ++files;
  }
  if (ec) return std::unexpected("cannot read " + (root_ / "sha256").string() + ": " + ec.message());
  for (fs::recursive_directory_iterator it(target, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) (void)sync_dir(it->path());
  (void)sync_dir(target);
  return files;
}

}  // namespace isms::server
