#pragma once
// A line-oriented log on stderr: one line per record, written whole with a
// single write(2) so that concurrent lines never interleave.
//
// Two formats (the `log_format` setting): `text`, "<time> <LEVEL> <component>
// <message>", for people; `json`, one JSON object per line with "time",
// "level", "component", "message" and the record's fields, for log
// collectors. A record's fields appear in the JSON format only; its text line
// is the message alone, so fields never change what the text format shows.
//
// Thread-safety: every function may be called from any thread.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace isms::server::log {

enum class level { debug, info, warn, error };

enum class format {
  text,  // "2026-11-29T10:15:00.123Z INFO http <message>"
  json,  // {"time":"2026-11-29T10:15:00.123Z","level":"info","component":"http","message":"…",…}
};

// Records below this level are dropped. Default: info.
void set_threshold(level l) noexcept;

// The format of every line from now on. Default: format::text.
void set_format(format f) noexcept;
[[nodiscard]] format current_format() noexcept;

// "text" → format::text, "json" → format::json; anything else → nullopt.
[[nodiscard]] std::optional<format> parse_format(std::string_view name) noexcept;

// Where whole lines go: each call receives one record, ending in '\n'. The
// sink is called on the logging thread, concurrently from several threads,
// and must not log itself. An empty function restores the default, stderr.
using sink_fn = std::function<void(std::string_view line)>;
void set_sink(sink_fn sink);

// UTC milliseconds since the epoch as "2026-11-29T10:15:00.123Z".
[[nodiscard]] std::string utc_stamp(std::int64_t ms);

// One named value a record carries beside its message (JSON format only).
// Names other than time, level, component and message; a value is text or a
// number. Text is copied into the line as it is: never a password, a token,
// a cookie or an Authorization header.
struct field {
  field(std::string_view n, std::string_view v) : name(n), value(v) {}
  field(std::string_view n, const char* v) : name(n), value(std::string_view(v)) {}
  field(std::string_view n, const std::string& v) : name(n), value(std::string_view(v)) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  field(std::string_view n, T v) : name(n) {
    if constexpr (std::is_signed_v<T>) value = static_cast<std::int64_t>(v);
    else value = static_cast<std::uint64_t>(v);
  }
  field(std::string_view n, double v) : name(n), value(v) {}

  std::string_view name;
  std::variant<std::string_view, std::int64_t, std::uint64_t, double> value;
};

// Text: "2026-11-29T10:15:00.123Z INFO <component> <message>", line breaks in
// the message replaced by spaces. JSON: the object described above, with
// `fields` after the four fixed members; bytes that are not UTF-8 are written
// as U+FFFD, never refused.
void write(level l, std::string_view component, std::string_view message, std::span<const field> fields = {});
inline void write(level l, std::string_view component, std::string_view message,
                  std::initializer_list<field> fields) {
  write(l, component, message, std::span<const field>(fields.begin(), fields.size()));
}

inline void info(std::string_view component, std::string_view message) { write(level::info, component, message); }
inline void warn(std::string_view component, std::string_view message) { write(level::warn, component, message); }
inline void error(std::string_view component, std::string_view message) { write(level::error, component, message); }

// One answered HTTP request, for the access log. Built from what the request
// line and the peer say and what the server answered; headers and bodies are
// not part of it, so no credential can reach the log through it.
struct http_access {
  std::string_view request_id;  // as sent in X-Request-Id; empty: none
  std::string_view actor;       // the signed-in user's id; empty: nobody
  std::string_view remote;      // "address:port" of the peer
  std::string_view method;
  std::string_view target;      // path and query as sent
  unsigned status = 0;
  std::uint64_t bytes = 0;      // of the answer's body
  std::chrono::microseconds elapsed{0};
};

// Logs `a` at INFO, component "http". Text: `<remote> "<method> <target>"
// <status> <bytes>B <ms>ms` (the target cut after 200 bytes). JSON: that text
// as the message, and the fields request_id, actor (when known), remote,
// method, path (the target before '?', cut alike), status, bytes, ms.
void access(const http_access& a);

}  // namespace isms::server::log
