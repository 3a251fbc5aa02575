// The roles' names as people read them. Who may send which command is not
// restated here: the server lists it for the signed-in user (`user.may`, from
// the domain's authorization table, its own-entity limits and the HTTP
// endpoints' table); each entity of a view lists the command types its state
// admits (`allowed_commands`); and the server still decides every command.

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

// Does the server say this user sends `type` only about what they own
// (`user.may.own_only`: a risk owner and their risks, a contributor and their
// documents, actions, objectives)?
export function ownOnly(user, type) {
  const may = user && user.may;
  return !!may && (may.own_only || []).includes(type);
}

// Does the entity's actor limit for `type` (`entity.actors`, the domain's
// rule: only the audit team, never the implementer…) leave this user out?
export function barredOn(user, entity, type) {
  const limit = entity && entity.actors && entity.actors[type];
  if (!limit || !user) return false;
  if (limit.only && !limit.only.includes(user.id)) return true;
  return (limit.never || []).includes(user.id);
}

// May the user send `type` about this entity, as far as the server has told?
// Its state admits it (`entity.allowed_commands`), the user's roles allow it,
// its actor limit does not leave the user out, and if the user acts only on
// their own, `ownerId` is the user.
export function mayOn(user, entity, type, ownerId) {
  if (!roleAllows(user, type)) return false;
  if (entity && !(entity.allowed_commands || []).includes(type)) return false;
  if (barredOn(user, entity, type)) return false;
  if (ownerId !== undefined && ownOnly(user, type) && ownerId !== user.id) return false;
  return true;
}
