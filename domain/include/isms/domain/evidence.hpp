#pragma once
// Evidence file, stream "evidence-<id>": one file attached to one subject of
// the ISMS as evidence for it (a risk's treatment, an SoA control, a
// nonconformity's action, an audit's finding, an objective's measurement, a
// management review, a document version, an incident, a supplier, an asset).
//
// The bytes live outside the event log, content-addressed by their SHA-256:
// the server stores them once however often they are attached, and the
// attaching event records the digest, name, media type and size, so the
// bytes can always be checked against the history. The domain never sees
// the bytes; it records what the server measured of them.
//
// Lifecycle: attached (with an owner and an optional review day) → reviewed
// (still valid, a new review day, possibly a new owner) any number of times
// → withdrawn (no longer counts as evidence; the record and the bytes stay).
// Evidence past its review day is stale; a time rule reminds the owner two
// weeks before (review_due).
//
// Thread-safety: value types and pure functions only.

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/wire_type.hpp"

namespace isms::domain::evidence {

// What a file is evidence for.
enum class subject_kind { risk, control, nonconformity, audit, objective, review, document, incident, supplier, asset };

[[nodiscard]] std::string_view to_string(subject_kind k) noexcept;
[[nodiscard]] std::optional<subject_kind> subject_kind_named(std::string_view name) noexcept;

// The stream that holds the subject ("risk-R-1"), or empty for a subject
// without a stream of its own (an SoA control: its id names an Annex A
// control).
[[nodiscard]] std::string subject_stream(subject_kind k, std::string_view subject_id);

// The part of a subject a file may evidence, where the subject has parts:
// a nonconformity's corrective action ("A1"), an audit's finding
// ("IA-1-F1"), a document's version ("3"), an objective's measurement (the
// day it was recorded, "2026-06-30") and a management review's action. What
// the part is called for that kind ("action", "finding", "version",
// "measurement"), or empty when the kind has no parts.
[[nodiscard]] std::string_view part_name(subject_kind k) noexcept;

// The days before its review day from which evidence is due for review.
inline constexpr int review_notice_days = 14;

// What the server measured of the bytes, and what the uploader said of them.
struct file {
  std::string digest;      // SHA-256 of the bytes, 64 lower-case hex digits
  std::string name;        // file name as uploaded (no path)
  std::string media_type;  // as declared by the uploader; never trusted for rendering
  std::uint64_t size = 0;  // bytes

  friend bool operator==(const file&, const file&) = default;
};

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct attached {  // evidence.attached.v1
  static constexpr std::string_view type = "evidence.attached.v1";
  std::string evidence_id;
  subject_kind kind = subject_kind::risk;
  std::string subject_id;
  std::string purpose;  // what it shows ("treatment implemented: MFA enforced")
  file content;
  std::string owner;    // who keeps it current
  std::optional<date> review_by;
  date attached_on{};
  std::string attached_by;
  std::string part;  // the part of the subject (part_name), or "" for the whole
};
struct reviewed {  // evidence.reviewed.v1 — still valid; the next review day
  static constexpr std::string_view type = "evidence.reviewed.v1";
  std::optional<date> review_by;
  std::string owner;
  std::string note;
  date reviewed_on{};
  std::string reviewed_by;
};
struct withdrawn {  // evidence.withdrawn.v1
  static constexpr std::string_view type = "evidence.withdrawn.v1";
  std::string reason;
  date withdrawn_on{};
  std::string withdrawn_by;
};

using event = std::variant<attached, reviewed, withdrawn>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("evidence.<verb>").

// evidence.attach {evidence_id, subject_kind, subject_id, part?, purpose, digest,
//                  name, media_type, size, owner?, review_by?}
// The server issues it when a file has been uploaded and stored (POST
// /api/evidence-files), with what it measured of the bytes; clients do not send it
// over the WebSocket API.
struct attach {
  static constexpr std::string_view type = "evidence.attach";
  static constexpr role_set allowed = roles_of(
      {role::isms_manager, role::risk_owner, role::contributor, role::internal_auditor, role::top_management});
  // A risk owner who holds none of these attaches evidence only to the risks
  // and assets they own.
  static constexpr role_set any_entity =
      roles_of({role::isms_manager, role::contributor, role::internal_auditor, role::top_management});
  std::string evidence_id;
  subject_kind kind = subject_kind::risk;
  std::string subject_id;
  std::string purpose;
  file content;
  std::string owner;  // empty: the uploader
  std::optional<date> review_by;
  std::string part;  // empty: the whole subject
};
// evidence.review {review_by?, owner?, note?}
struct review {
  static constexpr std::string_view type = "evidence.review";
  static constexpr role_set allowed = attach::allowed;
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // others: evidence they own or attached
  std::optional<date> review_by;
  std::string owner;  // empty: unchanged
  std::string note;
};
// evidence.withdraw {reason}
struct withdraw {
  static constexpr std::string_view type = "evidence.withdraw";
  static constexpr role_set allowed = attach::allowed;
  static constexpr role_set any_entity = roles_of({role::isms_manager});
  std::string reason;
};

using command = std::variant<attach, review, withdraw>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State

struct state {
  std::uint64_t version = 0;
  bool exists = false;
  std::string evidence_id;
  subject_kind kind = subject_kind::risk;
  std::string subject_id;
  std::string part;
  std::string purpose;
  file content;
  std::string owner;
  std::string attached_by;
  std::optional<date> review_by;
  bool withdrawn = false;
};

[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                                    const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());

// What an attach knows of its subject: whether it is on record (the
// subject's stream has events; an SoA control is one of Annex A's).
struct facts {
  bool subject_exists = false;
  // The subject's owner, for the subjects that have one (a risk, an asset).
  std::optional<std::string> subject_owner;
  // The parts the subject has on record (part_name), for a subject that has parts.
  std::vector<std::string> parts;
};
[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s, const stream_reads& read);
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// The state precondition of the commands people send about evidence,
// written once: decide refuses with it, and the views list what the state
// admits.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// In force, and its review day is at most review_notice_days away (or past).
[[nodiscard]] bool review_due(const state& s, date today);
// In force, and its review day has passed: it no longer counts as current
// evidence until it is reviewed.
[[nodiscard]] bool stale(const state& s, date today);

}  // namespace isms::domain::evidence
