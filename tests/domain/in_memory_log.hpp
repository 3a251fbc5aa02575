#pragma once
// An event log in memory for domain tests: related_streams over a map of
// streams, plus the append the server would do (versions, positions, who and
// when), so that commands and reactions can run end to end without a store.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "isms/domain/dispatch.hpp"
#include "isms/domain/reactions.hpp"

namespace isms::domain::testing {

class in_memory_log final : public related_streams {
 public:
  [[nodiscard]] std::vector<recorded_event> history(std::string_view stream) const override {
    const auto it = streams_.find(std::string(stream));
    if (it == streams_.end()) return {};
    std::vector<recorded_event> out;
    for (std::size_t i : it->second) out.push_back(all_[i]);
    return out;
  }

  // Records `events` on `stream` as the server would after a successful decision.
  std::vector<recorded_event> append(const std::string& stream, const std::vector<new_event>& events,
                                     const command_context& ctx, const std::string& comment = {}) {
    std::vector<recorded_event> out;
    auto& idx = streams_[stream];
    for (const auto& e : events) {
      recorded_event r;
      r.position = all_.size() + 1;
      r.stream = stream;
      r.version = idx.size() + 1;
      r.type = e.type;
      r.data = e.data;
      r.meta.actor = ctx.by.user_id;
      r.meta.recorded_at = ctx.now;
      r.meta.command_id = ctx.command_id;
      r.meta.comment = comment;
      idx.push_back(all_.size());
      all_.push_back(r);
      out.push_back(r);
    }
    return out;
  }

  // Decides a command through the dispatcher and, on success, records its events.
  decision run(std::string_view type, const std::string& stream, const json& data,
               const command_context& ctx) {
    const auto h = history(stream);
    auto d = decide_command(type, stream, data, h, ctx, *this);
    if (d) append(stream, *d, ctx);
    return d;
  }

  // Runs reactions on every event from `from_position` on (including the events
  // the follow-ups record) until nothing follows; returns every follow-up's
  // decision in order. Command ids already seen are skipped, as the store does.
  std::vector<std::pair<follow_up, decision>> settle(std::size_t from_position, instant now) {
    std::vector<std::pair<follow_up, decision>> out;
    for (std::size_t p = from_position; p <= all_.size(); ++p) {
      const recorded_event e = all_[p - 1];
      for (auto& fu : react(e, *this)) {
        if (!seen_.insert(fu.command_id).second) continue;
        command_context ctx{actor{"system", {role::system}}, now, fu.command_id};
        auto d = run(fu.command_type, fu.stream, fu.data, ctx);
        out.emplace_back(fu, d);
      }
    }
    return out;
  }

  [[nodiscard]] const std::vector<recorded_event>& all() const { return all_; }
  [[nodiscard]] std::size_t size() const { return all_.size(); }

 private:
  std::vector<recorded_event> all_;
  std::map<std::string, std::vector<std::size_t>> streams_;
  std::set<std::string> seen_;
};

}  // namespace isms::domain::testing
