#pragma once
// The common vocabulary of the ISMS model: time, actors and roles, rejections,
// the event envelope that aggregates and views fold, and the shape every
// aggregate follows. Pure: no I/O, no clock, no storage.
//
// Every aggregate module (risk.hpp, document.hpp, …) follows the same shape:
//   - its events: plain structs in a closed std::variant, each with a stable
//     versioned wire type ("risk.identified.v1") and a JSON codec;
//   - its commands: plain structs in a closed std::variant, each with a wire
//     type ("risk.identify") and a validating parser that names the bad field;
//   - state: initial_state(), evolve(state, event) — never fails, never validates;
//     fold(history, from = initial_state()) — a left fold of evolve over the
//     decoded history, so folding on from a state folded earlier equals
//     folding the whole stream;
//   - decide(command, state, context) → events or a rejection — holds every rule.
//
// Thread-safety: everything here is a value type; no shared mutable state.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "isms/canonical/canonical.hpp"

namespace isms::domain {

using json = nlohmann::json;

// An instant in UTC with millisecond precision. Always passed in by the caller;
// domain code never reads a clock. On the wire: RFC 3339 "2026-11-29T10:15:00.000Z".
using instant = std::chrono::sys_time<std::chrono::milliseconds>;

// A calendar day (due dates, review dates). On the wire: "YYYY-MM-DD".
using date = std::chrono::sys_days;

// The roles of the ISMS (see docs/domain.md for what each may do).
enum class role {
  admin,             // users and roles; no ISMS approvals by default
  isms_manager,      // runs the ISMS: registers, SoA, objectives, NCs, reviews
  top_management,    // approves above-appetite risks, objectives, policies, scope, minutes
  risk_owner,        // owns risks: approves their treatment, accepts their residual risk
  contributor,       // carries out assigned actions and objective work
  internal_auditor,  // plans and performs internal audits, records findings
  external_auditor,  // read-only, everything
  system,            // the server itself, issuing reactions and time-driven commands
};

[[nodiscard]] std::string_view to_string(role r) noexcept;
[[nodiscard]] std::optional<role> role_from_string(std::string_view s) noexcept;

// Who issues a command: the user and the roles they hold at that moment.
struct actor {
  std::string user_id;
  std::vector<role> roles;

  [[nodiscard]] bool has(role r) const noexcept;
};

// How the actor proved, for this one command, that it is really them: a
// fresh proof beyond the session they send it in (docs/security.md, "A
// second factor"). The server checks the proof; the domain only reads the
// outcome, and records it with the decisions that need one.
enum class confirmation {
  none,           // the session alone
  totp,           // a current code of the actor's authenticator (RFC 6238)
  recovery_code,  // one of the actor's single-use recovery codes
  sign_in,        // a sign-in again at the identity provider, minutes ago (single sign-on)
};

[[nodiscard]] std::string_view to_string(confirmation c) noexcept;

// Everything about a command that is not its payload, supplied by the server.
struct command_context {
  actor by;
  instant now;             // server time, UTC
  std::string command_id;  // client-chosen or derived (reactions); unique per command
  // The actor has a second factor enrolled, so a decision that matters
  // asks them to confirm it with that factor.
  bool second_factor = false;
  confirmation confirmed = confirmation::none;
};

// Why decide said no. Maps one-to-one onto the wire error codes.
enum class rejection_kind {
  invalid,    // a field is missing, of the wrong type or out of range   → bad_request
  forbidden,  // the actor's roles do not allow this command here       → forbidden
  not_found,  // the command addresses something that does not exist    → not_found
  rule,       // an ISMS rule says no (the message names the rule)      → rejected
  unconfirmed,  // a decision that matters, sent without the actor's
                // second factor confirming it                          → confirmation_required
};

struct rejection {
  rejection_kind kind = rejection_kind::rule;
  std::string field;    // the offending field ("data.likelihood"), empty if none
  std::string message;  // in the words an ISMS manager uses; names the rule or field
};

[[nodiscard]] std::string_view wire_code(rejection_kind k) noexcept;

// An event produced by decide, not yet recorded: its wire type and payload.
struct new_event {
  std::string type;  // versioned, e.g. "risk.accepted.v1"
  json data;

  friend bool operator==(const new_event&, const new_event&) = default;
};

// Who, when and why of a recorded event (filled in by the server on append).
struct event_metadata {
  std::string actor;           // user id, or "system"
  instant recorded_at{};       // server time, UTC
  std::string command_id;
  std::string correlation_id;
  std::string causation_id;    // the event that caused this command (reactions), or empty
  std::string comment;         // the why, where the command carried one
};

// An event as recorded in the log, the input of every fold.
struct recorded_event {
  std::uint64_t position = 0;  // global, gapless, 1-based
  std::string stream;          // e.g. "risk-R-12"
  std::uint64_t version = 0;   // 1-based within the stream
  std::string type;
  json data;
  event_metadata meta;
};

using decision = std::expected<std::vector<new_event>, rejection>;

// Time and date formatting on the wire. Parsing returns nullopt for anything
// that is not exactly the documented form (or is not a real calendar day).
[[nodiscard]] std::string format_instant(instant t);
[[nodiscard]] std::optional<instant> parse_instant(std::string_view s);
[[nodiscard]] std::string format_date(date d);
[[nodiscard]] std::optional<date> parse_date(std::string_view s);

// The calendar day an instant falls on (UTC).
[[nodiscard]] inline date day_of(instant t) noexcept {
  return std::chrono::floor<std::chrono::days>(t);
}

// Hashes the domain records (content hashes of approval subjects, document
// versions, the management review pack) are taken in the system's one
// canonical form (isms/canonical, specified in docs/eventstore.md), the same as
// the hash chain's, so an auditor recomputes each from the exported event.

// Lower-case hex SHA-256 of the bytes (a document version's text).
using canonical::sha256_hex;

// Lower-case hex SHA-256 of the canonical JSON text of `j`. The domain hashes
// only values it built from validated input; a value without a canonical form
// (a non-finite number, invalid UTF-8, nesting deeper than
// canonical::max_depth) is a programmer error: throws std::invalid_argument.
[[nodiscard]] std::string canonical_hash(const json& j);

}  // namespace isms::domain
