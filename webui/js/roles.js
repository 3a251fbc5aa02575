// The roles' names as people read them. Who may send which command is not
// restated here: the server lists it for the signed-in user (`user.may`, from
// the domain's authorization table and the HTTP endpoints' table), and still
// decides every rule that depends on state (own risks, own requests, …).

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

// May a user (as the session reply describes them) send this command type or
// use this endpoint at all? The server's answer, not a copy of its table.
export function roleAllows(user, type) {
  const may = user && user.may;
  if (!may) return false;
  return (may.commands || []).includes(type) || (may.endpoints || []).includes(type);
}
