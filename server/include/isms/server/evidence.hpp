#pragma once
// The evidence bundle: one tar.gz an auditor takes home and checks on their
// own machine, without the server (docs/auditors.md):
//
//   isms-evidence-<T>/manifest.json     what is inside, with each file's SHA-256
//   isms-evidence-<T>/events.ndjson     the events (all, a period, or chosen streams)
//   isms-evidence-<T>/checkpoints.json  every signed checkpoint, one made for the bundle
//   isms-evidence-<T>/key.json          the signing key's public half
//   isms-evidence-<T>/proofs.json       consistency proofs from every earlier checkpoint
//                                       to the bundle's, and inclusion proofs of the
//                                       events when the bundle holds less than the log
//   isms-evidence-<T>/registers/*.csv   the registers as the log left them at T
//   isms-evidence-<T>/files/<sha256>    the bytes of every evidence file an event
//                                       of the bundle attaches, named by their digest
//   isms-evidence-<T>/verify.py         the standalone verifier (Python 3, standard library)
//   isms-evidence-<T>/AUDITORS.md       what it proves and how to run it
//
// T is the newest checkpoint's position: a bundle signs the log as it stands
// (checkpoint_keeper::make) and covers it up to there.
// Thread-safety: a free function; the store and the keeper are thread-safe.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "isms/eventstore/store.hpp"
#include "isms/server/checkpoints.hpp"

namespace isms::server {

struct evidence_request {
  std::uint64_t from = 1;            // the first position included
  std::uint64_t to = 0;              // the last position included; 0 or beyond: the bundle's checkpoint
  std::vector<std::string> streams;  // only these streams' events (with inclusion proofs); empty: every stream
  std::string actor;                 // who asked (the checkpoint the bundle makes is theirs)
  // Where the evidence files' bytes are (evidence_files' root); empty: the
  // bundle carries none.
  std::filesystem::path files;
};

struct evidence_summary {
  std::uint64_t from = 0, to = 0;  // the period covered
  std::uint64_t events = 0;        // events in events.ndjson
  checkpoint newest;               // the checkpoint the bundle is checked against
  std::uint64_t bytes = 0;         // the archive's size
  std::uint64_t files = 0;         // evidence files carried under files/
  std::vector<std::string> files_missing;  // digests an event names whose bytes were not found
};

// A register as CSV text: its file name under registers/ and its content.
struct register_csv {
  std::string name;
  std::string text;
};
// The registers as they stood at a position, or why they cannot be had
// (an empty function: the bundle holds none).
using registers_at_fn =
    std::function<std::expected<std::vector<register_csv>, std::string>(std::uint64_t position)>;

// Told how many of the events have been written, of how many.
using progress_fn = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Writes the bundle as tar.gz through `sink` (called with consecutive chunks
// of the archive; returning false stops with an error). Staging files go to
// a fresh folder under `work_dir`, removed afterwards. Errors name what failed.
[[nodiscard]] std::expected<evidence_summary, std::string> write_evidence(
    eventstore::store& store, checkpoint_keeper& checkpoints, const evidence_request& request,
    const std::function<bool(std::string_view)>& sink, const std::filesystem::path& work_dir,
    const registers_at_fn& registers = {}, const progress_fn& progress = {});

// The verifier and its guide as shipped in every bundle.
[[nodiscard]] std::string_view evidence_verifier_py();
[[nodiscard]] std::string_view evidence_auditors_md();

}  // namespace isms::server
