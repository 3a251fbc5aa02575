#include "isms/server/backup_room.hpp"

#include <ctime>

#include "isms/server/log.hpp"

namespace isms::server {

backup_room::backup_room(std::filesystem::path backup_dir, eventstore::store& store, worker_pool& pool,
                         identify_fn identify, clock_fn clock, const evidence_files* evidence)
    : backup_dir_(std::move(backup_dir)),
      store_(store),
      pool_(pool),
      identify_(std::move(identify)),
      clock_(std::move(clock)),
      evidence_(evidence) {}

void backup_room::add_routes(router& routes) {
  routes.on("/api/backup", {"POST"},
            on_pool(pool_, [this](const http_request& r) { return backup(r); }, "the backup failed"));
}

http_response backup_room::backup(const http_request& request) {
  auto who = require_caller(identify_, request, endpoint("backup"));
  if (!who) return who.error();
  if (backup_dir_.empty()) return json_error(503, "unavailable", "no backup folder is configured (backup_dir)");
  std::lock_guard lock(mutex_);
  std::error_code ec;
  std::filesystem::create_directories(backup_dir_, ec);
  if (ec) return json_error(503, "unavailable", "cannot create " + backup_dir_.string() + ": " + ec.message());
  const auto head = store_.current_head();
  const std::time_t now =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point{std::chrono::milliseconds{clock_()}});
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::filesystem::path target;
  for (int n = 0;; ++n) {
    std::string name = "isms-" + std::string(stamp) + "-p" + std::to_string(head.position);
    if (n != 0) name += '-' + std::to_string(n);
    target = backup_dir_ / name;
    if (!std::filesystem::exists(target, ec)) break;
  }
  if (auto r = store_.backup_to(target); !r) {
    log::error("backup", "backup to " + target.string() + " failed: " + r.error().message);
    return json_error(500, "internal", "backup failed: " + r.error().message);
  }
  // After the checkpoint: every file an event in it names was stored
  // before that event was appended.
  std::uint64_t files = 0;
  if (evidence_ != nullptr) {
    auto copied = evidence_->copy_to(target / "evidence");
    if (!copied) {
      log::error("backup", "backup to " + target.string() + ": the evidence files: " + copied.error());
      return json_error(500, "internal", "backup failed: the evidence files: " + copied.error());
    }
    files = *copied;
  }
  log::info("backup", "online backup by " + who->user_id + " written to " + target.string() +
                          " (holds at least position " + std::to_string(head.position) + ", " +
                          std::to_string(files) + " evidence files)");
  return json_response(200, nlohmann::json{{"path", std::filesystem::absolute(target).string()},
                                           {"position", head.position},
                                           {"head_hash", eventstore::to_hex(head.hash)},
                                           {"evidence_files", files}});
}

}  // namespace isms::server
