// Fuzz target: the stored record decoder and the export-line parser, the two
// ways bytes on disk or in an auditor's file become events. Property: any
// bytes are either refused with an error value or decode to an event whose
// export line parses back to the same event; nothing throws or crashes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codec.hpp"
#include "isms/eventstore/store.hpp"
#include "isms/server/json_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  namespace es = isms::eventstore;
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  if (auto parsed = es::detail::parse_record(input)) {
    (void)es::detail::recompute_hash(*parsed);
    (void)parsed->materialize();
  }
  if (auto e = es::detail::decode_record(1, input)) {
    const auto line = es::to_export_json(*e);
    auto back = es::from_export_json(line);
    if (!back) __builtin_trap();  // an event we decoded must survive its own export
    if (back->hash != e->hash || back->position != e->position || back->stream != e->stream) __builtin_trap();
  }
  // The same bytes as an export line from an auditor's file.
  if (auto j = isms::server::read_json(input)) {
    if (auto e = es::from_export_json(*j)) (void)es::verify_event(*e, e->prev_hash);
  }
  return 0;
}
