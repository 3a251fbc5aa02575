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

void fold_activity(activity_view& v, const recorded_event& e, const std::string& subject,
                   bool readable) {
  std::string text = e.meta.actor + ": " + stream_words(e.stream);
  if (!subject.empty()) text += " \"" + subject + "\"";
  text += " — " + what_happened(e.type);
  if (!readable) text += " (unreadable event, skipped by the views)";
  v.lines.push_back(activity_line{e.position, format_instant(e.meta.recorded_at), e.meta.actor,
                                  e.stream, e.type, std::move(text), e.meta.comment});
  while (v.lines.size() > activity_capacity) v.lines.pop_front();
}

std::expected<json, rejection> query_activity(const activity_view& v, const json& params) {
  support::query_params p(params);
  const auto limit = p.integer("limit", 1, static_cast<std::int64_t>(activity_capacity), 50);
  const auto stream = p.text("stream");
  const auto actor = p.text("actor");
  const auto type = p.text("type");
  if (!p.ok()) return p.failure();
  json list = json::array();
  for (auto it = v.lines.rbegin(); it != v.lines.rend(); ++it) {
    if (static_cast<std::int64_t>(list.size()) >= limit) break;
    if (!stream.empty() && it->stream != stream) continue;
    if (!actor.empty() && it->by != actor) continue;
    if (!type.empty()) {
      const bool prefix = type.back() == '.';
      if (prefix ? !it->type.starts_with(type) : it->type != type) continue;
    }
    list.push_back({{"id", std::to_string(it->position)},
                    {"position", it->position},
                    {"at", it->at},
                    {"by", it->by},
                    {"stream", it->stream},
                    {"type", it->type},
                    {"text", it->text},
                    {"comment", it->comment}});
  }
  return json{{"events", list}, {"count", list.size()}};
}

}  // namespace isms::domain::views
