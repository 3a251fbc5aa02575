#pragma once
// Asset (ISO/IEC 27001:2022 Annex A 5.9–5.12), stream "asset-<id>": the
// inventory of information and other associated assets.
//
// Lifecycle: registered (name, type, owner, classification, location, the
// acceptable-use rules that apply) → in use, its terms changed as they
// change → retired with its disposal record (5.11, 7.14). A change of
// classification is a decision (5.12): it is proposed with a reason and
// takes effect when the asset's owner approves it (top management when the
// owner proposed it), through the approval pattern (reactions.hpp).
//
// The levels an asset is classified at are those of the configurable
// classification scheme (classification_scheme.hpp, stream
// "config-classification"): registering an asset and proposing a
// reclassification read the scheme in force and accept only a level that may
// be assigned (in the scheme, not retired). Events record the level's id,
// which never leaves the scheme, so every past event still names a level.
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
#include "isms/domain/classification_scheme.hpp"
#include "isms/domain/core.hpp"
#include "isms/domain/dispatch.hpp"
#include "isms/domain/reactions.hpp"
#include "isms/domain/wire_type.hpp"

namespace isms::domain::asset {

enum class kind { information, software, hardware, service, people, site, other };
enum class status { in_use, retired };

[[nodiscard]] std::string_view to_string(kind k) noexcept;
[[nodiscard]] std::string_view to_string(status s) noexcept;

// What is recorded of an asset besides its classification.
struct terms {
  std::string name;
  kind type = kind::information;
  std::string description;
  std::string owner;           // user id (5.9: every asset has an owner)
  std::string location;
  std::string acceptable_use;  // the rules that apply (5.10), e.g. a document id; may be empty

  friend bool operator==(const terms&, const terms&) = default;
};

[[nodiscard]] json to_json(const terms& t);

// ---------------------------------------------------------------------------
// Events. These events are the storage format: change them with care.

struct registered {  // asset.registered.v1
  static constexpr std::string_view type = "asset.registered.v1";
  std::string asset_id;
  terms recorded;
  std::string level;  // a level id of the classification scheme
  date registered_on{};
  std::string registered_by;
};
struct changed {  // asset.changed.v1 — the terms as they are now
  static constexpr std::string_view type = "asset.changed.v1";
  terms recorded;
  std::string reason;
};
struct reclassification_proposed {  // asset.reclassification_proposed.v1
  static constexpr std::string_view type = "asset.reclassification_proposed.v1";
  std::string level;  // a level id of the classification scheme
  std::string reason;
};
struct reclassification_requested : approval_asked {  // asset.reclassification_requested.v1
  static constexpr std::string_view type = "asset.reclassification_requested.v1";
};
struct reclassified : approval_granted {  // asset.reclassified.v1 — the proposed level is in force
  static constexpr std::string_view type = "asset.reclassified.v1";
};
struct reclassification_rejected : approval_refused {  // asset.reclassification_rejected.v1
  static constexpr std::string_view type = "asset.reclassification_rejected.v1";
};
struct retired {  // asset.retired.v1 — 5.11, 7.14
  static constexpr std::string_view type = "asset.retired.v1";
  std::string disposal_method;  // e.g. wiped to NIST 800-88, shredded, returned to the lessor
  std::string disposal_record;  // the evidence: certificate, ticket
  date retired_on{};
  std::string retired_by;
};

using event = std::variant<registered, changed, reclassification_proposed, reclassification_requested, reclassified,
                           reclassification_rejected, retired>;

[[nodiscard]] new_event encode(const event& e);
[[nodiscard]] std::expected<event, std::string> decode(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// Commands ("asset.<verb>").

// asset.register {asset_id, name, type, owner, classification, description?, location?, acceptable_use?}
struct register_asset {
  static constexpr std::string_view type = "asset.register";
  static constexpr role_set allowed = roles_of({role::isms_manager});
  std::string asset_id;
  terms recorded;
  std::string level;  // a level id of the classification scheme
};
// asset.change {reason, and any of name, type, description, owner, location, acceptable_use}
struct change {
  static constexpr std::string_view type = "asset.change";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager});  // a risk owner: the assets they own
  std::optional<std::string> name, description, owner, location, acceptable_use;
  std::optional<kind> type_of;
  std::string reason;
};
// asset.request_reclassification {classification, reason}
struct request_reclassification {
  static constexpr std::string_view type = "asset.request_reclassification";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager});
  std::string level;  // a level id of the classification scheme
  std::string reason;
};
struct reclassify {  // asset.reclassify (system)
  static constexpr std::string_view type = "asset.reclassify";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct reject_reclassification {  // asset.reject_reclassification (system)
  static constexpr std::string_view type = "asset.reject_reclassification";
  static constexpr role_set allowed = system_only;
  approval_outcome outcome;
};
struct retire {  // asset.retire {disposal_method, disposal_record}
  static constexpr std::string_view type = "asset.retire";
  static constexpr role_set allowed = roles_of({role::isms_manager, role::risk_owner});
  static constexpr role_set any_entity = roles_of({role::isms_manager});
  std::string disposal_method;
  std::string disposal_record;
};

using command =
    std::variant<register_asset, change, request_reclassification, reclassify, reject_reclassification, retire>;

[[nodiscard]] std::string_view command_type(const command& c) noexcept;
[[nodiscard]] std::expected<command, rejection> parse_command(std::string_view type, const json& data);

// ---------------------------------------------------------------------------
// State

struct state {
  std::uint64_t version = 0;
  bool exists = false;
  std::string asset_id;
  status current = status::in_use;
  terms recorded;
  std::string level;  // a level id of the classification scheme
  std::optional<std::string> proposed;  // a reclassification awaiting approval
  std::string proposal_reason;
  std::string pending_approval_id;
};

// The approval-relevant content of a reclassification: the asset, its owner,
// the level in force, the level proposed and why.
[[nodiscard]] json approval_content(const state& s);

[[nodiscard]] std::optional<rejection> check_stream(std::string_view command_type, std::string_view stream,
                                                    const json& data);

[[nodiscard]] state initial_state();
[[nodiscard]] state evolve(state s, const event& e);
[[nodiscard]] std::expected<state, rejection> fold(std::span<const recorded_event> history,
                                                 state from = initial_state());

// What an asset decision knows of other streams: the classification scheme in
// force, for register and request_reclassification.
struct facts {
  classification_scheme::scheme scheme = classification_scheme::default_scheme();
};
[[nodiscard]] std::vector<std::string> reads(const command& c, const state& s);
[[nodiscard]] std::expected<facts, rejection> facts_from(const command& c, const state& s,
                                                         const stream_reads& read);
[[nodiscard]] decision decide(const command& c, const state& s, const facts& f, const command_context& ctx);

// The state precondition of the commands people send about an asset,
// written once: decide refuses with it, and the views list what it admits.
[[nodiscard]] std::optional<rejection> state_refusal(std::string_view command_type, const state& s);
[[nodiscard]] std::vector<std::string> admitted_commands(const state& s);

}  // namespace isms::domain::asset
