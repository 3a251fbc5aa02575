#include "isms/server/evidence_room.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

#include "isms/domain/authorization.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/server/log.hpp"

namespace isms::server {

using json = nlohmann::json;

namespace {

// Media types sent as they were declared: documents a browser saves or
// shows in a viewer of its own, never as a page of this origin. Everything
// else goes out as application/octet-stream.
constexpr std::array<std::string_view, 16> plain_types{
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "text/plain; charset=utf-8" → "text/plain"; none → application/octet-stream.
std::string media_type_of(std::string_view content_type) {
  const auto semi = content_type.find(';');
  std::string t = lower(content_type.substr(0, semi));
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1 == 0 ? 0 : t.find_last_not_of(" \t") + 1);
  return t.empty() ? std::string("application/octet-stream") : t;
}

// The last part of a path a browser may send as a file's name.
std::string base_name(std::string name) {
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name.erase(0, slash + 1);
  return name;
}

std::string new_evidence_id() {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::random_device rd;
  std::string id = "EV-";
  for (int i = 0; i < 3; ++i) {
    const unsigned v = rd();
    for (int n = 0; n < 4; ++n) id += hex[(v >> (4 * n)) & 0xF];
  }
  return id;
}

// A Content-Disposition that names the file for every browser: an ASCII
// fallback (unsafe characters replaced) and the exact UTF-8 name (RFC 6266, 8187).
std::string disposition(const std::string& name) {
  std::string ascii;
  std::string encoded;
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const unsigned char c : name) {
    ascii += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%') ? static_cast<char>(c) : '_';
    if (std::isalnum(c) || std::string_view("-._~").find(static_cast<char>(c)) != std::string_view::npos) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 0xF];
    }
  }
  if (ascii.empty()) ascii = "evidence";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

// What an upload asks to attach, read from its query before the body.
struct attach_request {
  caller who;
  std::string evidence_id, subject_kind, subject_id, part, purpose, name, media_type, owner, review_by;
};

// Whether a command's error code says it was refused, so nothing was recorded
// (not a timeout, an unavailable store or an internal failure).
bool refused_for_certain(std::string_view code) {
  for (std::string_view c : {"bad_request", "unauthenticated", "forbidden", "confirmation_required", "not_found",
                             "conflict", "rejected", "rate_limited", "too_large"})
    if (code == c) return true;
  return false;
}

// Receives the body into the file store; attaches it once complete.
class upload_sink final : public body_sink, public std::enable_shared_from_this<upload_sink> {
 public:
  upload_sink(std::unique_ptr<evidence_files::upload> upload, attach_request request, worker_pool& pool,
              const evidence_room_parts& parts, std::uint64_t max_bytes)
      : upload_(std::move(upload)), request_(std::move(request)), pool_(pool), parts_(parts), max_bytes_(max_bytes) {}

  bool write(std::string_view bytes) override { return upload_->write(bytes); }

  void finish(bool complete, bool too_large, std::function<void(http_response)> reply) override {
    if (too_large) {
      upload_.reset();
      return reply(json_error(413, "too_large",
                              "the file exceeds the limit of " + std::to_string(max_bytes_) + " bytes"));
    }
    if (!complete) {
      const std::string why = upload_->error();
      upload_.reset();  // nothing half-written stays
      if (!why.empty()) log::error("evidence", "an upload by " + request_.who.user_id + " failed: " + why);
      return reply(json_error(507, "unavailable", why.empty() ? "the upload did not complete" : why));
    }
    // Syncing and attaching wait for the disk and the command: not on an I/O thread.
    auto answer = at_most_once(std::move(reply));
    pool_.post([self = shared_from_this(), answer] { answer(self->attach()); },
               reply_internal(answer, "storing the file failed"));
  }

 private:
  http_response attach() {
    auto stored = upload_->finish();
    upload_.reset();
    if (!stored) {
      log::error("evidence", "storing an upload by " + request_.who.user_id + " failed: " + stored.error());
      return json_error(507, "unavailable", stored.error());
    }
    command_request cmd;
    cmd.type = std::string(domain::evidence::attach::type);
    cmd.stream = "evidence-" + request_.evidence_id;
    cmd.data = {{"evidence_id", request_.evidence_id}, {"subject_kind", request_.subject_kind},
                {"subject_id", request_.subject_id},   {"purpose", request_.purpose},
                {"digest", stored->digest},           {"name", request_.name},
                {"media_type", request_.media_type},  {"size", stored->size}};
    if (!request_.owner.empty()) cmd.data["owner"] = request_.owner;
    if (!request_.review_by.empty()) cmd.data["review_by"] = request_.review_by;
    if (!request_.part.empty()) cmd.data["part"] = request_.part;
    const command_outcome o = parts_.run(request_.who.user_id, std::move(cmd));
    // Bytes a refusal leaves unnamed go again when `stored` does (evidence_files.hpp);
    // an outcome not known for certain keeps them.
    if (o.ok || !refused_for_certain(o.error_code)) keep_attached(*stored);
    if (!o.ok) {
      json body{{"error", {{"code", o.error_code}, {"message", o.error_message}}}};
      if (!o.error_field.empty()) body["error"]["field"] = o.error_field;
      return json_response(http_status_of(o.error_code), body);
    }
    log::info("evidence", request_.who.user_id + " attached " + request_.name + " (" + std::to_string(stored->size) +
                              " bytes, sha256 " + stored->digest + ") to " + request_.subject_kind + " " +
                              request_.subject_id + " as evidence " + request_.evidence_id);
    http_response r = json_response(201, json{{"evidence_id", request_.evidence_id},
                                              {"digest", stored->digest},
                                              {"size", stored->size},
                                              {"already_stored", stored->already_stored},
                                              {"position", o.position}});
    r.actor = request_.who.user_id;
    return r;
  }

