// The people of the ISMS (the `users` view): for owner pickers, and for
// showing a person by their name wherever the views name them by user id.

import { h, day, instant } from './dom.js';
import { app } from './state.js';

let cache = null;
let cachedAt = 0;
let loading = null;
const names = new Map();       // user id → display name

export async function users({ fresh = false } = {}) {
  if (!fresh && cache && Date.now() - cachedAt < 30_000) return cache;
  const data = await app.query('users', {}, { now: true });
  cache = data.users || [];
  cachedAt = Date.now();
  names.clear();
  for (const u of cache) if (u.name) names.set(u.id, u.name);
  idPattern = null;
  return cache;
}

// Loads the names once (the router waits for it before the first screen);
// a failure leaves ids shown as they are.
export function loadPeople() {
  loading ||= users().catch(() => { loading = null; });
  return loading;
}

// The name of a user id, or the id itself when the directory does not know it
// (the system's reactions, a user not yet loaded).
export function personName(id) {
  if (!id) return '—';
  return names.get(id) || id;
}

// A person on screen: their name, with the user id as the tooltip.
export function person(id) {
  if (!id) return '—';
  const name = names.get(id);
  return name && name !== id ? h('span.person', { title: id }, name) : h('span.person', id);
}

// Several people, separated by commas; `none` when the list is empty.
export function people(ids, none = '—') {
  const list = (ids || []).filter(Boolean);
  if (!list.length) return none;
  return list.flatMap((id, k) => (k ? [', ', person(id)] : [person(id)]));
}

// Text the server writes for people (an event's summary, the activity feed):
// user ids become names and ISO dates become <time> elements, in the one
// format of the screens. Returns an array of strings and nodes.
let idPattern = null;
// A date stands alone too: "MR-2026-03-15" is an id, not a day.
const DATE_RE = /(?<![\w-])(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))?(?![\w-])/;
export function readable(text) {
  const s = String(text ?? '');
  if (!idPattern && names.size) {
    const ids = [...names.keys()].filter((id) => names.get(id) !== id).sort((a, b) => b.length - a.length)
      .map((id) => id.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
    // An id stands alone: not part of a longer word, stream name or address.
    idPattern = ids.length ? new RegExp(`(?<![\\w.@-])(${ids.join('|')})(?![\\w@-]|\\.\\w)`) : /(?!)/;
  }
  const out = [];
  let rest = s;
  while (rest) {
    const d = DATE_RE.exec(rest);
    const p = idPattern ? idPattern.exec(rest) : null;
    const m = d && (!p || d.index <= p.index) ? d : p;
    if (!m) { out.push(rest); break; }
    if (m.index) out.push(rest.slice(0, m.index));
    if (m === d) out.push(d[2] ? instant(d[0]) : day(d[1]));
    else out.push(person(m[1]));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

// [value, label] options of enabled users, optionally those holding a role.
export async function userOptions(role) {
  let list = [];
  try { list = await users(); } catch { list = []; }
  return list
    .filter((u) => u.enabled !== false && (!role || (u.roles || []).includes(role)))
    .map((u) => [u.id, u.name && u.name !== u.id ? `${u.name} (${u.id})` : u.id]);
}

// The next free id with a prefix among existing ids: … → R-3.
export function nextId(prefix, existing) {
  let max = 0;
  const re = new RegExp(`^${prefix.replace(/[-.]/g, '\\$&')}(\\d+)$`);
  for (const id of existing) {
    const m = re.exec(id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `${prefix}${max + 1}`;
}
