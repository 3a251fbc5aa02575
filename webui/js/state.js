// The application's shared state: who is signed in, the connection, and the
// point in history being looked at. One object, read by every screen.

import { Connection, ApiError } from './api.js';
import { roleAllows, mayOn, barredOn } from './roles.js';

const AS_OF_KEY = 'isms.as_of';

class AppState extends EventTarget {
  constructor() {
    super();
    this.user = null;                 // {id, name, roles, may: {commands, own_only, endpoints}}
    this.vocabulary = {};             // per register: [{state, label}] in lifecycle order (session reply)
    this.conn = new Connection();
    this.asOf = loadAsOf();           // null (now) or {position, at}
    this.inboxCount = 0;
  }

  hasRole(role) { return !!this.user && (this.user.roles || []).includes(role); }

  // May the user send this command type at all (ignoring the time control)?
  roleAllows(type) { return roleAllows(this.user, type); }

  // May the user send it about this entity (its state admits it; their own
  // where the server says so)? See roles.js mayOn.
  mayOn(entity, type, ownerId) { return mayOn(this.user, entity, type, ownerId); }

  // Does the entity's actor limit leave the user out of `type`? See roles.js.
  barredOn(entity, type) { return barredOn(this.user, entity, type); }

  // May the user send it now: allowed by role and looking at the present.
  can(type) { return this.roleAllows(type) && !this.asOf; }

  get past() { return !!this.asOf; }

  // A register's states in lifecycle order as [state, label] pairs, as the
  // server names them (the session reply's `vocabulary`).
  states(register) { return (this.vocabulary[register] || []).map((s) => [s.state, s.label]); }

  // The label the server gives a state of a register, or null.
  stateLabel(register, state) {
    const s = this.stateEntry(register, state);
    return s ? s.label : null;
  }

  // What the server says of a state ({state, label, tone, stage?}): of the
  // register named, or of the first register that lists it; null if none.
  stateEntry(register, state) {
    const registers = register ? [register] : Object.keys(this.vocabulary);
    for (const r of registers) {
      const s = (this.vocabulary[r] || []).find((x) => x.state === state);
      if (s) return s;
    }
    return null;
  }

  // Queries honour the time control: while it is set, every query carries as_of.
  query(view, params = {}, { now = false } = {}) {
    const asOf = !now && this.asOf ? { position: this.asOf.position } : null;
    return this.conn.query(view, params, asOf).then((r) => r.data);
  }

  // As query() but also returns the position: {data, position}.
  queryFull(view, params = {}) {
    const asOf = this.asOf ? { position: this.asOf.position } : null;
    return this.conn.query(view, params, asOf);
  }

  // The server answers a creating command whose stream exists with a
  // conflict on `stream`: the id is taken, said in the words of the form
  // (code `id_taken`), not "changed in the meantime".
  command(type, stream, data, opts) {
    if (this.asOf) return Promise.reject(Object.assign(new Error('Return to the present to make changes.'), { code: 'past' }));
    // Sent while the connection is down, the command waits and goes out once
    // it is back (with its command_id, so at most once): the shell says so.
    if (!this.conn.isOpen) this.dispatchEvent(new CustomEvent('command-queued', { detail: { type, stream } }));
    return this.conn.command(type, stream, data, opts).catch((err) => {
      if (err && err.code === 'conflict' && err.field === 'stream') throw idTaken(stream);
      throw err;
    });
  }

  setAsOf(asOf) {
    this.asOf = asOf;
    if (asOf) sessionStorage.setItem(AS_OF_KEY, JSON.stringify(asOf));
    else sessionStorage.removeItem(AS_OF_KEY);
    this.dispatchEvent(new CustomEvent('asof', { detail: asOf }));
  }
}

// What a creating command's stream names, in words: "a risk with the id R-01".
const STREAM_NOUNS = {
  risk: 'a risk', document: 'a document', nc: 'a nonconformity', objective: 'an objective',
  audit: 'an internal audit', review: 'a management review', user: 'a user',
};

function idTaken(stream) {
  const m = /^([a-z_]+)-(.+)$/.exec(stream || '');
  const noun = (m && STREAM_NOUNS[m[1]]) || 'an entry';
  return new ApiError('id_taken', `The id ${m ? m[2] : stream} is taken: there is already ${noun} with this id.`, 'stream');
}

function loadAsOf() {
  try {
    const v = JSON.parse(sessionStorage.getItem(AS_OF_KEY) || 'null');
    return v && Number.isInteger(v.position) ? v : null;
  } catch {
    return null;
  }
}

export const app = new AppState();
