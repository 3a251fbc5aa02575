#pragma once
// A line-oriented log on stderr: one line per record, written whole with a
// single write(2) so that concurrent lines never interleave.
// Thread-safety: every function may be called from any thread.

#include <cstdint>
#include <string>
#include <string_view>

namespace isms::server::log {

enum class level { debug, info, warn, error };

// Records below this level are dropped. Default: info.
void set_threshold(level l) noexcept;

// UTC milliseconds since the epoch as "2026-11-29T10:15:00.123Z".
[[nodiscard]] std::string utc_stamp(std::int64_t ms);

// "2026-11-29T10:15:00.123Z INFO <component> <message>"
void write(level l, std::string_view component, std::string_view message);

inline void info(std::string_view component, std::string_view message) { write(level::info, component, message); }
inline void warn(std::string_view component, std::string_view message) { write(level::warn, component, message); }
inline void error(std::string_view component, std::string_view message) { write(level::error, component, message); }

}  // namespace isms::server::log
