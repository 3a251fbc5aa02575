// The people of the ISMS (the `users` view), for owner pickers and names.

import { app } from './state.js';

let cache = null;
let cachedAt = 0;

export async function users({ fresh = false } = {}) {
  if (!fresh && cache && Date.now() - cachedAt < 30_000) return cache;
  const data = await app.query('users', {}, { now: true });
  cache = data.users || [];
  cachedAt = Date.now();
  return cache;
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
