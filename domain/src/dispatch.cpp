#include "isms/domain/dispatch.hpp"

#include <algorithm>
#include <array>
#include <type_traits>
#include <vector>

#include "isms/domain/approval.hpp"
#include "isms/domain/asset.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/evidence.hpp"
#include "isms/domain/incident.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/supplier.hpp"
#include "isms/domain/user.hpp"
#include "all_commands.hpp"

namespace isms::domain {

namespace {

// An aggregate's folded state, with where its stream stood.
template <class State>
class typed_state final : public folded_state {
 public:
  typed_state(State s, std::uint64_t version, std::uint64_t position)
      : state(std::move(s)), version_(version), position_(position) {}
  [[nodiscard]] std::uint64_t version() const override { return version_; }
  [[nodiscard]] std::uint64_t position() const override { return position_; }
  const State state;

 private:
  std::uint64_t version_;
  std::uint64_t position_;
};

// A parsed command and its folded state, waiting for its facts. `Decide` is
// the aggregate's decide; an aggregate whose decisions look at other streams
// also names `Reads` (which streams) and `FactsFrom` (the typed facts its
// decide takes, folded from those streams).
template <auto Decide, auto Reads, auto FactsFrom, class Command, class State>
class folded_command final : public prepared_command {
 public:
  folded_command(Command c, std::shared_ptr<const typed_state<State>> s)
      : command_(std::move(c)), folded_(std::move(s)), state_(folded_->state) {}

  [[nodiscard]] shared_state folded() const override { return folded_; }

  [[nodiscard]] std::vector<std::string> reads() const override {
    if constexpr (std::is_null_pointer_v<decltype(Reads)>) {
      return {};
    } else {
      return Reads(command_, state_);
    }
  }

  [[nodiscard]] decision decide(const stream_reads& read, const command_context& ctx) const override {
    if constexpr (std::is_null_pointer_v<decltype(FactsFrom)>) {
      return Decide(command_, state_, ctx);
    } else {
      // A stream the decision names but was not handed is a caller's fault,
      // never an empty stream: deciding on it would decide on a wrong fact.
      for (const auto& stream : reads())
        if (!read.contains(stream))
          return std::unexpected(
              rejection{rejection_kind::rule, "", "the decision needs " + stream + ", which was not read"});
      auto facts = FactsFrom(command_, state_, read);
      if (!facts) return std::unexpected(facts.error());
      return Decide(command_, state_, *facts, ctx);
    }
  }

