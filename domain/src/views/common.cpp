#include "isms/domain/views/common.hpp"

#include "isms/canonical/canonical.hpp"

namespace isms::domain::views {

json_text::json_text(const json& v) : text_(v.dump(-1, ' ', false, json::error_handler_t::replace)) {}

json json_text::value() const { return canonical::parse_json(text_); }

std::optional<json_text> json_text::from_text(std::string text) {
  if (!canonical::valid_json(text)) return std::nullopt;
  json_text t;
  t.text_ = std::move(text);
  return t;
}

void to_json(json& j, const json_text& t) { j = t.value(); }
void from_json(const json& j, json_text& t) { t = json_text(j); }

last_change change_of(const recorded_event& e) {
  return last_change{e.position, format_instant(e.meta.recorded_at), e.meta.actor, e.type};
}

history_entry history_of(const recorded_event& e, std::string summary, std::string comment) {
  return history_entry{e.position,
                       e.version,
                       format_instant(e.meta.recorded_at),
                       e.meta.actor,
                       e.type,
                       e.meta.comment.empty() ? std::move(comment) : e.meta.comment,
                       std::move(summary)};
}

std::string id_in_stream(std::string_view stream) {
  const auto dash = stream.find('-');
  if (dash == std::string_view::npos) return std::string(stream);
  return std::string(stream.substr(dash + 1));
}

std::string day_text(date d) { return d == date{} ? std::string{} : format_date(d); }

}  // namespace isms::domain::views
