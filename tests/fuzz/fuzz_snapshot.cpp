// Fuzz target: the binary views snapshot the server reads back from its
// store (at start and for every as_of). Properties: decoding any bytes
// either refuses them with a message or yields views, never reading past the
// end or allocating more than the input could fill; views it yields encode
// to bytes that decode again and encode to the same bytes (the codec is a
// fixed point once read; bytes, not ==, since a double may be a NaN).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "isms/domain/views/views.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  namespace views = isms::domain::views;
  // The header (tag, format, layout fingerprint) goes first, so that the
  // input reaches the views; an input that brings its own is taken whole.
  std::string input = views::encode_snapshot(views::all_views{}).substr(0, 20);
  const std::string_view raw(reinterpret_cast<const char*>(bytes), size);
  if (raw.starts_with(input.substr(0, 5))) input.clear();
  input += raw;
  auto v = views::decode_snapshot(input);
  if (!v) {
    if (v.error().empty()) __builtin_trap();
    return 0;
  }
  const std::string again = views::encode_snapshot(*v);
  auto w = views::decode_snapshot(again);
  if (!w) __builtin_trap();
  if (views::encode_snapshot(*w) != again) __builtin_trap();
  return 0;
}