 private:
  Command command_;
  std::shared_ptr<const typed_state<State>> folded_;
  const State& state_;  // folded_->state
};

// Every aggregate's preparer: parse, fold on from `from` (copied: it may be
// shared), hold both for the decision.
template <auto Parse, auto Initial, auto Fold, auto Decide, auto Reads = nullptr, auto FactsFrom = nullptr>
prepared prepare(std::string_view command_type, const json& data, const shared_state& from,
                 std::span<const recorded_event> history) {
  using state = decltype(Initial());
  const auto broken = [](std::string why) {
    return std::unexpected(rejection{rejection_kind::rule, "history", std::move(why)});
  };
  auto c = Parse(command_type, data);
  if (!c) return std::unexpected(c.error());
  std::uint64_t version = 0;
  std::uint64_t position = 0;
  std::expected<state, rejection> s = std::unexpected(rejection{});
  if (from) {
    const auto* typed = dynamic_cast<const typed_state<state>*>(from.get());
    if (typed == nullptr) return broken("the folded state handed in is of another aggregate");
    version = typed->version();
    position = typed->position();
    if (!history.empty() && history.front().version != version + 1)
      return broken("the events handed in start at version " + std::to_string(history.front().version) +
                    ", not right after the folded state's " + std::to_string(version));
    s = Fold(history, typed->state);
  } else {
    s = Fold(history, Initial());
  }
  if (!s) return std::unexpected(s.error());
  if (!history.empty()) {
    version = history.back().version;
    position = history.back().position;
  }
  using command = std::decay_t<decltype(*c)>;
  return std::make_unique<const folded_command<Decide, Reads, FactsFrom, command, state>>(
      std::move(*c), std::make_shared<const typed_state<state>>(std::move(*s), version, position));
}

// One line per aggregate: command prefix, stream kind, singleton id (empty:
// any id), preparer. Add a line when an aggregate lands; keep prefixes unique.
const std::vector<route>& table() {
  namespace mr = management_review;
  namespace nc = nonconformity;
  namespace ia = internal_audit;
  static const std::vector<route> routes{
      {"risk_matrix", "config", "risk-matrix",
       &prepare<&risk_matrix::parse_command, &risk_matrix::initial_state, &risk_matrix::fold, &risk_matrix::decide>},
      {"risk", "risk", "",
       &prepare<&risk::parse_command, &risk::initial_state, &risk::fold, &risk::decide, &risk::reads,
                &risk::facts_from>},
      {"approval", "approval", "",
       &prepare<&approval::parse_command, &approval::initial_state, &approval::fold, &approval::decide,
                &approval::reads, &approval::facts_from>,
       &approval::check_stream},
      {"soa", "soa", "main",
       &prepare<&soa::parse_command, &soa::initial_state, &soa::fold, &soa::decide, &soa::reads, &soa::facts_from>},
      {"user", "user", "", &prepare<&user::parse_command, &user::initial_state, &user::fold, &user::decide>},
      {"scope", "scope", "main", &prepare<&scope::parse_command, &scope::initial_state, &scope::fold, &scope::decide>},
      {"document", "document", "",
       &prepare<&document::parse_command, &document::initial_state, &document::fold, &document::decide>,
       &document::check_stream},
      {"objective", "objective", "",
       &prepare<&objective::parse_command, &objective::initial_state, &objective::fold, &objective::decide>,
       &objective::check_stream},
      {"nc", "nc", "",
       &prepare<&nc::parse_command, &nc::initial_state, &nc::fold, &nc::decide, &nc::reads, &nc::facts_from>,
       &nc::check_stream},
      {"audit", "audit", "", &prepare<&ia::parse_command, &ia::initial_state, &ia::fold, &ia::decide>,
       &ia::check_stream},
      {"review", "review", "", &prepare<&mr::parse_command, &mr::initial_state, &mr::fold, &mr::decide>,
       &mr::check_stream},
      {"incident", "incident", "",
       &prepare<&incident::parse_command, &incident::initial_state, &incident::fold, &incident::decide,
                &incident::reads, &incident::facts_from>,
       &incident::check_stream},
      {"supplier", "supplier", "",
       &prepare<&supplier::parse_command, &supplier::initial_state, &supplier::fold, &supplier::decide>,
       &supplier::check_stream},
      {"classification", "config", "classification",
       &prepare<&classification_scheme::parse_command, &classification_scheme::initial_state,
                &classification_scheme::fold, &classification_scheme::decide>},
      {"asset", "asset", "",
       &prepare<&asset::parse_command, &asset::initial_state, &asset::fold, &asset::decide, &asset::reads,
                &asset::facts_from>,
       &asset::check_stream},
      {"evidence", "evidence", "",
       &prepare<&evidence::parse_command, &evidence::initial_state, &evidence::fold, &evidence::decide,
                &evidence::reads, &evidence::facts_from>,
       &evidence::check_stream},
  };
  return routes;
}

struct type_row {
  using type = std::string_view;
  template <class T>
  static constexpr std::string_view of() {
    return T::type;
  }
};

// In the order of the routing table.
constexpr auto all_command_types = detail::every_command<type_row>();

bool id_char(char c, bool first) {
  const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  return alnum || (!first && (c == '_' || c == '.' || c == '-'));
}

const route* route_for_stream(std::string_view stream) noexcept {
  for (const auto& r : table()) {
    if (stream.size() <= r.stream_kind.size() + 1) continue;
    if (stream.substr(0, r.stream_kind.size()) != r.stream_kind) continue;
    if (stream[r.stream_kind.size()] != '-') continue;
    const auto id = stream.substr(r.stream_kind.size() + 1);
    if (!valid_stream_id(id)) continue;
    if (!r.singleton_id.empty() && id != r.singleton_id) continue;
    return &r;
  }
  return nullptr;
}

}  // namespace

std::span<const route> routing_table() noexcept { return table(); }

std::span<const std::string_view> command_types() noexcept { return all_command_types; }

bool valid_stream_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (std::size_t i = 0; i < id.size(); ++i)
    if (!id_char(id[i], i == 0)) return false;
  return true;
}

