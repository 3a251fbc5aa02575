#include "isms/server/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace isms::server::log {

namespace {
std::atomic<level> threshold{level::info};
std::atomic<format> line_format{format::text};

// The sink set by set_sink; null: stderr. Copied under the mutex, called
// outside it, so a slow sink never holds up another thread's set_sink.
std::mutex sink_mutex;
std::shared_ptr<const sink_fn> custom_sink;

std::string_view name(level l) {
  switch (l) {
    case level::debug: return "DEBUG";
    case level::info: return "INFO";
    case level::warn: return "WARN";
    case level::error: return "ERROR";
  }
  return "INFO";
}

std::string_view json_name(level l) {
  switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

void to_stderr(std::string_view line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void emit(std::string_view line) {
  std::shared_ptr<const sink_fn> sink;
  {
    std::lock_guard lock(sink_mutex);
    sink = custom_sink;
  }
  if (sink) (*sink)(line);
  else to_stderr(line);
}

std::string text_line(std::string_view stamp, level l, std::string_view component, std::string_view message) {
  std::string line;
  line.reserve(64 + message.size());
  line += stamp;
  line += ' ';
  line += name(l);
  line += ' ';
  line += component;
  line += ' ';
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;  // one record, one line
  line += '\n';
  return line;
}

// Member order is the order written: ordered_json keeps insertion order, so
// every line starts with time, level, component, message.
std::string json_line(std::string_view stamp, level l, std::string_view component, std::string_view message,
                      std::span<const field> fields) {
  nlohmann::ordered_json record;
  record["time"] = stamp;
  record["level"] = json_name(l);
  record["component"] = component;
  record["message"] = message;
  for (const auto& f : fields) {
    if (f.name == "time" || f.name == "level" || f.name == "component" || f.name == "message") continue;
    std::visit([&](const auto& v) { record[std::string(f.name)] = v; }, f.value);
  }
  // Text from outside (a request's target, a peer's input in a message) may
  // be any bytes: invalid UTF-8 becomes U+FFFD rather than an exception.
  std::string line = record.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  line += '\n';
  return line;
}

std::string cut(std::string_view s) {
  return s.size() > 200 ? std::string(s.substr(0, 200)) + "…" : std::string(s);
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

void set_format(format f) noexcept { line_format.store(f); }

format current_format() noexcept { return line_format.load(); }

std::optional<format> parse_format(std::string_view name) noexcept {
  if (name == "text") return format::text;
  if (name == "json") return format::json;
  return std::nullopt;
}

void set_sink(sink_fn sink) {
  auto next = sink ? std::make_shared<const sink_fn>(std::move(sink)) : nullptr;
  std::lock_guard lock(sink_mutex);
  custom_sink = std::move(next);
}

void write(level l, std::string_view component, std::string_view message, std::span<const field> fields) {
  if (l < threshold.load()) return;
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::string stamp = utc_stamp(ms);
  if (line_format.load() == format::json) emit(json_line(stamp, l, component, message, fields));
  else emit(text_line(stamp, l, component, message));
}

void access(const http_access& a) {
  if (level::info < threshold.load()) return;
  const std::string target = cut(a.target);
  char tail[96];
  std::snprintf(tail, sizeof tail, " %u %lluB %.1fms", a.status, static_cast<unsigned long long>(a.bytes),
                static_cast<double>(a.elapsed.count()) / 1000.0);
  std::string message;
  message.reserve(a.remote.size() + a.method.size() + target.size() + 32);
  message += a.remote;
  message += " \"";
  message += a.method;
  message += ' ';
  message += target;
  message += '"';
  message += tail;
  if (line_format.load() == format::text) return write(level::info, "http", message);

  const std::string path = cut(a.target.substr(0, a.target.find('?')));
  std::vector<field> fields;
  fields.reserve(8);
  // What is not known is left out rather than written as "".
  if (!a.request_id.empty()) fields.emplace_back("request_id", a.request_id);
  if (!a.actor.empty()) fields.emplace_back("actor", a.actor);
  fields.emplace_back("remote", a.remote);
  fields.emplace_back("method", a.method);
  fields.emplace_back("path", path);
  fields.emplace_back("status", a.status);
  fields.emplace_back("bytes", a.bytes);
  fields.emplace_back("ms", static_cast<double>(a.elapsed.count()) / 1000.0);
  write(level::info, "http", message, fields);
}

}  // namespace isms::server::log
