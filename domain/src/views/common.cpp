#include "isms/domain/views/common.hpp"

namespace isms::domain::views {

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
