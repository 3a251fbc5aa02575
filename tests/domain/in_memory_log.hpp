#pragma once
// An event log in memory for domain tests: a map of streams, the reads the
// server would do for a decision or a reaction (exactly the streams the
// domain names), and the append the server would do (versions, positions,
// who and when), so that commands and reactions run end to end without a
// store.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "isms/domain/dispatch.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/recorded.hpp"

namespace isms::domain::testing {

class in_memory_log final {
 public:
  [[nodiscard]] std::vector<recorded_event> history(std::string_view stream) const {
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
      auto r = record_decided(e, {stream, idx.size() + 1, all_.size() + 1}, ctx, comment);
      idx.push_back(all_.size());
      all_.push_back(r);
      out.push_back(r);
    }
    return out;
  }

  // Adds the histories of `streams` to `read`.
  void read_into(std::span<const std::string> streams, stream_reads& read) const {
    for (const auto& s : streams) read.put(s, history(s));
  }

  // Decides a command on `h` as the server does: the dispatcher admits and
  // prepares it, the log reads exactly the streams it names, it decides.
  decision decide(std::string_view type, const std::string& stream, const json& data,
                  std::span<const recorded_event> h, const command_context& ctx) const {
    auto p = prepare_command(type, stream, data, h, ctx);
    if (!p) return std::unexpected(p.error());
    stream_reads read;
    read_into((*p)->reads(), read);
    auto d = (*p)->decide(read, ctx);
    expect_same_from_every_folded_state(type, stream, data, h, ctx, read, d, (*p)->folded());
    return d;
  }

  // What the server does with a state it kept from an earlier command on the
  // stream: preparing from the state folded at any version k and only the
  // events after it decides exactly as from the whole history. Checked for
  // every decision every domain test makes, at the versions 0, 1, n/2, n-1
  // and n of a stream of n events.
  static void expect_same_from_every_folded_state(std::string_view type, const std::string& stream,
                                                  const json& data, std::span<const recorded_event> h,
                                                  const command_context& ctx, const stream_reads& read,
                                                  const decision& whole, const shared_state& folded) {
    for (std::size_t i = 0; i < h.size(); ++i)
      if (h[i].version != i + 1) return;  // a hand-made history: no versions to fold on from
    ASSERT_TRUE(folded);
    EXPECT_EQ(folded->version(), h.size());
    EXPECT_EQ(folded->position(), h.empty() ? 0 : h.back().position);
    const std::size_t n = h.size();
    for (const std::size_t k : std::set<std::size_t>{0, std::min<std::size_t>(1, n), n / 2, n > 0 ? n - 1 : 0, n}) {
      auto first = prepare_command(type, stream, data, h.first(k), ctx);
      ASSERT_TRUE(first) << first.error().message;
      auto on = prepare_command(type, stream, data, h.subspan(k), ctx, (*first)->folded());
      ASSERT_TRUE(on) << type << " from version " << k << ": " << on.error().message;
      EXPECT_EQ((*on)->folded()->version(), h.size());
      const auto d = (*on)->decide(read, ctx);
      ASSERT_EQ(d.has_value(), whole.has_value()) << type << " from version " << k;
      if (d) {
        EXPECT_EQ(*d, *whole) << type << " from version " << k;
      } else {
        EXPECT_EQ(d.error().kind, whole.error().kind) << type << " from version " << k;
        EXPECT_EQ(d.error().message, whole.error().message) << type << " from version " << k;
      }
    }
  }

  // Decides a command on its stream's history and, on success, records its events.
  decision run(std::string_view type, const std::string& stream, const json& data,
               const command_context& ctx) {
    const auto h = history(stream);
    auto d = decide(type, stream, data, h, ctx);
    if (d) append(stream, *d, ctx);
    return d;
  }

  // The streams the reactions name for `e`, read from the log.
  [[nodiscard]] stream_reads reads_for(const recorded_event& e) const {
    stream_reads read;
    for (auto wanted = reaction_reads(e, read); !wanted.empty(); wanted = reaction_reads(e, read))
      read_into(wanted, read);
    return read;
  }

  // Runs the reactions on `e` with the streams they name read from the log.
  [[nodiscard]] std::vector<follow_up> react_to(const recorded_event& e) const { return react(e, reads_for(e)); }

  // Runs reactions on every event from `from_position` on (including the events
  // the follow-ups record) until nothing follows; returns every follow-up's
  // decision in order. Command ids already seen are skipped, as the store does.
  std::vector<std::pair<follow_up, decision>> settle(std::size_t from_position, instant now) {
    std::vector<std::pair<follow_up, decision>> out;
    for (std::size_t p = from_position; p <= all_.size(); ++p) {
      const recorded_event e = all_[p - 1];
      for (auto& fu : react_to(e)) {
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
