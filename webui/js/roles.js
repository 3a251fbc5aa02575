// Who may send which command: the first gate of the server's authorization
// table (docs/domain.md). The UI shows a writing control only to a user whose
// roles pass this gate, and never while looking at the past; the server still
// decides every rule that depends on state (own risks, own requests, …).

const M = 'isms_manager', T = 'top_management', O = 'risk_owner', C = 'contributor',
  IA = 'internal_auditor', A = 'admin';

const TABLE = {
  'risk_matrix.configure': [M],
  'risk.identify': [M, O],
  'risk.assess': [M, O],
  'risk.plan_treatment': [M, O],
  'risk.request_acceptance': [M],
  'risk.record_treatment_implemented': [M, O],
  'risk.change_owner': [M],
  'risk.retire': [M],
  'approval.approve': [M, T, O, C],
  'approval.reject': [M, T, O, C],
  'soa.decide_control': [M],
  'soa.set_implementation_status': [M],
  'soa.request_publication': [M],
  'user.register': [A],
  'user.grant_role': [A],
  'user.revoke_role': [A],
  'user.disable': [A],
  'user.enable': [A],
  'scope.set_statement': [M],
  'scope.add_issue': [M],
  'scope.remove_issue': [M],
  'scope.add_interested_party': [M],
  'scope.update_interested_party': [M],
  'scope.request_approval': [M],
  'document.draft': [M, C],
  'document.revise': [M, C],
  'document.request_approval': [M],
  'document.publish': [M],
  'document.record_review': [M, C],
  'document.retire': [M],
  'objective.propose': [M],
  'objective.request_approval': [M],
  'objective.record_progress': [M, C],
  'objective.revise': [M],
  'objective.mark_achieved': [M],
  'objective.mark_missed': [M],
  'nc.raise': [M, T, O, C, IA],
  'nc.record_containment': [M],
  'nc.record_root_cause': [M],
  'nc.record_similar_check': [M],
  'nc.plan_action': [M],
  'nc.complete_action': [M, C],
  'nc.verify_action': [M, IA],
  'nc.close': [M],
  'audit.plan': [M],
  'audit.record_performed': [IA],
  'audit.record_finding': [IA],
  'audit.issue_report': [IA],
  'review.schedule': [M],
  'review.assemble_inputs': [M],
  'review.open': [M],
  'review.record_attendance': [M],
  'review.record_item': [M, T],
  'review.record_decision': [M, T],
  'review.record_action': [M, T],
  'review.complete_action': [M, C],
  'review.request_minutes_approval': [M],
  'review.close': [M],
};

// What the HTTP endpoints allow (docs/protocol.md).
const HTTP = {
  'events.export': ['external_auditor', IA, A],
  'users.password': [A],
  'backup': [A],
};

export const ROLE_LABELS = {
  admin: 'Administrator',
  isms_manager: 'ISMS manager',
  top_management: 'Top management',
  risk_owner: 'Risk owner',
  contributor: 'Contributor',
  internal_auditor: 'Internal auditor',
  external_auditor: 'External auditor',
};

export const ALL_ROLES = Object.keys(ROLE_LABELS);

export function roleAllows(roles, type) {
  const allowed = TABLE[type] || HTTP[type];
  if (!allowed) return false;
  return (roles || []).some((r) => allowed.includes(r));
}

// True when the user holds at least one role that writes anything at all.
export function writesAnything(roles) {
  return Object.keys(TABLE).some((t) => roleAllows(roles, t));
}
