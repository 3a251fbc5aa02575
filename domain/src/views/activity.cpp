#include "isms/domain/views/activity.hpp"

#include "support.hpp"

namespace isms::domain::views {

namespace {

// "risk.acceptance_requested.v1" → "acceptance requested".
std::string what_happened(std::string_view type) {
  auto rest = type;
  if (const auto dot = rest.find('.'); dot != std::string_view::npos) rest = rest.substr(dot + 1);
  if (const auto dot = rest.rfind(".v"); dot != std::string_view::npos) rest = rest.substr(0, dot);
  std::string out(rest);
  for (char& c : out)
    if (c == '_') c = ' ';
  return out;
}

// "risk-R-12" → "risk R-12", "nc-NC-7" → "nonconformity NC-7".
std::string stream_words(std::string_view stream) {
  const auto dash = stream.find('-');
  if (dash == std::string_view::npos) return std::string(stream);
  std::string kind(stream.substr(0, dash));
  const std::string id(stream.substr(dash + 1));
  if (kind == "nc") kind = "nonconformity";
  if (kind == "review") kind = "management review";
  if (kind == "audit") kind = "internal audit";
  if (kind == "soa") return "Statement of Applicability";
  if (kind == "scope") return "ISMS scope";
  if (kind == "config") return "configuration " + id;
  return kind + " " + id;
}

}  // namespace

activity_line activity_line_of(const recorded_event& e, const std::string& subject, bool readable) {
  std::string text = e.meta.actor + ": " + stream_words(e.stream);
  if (!subject.empty()) text += " \"" + subject + "\"";
  text += " — " + what_happened(e.type);
  if (!readable) text += " (unreadable event, skipped by the views)";
  return activity_line{e.position, format_instant(e.meta.recorded_at), e.meta.actor, e.stream, e.type,
                       std::move(text), e.meta.comment};
}

void fold_activity(activity_view& v, const recorded_event& e, const std::string& subject,
                   bool readable) {
  v.lines.push_back(activity_line_of(e, subject, readable));
  while (v.lines.size() > activity_capacity) v.lines.pop_front();
}

bool activity_filter::matches(const activity_line& line) const {
  if (line.position >= before) return false;
  if (!stream.empty() && line.stream != stream) return false;
  if (!actor.empty() && line.by != actor) return false;
  if (!type.empty()) {
    const bool prefix = type.back() == '.';
    if (prefix ? !line.type.starts_with(type) : line.type != type) return false;
  }
  // `at` is an ISO instant: its first ten characters are its UTC day.
  const std::string_view day = std::string_view(line.at).substr(0, 10);
  if (from && day < format_date(*from)) return false;
  if (to && day > format_date(*to)) return false;
  return true;
}

std::expected<activity_filter, rejection> read_activity_filter(const json& params) {
  support::query_params p(params);
  activity_filter f;
  f.limit = static_cast<std::size_t>(p.integer("limit", 1, static_cast<std::int64_t>(activity_capacity), 50));
  f.stream = p.text("stream");
  f.actor = p.text("actor");
  f.type = p.text("type");
  f.from = p.day("from");
  f.to = p.day("to");
  const auto before = p.integer("before", 1, INT64_MAX, 0);
  if (before > 0) f.before = static_cast<std::uint64_t>(before);
  if (!p.ok()) return p.failure();
  if (f.from && f.to && *f.to < *f.from)
    return std::unexpected(rejection{rejection_kind::invalid, "params.to", "must not be before params.from"});
  return f;
}

json activity_reply(const std::vector<activity_line>& lines, std::optional<std::uint64_t> next_before,
                    std::uint64_t window_from) {
  json list = json::array();
  for (const auto& l : lines)
    list.push_back({{"id", std::to_string(l.position)},
                    {"position", l.position},
                    {"at", l.at},
                    {"by", l.by},
                    {"stream", l.stream},
                    {"type", l.type},
                    {"text", l.text},
                    {"comment", l.comment}});
  json out{{"events", std::move(list)}, {"count", lines.size()}, {"window_from", window_from}};
  if (next_before) out["next_before"] = *next_before;
  return out;
}

std::expected<json, rejection> query_activity(const activity_view& v, const json& params) {
  auto f = read_activity_filter(params);
  if (!f) return std::unexpected(f.error());
  std::vector<activity_line> lines;
  std::optional<std::uint64_t> next;
  for (auto it = v.lines.rbegin(); it != v.lines.rend(); ++it) {
    if (!f->matches(*it)) continue;
    if (lines.size() == f->limit) {
      next = lines.back().position;
      break;
    }
    lines.push_back(*it);
  }
  return activity_reply(lines, next, v.lines.empty() ? 0 : v.lines.front().position);
}

}  // namespace isms::domain::views
