// Placeholder until the RocksDB-backed implementation lands: every operation
// reports errc::io so that code written against the header links and fails loudly.
#include "isms/eventstore/store.hpp"

namespace isms::eventstore {

namespace {
error not_ready() { return {errc::io, "event store not implemented yet", 0}; }
}  // namespace

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::conflict: return "conflict";
    case errc::invalid_stream: return "invalid_stream";
    case errc::invalid_type: return "invalid_type";
    case errc::invalid_data: return "invalid_data";
    case errc::invalid_command_id: return "invalid_command_id";
    case errc::too_large: return "too_large";
    case errc::too_many_events: return "too_many_events";
    case errc::empty_append: return "empty_append";
    case errc::busy: return "busy";
    case errc::io: return "io";
    case errc::corrupted: return "corrupted";
    case errc::closed: return "closed";
    case errc::not_found: return "not_found";
    case errc::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

std::string to_hex(const digest& d) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s(64, '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    s[2 * i] = k[d[i] >> 4];
    s[2 * i + 1] = k[d[i] & 15];
  }
  return s;
}
std::optional<digest> digest_from_hex(std::string_view) noexcept { return std::nullopt; }

struct subscription::state {};
subscription::subscription(std::shared_ptr<state> s) noexcept : state_(std::move(s)) {}
subscription::~subscription() = default;
std::uint64_t subscription::next_position() const noexcept { return 0; }
std::optional<error> subscription::failure() const { return not_ready(); }

struct store::impl {};
store::store(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
store::~store() = default;
result<std::unique_ptr<store>> store::open(const options&, const std::filesystem::path&) {
  return std::unexpected(not_ready());
}
result<append_result> store::append(std::string_view, expected_version, std::vector<event_data>,
                                    std::string_view) {
  return std::unexpected(not_ready());
}
void store::append_async(std::string, expected_version, std::vector<event_data>, std::string,
                         std::function<void(result<append_result>)> done) {
  done(std::unexpected(not_ready()));
}
result<std::vector<recorded_event>> store::read_stream(std::string_view, std::uint64_t,
                                                       std::size_t) const {
  return std::unexpected(not_ready());
}
result<std::vector<recorded_event>> store::read_all(std::uint64_t, std::size_t) const {
  return std::unexpected(not_ready());
}
result<std::uint64_t> store::stream_version(std::string_view) const {
  return std::unexpected(not_ready());
}
head store::current_head() const { return {}; }
std::unique_ptr<subscription> store::subscribe(std::uint64_t,
                                               std::function<void(const recorded_event&)>,
                                               std::function<void(const error&)>) {
  return std::make_unique<subscription>(std::make_shared<subscription::state>());
}
result<head> store::verify(std::uint64_t, std::uint64_t) const { return std::unexpected(not_ready()); }
result<void> store::backup_to(const std::filesystem::path&) const { return std::unexpected(not_ready()); }
result<void> store::restore(const std::filesystem::path&, const std::filesystem::path&) {
  return std::unexpected(not_ready());
}
result<void> store::put_meta(std::string_view, std::string_view) { return std::unexpected(not_ready()); }
result<std::string> store::get_meta(std::string_view) const { return std::unexpected(not_ready()); }
result<void> store::erase_meta(std::string_view) { return std::unexpected(not_ready()); }

result<std::string> canonical_json(const nlohmann::json&) { return std::unexpected(not_ready()); }
result<std::string> canonical_bytes(const recorded_event&) { return std::unexpected(not_ready()); }
digest sha256(std::string_view) { return {}; }
result<digest> compute_hash(const recorded_event&) { return std::unexpected(not_ready()); }
nlohmann::json to_export_json(const recorded_event&) { return nlohmann::json::object(); }
result<recorded_event> from_export_json(const nlohmann::json&) { return std::unexpected(not_ready()); }

}  // namespace isms::eventstore
