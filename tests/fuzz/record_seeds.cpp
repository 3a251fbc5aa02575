// Writes stored records made by the store's own codec into a folder, as the
// seed corpus of fuzz_record: ordinary events, one with extra metadata, one
// with an erased payload. Usage: fuzz_record_seeds <folder>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "codec.hpp"

int main(int argc, char** argv) {
  namespace es = isms::eventstore;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <folder>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  es::options opts;
  es::digest prev{};
  int n = 0;
  auto write = [&](const std::string& stream, es::event_data e) {
    auto p = es::detail::prepare_event(opts, stream, e, "cmd-" + std::to_string(n));
    if (!p) return;
    prev = es::detail::seal_record(p->record, static_cast<std::uint64_t>(n + 1), 1, prev);
    std::ofstream(out / ("record-" + std::to_string(++n)), std::ios::binary) << p->record;
  };
  es::event_data a{"risk.identified.v1", {{"title", "Laptop theft"}, {"likelihood", 3}}, {}};
  a.metadata.actor = "olivia";
  a.metadata.recorded_at_ms = 1772442000000;
  write("risk-R-01", a);
  es::event_data b{"user.registered.v1", {{"name", "Jana Müller"}, {"email", "jana@example.org"}}, {}};
  b.metadata.actor = "admin";
  b.metadata.extra = {{"comment", "new starter"}};
  write("user-jana", b);
  es::event_data c{"approval.decided.v1", nlohmann::json::array({1.5, nullptr, true, "\u00e9"}), {}};
  write("approval-A-1", c);
  return 0;
}
