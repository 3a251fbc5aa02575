#pragma once
// The one way JSON from outside enters the server: HTTP bodies, WebSocket
// frames, the config file and the state read back from the store's meta
// entries all go through read_json. Nesting deeper than
// the limit is refused by a linear scan of the bytes before any tree is
// built, so no recursive copy, dump or destruction of a hostile document can
// exhaust the stack.
// Thread-safety: pure functions.

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace isms::server {

// Deepest nesting of arrays and objects accepted from outside. The deepest
// legitimate request (a command's data holding a document with sections) is
// well under 16 levels. Setting: limits.max_json_depth. Default: 64.
inline constexpr std::size_t default_max_json_depth = 64;

// Deepest nesting accepted when reading back what the server stored itself
// (the views snapshot, sessions, the webhook outbox): the files on disk are
// read as untrusted as any other input. Stored state wraps client data (at
// most 256 levels, the ceiling of limits.max_json_depth) in a few levels of
// its own. Default: 512.
inline constexpr std::size_t max_stored_json_depth = 512;

struct json_input_error {
  enum class kind {
    syntax,    // not JSON
    too_deep,  // nesting beyond the limit
  };
  kind what = kind::syntax;
  std::string message;  // for the client: says which and, for too_deep, the limit
};

// The deepest nesting of `text` as a JSON parser would see it, stopping as
// soon as it exceeds `stop_above`. Exact for valid JSON; for invalid JSON
// never lower than what a parser reaches before it fails.
[[nodiscard]] std::size_t json_nesting_depth(std::string_view text, std::size_t stop_above) noexcept;

// Parses untrusted bytes. Errors: too_deep when nesting exceeds `max_depth`
// (checked first, before any allocation), syntax when the bytes are not one
// JSON value. Never throws.
[[nodiscard]] std::expected<nlohmann::json, json_input_error> read_json(
    std::string_view text, std::size_t max_depth = default_max_json_depth);

}  // namespace isms::server
