#pragma once
// Reading and checking the payloads of commands and events, shared by the
// context & scope, document, objective, nonconformity, internal audit and
// management review aggregates. Private to the domain library.
//
// The one field-reading vocabulary of the domain, for commands and events
// alike. A `fields` reader walks one JSON object: each getter checks one field
// and returns its value, or a neutral default after remembering the first
// failure (field name and rule). The caller reads every field, then asks ok():
// a command parser turns the failure into rejection{invalid, "data.<field>", …},
// an event decoder into an error string. Nothing here throws, and no caller
// tells failures apart by their text.
//
// Thread-safety: value types and pure functions only.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "isms/domain/approval_record.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/wire_type.hpp"

namespace isms::domain::wire {

// The one set of bounds on what a command's payload may carry (documented in
// docs/domain.md, "Payload bounds"). Event data is read without them: an
// event already recorded decodes whatever bounds were in force when it was
// written (bounds::stored below).
inline constexpr std::size_t max_line = 300;          // titles, names, one-line summaries
inline constexpr std::size_t max_text = 20'000;       // descriptions, rationales, notes, evidence
inline constexpr std::size_t max_document = 1 << 20;  // a document's full text (1 MiB)
inline constexpr std::size_t max_items = 500;         // entries of one list field

// Which bounds a reader applies: a command's (every byte and item limit), or
// none for stored event data (its shape and types are still checked).
enum class bounds { command, stored };

// An enum's wire names: {value, "name"} pairs.
template <class E, std::size_t N>
using names = std::array<std::pair<E, std::string_view>, N>;

template <class E, std::size_t N>
[[nodiscard]] constexpr std::string_view name_of(const names<E, N>& table, E value) noexcept {
  for (const auto& [v, n] : table)
    if (v == value) return n;
  return "unknown";
}

template <class E, std::size_t N>
[[nodiscard]] constexpr std::optional<E> value_of(const names<E, N>& table,
                                                  std::string_view name) noexcept {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}

// True if `id` matches [A-Za-z0-9][A-Za-z0-9_.-]{0,63} (ids of aggregates,
// users, actions, findings, issues).
[[nodiscard]] bool valid_id(std::string_view id) noexcept;

// True if `ref` names a requirement of ISO/IEC 27001:2022: a clause or
// subclause of 4–10 ("6.1.3", "10.2") or an Annex A control ("A.5.23").
[[nodiscard]] bool valid_clause(std::string_view ref) noexcept;
[[nodiscard]] bool valid_annex_a_control(std::string_view ref) noexcept;

// Lower-case hex SHA-256 (64 characters).
[[nodiscard]] bool valid_sha256(std::string_view s) noexcept;

// `d` plus `months` calendar months, the day clamped to the month's last day
// (2026-01-31 + 1 month = 2026-02-28).
[[nodiscard]] date add_months(date d, int months) noexcept;

class fields {
 public:
  // `data` is the payload; `prefix` goes before field names in failures;
  // `limits` says whether byte and item bounds apply.
  explicit fields(const json& data, std::string prefix = "data.", bounds limits = bounds::command);

  // A required id ([A-Za-z0-9][A-Za-z0-9_.-]{0,63}).
  std::string id(std::string_view key);
  // An optional id: absent, null or "" → empty.
  std::string opt_id(std::string_view key);
  // A required string with at least one non-blank character, at most max_len bytes.
  std::string text(std::string_view key, std::size_t max_len = max_text);
  // An optional string: absent or null → empty; at most max_len bytes.
  std::string opt_text(std::string_view key, std::size_t max_len = max_text);
  // A required string, possibly empty, at most max_len bytes (bytes kept exactly).
  std::string raw_text(std::string_view key, std::size_t max_len = max_text);
  // A required calendar day, "YYYY-MM-DD".
  date day(std::string_view key);
  std::optional<date> opt_day(std::string_view key);
  // A required integer in [lo, hi].
  std::int64_t integer(std::string_view key, std::int64_t lo, std::int64_t hi);
  // A required finite number (integer or decimal).
  double number(std::string_view key);
  bool boolean(std::string_view key);
  // An optional boolean: absent or null → `otherwise`.
  bool opt_boolean(std::string_view key, bool otherwise);
  // A required list of ids / of non-blank strings, at most `most` entries. A
  // bad entry is named "<key>[<index>]".
  std::vector<std::string> ids(std::string_view key, bool allow_empty, std::size_t most = max_items);
  std::vector<std::string> texts(std::string_view key, bool allow_empty,
                                 std::size_t max_len = max_line, std::size_t most = max_items);
  // A required list of strings of any content (stored lists of names).
  std::vector<std::string> strings(std::string_view key);
  // Optional lists: absent or null → empty.
  std::vector<std::string> opt_ids(std::string_view key, std::size_t most = max_items);
  std::vector<std::string> opt_texts(std::string_view key, std::size_t max_len = max_line,
                                     std::size_t most = max_items);
  // A required 64-digit lower-case hex SHA-256.
  std::string sha256(std::string_view key);
  // A required clause or Annex A control reference (valid_clause / valid_annex_a_control).
  std::string requirement(std::string_view key);
  // A required JSON object (any content); a null json after a failure.
  json object(std::string_view key);
  // A required JSON array (any content).
  json array(std::string_view key);

