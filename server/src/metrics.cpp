#include "isms/server/metrics.hpp"

#include <charconv>
#include <cmath>

namespace isms::server::metrics {

histogram::histogram(std::span<const double> upper_bounds)
    : upper_bounds_(upper_bounds.begin(), upper_bounds.end()),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds.size() + 1)) {}

void histogram::observe(double value) noexcept {
  std::size_t i = 0;
  while (i < upper_bounds_.size() && value > upper_bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

void histogram::observe_since(std::chrono::steady_clock::time_point start) noexcept {
  observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

histogram_snapshot histogram::snapshot() const {
  histogram_snapshot s;
  s.upper_bounds = upper_bounds_;
  s.counts.reserve(upper_bounds_.size() + 1);
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) s.counts.push_back(counts_[i].load(std::memory_order_relaxed));
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Plain decimals ("0.0005", not "5e-04") where they stay short: bucket
  // bounds read as written, sums of seconds as well.
  const double magnitude = std::fabs(value);
  const bool fixed = magnitude == 0 || (magnitude >= 1e-9 && magnitude < 1e15);
  char buf[64];
  const auto r = fixed ? std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed)
                       : std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

namespace {

// Backslash and line feed escaped, and the double quote too in label values
// (HELP text keeps it as it is).
void append_escaped(std::string& out, std::string_view value, bool quote = true) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void append_name(std::string& out, std::string_view name, std::span<const label> labels) {
  out += name;
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!std::exchange(first, false)) out += ',';
    out += key;
    out += "=\"";
    append_escaped(out, value);
    out += '"';
  }
  out += '}';
}

}  // namespace

void write_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  append_escaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void write_sample(std::string& out, std::string_view name, std::span<const label> labels, std::uint64_t value) {
  append_name(out, name, labels);
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

void write_sample(std::string& out, std::string_view name, std::span<const label> labels, double value) {
  append_name(out, name, labels);
  out += ' ';
  out += format_number(value);
  out += '\n';
}

void write_counter(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  write_header(out, name, "counter", help);
  write_sample(out, name, {}, value);
}

void write_gauge(std::string& out, std::string_view name, std::string_view help, std::uint64_t value) {
  write_header(out, name, "gauge", help);
  write_sample(out, name, {}, value);
}

void write_gauge(std::string& out, std::string_view name, std::string_view help, double value) {
  write_header(out, name, "gauge", help);
  write_sample(out, name, {}, value);
}

void write_histogram(std::string& out, std::string_view name, std::string_view help,
                     std::span<const double> upper_bounds, std::span<const std::uint64_t> counts, double sum) {
  write_header(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < upper_bounds.size(); ++i) {
    if (i < counts.size()) cumulative += counts[i];
    const std::string le = format_number(upper_bounds[i]);
    const label l[] = {{"le", le}};
    write_sample(out, bucket, l, cumulative);
  }
  // Everything above the last bound, and counts beyond the buckets named (a
  // caller's mismatch), in +Inf: _count always equals it.
  for (std::size_t i = upper_bounds.size(); i < counts.size(); ++i) cumulative += counts[i];
  const label inf[] = {{"le", "+Inf"}};
  write_sample(out, bucket, inf, cumulative);
  write_sample(out, std::string(name) + "_sum", {}, sum);
  write_sample(out, std::string(name) + "_count", {}, cumulative);
}

}  // namespace isms::server::metrics
