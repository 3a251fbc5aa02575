#include "isms/server/evidence.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "isms/canonical/canonical.hpp"

namespace isms::server {

using json = nlohmann::json;
namespace fs = std::filesystem;
namespace es = eventstore;

namespace {

// A file written into the staging folder, hashed as it is written.
class staged_file {
 public:
  explicit staged_file(fs::path path) : path_(std::move(path)), out_(path_, std::ios::binary | std::ios::trunc) {}
  void write(std::string_view bytes) {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    hash_.update(bytes);
  }
  // The file's SHA-256 (hex); an error when writing failed (a full disk).
  std::expected<std::string, std::string> finish() {
    out_.flush();
    if (!out_) return std::unexpected("cannot write " + path_.string());
    out_.close();
    return canonical::to_hex(hash_.finish());
  }

 private:
  fs::path path_;
  std::ofstream out_;
  canonical::hasher hash_;
};

// A staging folder, removed with everything in it when done.
struct staging {
  fs::path dir;
  explicit staging(const fs::path& parent) {
    std::string tmpl = (parent / "isms-evidence-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot make a staging folder under " + parent.string());
    dir = tmpl;
  }
  ~staging() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

json hex_list(const std::vector<es::digest>& proof) {
  json out = json::array();
  for (const auto& d : proof) out.push_back(es::to_hex(d));
  return out;
}

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::strict) + "\n"; }

// tar.gz through a sink, one entry at a time, each streamed from its staged file.
class archive_writer {
 public:
  archive_writer(const std::function<bool(std::string_view)>& sink, std::int64_t mtime)
      : sink_(sink), mtime_(mtime), a_(archive_write_new()) {
    archive_write_set_format_pax_restricted(a_);
    archive_write_add_filter_gzip(a_);
    archive_write_set_bytes_in_last_block(a_, 1);
    if (archive_write_open2(a_, this, nullptr, &archive_writer::on_write, nullptr, nullptr) != ARCHIVE_OK)
      failure_ = archive_error_string(a_) ? archive_error_string(a_) : "cannot start the archive";
  }
  ~archive_writer() { archive_write_free(a_); }

  bool add(const fs::path& file, const std::string& name, bool executable) {
    if (failure_) return false;
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (ec) return fail("cannot read " + file.string());
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), executable ? 0755 : 0644);
    archive_entry_set_mtime(e.get(), mtime_, 0);
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK) return fail(archive_error_string(a_));
    std::ifstream in(file, std::ios::binary);
    std::string chunk(1 << 16, '\0');
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      const auto n = in.gcount();
      if (n > 0 && archive_write_data(a_, chunk.data(), static_cast<std::size_t>(n)) < 0)
        return fail(archive_error_string(a_));
    }
    return true;
  }
  bool add_folder(const std::string& name) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    archive_entry_set_perm(e.get(), 0755);
    archive_entry_set_mtime(e.get(), mtime_, 0);
    if (archive_write_header(a_, e.get()) != ARCHIVE_OK) return fail(archive_error_string(a_));
    return true;
  }
  std::expected<std::uint64_t, std::string> close() {
    if (!failure_ && archive_write_close(a_) != ARCHIVE_OK) fail(archive_error_string(a_));
    if (failure_) return std::unexpected(*failure_);
    return written_;
  }

 private:
  static la_ssize_t on_write(struct archive*, void* self, const void* buffer, size_t length) {
    auto* w = static_cast<archive_writer*>(self);
    if (!w->sink_(std::string_view(static_cast<const char*>(buffer), length))) return -1;
    w->written_ += length;
    return static_cast<la_ssize_t>(length);
  }
  bool fail(const char* why) { return fail(std::string(why ? why : "the archive failed")); }
  bool fail(std::string why) {
    if (!failure_) failure_ = std::move(why);
    return false;
  }

  const std::function<bool(std::string_view)>& sink_;
  std::int64_t mtime_;
  struct archive* a_;
  std::optional<std::string> failure_;
  std::uint64_t written_ = 0;
};

