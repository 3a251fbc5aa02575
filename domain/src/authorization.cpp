#include "isms/domain/authorization.hpp"

#include <array>

#include "isms/domain/approval.hpp"
#include "isms/domain/document.hpp"
#include "isms/domain/internal_audit.hpp"
#include "isms/domain/management_review.hpp"
#include "isms/domain/nonconformity.hpp"
#include "isms/domain/objective.hpp"
#include "isms/domain/risk.hpp"
#include "isms/domain/risk_matrix.hpp"
#include "isms/domain/scope.hpp"
#include "isms/domain/soa.hpp"
#include "isms/domain/user.hpp"

namespace isms::domain {

namespace {

constexpr role admin = role::admin;
constexpr role manager = role::isms_manager;
constexpr role top = role::top_management;
constexpr role owner = role::risk_owner;
constexpr role contributor = role::contributor;
constexpr role auditor = role::internal_auditor;
constexpr role system = role::system;

// Reviewers of an approval: the policy of each request names who must approve
// (roles and/or users); decide checks the policy. Admin approves nothing.
constexpr role_set reviewers = roles_of({manager, top, owner, contributor});

// Keep rows grouped by aggregate, in lifecycle order. Rows of commands that
// only reactions and time rules issue hold `system` alone.
constexpr std::array table{
    // risk matrix (6.1.2 a–c)
    permission{risk_matrix::configure::type, roles_of({manager})},
    // risk (6.1.2, 6.1.3, 8.2, 8.3); a risk owner acts only on their own risks
    permission{risk::identify::type, roles_of({manager, owner})},
    permission{risk::assess::type, roles_of({manager, owner})},
    permission{risk::plan_treatment::type, roles_of({manager, owner})},
    permission{risk::request_acceptance::type, roles_of({manager})},
    permission{risk::accept::type, roles_of({system})},
    permission{risk::reject_acceptance::type, roles_of({system})},
    permission{risk::expire_acceptance::type, roles_of({system})},
    permission{risk::record_treatment_implemented::type, roles_of({manager, owner})},
    permission{risk::change_owner::type, roles_of({manager})},
    permission{risk::retire::type, roles_of({manager})},
    // approval
    permission{approval::open::type, roles_of({system})},
    permission{approval::approve::type, reviewers},
    permission{approval::reject::type, reviewers},
    permission{approval::void_request::type, roles_of({system})},
    // Statement of Applicability (6.1.3 d)
    permission{soa::decide_control::type, roles_of({manager})},
    permission{soa::set_implementation_status::type, roles_of({manager})},
    permission{soa::request_publication::type, roles_of({manager})},
    permission{soa::publish::type, roles_of({system})},
    permission{soa::reject_publication::type, roles_of({system})},
    // users
    permission{user::register_user::type, roles_of({admin})},
    permission{user::grant_role::type, roles_of({admin})},
    permission{user::revoke_role::type, roles_of({admin})},
    permission{user::disable::type, roles_of({admin})},
    permission{user::enable::type, roles_of({admin})},
    // context and scope (4.1–4.4)
    permission{scope::set_statement::type, roles_of({manager})},
    permission{scope::add_issue::type, roles_of({manager})},
    permission{scope::remove_issue::type, roles_of({manager})},
    permission{scope::add_interested_party::type, roles_of({manager})},
    permission{scope::update_interested_party::type, roles_of({manager})},
    permission{scope::remove_interested_party::type, roles_of({manager})},
    permission{scope::request_approval::type, roles_of({manager})},
    permission{scope::approve::type, roles_of({system})},
    permission{scope::reject::type, roles_of({system})},
    // documented information (5.2, 7.5)
    permission{document::draft::type, roles_of({manager, contributor})},
    permission{document::revise::type, roles_of({manager, contributor})},
    permission{document::request_approval::type, roles_of({manager})},
    permission{document::approve::type, roles_of({system})},
    permission{document::reject::type, roles_of({system})},
    permission{document::publish::type, roles_of({manager})},
    permission{document::record_review::type, roles_of({manager, contributor})},
    permission{document::retire::type, roles_of({manager})},
    // objectives (6.2)
    permission{objective::propose::type, roles_of({manager})},
    permission{objective::request_approval::type, roles_of({manager})},
    permission{objective::approve::type, roles_of({system})},
    permission{objective::reject::type, roles_of({system})},
    permission{objective::record_progress::type, roles_of({manager, contributor})},
    permission{objective::revise::type, roles_of({manager})},
    permission{objective::mark_achieved::type, roles_of({manager})},
    permission{objective::mark_missed::type, roles_of({manager})},
    // nonconformity and corrective action (10.2); the implementer of an
    // action does not verify it
    permission{nonconformity::raise::type, roles_of({manager, top, owner, contributor, auditor, system})},
    permission{nonconformity::record_containment::type, roles_of({manager})},
    permission{nonconformity::record_root_cause::type, roles_of({manager})},
    permission{nonconformity::record_similar_check::type, roles_of({manager})},
    permission{nonconformity::plan_action::type, roles_of({manager})},
    permission{nonconformity::complete_action::type, roles_of({manager, contributor})},
    permission{nonconformity::verify_action::type, roles_of({manager, auditor})},
    permission{nonconformity::close::type, roles_of({manager})},
    // internal audit (9.2); an auditor does not audit their own area
    permission{internal_audit::plan::type, roles_of({manager})},
    permission{internal_audit::record_performed::type, roles_of({auditor})},
    permission{internal_audit::record_finding::type, roles_of({auditor})},
    permission{internal_audit::issue_report::type, roles_of({auditor})},
    // management review (9.3)
    permission{management_review::schedule::type, roles_of({manager})},
    permission{management_review::assemble_inputs::type, roles_of({manager, system})},
    permission{management_review::open::type, roles_of({manager})},
    permission{management_review::record_attendance::type, roles_of({manager})},
    permission{management_review::record_item::type, roles_of({manager, top})},
    permission{management_review::record_decision::type, roles_of({manager, top})},
    permission{management_review::record_action::type, roles_of({manager, top})},
    permission{management_review::complete_action::type, roles_of({manager, contributor})},
    permission{management_review::request_minutes_approval::type, roles_of({manager})},
    permission{management_review::approve_minutes::type, roles_of({system})},
    permission{management_review::reject_minutes::type, roles_of({system})},
    permission{management_review::close::type, roles_of({manager})},
};

// Who acts on any entity of a command that others may send only about what
// they own. Keep in step with the comments of the table above.
constexpr std::array own_limits{
    own_entity_limit{risk::identify::type, roles_of({manager, system})},
    own_entity_limit{risk::assess::type, roles_of({manager, system})},
    own_entity_limit{risk::plan_treatment::type, roles_of({manager, system})},
    own_entity_limit{risk::record_treatment_implemented::type, roles_of({manager, system})},
    own_entity_limit{document::draft::type, roles_of({manager})},
    own_entity_limit{document::revise::type, roles_of({manager})},
    own_entity_limit{document::record_review::type, roles_of({manager})},
    own_entity_limit{objective::record_progress::type, roles_of({manager})},
    own_entity_limit{nonconformity::complete_action::type, roles_of({manager})},
    own_entity_limit{management_review::complete_action::type, roles_of({manager})},
};

constexpr std::array all_roles{admin,       manager, top,    owner,
                               contributor, auditor, role::external_auditor, system};

}  // namespace

std::span<const permission> authorization_table() noexcept { return table; }

std::optional<role_set> allowed_roles(std::string_view command_type) noexcept {
  for (const auto& p : table)
    if (p.command_type == command_type) return p.allowed;
  return std::nullopt;
}

bool may_issue(const actor& who, std::string_view command_type) noexcept {
  const auto allowed = allowed_roles(command_type);
  if (!allowed) return false;
  for (role r : who.roles)
    if (contains(*allowed, r)) return true;
  return false;
}

std::span<const own_entity_limit> own_entity_limits() noexcept { return own_limits; }

bool acts_only_on_own(const actor& who, std::string_view command_type) noexcept {
  const auto allowed = allowed_roles(command_type);
  if (!allowed) return false;
  for (const auto& l : own_limits) {
    if (l.command_type != command_type) continue;
    bool limited = false;
    for (role r : who.roles) {
      if (contains(l.any_entity, r)) return false;
      if (contains(*allowed, r)) limited = true;
    }
    return limited;
  }
  return false;
}

rejection forbidden_command(const actor& who, std::string_view command_type) {
  std::string roles;
  for (role r : who.roles) {
    if (!roles.empty()) roles += ", ";
    roles += to_string(r);
  }
  if (roles.empty()) roles = "no role";
  return rejection{rejection_kind::forbidden, "",
                   "user '" + who.user_id + "' (" + roles + ") may not issue " +
                       std::string(command_type)};
}

std::string authorization_table_markdown() {
  std::string out = "| command |";
  for (role r : all_roles) out += " " + std::string(to_string(r)) + " |";
  out += "\n| --- |";
  for (std::size_t i = 0; i < all_roles.size(); ++i) out += " :-: |";
  out += "\n";
  for (const auto& p : table) {
    out += "| `" + std::string(p.command_type) + "` |";
    for (role r : all_roles) out += contains(p.allowed, r) ? " ✓ |" : "   |";
    out += "\n";
  }
  return out;
}

}  // namespace isms::domain