  std::unique_ptr<evidence_files::upload> upload_;
  attach_request request_;
  worker_pool& pool_;
  const evidence_room_parts& parts_;
  std::uint64_t max_bytes_;
};

}  // namespace

unsigned http_status_of(std::string_view code) noexcept {
  if (code == "bad_request") return 400;
  if (code == "unauthenticated") return 401;
  if (code == "forbidden" || code == "confirmation_required") return 403;
  if (code == "not_found") return 404;
  if (code == "conflict" || code == "rejected") return 409;
  if (code == "too_large") return 413;
  if (code == "rate_limited") return 429;
  if (code == "unavailable") return 503;
  return 500;
}

evidence_room::evidence_room(evidence_room_options options, const evidence_files& files, worker_pool& pool,
                             evidence_room_parts parts)
    : options_(options), files_(files), pool_(pool), parts_(std::move(parts)) {}

void evidence_room::add_routes(router& routes) {
  routes.on(std::string(upload_path), {"POST"}, [](const http_request&, http_reply reply) {
    // Reached only when the transport did not stream the body (it always does).
    reply(json_error(400, "bad_request", "upload the file as the request body"));
  });
  routes.on_prefix(std::string(prefix), {"GET", "HEAD"},
                   on_pool(pool_, [this](const http_request& r) { return download(r); }, "the download failed"));
}

body_decision evidence_room::stream_body(const http_request& head) {
  if (head.path != upload_path) return {};
  body_decision d;
  const auto refuse = [&d](http_response r) {
    d.refusal = std::move(r);
    return d;
  };
  if (head.method != "POST") return refuse(json_error(405, "bad_request", "upload evidence with POST"));
  if (!parts_.origin_allowed(head)) return refuse(json_error(403, "forbidden", "cross-origin upload refused"));
  auto who = parts_.identify(head);
  if (!who) return refuse(json_error(401, "unauthenticated", "sign in first"));
  d.actor = who->user_id;
  if (!domain::may_issue(who->actor, domain::evidence::attach::type))
    return refuse(json_error(403, "forbidden", "your roles attach no evidence"));
  attach_request a;
  std::string value;
  const auto param = [&](std::string_view key) {
    value.clear();
    (void)query_param(head.query, key, value);
    return value;
  };
  a.subject_kind = param("subject_kind");
  a.subject_id = param("subject_id");
  a.part = param("part");
  a.purpose = param("purpose");
  a.name = base_name(param("name"));
  a.owner = param("owner");
  a.review_by = param("review_by");
  a.evidence_id = param("evidence_id");
  if (a.evidence_id.empty()) a.evidence_id = new_evidence_id();
  for (const auto& [key, v] : {std::pair{"subject_kind", &a.subject_kind}, std::pair{"subject_id", &a.subject_id},
                               std::pair{"purpose", &a.purpose}, std::pair{"name", &a.name}})
    if (v->empty())
      return refuse(json_error(400, "bad_request", std::string("the query parameter ") + key + " is required"));
  a.media_type = media_type_of(head.header("content-type"));
  if (const auto length = head.header("content-length"); !length.empty()) {
    const auto n = parse_decimal(length);
    if (n && *n > options_.max_file_bytes)
      return refuse(json_error(413, "too_large",
                               "the file exceeds the limit of " + std::to_string(options_.max_file_bytes) + " bytes"));
  }
  auto upload = files_.begin();
  if (!upload) {
    log::error("evidence", upload.error());
    return refuse(json_error(503, "unavailable", "cannot receive files now"));
  }
  a.who = std::move(*who);
  d.sink = std::make_shared<upload_sink>(std::move(*upload), std::move(a), pool_, parts_, options_.max_file_bytes);
  d.max_bytes = options_.max_file_bytes;
  return d;
}

http_response evidence_room::download(const http_request& request) const {
  auto who = require_caller(parts_.identify, request);
  if (!who) return who.error();
  if (who->actor.roles.empty()) return json_error(403, "forbidden", "you hold no role");
  const std::string id(std::string_view(request.path).substr(prefix.size()));
  if (!domain::valid_stream_id(id)) return json_error(404, "not_found", "no such evidence");
  const auto entry = parts_.entry(id);
  if (!entry) return json_error(404, "not_found", "no evidence " + id);
  if (auto ok = files_.check(entry->digest, entry->size); !ok) {
    log::error("evidence", "evidence " + id + ": " + ok.error());
    return json_error(500, "internal", "the stored file does not match its record: " + ok.error());
  }
  http_response r;
  const std::string type = lower(entry->media_type);
  r.content_type = std::ranges::find(plain_types, type) != plain_types.end() ? type : "application/octet-stream";
  r.file = files_.path_of(entry->digest);
  r.headers.emplace_back("Content-Disposition", disposition(entry->name));
  r.headers.emplace_back("X-Content-SHA256", entry->digest);
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  r.actor = who->user_id;
  return r;
}

}  // namespace isms::server