  // A required string that names one enumerator of `table`.
  template <class E, std::size_t N>
  E choice(std::string_view key, const names<E, N>& table) {
    const json* v = find(key, true);
    if (v == nullptr) return table[0].first;
    if (!v->is_string()) return fail(key, "must be a string"), table[0].first;
    if (auto e = value_of(table, v->get_ref<const std::string&>())) return *e;
    std::string allowed;
    for (const auto& [_, n] : table) allowed += (allowed.empty() ? "" : ", ") + std::string(n);
    fail(key, "must be one of: " + allowed);
    return table[0].first;
  }

  // Records a failure found by the caller (the first failure wins).
  void fail(std::string_view key, std::string rule);
  // Takes over the first failure of a reader of a nested object.
  void adopt(const fields& nested);
  // A reader for entry `index` of the list `key`: prefix "<prefix><key>[<index>].".
  [[nodiscard]] fields entry(const json& item, std::string_view key, std::size_t index) const;
  // A reader for the required object member `key`: prefix "<prefix><key>.",
  // the same bounds. A missing or non-object member fails here; the nested
  // reader then reads nothing. Take its failure over with adopt().
  [[nodiscard]] fields nested(std::string_view key);

  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  // The first failure as a rejection of kind invalid.
  [[nodiscard]] rejection error() const;
  // The first failure as one line, "<field>: <rule>".
  [[nodiscard]] std::string message() const;
  // "<prefix><key>".
  [[nodiscard]] std::string field_name(std::string_view key) const;
  // The reader's bounds (a nested reader takes them over).
  [[nodiscard]] bounds limits() const noexcept { return limits_; }

  const json* find(std::string_view key, bool required);

 private:
  // True if `size` exceeds `most` under command bounds.
  [[nodiscard]] bool over(std::size_t size, std::size_t most) const noexcept {
    return limits_ == bounds::command && size > most;
  }

