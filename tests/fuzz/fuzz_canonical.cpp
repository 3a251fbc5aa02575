// Fuzz target: canonical JSON, the bytes the hash chain covers. Property: for
// any JSON the reader accepts, the canonical text either is refused (a
// non-finite number, invalid UTF-8) or parses back to an equal value whose
// canonical text is identical (canonicalisation is a fixed point), so an
// auditor recomputing a digest from an exported event gets the same bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "isms/eventstore/store.hpp"
#include "isms/server/json_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  namespace es = isms::eventstore;
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  auto j = isms::server::read_json(input);
  if (!j) return 0;
  auto canonical = es::canonical_json(*j);
  if (!canonical) return 0;
  auto again = isms::server::read_json(*canonical, 1024);
  if (!again) __builtin_trap();  // canonical text must be JSON
  auto twice = es::canonical_json(*again);
  if (!twice || *twice != *canonical) __builtin_trap();  // and a fixed point
  if (es::sha256(*canonical) != es::sha256(*twice)) __builtin_trap();
  return 0;
}
