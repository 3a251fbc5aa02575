#include "isms/server/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace isms::server::log {

namespace {
std::atomic<level> threshold{level::info};

std::string_view name(level l) {
  switch (l) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    case level::error: return "ERROR";
  }
  return "INFO";
}
}  // namespace

std::string utc_stamp(std::int64_t ms) {
  const std::int64_t floor_s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const std::time_t secs = static_cast<std::time_t>(floor_s);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms - floor_s * 1000));
  return stamp;
}

void set_threshold(level l) noexcept { threshold.store(l); }

void write(level l, std::string_view component, std::string_view message) {
  if (l < threshold.load()) return;
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::string line;
  line.reserve(64 + message.size());
  line += utc_stamp(ms);
  line += ' ';
  line += name(l);
  line += ' ';
  line += component;
  line += ' ';
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;  // one record, one line
  line += '\n';
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace isms::server::log
