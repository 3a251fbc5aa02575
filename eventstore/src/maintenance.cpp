// Backups, restore, and the meta side store.
#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

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

result<void> store::restore(const std::filesystem::path& backup, const std::filesystem::path& dir,
                            const progress_fn& copied, const progress_fn& verified) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(backup / "CURRENT", ec))
    return std::unexpected(make_error(errc::not_found, "no backup in " + backup.string()));
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec))
    return std::unexpected(make_error(errc::invalid_argument, "restore target " + dir.string() + " is not empty"));
  fs::create_directories(dir, ec);
  if (ec) return std::unexpected(make_error(errc::io, "creating " + dir.string() + ": " + ec.message()));
  std::vector<fs::path> files;
  std::uint64_t total_bytes = 0, done_bytes = 0;
  for (const auto& entry : fs::directory_iterator(backup, ec)) {
    if (!entry.is_regular_file()) continue;
    files.push_back(entry.path());
    total_bytes += entry.file_size(ec);
  }
  if (ec) return std::unexpected(make_error(errc::io, "listing " + backup.string() + ": " + ec.message()));
  for (const auto& from : files) {
    const fs::path to = dir / from.filename();
    fs::copy_file(from, to, fs::copy_options::none, ec);
    if (ec) return std::unexpected(make_error(errc::io, "copying " + from.string() + ": " + ec.message()));
    if (!sync_path(to, false)) return std::unexpected(make_error(errc::io, "syncing " + to.string()));
    done_bytes += fs::file_size(to, ec);
    if (copied) copied(std::min(done_bytes, total_bytes), total_bytes);
  }
  if (ec) return std::unexpected(make_error(errc::io, "listing " + backup.string() + ": " + ec.message()));
  if (!sync_path(dir, true)) return std::unexpected(make_error(errc::io, "syncing " + dir.string()));

  options o;
  o.create_if_missing = false;
  auto st = store::open(o, dir);
  if (!st) return std::unexpected(st.error());
  auto v = (*st)->verify_with_progress(1, verified);
  if (!v) return std::unexpected(v.error());
  return {};
}

result<erasure_result> store::erase_payload(const erasure_request& req) {
  auto bad = [](errc c, std::string msg, std::uint64_t pos = 0) {
    return std::unexpected(make_error(c, std::move(msg), pos));
  };
  if (req.fields.empty() || req.fields.size() > 64)
    return bad(errc::invalid_argument, "name 1 to 64 fields of the payload to erase");
  if (req.reason.empty() || req.reason.size() > 1024 || !detail::valid_utf8(req.reason))
    return bad(errc::invalid_argument, "an erasure needs a reason of 1 to 1024 bytes of UTF-8");
  if (req.position == 0 || req.position > impl_->published_head().position)
    return bad(errc::not_found, "no committed event at position " + std::to_string(req.position));
  if (!impl_->writable_.load()) return std::unexpected(impl_->refusal());

  // One erasure at a time, so that two erasures of the same event cannot
  // both build on the same record. Appends never touch a committed record.
  std::lock_guard lk(impl_->erase_mu_);
  const std::string key = detail::position_key(req.position);
  std::string v;
  auto s = impl_->db_->Get(rocksdb::ReadOptions(), impl_->cf(cf_events), key, &v);
  if (s.IsNotFound())
    return bad(errc::corrupted, "event at position " + std::to_string(req.position) + " is missing", req.position);
  if (!s.ok()) return std::unexpected(io_error(s, "reading the event to erase"));
  auto r = detail::parse_record(v);
  if (!r || r->position != req.position)
    return bad(errc::corrupted, "event at position " + std::to_string(req.position) + " does not decode",
               req.position);
  if (r->stream == erasure_stream) return bad(errc::invalid_argument, "an erasure event cannot be erased");
  if (!r->data_erased) {
    // Never erase a payload that does not match its digest: that would hide tampering.
    if (sha256(r->data_json) != r->data_digest)
      return bad(errc::corrupted,
                 "event at position " + std::to_string(req.position) + ": payload does not match its digest",
                 req.position);
  } else if (auto uncovered = impl_->check_tombstone(*r, req.position)) {
    return std::unexpected(*uncovered);
  }
  auto payload = nlohmann::json::parse(r->data_json, nullptr, false);
  if (!payload.is_object())
    return bad(errc::invalid_argument, "the payload at position " + std::to_string(req.position) +
                                           " is not an object; only named fields can be erased");
  for (const auto& f : req.fields) {
    auto it = payload.find(f);
    if (it == payload.end() || !it->is_string())
      return bad(errc::invalid_argument, "the payload at position " + std::to_string(req.position) +
                                             " has no text field '" + f.substr(0, 64) + "'");
    *it = std::string(erased_marker);
  }
  std::string tombstone;
  if (!detail::append_canonical_json(tombstone, payload))
    return bad(errc::invalid_data, "the tombstone cannot be canonicalised");
  const digest tombstone_digest = sha256(tombstone);

  // The erasure event, appended to the reserved stream through the writer in
  // the same WriteBatch as the rewritten record.
  event_data ev;
  ev.type = std::string(erasure_event_type);
  ev.data = {{"position", req.position},
             {"stream", std::string(r->stream)},
             {"version", r->version},
             {"type", std::string(r->type)},
             {"fields", req.fields},
             {"reason", req.reason},
             {"tombstone_sha256", to_hex(tombstone_digest)}};
  ev.metadata = req.metadata;
  const std::string command_id = req.metadata.command_id;
  auto prepared = detail::prepare_event(impl_->opts_, erasure_stream, ev, command_id);
  if (!prepared) return std::unexpected(prepared.error());

  auto p = std::make_unique<pending_append>();
  p->stream = std::string(erasure_stream);
  p->expected = expected_version::any();
  p->command_id = command_id;
  p->bytes = prepared->record.size() + v.size();
  p->events.push_back(std::move(*prepared));
  p->rewrite_position = req.position;
  p->rewrite_record = v.substr(0, detail::rec_canonical + r->canonical.size());
  p->rewrite_record[detail::rec_flags] = static_cast<char>(r->flags | detail::flag_data_erased);
  p->rewrite_record += tombstone;

  // Readers accept the tombstone from the moment it can be visible; should
  // the write fail, accepting a digest of a tombstone never written is harmless.
  impl_->note_erasure(req.position, tombstone_digest);

  struct waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<result<append_result>> r;
  };
  auto w = std::make_shared<waiter>();
  p->done = [w](result<append_result> out) {
    std::lock_guard g(w->mu);
    w->r = std::move(out);
    w->cv.notify_all();
  };
  impl_->enqueue(std::move(p));
  std::unique_lock g(w->mu);
  w->cv.wait(g, [&] { return w->r.has_value(); });
  if (!*w->r) return std::unexpected(w->r->error());
  if (!(*w->r)->duplicate) impl_->purge_old_versions(req.position);
  erasure_result out;
  out.erasure_position = (*w->r)->first_position;
  out.tombstone_digest = tombstone_digest;
  out.duplicate = (*w->r)->duplicate;
  return out;
}

