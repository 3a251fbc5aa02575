// Backups, restore, and the meta side store.
#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/utilities/checkpoint.h>

#include <mutex>

#include "store_impl.hpp"

namespace isms::eventstore {

using detail::make_error;

namespace {

constexpr std::size_t max_meta_key = 256;

// fsync a file or directory; false on failure.
bool sync_path(const std::filesystem::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

result<void> store::backup_to(const std::filesystem::path& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec))
    return std::unexpected(make_error(errc::invalid_argument, "backup target " + dir.string() + " already exists"));
  const fs::path target = fs::absolute(dir, ec);
  if (ec) return std::unexpected(make_error(errc::invalid_argument, "backup target: " + ec.message()));
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(impl_->db_.get(), &raw);
  if (!s.ok()) return std::unexpected(io_error(s, "preparing a checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush = 0: flush first, so the copy is self-contained and
  // holds everything committed before the call.
  s = cp->CreateCheckpoint(target.string(), 0);
  if (!s.ok()) return std::unexpected(io_error(s, "writing the checkpoint to " + target.string()));
  if (!sync_path(target, true))
    return std::unexpected(make_error(errc::io, "syncing " + target.string()));
  return {};
}

result<void> store::restore(const std::filesystem::path& backup, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(backup / "CURRENT", ec))
    return std::unexpected(make_error(errc::not_found, "no backup in " + backup.string()));
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return std::unexpected(make_error(errc::invalid_argument, "restore target " + dir.string() + " is not empty"));
  fs::create_directories(dir, ec);
  if (ec) return std::unexpected(make_error(errc::io, "creating " + dir.string() + ": " + ec.message()));
  for (const auto& entry : fs::directory_iterator(backup, ec)) {
    if (!entry.is_regular_file()) continue;
    const fs::path to = dir / entry.path().filename();
    fs::copy_file(entry.path(), to, fs::copy_options::none, ec);
    if (ec) return std::unexpected(make_error(errc::io, "copying " + entry.path().string() + ": " + ec.message()));
    if (!sync_path(to, false)) return std::unexpected(make_error(errc::io, "syncing " + to.string()));
  }
  if (ec) return std::unexpected(make_error(errc::io, "listing " + backup.string() + ": " + ec.message()));
  if (!sync_path(dir, true)) return std::unexpected(make_error(errc::io, "syncing " + dir.string()));

  options o;
  o.create_if_missing = false;
  auto st = store::open(o, dir);
  if (!st) return std::unexpected(st.error());
  auto v = (*st)->verify();
  if (!v) return std::unexpected(v.error());
  return {};
}

result<void> store::erase_payload(std::uint64_t position, const nlohmann::json& tombstone) {
  if (!tombstone.is_object())
    return std::unexpected(make_error(errc::invalid_data, "a tombstone must be a JSON object"));
  std::string text;
  if (!detail::append_canonical_json(text, tombstone))
    return std::unexpected(make_error(errc::invalid_data, "the tombstone cannot be canonicalised"));
  if (text.size() > impl_->opts_.max_event_bytes)
    return std::unexpected(make_error(errc::invalid_data, "the tombstone is larger than max_event_bytes"));
  if (position == 0 || position > impl_->published_head().position)
    return std::unexpected(make_error(errc::not_found, "no committed event at position " + std::to_string(position)));

  // Erasures are serialized with each other so that two of the same event
  // cannot interleave their read and write; appends never touch a committed
  // record, so they need no coordination.
  static std::mutex erase_mu;
  std::lock_guard lk(erase_mu);
  const std::string key = detail::position_key(position);
  std::string v;
  auto s = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(cf_events), key, &v);
  if (s.IsNotFound())
    return std::unexpected(make_error(errc::corrupted, "event at position " + std::to_string(position) + " is missing", position));
  if (!s.ok()) return std::unexpected(io_error(s, "reading the event to erase"));
  auto r = detail::parse_record(v);
  if (!r || r->position != position)
    return std::unexpected(make_error(errc::corrupted, "event at position " + std::to_string(position) + " does not decode", position));
  if ((r->flags & detail::flag_data_erased) == 0) {
    // Never erase a payload that does not match its digest: that would hide tampering.
    detail::hasher h;
    h.update(r->data_json);
    if (h.finish() != r->data_digest)
      return std::unexpected(make_error(errc::corrupted, "event at position " + std::to_string(position) +
                                                             ": payload does not match its digest", position));
  }
  std::string rewritten = v.substr(0, detail::rec_canonical + r->canonical.size());
  rewritten[detail::rec_flags] = static_cast<char>(r->flags | detail::flag_data_erased);
  rewritten += text;
  rocksdb::WriteOptions wo;
  wo.sync = impl_->opts_.sync;
  s = impl_->db_->Put(wo, impl_->cf(cf_events), key, rewritten);
  if (!s.ok()) return std::unexpected(io_error(s, "writing the erased event"));
  return {};
}

result<void> store::put_meta(std::string_view key, std::string_view value) {
  if (key.empty() || key.size() > max_meta_key)
    return std::unexpected(make_error(errc::invalid_argument, "meta key must be 1..256 bytes"));
  if (value.size() > impl_->opts_.max_meta_bytes)
    return std::unexpected(make_error(errc::invalid_argument, "meta value larger than " +
                                                                  std::to_string(impl_->opts_.max_meta_bytes) + " bytes"));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->opts_.sync;
  auto s = impl_->db_->Put(wo, impl_->cf(cf_meta), rocksdb::Slice(key.data(), key.size()),
                           rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return std::unexpected(io_error(s, "writing meta key"));
  return {};
}

result<std::string> store::get_meta(std::string_view key) const {
  if (key.empty() || key.size() > max_meta_key)
    return std::unexpected(make_error(errc::invalid_argument, "meta key must be 1..256 bytes"));
  std::string v;
  auto s = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(cf_meta), rocksdb::Slice(key.data(), key.size()), &v);
  if (s.IsNotFound()) return std::unexpected(make_error(errc::not_found, "no meta key '" + std::string(key) + "'"));
  if (!s.ok()) return std::unexpected(io_error(s, "reading meta key"));
  return v;
}

result<std::optional<append_result>> store::find_command(std::string_view command_id) const {
  if (command_id.empty()) return std::optional<append_result>{};
  std::string v;
  auto s = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(cf_idem),
                           rocksdb::Slice(command_id.data(), command_id.size()), &v);
  if (s.IsNotFound()) return std::optional<append_result>{};
  if (!s.ok()) return std::unexpected(io_error(s, "looking up command " + std::string(command_id)));
  if (v.size() < 24)
    return std::unexpected(
        make_error(errc::corrupted, "the idempotency record of command " + std::string(command_id) + " is malformed"));
  return std::optional<append_result>{
      append_result{detail::get_u64(v.data()), detail::get_u64(v.data() + 8), detail::get_u64(v.data() + 16), true}};
}

result<void> store::erase_meta(std::string_view key) {
  if (key.empty() || key.size() > max_meta_key)
    return std::unexpected(make_error(errc::invalid_argument, "meta key must be 1..256 bytes"));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->opts_.sync;
  auto s = impl_->db_->Delete(wo, impl_->cf(cf_meta), rocksdb::Slice(key.data(), key.size()));
  if (!s.ok()) return std::unexpected(io_error(s, "erasing meta key"));
  return {};
}

}  // namespace isms::eventstore
