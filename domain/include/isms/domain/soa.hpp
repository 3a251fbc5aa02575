#pragma once
// The Statement of Applicability (ISO/IEC 27001:2022 6.1.3 d): one entry per
// Annex A control — applicable or excluded, the justification, the
// implementation status, the risks it treats — and its published versions.
// Singleton stream "soa-main"; it begins with its first decision (the 93
// entries exist, undecided, from the catalogue).
//
// Lifecycle of the document: entries decided / updated → publication
// requested (approval by top management, bound to a content hash over all
// entries) → published as version N | publication rejected. Changing an entry
// while publication is pending withdraws the request (a reaction voids its
// approval).
//
// Thread-safety: value types and pure functions.

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
#include "isms/domain/wire_type.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/approval_record.hpp"
#include "isms/domain/reactions.hpp"

namespace isms::domain::soa {

inline constexpr std::string_view stream_id = "soa-main";

// The approval policy version recorded with every publication request.
inline constexpr int publication_policy_version = 1;

enum class implementation { not_started, planned, partial, implemented };

[[nodiscard]] std::string_view to_string(implementation i) noexcept;
[[nodiscard]] std::optional<implementation> implementation_from_string(std::string_view s) noexcept;

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

// soa.control_decided.v1
struct control_decided {
  static constexpr std::string_view type = "soa.control_decided.v1";
  std::string control_id;                 // Annex A id, "5.23"
  bool applicable = false;
  std::string justification;              // for inclusion or exclusion
  std::vector<std::string> linked_risks;  // risk ids ("R-12" of "risk-R-12")
  friend bool operator==(const control_decided&, const control_decided&) = default;
};

// soa.implementation_status_set.v1
struct implementation_status_set {
  static constexpr std::string_view type = "soa.implementation_status_set.v1";
  std::string control_id;
  implementation status = implementation::not_started;
  std::string comment;
  friend bool operator==(const implementation_status_set&, const implementation_status_set&) = default;
};

// soa.publication_requested.v1 — carries the "approval" object
struct publication_requested {
  static constexpr std::string_view type = "soa.publication_requested.v1";
  int proposed_version = 0;
  std::string content_hash;
  std::string comment;
  approval_request approval;
  friend bool operator==(const publication_requested&, const publication_requested&) = default;
};

// soa.published.v1
struct published {
  static constexpr std::string_view type = "soa.published.v1";
  int version = 0;
  std::string approval_id;
  std::vector<std::string> approvers;
  std::string content_hash;
  std::string comment;
  friend bool operator==(const published&, const published&) = default;
};

// soa.publication_rejected.v1
struct publication_rejected : approval_declined {
  static constexpr std::string_view type = "soa.publication_rejected.v1";
  friend bool operator==(const publication_rejected&, const publication_rejected&) = default;
};

using event = std::variant<control_decided, implementation_status_set, publication_requested,
                           published, publication_rejected>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands

// soa.decide_control {control_id, applicable, justification (required when
// excluded), linked_risks[]}
struct decide_control {
  static constexpr std::string_view type = "soa.decide_control";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  control_decided decision;
};
// soa.set_implementation_status {control_id, status, comment?}
struct set_implementation_status {
  static constexpr std::string_view type = "soa.set_implementation_status";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string control_id;
  implementation status = implementation::not_started;
  std::string comment;
};
// soa.request_publication {comment?}
struct request_publication {
  static constexpr std::string_view type = "soa.request_publication";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string comment;
};
// soa.publish / soa.reject_publication: the approval outcome (system)
struct publish {
  static constexpr std::string_view type = "soa.publish";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject_publication {
  static constexpr std::string_view type = "soa.reject_publication";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};

using command = std::variant<decide_control, set_implementation_status, request_publication,
                             publish, reject_publication>;

[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State and decisions

struct entry {
  bool decided = false;
  bool applicable = false;
  std::string justification;
  implementation status = implementation::not_started;
  std::vector<std::string> linked_risks;
  friend bool operator==(const entry&, const entry&) = default;
};

struct state {
  std::vector<entry> entries;  // one per Annex A control, in catalogue order
  std::uint64_t version = 0;   // events folded
  std::optional<publication_requested> pending;
  int published_version = 0;   // 0: never published
  std::string published_hash;  // content hash of the published version
};

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
// What an SoA decision knows of other streams: a control decision reads the
// streams of the risks it links ("risk-<id>"), which must be in the register.
struct facts {
  std::vector<std::string> risks_on_record;  // the linked risks whose streams exist
};
[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s,
                                                         const stream_reads& read);
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// The state precondition of the commands people send about the SoA, written
// once: decide refuses with it, and the soa view lists what the state admits
// (`admitted_commands`). Only the request for publication depends on the
// state (nothing pending, every control decided and justified, something
// changed since the published version).
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// The content approved and published: every entry, in catalogue order, as
// {"control", "applicable", "justification", "status", "linked_risks"}
// ("decided": false for a control not yet decided).
[[nodiscard]] json content(const state& s);
[[nodiscard]] std::string content_hash(const state& s);

}  // namespace isms::domain::soa