std::optional<std::string> stream_kind_of(std::string_view stream) {
  if (const route* r = route_for_stream(stream)) return std::string(r->stream_kind);
  return std::nullopt;
}

const route* route_for_command(std::string_view command_type) noexcept {
  const auto dot = command_type.find('.');
  if (dot == std::string_view::npos || dot + 1 >= command_type.size()) return nullptr;
  const auto prefix = command_type.substr(0, dot);
  for (const auto& r : table())
    if (r.command_prefix == prefix) return &r;
  return nullptr;
}

std::optional<rejection> admit_command(std::string_view command_type, std::string_view stream, const json& data,
                                       const command_context& ctx) {
  const route* r = route_for_command(command_type);
  if (r == nullptr || !allowed_roles(command_type))
    return rejection{rejection_kind::invalid, "type", "unknown command type '" + std::string(command_type) + "'"};
  const route* by_stream = route_for_stream(stream);
  if (by_stream != r) {
    std::string rule = "stream must be '" + std::string(r->stream_kind) + "-";
    rule += r->singleton_id.empty() ? std::string("<id>'") : std::string(r->singleton_id) + "'";
    if (r->singleton_id.empty()) rule += " with <id> matching [A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    return rejection{rejection_kind::invalid, "stream", rule};
  }
  // "system" names the server itself in every event's actor: no user may take it.
  if (stream == "user-system")
    return rejection{rejection_kind::invalid, "stream", "the user id 'system' is reserved for the server itself"};
  if (!may_issue(ctx.by, command_type)) return forbidden_command(ctx.by, command_type);
  if (!data.is_object()) return rejection{rejection_kind::invalid, "data", "data must be a JSON object"};
  if (r->bind != nullptr)
    if (auto bad = r->bind(command_type, stream, data)) return *bad;
  return std::nullopt;
}

prepared prepare_command(std::string_view command_type, std::string_view stream, const json& data,
                         std::span<const recorded_event> history, const command_context& ctx,
                         const shared_state& from) {
  if (auto refused = admit_command(command_type, stream, data, ctx)) return std::unexpected(*refused);
  return route_for_command(command_type)->prepare(command_type, data, from, history);
}

decision decide_command(std::string_view command_type, std::string_view stream, const json& data,
                        std::span<const recorded_event> history, const command_context& ctx,
                        const stream_reads& read) {
  auto p = prepare_command(command_type, stream, data, history, ctx);
  if (!p) return std::unexpected(p.error());
  return (*p)->decide(read, ctx);
}

// ---------------------------------------------------------------------------
// stream_reads

void stream_reads::put(std::string stream, shared_history history) {
  if (!history) history = std::make_shared<const std::vector<recorded_event>>();
  streams_.insert_or_assign(std::move(stream), std::move(history));
}

void stream_reads::put(std::string stream, std::vector<recorded_event> history) {
  put(std::move(stream), std::make_shared<const std::vector<recorded_event>>(std::move(history)));
}

bool stream_reads::contains(std::string_view stream) const { return streams_.find(stream) != streams_.end(); }

std::span<const recorded_event> stream_reads::history(std::string_view stream) const {
  const auto it = streams_.find(stream);
  if (it == streams_.end()) return {};
  std::span<const recorded_event> all(*it->second);
  if (bound_ == UINT64_MAX) return all;
  const auto end = std::partition_point(all.begin(), all.end(),
                                        [&](const recorded_event& e) { return e.position <= bound_; });
  return all.first(static_cast<std::size_t>(end - all.begin()));
}

std::vector<std::string> stream_reads::missing(std::span<const std::string> wanted) const {
  std::vector<std::string> out;
  for (const auto& w : wanted)
    if (!contains(w) && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  return out;
}

stream_reads stream_reads::up_to(std::uint64_t position) const {
  stream_reads out = *this;
  out.bound_ = std::min(bound_, position);
  return out;
}

}  // namespace isms::domain
