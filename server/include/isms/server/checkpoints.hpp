#pragma once
// Signed checkpoints: the server's signed statement of what its log held at a
// position — {position, head hash, Merkle root, time} — by which an auditor
// holds the server to its history without trusting it later
// (docs/auditors.md; the formats in docs/eventstore.md, "Signed checkpoints").
//
// The signing key is Ed25519 (libsodium), kept in a file of its own outside
// the store (mode 0600). Every checkpoint is also recorded in the log, on the
// stream `ledger.checkpoints`, and the list of checkpoints is that stream.
// A key is rotated by a checkpoint the old key signs, naming the new key.
//
// Thread-safety: signing_key is an immutable value; checkpoint_keeper's
// members may be called from any thread (making one is serialized).

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/eventstore/store.hpp"

namespace isms::server {

inline constexpr std::string_view checkpoint_stream = "ledger.checkpoints";
inline constexpr std::string_view checkpoint_event_type = "ledger.checkpoint.v1";

class signing_key {
 public:
  // A new key from the system's randomness.
  [[nodiscard]] static signing_key generate();
  // The key in `file`. Refused when the file is missing, malformed, or
  // readable or writable by anyone but its owner.
  [[nodiscard]] static std::expected<signing_key, std::string> load(const std::filesystem::path& file);
  // The key in `file`, or a new one written there (mode 0600, synced) when
  // no file exists; `created` tells which.
  [[nodiscard]] static std::expected<signing_key, std::string> load_or_create(const std::filesystem::path& file,
                                                                             bool* created = nullptr);
  // Writes this key to `file`, which must not exist yet (mode 0600, synced).
  [[nodiscard]] std::expected<void, std::string> save_new(const std::filesystem::path& file) const;

  // The 32-byte public key as 64 lowercase hex digits.
  [[nodiscard]] std::string public_key_hex() const;
  // SHA-256 of the 32 public-key bytes, 64 lowercase hex digits.
  [[nodiscard]] std::string fingerprint() const;
  // The Ed25519 signature of `message`, 128 lowercase hex digits.
  [[nodiscard]] std::string sign_hex(std::string_view message) const;

 private:
  std::array<unsigned char, 32> seed_{};
  std::array<unsigned char, 32> public_{};
  std::array<unsigned char, 64> secret_{};
};

// The fingerprint of a public key given as 64 hex digits; empty when malformed.
[[nodiscard]] std::string fingerprint_of(std::string_view public_key_hex);

struct checkpoint {
  std::uint64_t position = 0;  // the last event covered (the tree size)
  eventstore::digest head_hash{};
  eventstore::digest merkle_root{};
  std::string time;      // "2026-12-01T08:00:00.000Z"
  std::string key;       // the signer's public key, 64 hex
  std::string next_key;  // on a rotation: the key that signs the checkpoints after this one
  std::string signature; // 128 hex
  std::uint64_t recorded_at = 0;  // where the log holds it (0 when not read from the log)
};

// The exact bytes signed: "isms-ledger checkpoint v1\nposition N\nhead_hash …\n
// merkle_root …\ntime …\nkey …\n" and, on a rotation, "next_key …\n".
[[nodiscard]] std::string statement_of(const checkpoint& c);
// Whether `signature` is `key`'s over statement_of(c).
[[nodiscard]] bool signature_holds(const checkpoint& c);
// The JSON form (the event's payload and the API's answer); recorded_at only
// when known.
[[nodiscard]] nlohmann::json to_json(const checkpoint& c);
[[nodiscard]] std::expected<checkpoint, std::string> checkpoint_from_json(const nlohmann::json& j);

class checkpoint_keeper {
 public:
  checkpoint_keeper(eventstore::store& store, signing_key key, std::function<std::int64_t()> clock);

  // Signs the log as it stands and records the checkpoint in the log, as
  // `actor`. When nothing was appended since the newest checkpoint's own
  // event, that checkpoint is the answer and nothing is written. An empty log
  // has nothing to sign (invalid_argument).
  [[nodiscard]] eventstore::result<checkpoint> make(std::string_view actor);
  // Hands signing over to `next`: a checkpoint signed with the current key
  // names it; every checkpoint after is signed with `next`.
  [[nodiscard]] eventstore::result<checkpoint> rotate(const signing_key& next, std::string_view actor);
  // Every checkpoint in the log, oldest first.
  [[nodiscard]] eventstore::result<std::vector<checkpoint>> list() const;
  // The newest checkpoint's time (UTC ms) when there is one.
  [[nodiscard]] std::optional<std::int64_t> newest_time_ms() const;
  [[nodiscard]] signing_key key() const;

 private:
  eventstore::result<checkpoint> sign_and_record(std::string_view actor, const std::string& next_key);

  eventstore::store& store_;
  std::function<std::int64_t()> clock_;
  mutable std::mutex mutex_;
  signing_key key_;
  std::optional<std::int64_t> newest_ms_;
};

}  // namespace isms::server
