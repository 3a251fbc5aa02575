#include "isms/domain/authorization.hpp"

#include <array>

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
    permission{"risk_matrix.configure", roles_of({manager})},
    // risk (6.1.2, 6.1.3, 8.2, 8.3); a risk owner acts only on their own risks
    permission{"risk.identify", roles_of({manager, owner})},
    permission{"risk.assess", roles_of({manager, owner})},
    permission{"risk.plan_treatment", roles_of({manager, owner})},
    permission{"risk.request_acceptance", roles_of({manager})},
    permission{"risk.accept", roles_of({system})},
    permission{"risk.reject_acceptance", roles_of({system})},
    permission{"risk.expire_acceptance", roles_of({system})},
    permission{"risk.record_treatment_implemented", roles_of({manager, owner})},
    permission{"risk.change_owner", roles_of({manager})},
    permission{"risk.retire", roles_of({manager})},
    // approval
    permission{"approval.open", roles_of({system})},
    permission{"approval.approve", reviewers},
    permission{"approval.reject", reviewers},
    permission{"approval.void", roles_of({system})},
    // Statement of Applicability (6.1.3 d)
    permission{"soa.decide_control", roles_of({manager})},
    permission{"soa.set_implementation_status", roles_of({manager})},
    permission{"soa.request_publication", roles_of({manager})},
    permission{"soa.publish", roles_of({system})},
    permission{"soa.reject_publication", roles_of({system})},
    // users
    permission{"user.register", roles_of({admin})},
    permission{"user.grant_role", roles_of({admin})},
    permission{"user.revoke_role", roles_of({admin})},
    permission{"user.disable", roles_of({admin})},
    permission{"user.enable", roles_of({admin})},
    // context and scope (4.1–4.4)
    permission{"scope.set_statement", roles_of({manager})},
    permission{"scope.add_issue", roles_of({manager})},
    permission{"scope.remove_issue", roles_of({manager})},
    permission{"scope.add_interested_party", roles_of({manager})},
    permission{"scope.update_interested_party", roles_of({manager})},
    permission{"scope.request_approval", roles_of({manager})},
    permission{"scope.approve", roles_of({system})},
    permission{"scope.reject", roles_of({system})},
    // documented information (5.2, 7.5)
    permission{"document.draft", roles_of({manager, contributor})},
    permission{"document.revise", roles_of({manager, contributor})},
    permission{"document.request_approval", roles_of({manager})},
    permission{"document.approve", roles_of({system})},
    permission{"document.reject", roles_of({system})},
    permission{"document.publish", roles_of({manager})},
    permission{"document.record_review", roles_of({manager, contributor})},
    permission{"document.retire", roles_of({manager})},
    // objectives (6.2)
    permission{"objective.propose", roles_of({manager})},
    permission{"objective.request_approval", roles_of({manager})},
    permission{"objective.set", roles_of({system})},
    permission{"objective.reject", roles_of({system})},
    permission{"objective.record_progress", roles_of({manager, contributor})},
    permission{"objective.revise", roles_of({manager})},
    permission{"objective.mark_achieved", roles_of({manager})},
    permission{"objective.mark_missed", roles_of({manager})},
    // nonconformity and corrective action (10.2); the implementer of an
    // action does not verify it
    permission{"nc.raise", roles_of({manager, top, owner, contributor, auditor, system})},
    permission{"nc.record_containment", roles_of({manager})},
    permission{"nc.record_root_cause", roles_of({manager})},
    permission{"nc.record_similar_check", roles_of({manager})},
    permission{"nc.plan_action", roles_of({manager})},
    permission{"nc.complete_action", roles_of({manager, contributor})},
    permission{"nc.verify_action", roles_of({manager, auditor})},
    permission{"nc.close", roles_of({manager})},
    // internal audit (9.2); an auditor does not audit their own area
    permission{"audit.plan", roles_of({manager})},
    permission{"audit.record_performed", roles_of({auditor})},
    permission{"audit.record_finding", roles_of({auditor})},
    permission{"audit.issue_report", roles_of({auditor})},
    // management review (9.3)
    permission{"review.schedule", roles_of({manager})},
    permission{"review.assemble_inputs", roles_of({manager, system})},
    permission{"review.open", roles_of({manager})},
    permission{"review.record_attendance", roles_of({manager})},
    permission{"review.record_item", roles_of({manager, top})},
    permission{"review.record_decision", roles_of({manager, top})},
    permission{"review.record_action", roles_of({manager, top})},
    permission{"review.complete_action", roles_of({manager, contributor})},
    permission{"review.request_minutes_approval", roles_of({manager})},
    permission{"review.approve_minutes", roles_of({system})},
    permission{"review.reject_minutes", roles_of({system})},
    permission{"review.close", roles_of({manager})},
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