// Best effort: the erased payload's bytes still sit in the write-ahead log
// and in the SST files holding the record's old version. A flush retires the
// WAL that held them, and a compaction over the one key rewrites the files
// that overlap it without the old version (unless a snapshot, e.g. a running
// verify, still holds it; the next compaction then drops it).
void store::impl::purge_old_versions(std::uint64_t position) {
  rocksdb::FlushOptions fo;
  auto s = db_->Flush(fo, cfs_);
  if (s.ok()) {
    const std::string from = detail::position_key(position);
    const std::string to = detail::position_key(position + 1);
    const rocksdb::Slice begin(from), end(to);
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    co.exclusive_manual_compaction = false;
    s = db_->CompactRange(co, cf(cf_events), &begin, &end);
  }
  if (!s.ok())
    std::fprintf(stderr, "eventstore: the erased payload at position %llu stays in RocksDB's files until a later "
                         "compaction: %s\n",
                 static_cast<unsigned long long>(position), s.ToString().c_str());
}

result<void> store::put_meta(std::string_view key, std::string_view value) {
  const std::pair<std::string, std::string_view> one{std::string(key), value};
  return put_meta(std::span(&one, 1));
}

result<void> store::put_meta(std::span<const std::pair<std::string, std::string_view>> entries) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : entries) {
    if (key.empty() || key.size() > max_meta_key)
      return std::unexpected(make_error(errc::invalid_argument, "meta key must be 1..256 bytes"));
    if (value.size() > impl_->opts_.max_meta_bytes)
      return std::unexpected(make_error(errc::invalid_argument, "meta value larger than " +
                                                                    std::to_string(impl_->opts_.max_meta_bytes) +
                                                                    " bytes"));
    if (auto s = batch.Put(impl_->cf(cf_meta), rocksdb::Slice(key.data(), key.size()),
                           rocksdb::Slice(value.data(), value.size()));
        !s.ok())
      return std::unexpected(io_error(s, "writing meta keys"));
  }
  rocksdb::WriteOptions wo;
  wo.sync = impl_->opts_.sync;
  auto s = impl_->db_->Write(wo, &batch);
  if (!s.ok()) return std::unexpected(io_error(s, "writing meta keys"));
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