  const json& data_;
  std::string prefix_;
  bounds limits_;
  bool failed_ = false;
  std::string field_;
  std::string rule_;
};

// Runs `read` over `data` with a fresh reader; a payload that is not an object
// fails as a whole. Returns what `read` built, or the first failure.
template <class T, class Read>
[[nodiscard]] std::expected<T, rejection> read_command(const json& data, Read read) {
  if (!data.is_object())
    return std::unexpected(rejection{rejection_kind::invalid, "data", "must be a JSON object"});
  fields f{data};
  T value = read(f);
  if (!f.ok()) return std::unexpected(f.error());
  return value;
}

template <class T, class Read>
[[nodiscard]] std::expected<T, std::string> read_event(std::string_view type, const json& data,
                                                       Read read) {
  if (!data.is_object()) return std::unexpected(std::string(type) + ": data must be a JSON object");
  fields f{data, "", bounds::stored};
  T value = read(f);
  if (!f.ok()) return std::unexpected(std::string(type) + ": " + f.message());
  return value;
}

// The reader of one wire type: `read(f, as<T>{})` reads the T a payload holds.
template <class T>
using as = std::type_identity<T>;

// Decodes event data of `type` with `read(f, as<T>{})`, T the alternative of
// Event whose wire type it is (an unknown type is an error).
template <class Event, class Read>
[[nodiscard]] std::expected<Event, std::string> decode_event(std::string_view type, const json& data, Read read) {
  return dispatch_type<Event>(
      type,
      [&](auto t) { return read_event<Event>(type, data, [&](fields& f) -> Event { return read(f, t); }); },
      [&]() -> std::expected<Event, std::string> {
        return std::unexpected("unknown event type '" + std::string(type) + "'");
      });
}

// Parses a command payload of `type` the same way (an unknown type is
// invalid, field "type").
template <class Command, class Read>
[[nodiscard]] std::expected<Command, rejection> parse_command(std::string_view type, const json& data, Read read) {
  return dispatch_type<Command>(
      type, [&](auto t) { return read_command<Command>(data, [&](fields& f) -> Command { return read(f, t); }); },
      [&]() -> std::expected<Command, rejection> {
        return std::unexpected(
            rejection{rejection_kind::invalid, "type", "unknown command type '" + std::string(type) + "'"});
      });
}

// Helpers for decide.
[[nodiscard]] inline decision one(new_event e) {
  std::vector<new_event> out;
  out.push_back(std::move(e));
  return out;
}
[[nodiscard]] inline std::unexpected<rejection> refuse(rejection_kind kind, std::string field,
                                                       std::string message) {
  return std::unexpected(rejection{kind, std::move(field), std::move(message)});
}
[[nodiscard]] inline std::unexpected<rejection> rule(std::string message, std::string field = {}) {
  return refuse(rejection_kind::rule, std::move(field), std::move(message));
}
[[nodiscard]] inline std::unexpected<rejection> forbidden(std::string message) {
  return refuse(rejection_kind::forbidden, "", std::move(message));
}
// True if the limit of `limits` for `command_type`, if any, admits `user_id`
// (actor_limit, authorization.hpp).
[[nodiscard]] inline bool admits(const std::vector<actor_limit>& limits, std::string_view command_type,
                                 std::string_view user_id) noexcept {
  for (const auto& l : limits)
    if (l.command_type == command_type) return l.admits(user_id);
  return true;
}

// What an aggregate's state_refusal answers when the state does not admit a
// command (a `rule` rejection with no field).
[[nodiscard]] inline std::optional<rejection> refusal(std::string message) {
  return rejection{rejection_kind::rule, "", std::move(message)};
}

// Folds `history` with `decode`/`evolve` from `initial`. An event that cannot
// be decoded is a `rule` rejection naming its position and stream version.
template <class State, class Decode, class Evolve>
[[nodiscard]] std::expected<State, rejection> fold(State initial,
                                                   std::span<const recorded_event> history,
                                                   Decode decode, Evolve evolve) {
  State s = std::move(initial);
  for (const auto& r : history) {
    auto e = decode(r.type, r.data);
    if (!e)
      return std::unexpected(rejection{
          rejection_kind::rule, "history",
          "the stream's history cannot be read: event at position " + std::to_string(r.position) +
              " (version " + std::to_string(r.version) + ", " + r.stream + "): " + e.error()});
    s = evolve(std::move(s), *e);
  }
  return s;
}

// The approval pattern, subject side (reactions.hpp).

// The request a subject records at `subject_version` of `stream`: one approver
// of `approver`'s role, unordered, policy version 1.
[[nodiscard]] approval_request approval_for(std::string_view stream, std::uint64_t subject_version,
                                            std::string subject_kind, role approver,
                                            std::string on_approved, std::string on_rejected,
                                            std::string summary, std::string content_hash);
// The payload of an on_approved / on_rejected command.
[[nodiscard]] std::expected<approval_outcome, rejection> outcome_in(const json& data);

// The approval objects read from the object a reader walks (reactions.hpp
// says what each holds). An approval request nested in `key` of `f`:
//   approval_request r = read_approval_request(f, "approval");
[[nodiscard]] approval_policy read_approval_policy(fields& f);
[[nodiscard]] approval_request read_approval_request(fields& f);
[[nodiscard]] approval_request read_approval_request(fields& f, std::string_view key);
[[nodiscard]] approval_outcome read_approval_outcome(fields& f);

// The events a subject records about its approval (approval_record.hpp): one
// reader and one encoder per shape, for every aggregate's event of that shape.
// `read(f, as<E>{})` is found by argument-dependent lookup next to each
// aggregate's own readers; `event_of(e)` is its encoding.
template <class E>
concept approval_record = std::derived_from<E, approval_asked> || std::derived_from<E, approval_granted> ||
                          std::derived_from<E, approval_refused> || std::derived_from<E, approval_declined>;

void read_into(fields& f, approval_asked& e);
void read_into(fields& f, approval_granted& e);
void read_into(fields& f, approval_refused& e);
void read_into(fields& f, approval_declined& e);
[[nodiscard]] json to_json(const approval_asked& e);
[[nodiscard]] json to_json(const approval_granted& e);
[[nodiscard]] json to_json(const approval_refused& e);
[[nodiscard]] json to_json(const approval_declined& e);

template <approval_record E>
[[nodiscard]] E read(fields& f, std::type_identity<E>) {
  E e;
  read_into(f, e);
  return e;
}
template <approval_record E>
[[nodiscard]] new_event event_of(const E& e) {
  return new_event{std::string(E::type), to_json(e)};
}

// The dispatcher's stream binding for an aggregate whose creating command
// names its id in the payload: `creating_type` sent to `stream` must carry
// data.<id_key> == the <id> of "<kind>-<id>". nullopt when it agrees (or when
// the payload is malformed: parse_command names that).
[[nodiscard]] std::optional<rejection> stream_names_id(std::string_view command_type,
                                                       std::string_view creating_type,
                                                       std::string_view stream, std::string_view kind,
                                                       const json& data, std::string_view id_key);

// `wire_members(const Type&)`: a JSON object of the named members of Type,
// each under its own name, converted by nlohmann's to_json. For the wire
// forms that show some of a struct's members as they are; what a wire form
// renames or derives is added by hand after it.
//   ISMS_WIRE_MEMBERS(audit_entry, id, stream, scope)
#define ISMS_WIRE_MEMBERS(Type, ...)                                                \
  [[maybe_unused]] inline json wire_members(const Type& nlohmann_json_t) {         \
    json nlohmann_json_j = json::object();                                         \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))       \
    return nlohmann_json_j;                                                        \
  }

// std::visit over lambdas.
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

// `s` cut to at most `max_len` bytes without splitting a UTF-8 character.
[[nodiscard]] std::string clip(std::string s, std::size_t max_len);

// JSON of a list of strings.
[[nodiscard]] json strings(const std::vector<std::string>& v);
// JSON of a list of roles, by their wire names.
[[nodiscard]] json role_names(const std::vector<role>& roles);

}  // namespace isms::domain::wire
