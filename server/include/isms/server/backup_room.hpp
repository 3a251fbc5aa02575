#pragma once
// Online backups on request (POST /api/backup, administrators only): a new
// folder "isms-<UTC time>-p<position>" under the backup folder, written while
// appends continue, with the evidence files' bytes in its subfolder
// "evidence" (hard links where the file system allows: stored files never
// change). `ismsd restore` puts them back beside the restored store. One
// backup at a time; a second request waits its turn.
// Thread-safety: all members may be called from any thread.

#include <filesystem>
#include <mutex>

#include "isms/eventstore/store.hpp"
#include "isms/server/commands.hpp"
#include "isms/server/evidence_files.hpp"
#include "isms/server/http_room.hpp"

namespace isms::server {

class backup_room {
 public:
  // `backup_dir` empty: every request is 503 `unavailable`. `evidence`:
  // the evidence files to take along, or null.
  backup_room(std::filesystem::path backup_dir, eventstore::store& store, worker_pool& pool, identify_fn identify,
              clock_fn clock, const evidence_files* evidence = nullptr);

  void add_routes(router& routes);

  [[nodiscard]] http_response backup(const http_request& request);

 private:
  std::filesystem::path backup_dir_;
  eventstore::store& store_;
  worker_pool& pool_;
  identify_fn identify_;
  clock_fn clock_;
  const evidence_files* evidence_;
  std::mutex mutex_;  // one online backup at a time
};

}  // namespace isms::server
