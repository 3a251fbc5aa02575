#include "isms/server/checkpoints.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "isms/canonical/canonical.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

using json = nlohmann::json;
namespace es = eventstore;

namespace {

constexpr std::string_view key_file_header = "isms-ledger ed25519 signing key v1";

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

// Exactly 2 * n lowercase or uppercase hex digits into `out`.
bool unhex(std::string_view text, unsigned char* out, std::size_t n) {
  if (text.size() != 2 * n) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

std::string errno_text() { return std::strerror(errno); }

es::error keeper_error(es::errc code, std::string message) { return es::error{code, std::move(message), 0}; }

}  // namespace

// ---- the key ----------------------------------------------------------------

signing_key signing_key::generate() {
  init_sodium();
  signing_key k;
  randombytes_buf(k.seed_.data(), k.seed_.size());
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), k.seed_.data());
  return k;
}

std::expected<signing_key, std::string> signing_key::load(const std::filesystem::path& file) {
  init_sodium();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return std::unexpected("cannot read the signing key " + file.string() + ": " + errno_text());
  if (!S_ISREG(st.st_mode)) return std::unexpected("the signing key " + file.string() + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return std::unexpected("the signing key " + file.string() + " may be read or written by others (mode " + mode +
                           "); make it the server user's alone: chmod 600 " + file.string());
  }
  if (st.st_size > 4096) return std::unexpected("the signing key " + file.string() + " is not a key file");
  std::ifstream in(file, std::ios::binary);
  std::string header, seed_hex;
  if (!std::getline(in, header) || header != key_file_header || !std::getline(in, seed_hex))
    return std::unexpected("the signing key " + file.string() + " is not a key file of this server");
  signing_key k;
  if (!unhex(seed_hex, k.seed_.data(), k.seed_.size()))
    return std::unexpected("the signing key " + file.string() + " is malformed");
  crypto_sign_seed_keypair(k.public_.data(), k.secret_.data(), k.seed_.data());
  return k;
}

std::expected<signing_key, std::string> signing_key::load_or_create(const std::filesystem::path& file,
                                                                    bool* created) {
  if (created != nullptr) *created = false;
  std::error_code ec;
  if (std::filesystem::exists(file, ec) || std::filesystem::is_symlink(file, ec)) return load(file);
  signing_key k = generate();
  if (auto saved = k.save_new(file); !saved) return std::unexpected(saved.error());
  if (created != nullptr) *created = true;
  return k;
}

std::expected<void, std::string> signing_key::save_new(const std::filesystem::path& file) const {
  const std::string text =
      std::string(key_file_header) + "\n" + hex(seed_.data(), seed_.size()) + "\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return std::unexpected("cannot create the signing key " + file.string() + ": " + errno_text());
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const std::string why = ok ? std::string() : errno_text();
  ::close(fd);
  if (!ok) {
    ::unlink(file.c_str());
    return std::unexpected("cannot write the signing key " + file.string() + ": " + why);
  }
  // The new name is durable too.
  const auto parent = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  if (const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    (void)::fsync(dir);
    ::close(dir);
  }
  return {};
}

std::string signing_key::public_key_hex() const { return hex(public_.data(), public_.size()); }

std::string signing_key::fingerprint() const {
  const auto d = canonical::sha256(
      std::string_view(reinterpret_cast<const char*>(public_.data()), public_.size()));
  return canonical::to_hex(d);
}

std::string signing_key::sign_hex(std::string_view message) const {
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_.data());
  return hex(sig.data(), sig.size());
}

std::string fingerprint_of(std::string_view public_key_hex) {
  std::array<unsigned char, 32> pk{};
  if (!unhex(public_key_hex, pk.data(), pk.size())) return {};
  return canonical::to_hex(canonical::sha256(std::string_view(reinterpret_cast<const char*>(pk.data()), pk.size())));
}

// ---- the statement ------------------------------------------------------------

std::string statement_of(const checkpoint& c) {
  std::string s = "isms-ledger checkpoint v1\n";
  s += "position " + std::to_string(c.position) + "\n";
  s += "head_hash " + canonical::to_hex(c.head_hash) + "\n";
  s += "merkle_root " + canonical::to_hex(c.merkle_root) + "\n";
  s += "time " + c.time + "\n";
  s += "key " + c.key + "\n";
  if (!c.next_key.empty()) s += "next_key " + c.next_key + "\n";
  return s;
}

bool signature_holds(const checkpoint& c) {
  init_sodium();
  std::array<unsigned char, 32> pk{};
  std::array<unsigned char, crypto_sign_BYTES> sig{};
  if (!unhex(c.key, pk.data(), pk.size()) || !unhex(c.signature, sig.data(), sig.size())) return false;
  const std::string message = statement_of(c);
  return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), pk.data()) == 0;
}

json to_json(const checkpoint& c) {
  json j = {{"position", c.position},
            {"head_hash", canonical::to_hex(c.head_hash)},
            {"merkle_root", canonical::to_hex(c.merkle_root)},
            {"time", c.time},
            {"key", c.key},
            {"signature", c.signature}};
  if (!c.next_key.empty()) j["next_key"] = c.next_key;
  if (c.recorded_at != 0) j["recorded_at"] = c.recorded_at;
  return j;
}

