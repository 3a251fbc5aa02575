#pragma once
// Supplier (ISO/IEC 27001:2022 Annex A 5.19–5.23), stream "supplier-<id>".
//
// Lifecycle: registered by an ISMS manager (the services, the information the
// supplier handles, its criticality, the security requirements in the
// agreement, the relationship's owner, the risks it bears on) → its
// acceptance requested → accepted by top management (the approval pattern,
// reactions.hpp; 5.19, 5.20) → assessed periodically (5.22: result, findings,
// the next assessment's due day; a time rule reminds the owner when it is
// due) → terminated. A change of the recorded terms voids an open request;
// once accepted, changed terms are accepted again before they count as
// accepted (`changed_since_acceptance`).
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

#include "isms/domain/approval_record.hpp"
#include "isms/domain/authorization.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/wire_type.hpp"

namespace isms::domain::supplier {

enum class criticality { low, medium, high, critical };
enum class result { satisfactory, conditional, unsatisfactory };
enum class status { registered, accepted, terminated };

[[nodiscard]] std::string_view to_string(criticality c) noexcept;
[[nodiscard]] std::string_view to_string(result r) noexcept;
[[nodiscard]] std::string_view to_string(status s) noexcept;

// What is recorded of a supplier, and what its acceptance binds.
struct terms {
  std::string name;
  std::string services;
  std::string data_handled;           // the information it processes, stores or reaches
  criticality level = criticality::medium;
  std::string security_requirements;  // in the agreement (5.20)
  std::string agreement;              // reference of the agreement, may be empty
  std::string owner;                  // user id of the relationship's owner
  std::vector<std::string> linked_risks;

  friend bool operator==(const terms&, const terms&) = default;
};

[[nodiscard]] json to_json(const terms& t);

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct registered {  // supplier.registered.v1
  static constexpr std::string_view type = "supplier.registered.v1";
  std::string supplier_id;
  terms recorded;
  date registered_on{};
  std::string registered_by;
};
struct changed {  // supplier.changed.v1 — the terms as they are now
  static constexpr std::string_view type = "supplier.changed.v1";
  terms recorded;
  std::string reason;
};
struct acceptance_requested : approval_asked {  // supplier.acceptance_requested.v1
  static constexpr std::string_view type = "supplier.acceptance_requested.v1";
};
struct accepted : approval_granted {  // supplier.accepted.v1
  static constexpr std::string_view type = "supplier.accepted.v1";
};
struct acceptance_rejected : approval_refused {  // supplier.acceptance_rejected.v1
  static constexpr std::string_view type = "supplier.acceptance_rejected.v1";
};
struct assessed {  // supplier.assessed.v1 — 5.22
  static constexpr std::string_view type = "supplier.assessed.v1";
  result outcome = result::satisfactory;
  std::string findings;
  date assessed_on{};
  date next_due{};
  std::string assessed_by;
};
struct terminated {  // supplier.terminated.v1
  static constexpr std::string_view type = "supplier.terminated.v1";
  std::string reason;
  date terminated_on{};
  std::string terminated_by;
};

using event =
    std::variant<registered, changed, acceptance_requested, accepted, acceptance_rejected, assessed, terminated>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("supplier.<verb>").

// supplier.register {supplier_id, name, services, data_handled, criticality,
//                    security_requirements, owner, agreement?, linked_risks?}
struct register_supplier {
  static constexpr std::string_view type = "supplier.register";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string supplier_id;
  terms recorded;
};
// supplier.change {reason, and any of the fields of supplier.register but the id}
struct change {
  static constexpr std::string_view type = "supplier.change";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::optional<std::string> name, services, data_handled, security_requirements, agreement, owner;
  std::optional<criticality> level;
  std::optional<std::vector<std::string>> linked_risks;
  std::string reason;
};
struct request_acceptance {  // supplier.request_acceptance {summary?}
  static constexpr std::string_view type = "supplier.request_acceptance";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string summary;
};
struct accept {  // supplier.accept (system)
  static constexpr std::string_view type = "supplier.accept";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject_acceptance {  // supplier.reject_acceptance (system)
  static constexpr std::string_view type = "supplier.reject_acceptance";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
// supplier.record_assessment {result, findings, next_due}
struct record_assessment {
  static constexpr std::string_view type = "supplier.record_assessment";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // a risk owner: the suppliers they own
  result outcome = result::satisfactory;
  std::string findings;
  date next_due{};
};
struct terminate {  // supplier.terminate {reason}
  static constexpr std::string_view type = "supplier.terminate";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string reason;
};

using command =
    std::variant<register_supplier, change, request_acceptance, accept, reject_acceptance, record_assessment, terminate>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State

struct state {
  std::uint64_t version = 0;
  bool exists = false;
  std::string supplier_id;
  status current = status::registered;
  terms recorded;
  std::optional<terms> accepted_terms;  // what the last acceptance approved
  std::string pending_approval_id;
  std::optional<date> next_assessment_due;
  std::optional<result> last_result;

  // Accepted, and the recorded terms are still the accepted ones.
  [[nodiscard]] bool accepted_as_recorded() const { return accepted_terms && *accepted_terms == recorded; }
};

// The approval-relevant content: the recorded terms and the supplier's id.
[[nodiscard]] json approval_content(const state& s);

[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                                    const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());
[[nodiscard]] decision decide(const command& c, const state& s, const command_context& ctx);

// The state precondition of the commands people send about a supplier,
// written once: decide refuses with it, and the views list what the state
// admits.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

// Time rule: the assessment of an accepted supplier is due on `today` (its
// next due day has come).
[[nodiscard]] bool assessment_due(const state& s, date today);

}  // namespace isms::domain::supplier
