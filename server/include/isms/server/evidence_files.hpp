#pragma once
// The bytes of evidence files, content-addressed by SHA-256, in a folder
// beside the store's ("<data>-evidence" by default):
//
//   <root>/sha256/<first two hex digits>/<64 hex digits>   one file per content, read-only
//   <root>/incoming/                                      uploads being received
//
// A file is stored once however often it is attached: the events that attach
// it (evidence.attached.v1) record its digest, so the bytes can always be
// checked against the history, and a stored file is never written again.
// Why a folder and not a RocksDB column family: files of up to tens of
// megabytes would pass through the write-ahead log and every compaction, and
// an upload could not be received a piece at a time without holding it
// whole; a content-addressed file is written once, renamed into place when
// complete and synced, and a backup links or copies it as it is.
//
// An upload is written to incoming/ as it arrives and hashed on the way; only
// a complete one, synced, is renamed to its digest's name. A failed or
// abandoned upload leaves nothing behind (what a crash leaves in incoming/ is
// removed at the next start). Stored bytes are held while the attach that
// names them is decided (stored_file::hold): bytes that no upload had stored
// before, and that no attach was recorded for once the last hold on them
// ends, are removed again, so a refused attach leaves nothing behind either.
// Storing and removing take one lock, so bytes another upload has just found
// stored are never removed under it. What a crash between storing and
// attaching leaves in sha256/ stays (unreferenced, harmless, a few bytes of
// disk).
//
// Thread-safety: every member may be called from any thread; one upload is
// used by one thread at a time.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace isms::server {

// Stored bytes held while the attach naming them is decided (see above).
class file_hold;

struct stored_file {
  std::string digest;  // 64 lower-case hex digits
  std::uint64_t size = 0;
  bool already_stored = false;  // the same bytes were there before
  std::shared_ptr<file_hold> hold;  // released with the last copy
};

// Says that an attach naming the bytes of `f` was recorded, or may have been
// (an outcome not known for certain): they stay when the hold ends.
void keep_attached(const stored_file& f);

class evidence_files {
 public:
  // Creates the folders when missing and clears incoming/. Throws when the
  // root cannot be created.
  explicit evidence_files(std::filesystem::path root);

  // One upload being received.
  class upload {
   public:
    virtual ~upload() = default;  // an upload not finished is removed
    // Appends bytes; false when they cannot be written (a full disk), after
    // which error() says why.
    [[nodiscard]] virtual bool write(std::string_view bytes) = 0;
    // Syncs the bytes, and stores them under their digest unless the same
    // content is stored already.
    [[nodiscard]] virtual std::expected<stored_file, std::string> finish() = 0;
    [[nodiscard]] virtual std::uint64_t size() const = 0;
    [[nodiscard]] virtual const std::string& error() const = 0;
  };
  [[nodiscard]] std::expected<std::unique_ptr<upload>, std::string> begin() const;

  // Where the content with `digest` is kept (whether or not it is there);
  // empty for anything but 64 lower-case hex digits.
  [[nodiscard]] std::filesystem::path path_of(std::string_view digest) const;
  [[nodiscard]] bool has(std::string_view digest) const;
  // Reads the stored bytes again: nothing when they still hash to `digest`
  // and are `size` bytes, else what is wrong (missing, altered).
  [[nodiscard]] std::expected<void, std::string> check(std::string_view digest, std::uint64_t size) const;

  // Puts every stored file into `target` (created), as hard links where the
  // file system allows and copies elsewhere, then syncs it. For backups:
  // stored files never change, so a link is as good as a copy.
  [[nodiscard]] std::expected<std::uint64_t, std::string> copy_to(const std::filesystem::path& target) const;

  [[nodiscard]] const std::filesystem::path& root() const noexcept { return root_; }

  struct holds;  // who holds which stored bytes; one lock for storing and removing

 private:
  std::filesystem::path root_;
  std::shared_ptr<holds> holds_;
};

// Whether `digest` is 64 lower-case hex digits.
[[nodiscard]] bool valid_digest(std::string_view digest) noexcept;

}  // namespace isms::server