std::expected<checkpoint, std::string> checkpoint_from_json(const json& j) {
  const auto text = [&](const char* name) -> const json* {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? &*it : nullptr;
  };
  if (!j.is_object() || !j.contains("position") || !j["position"].is_number_unsigned())
    return std::unexpected("a checkpoint needs a position");
  checkpoint c;
  c.position = j["position"].get<std::uint64_t>();
  const json* head = text("head_hash");
  const json* root = text("merkle_root");
  if (head == nullptr || root == nullptr) return std::unexpected("a checkpoint needs head_hash and merkle_root");
  auto h = canonical::digest_from_hex(head->get<std::string>());
  auto r = canonical::digest_from_hex(root->get<std::string>());
  if (!h || !r) return std::unexpected("a checkpoint's hashes are 64 hex digits");
  c.head_hash = *h;
  c.merkle_root = *r;
  for (auto [name, field] : {std::pair{"time", &c.time}, std::pair{"key", &c.key}, std::pair{"signature", &c.signature}}) {
    const json* v = text(name);
    if (v == nullptr) return std::unexpected(std::string("a checkpoint needs ") + name);
    *field = v->get<std::string>();
  }
  if (const json* next = text("next_key")) c.next_key = next->get<std::string>();
  return c;
}

// ---- the keeper -----------------------------------------------------------------

checkpoint_keeper::checkpoint_keeper(es::store& store, signing_key key, std::function<std::int64_t()> clock)
    : store_(store), clock_(std::move(clock)), key_(key) {
  if (auto version = store_.stream_version(checkpoint_stream); version && *version > 0)
    if (auto last = store_.read_stream(checkpoint_stream, *version, 1); last && !last->empty())
      newest_ms_ = last->front().metadata.recorded_at_ms;
}

signing_key checkpoint_keeper::key() const {
  std::lock_guard lock(mutex_);
  return key_;
}

std::optional<std::int64_t> checkpoint_keeper::newest_time_ms() const {
  std::lock_guard lock(mutex_);
  return newest_ms_;
}

es::result<std::vector<checkpoint>> checkpoint_keeper::list() const {
  auto events = store_.read_stream(checkpoint_stream);
  if (!events) return std::unexpected(events.error());
  std::vector<checkpoint> out;
  out.reserve(events->size());
  for (const auto& e : *events) {
    auto c = checkpoint_from_json(e.data);
    if (!c)
      return std::unexpected(keeper_error(es::errc::corrupted, "the checkpoint recorded at position " +
                                                                   std::to_string(e.position) + " is malformed: " +
                                                                   c.error()));
    c->recorded_at = e.position;
    out.push_back(std::move(*c));
  }
  return out;
}

es::result<checkpoint> checkpoint_keeper::make(std::string_view actor) {
  std::lock_guard lock(mutex_);
  return sign_and_record(actor, {});
}

es::result<checkpoint> checkpoint_keeper::rotate(const signing_key& next, std::string_view actor) {
  std::lock_guard lock(mutex_);
  auto announced = sign_and_record(actor, next.public_key_hex());
  if (!announced) return announced;
  key_ = next;
  log::info("checkpoints", "signing key rotated: " + announced->key.substr(0, 16) + "… announced " +
                               next.public_key_hex().substr(0, 16) + "… in the checkpoint at position " +
                               std::to_string(announced->recorded_at));
  return announced;
}

// Under mutex_.
es::result<checkpoint> checkpoint_keeper::sign_and_record(std::string_view actor, const std::string& next_key) {
  const es::head head = store_.current_head();
  if (head.position == 0) return std::unexpected(keeper_error(es::errc::invalid_argument, "the log is empty"));

  // Nothing since the newest checkpoint's own event: that one still holds.
  if (next_key.empty()) {
    auto version = store_.stream_version(checkpoint_stream);
    if (!version) return std::unexpected(version.error());
    if (*version > 0) {
      auto last = store_.read_stream(checkpoint_stream, *version, 1);
      if (!last) return std::unexpected(last.error());
      if (!last->empty() && last->front().position == head.position) {
        auto c = checkpoint_from_json(last->front().data);
        if (c && c->key == key_.public_key_hex() && c->next_key.empty()) {
          c->recorded_at = last->front().position;
          return *c;
        }
      }
    }
  }

  auto root = store_.merkle_root(head.position);
  if (!root) return std::unexpected(root.error());
  const std::int64_t now = clock_();
  checkpoint c;
  c.position = head.position;
  c.head_hash = head.hash;
  c.merkle_root = *root;
  c.time = log::utc_stamp(now);
  c.key = key_.public_key_hex();
  c.next_key = next_key;
  c.signature = key_.sign_hex(statement_of(c));

  es::event_data e;
  e.type = std::string(checkpoint_event_type);
  e.data = to_json(c);
  e.metadata.actor = std::string(actor);
  e.metadata.recorded_at_ms = now;
  const std::string command_id = "checkpoint:" + std::to_string(c.position) + ":" + key_.fingerprint().substr(0, 16) +
                                 (next_key.empty() ? "" : ":rotate:" + next_key.substr(0, 16));
  std::vector<es::event_data> events;
  events.push_back(std::move(e));
  auto appended = store_.append(checkpoint_stream, es::expected_version::any(), std::move(events), command_id);
  if (!appended) return std::unexpected(appended.error());
  if (appended->duplicate) {  // the same checkpoint was recorded before: answer with that one
    auto stored = store_.read_all(appended->first_position, 1);
    if (!stored) return std::unexpected(stored.error());
    if (stored->empty()) return std::unexpected(keeper_error(es::errc::corrupted, "a recorded checkpoint is missing"));
    auto before = checkpoint_from_json(stored->front().data);
    if (!before) return std::unexpected(keeper_error(es::errc::corrupted, before.error()));
    c = std::move(*before);
  }
  c.recorded_at = appended->first_position;
  newest_ms_ = now;
  return c;
}

}  // namespace isms::server