std::int64_t seconds_of(const std::string& utc_stamp) {
  std::tm tm{};
  if (::strptime(utc_stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  return static_cast<std::int64_t>(::timegm(&tm));
}

}  // namespace

std::expected<evidence_summary, std::string> write_evidence(es::store& store, checkpoint_keeper& checkpoints,
                                                            const evidence_request& request,
                                                            const std::function<bool(std::string_view)>& sink,
                                                            const fs::path& work_dir, const registers_at_fn& registers,
                                                            const progress_fn& progress) {
  // Refused before anything is signed: a question the log cannot answer leaves no checkpoint behind.
  const std::uint64_t head = store.current_head().position;
  if (request.from > head || (request.to != 0 && request.from > request.to))
    return std::unexpected("the period is empty: the log ends at " + std::to_string(head) + ", from is " +
                           std::to_string(request.from) +
                           (request.to != 0 ? " and until is " + std::to_string(request.to) : std::string()));
  auto newest = checkpoints.make(request.actor.empty() ? "system" : request.actor);
  if (!newest) return std::unexpected("no checkpoint for the bundle: " + newest.error().message);
  const std::uint64_t tree = newest->position;
  evidence_summary summary;
  summary.newest = *newest;
  summary.from = std::max<std::uint64_t>(1, request.from);
  summary.to = request.to == 0 || request.to > tree ? tree : request.to;
  if (summary.from > summary.to)
    return std::unexpected("the period is empty: from " + std::to_string(summary.from) + " is after " +
                           std::to_string(summary.to));
  const bool whole_log = summary.from == 1 && summary.to == tree && request.streams.empty();

  staging stage(work_dir);
  const std::string top = "isms-evidence-" + std::to_string(summary.to);
  std::map<std::string, std::string> digests;  // name in the bundle → SHA-256
  const auto stage_text = [&](const std::string& name, std::string_view text) -> std::optional<std::string> {
    fs::create_directories((stage.dir / name).parent_path());
    staged_file f(stage.dir / name);
    f.write(text);
    auto d = f.finish();
    if (!d) return d.error();
    digests[name] = *d;
    return std::nullopt;
  };

  // The events, and where the bundle holds less than the log, each one's
  // proof of inclusion in the bundle's checkpoint.
  json inclusion = json::array();
  std::set<std::string> attached;  // digests of the evidence files the events attach
  {
    staged_file events(stage.dir / "events.ndjson");
    std::optional<std::string> failure;
    const std::uint64_t total = summary.to - summary.from + 1;
    auto walked = store.scan(summary.from, summary.to, [&](const es::event_view& v) {
      // The erasures come along: they vouch for the tombstones of erased payloads.
      if (!request.streams.empty() && v.stream != es::erasure_stream &&
          std::ranges::find(request.streams, v.stream) == request.streams.end())
        return true;
      auto e = v.materialize();
      if (!e) {
        failure = e.error().message;
        return false;
      }
      if (!request.files.empty() && e->type == "evidence.attached.v1" && e->data.is_object())
        if (const auto d = e->data.find("digest"); d != e->data.end() && d->is_string())
          attached.insert(d->get<std::string>());
      events.write(es::to_export_json(*e).dump(-1, ' ', false, json::error_handler_t::strict));
      events.write("\n");
      ++summary.events;
      if (!whole_log) {
        auto proof = store.inclusion_proof(v.position, tree);
        if (!proof) {
          failure = proof.error().message;
          return false;
        }
        inclusion.push_back({{"position", v.position}, {"tree_size", tree}, {"proof", hex_list(*proof)}});
      }
      if (progress && (v.position - summary.from + 1) % 10000 == 0) progress(v.position - summary.from + 1, total);
      return true;
    });
    if (!walked) return std::unexpected("reading the log failed: " + walked.error().message);
    if (failure) return std::unexpected("reading the log failed: " + *failure);
    if (summary.events == 0)
      return std::unexpected("no event of the streams named lies in positions " + std::to_string(summary.from) +
                             ".." + std::to_string(summary.to));
    auto d = events.finish();
    if (!d) return std::unexpected(d.error());
    digests["events.ndjson"] = *d;
    if (progress) progress(total, total);
  }

  auto all = checkpoints.list();
  if (!all) return std::unexpected("reading the checkpoints failed: " + all.error().message);
  json list = json::array();
  json consistency = json::array();
  for (const auto& c : *all) {
    list.push_back(to_json(c));
    if (c.position == 0 || c.position >= tree) continue;
    auto proof = store.consistency_proof(c.position, tree);
    if (!proof) return std::unexpected("a consistency proof failed: " + proof.error().message);
    consistency.push_back({{"from", c.position}, {"to", tree}, {"proof", hex_list(*proof)}});
  }
  const signing_key key = checkpoints.key();
  auto head_event = store.read_all(summary.to, 1);
  if (!head_event || head_event->empty()) return std::unexpected("the event at the period's end cannot be read");

  for (const auto& [name, text] :
       {std::pair<std::string, std::string>{"checkpoints.json", dump({{"checkpoints", list}})},
        {"key.json", dump({{"algorithm", "Ed25519"}, {"public_key", key.public_key_hex()},
                           {"fingerprint", key.fingerprint()}})},
        {"proofs.json", dump({{"consistency", consistency}, {"inclusion", inclusion}})},
        {"verify.py", std::string(evidence_verifier_py())},
        {"AUDITORS.md", std::string(evidence_auditors_md())}})
    if (auto bad = stage_text(name, text)) return std::unexpected(*bad);
  if (registers) {
    auto tables = registers(summary.to);
    if (!tables) return std::unexpected(tables.error());
    for (const auto& r : *tables)
      if (auto bad = stage_text("registers/" + r.name, r.text)) return std::unexpected(*bad);
  }

  // The bytes of the evidence files, each read through a hash: a file whose
  // bytes no longer match its name (its recorded digest) stops the bundle.
  for (const auto& digest : attached) {
    const fs::path from = request.files / "sha256" / digest.substr(0, std::min<std::size_t>(2, digest.size())) / digest;
    std::ifstream in(from, std::ios::binary);
    if (digest.size() != 64 || !in) {
      summary.files_missing.push_back(digest);
      continue;
    }
    const std::string name = "files/" + digest;
    fs::create_directories((stage.dir / name).parent_path());
    staged_file f(stage.dir / name);
    std::string chunk(1 << 16, '\0');
    while (in) {
      in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (in.gcount() > 0) f.write(std::string_view(chunk.data(), static_cast<std::size_t>(in.gcount())));
    }
    auto d = f.finish();
    if (!d) return std::unexpected(d.error());
    if (*d != digest) return std::unexpected("the evidence file " + digest + " was altered: its bytes hash to " + *d);
    digests[name] = *d;
    ++summary.files;
  }

  json manifest = {{"format", "isms-ledger-evidence-v1"},
                   {"created", newest->time},
                   {"from", summary.from},
                   {"to", summary.to},
                   {"head_hash", es::to_hex(head_event->front().hash)},
                   {"checkpoint", {{"position", tree}, {"recorded_at", newest->recorded_at}}},
                   {"events", summary.events},
                   {"files", digests}};
  if (!request.streams.empty()) manifest["streams"] = request.streams;
  if (!summary.files_missing.empty()) manifest["evidence_files_missing"] = summary.files_missing;
  if (auto bad = stage_text("manifest.json", dump(manifest))) return std::unexpected(*bad);

  archive_writer archive(sink, seconds_of(newest->time));
  archive.add_folder(top + "/");
  bool registers_folder = false;
  bool files_folder = false;
  for (const auto& [name, digest] : digests) {
    if (name.starts_with("registers/") && !std::exchange(registers_folder, true)) archive.add_folder(top + "/registers/");
    if (name.starts_with("files/") && !std::exchange(files_folder, true)) archive.add_folder(top + "/files/");
    if (!archive.add(stage.dir / name, top + "/" + name, name == "verify.py")) break;
  }
  auto written = archive.close();
  if (!written) return std::unexpected("writing the archive failed: " + written.error());
  summary.bytes = *written;
  return summary;
}

}  // namespace isms::server
