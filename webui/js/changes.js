// What changed between two points of the log, register by register: the
// server's `diff` of each view (docs/views.md) grouped into the entities an
// ISMS manager and an auditor speak of — a risk, an SoA control, an issue of
// the context — each added, changed field by field (was → now) or removed,
// with the events of the period that did it.
//
// Pure functions over the replies; the screen (screens/compare.js) queries
// and draws.

// ---------------------------------------------------------------- points

// A point in history as the address carries it (`#/compare?from=…&to=…`):
// `2026-03-02` a day (its end, UTC), `512` a position, `checkpoint-512` the
// signed checkpoint of that position, `now` the present.
export function parsePoint(token) {
  const t = String(token ?? '').trim();
  if (t === 'now') return { kind: 'now' };
  if (/^\d{4}-\d{2}-\d{2}$/.test(t) && !Number.isNaN(Date.parse(`${t}T00:00:00Z`))
    && new Date(`${t}T00:00:00Z`).toISOString().slice(0, 10) === t) return { kind: 'date', day: t };
  let m = /^(\d{1,15})$/.exec(t);
  if (m) return { kind: 'position', position: Number(m[1]) };
  m = /^checkpoint-(\d{1,15})$/.exec(t);
  if (m) return { kind: 'checkpoint', position: Number(m[1]) };
  return null;
}

export function pointToken(p) {
  if (!p) return '';
  if (p.kind === 'now') return 'now';
  if (p.kind === 'date') return p.day;
  if (p.kind === 'checkpoint') return `checkpoint-${p.position}`;
  return String(p.position);
}

// The `as_of` that finds a point's position: a day is the last event
// recorded at or before the end of that day in UTC — the server's days are
// UTC days, and a shared address then means the same comparison wherever it
// is opened. null: now.
export function asOfOf(p) {
  if (p.kind === 'now') return null;
  if (p.kind === 'date') return { time: `${p.day}T23:59:59.999Z` };
  return { position: p.position };
}

// ---------------------------------------------------------------- registers

// Members that change with every event or only say what may be done next:
// never a change an auditor reads.
const NOISE = new Set(['version', 'last_change', 'allowed_commands', 'actors', 'stream']);

// Each register: the view and where its entities are (`lists`: paths in the
// view's JSON, `*` any one segment), what names an entity, where it is shown,
// which stream its events are on, the members to leave out (derived copies of
// others) and to show first; `own`: members of the view about the register
// itself (the risk matrix, the published SoA) and the streams of their events.
//
// For entities that share one stream (the SoA's controls, the context's
// issues), `dataKey` names the member of an event's data that says which one
// it is about; without the event's data (only auditors read the log) the
// SoA control's own `last_change` names its latest event, and `types` the
// events that may have changed a context item.
export const REGISTERS = [
  {
    view: 'risks', title: 'Risk register', noun: 'risk',
    lists: [{ path: ['risks'] }],
    name: (e) => e.title,
    link: (id) => `#/risks/${encodeURIComponent(id)}`,
    stream: (id) => `risk-${id}`,
    hide: ['controls', 'treatment_due', 'within_appetite', 'matrix_version'],
    first: ['state', 'owner', 'inherent', 'residual', 'treatment', 'acceptance', 'review_date'],
    facts: (e) => [['State', { state: e.state }], ['Owner', e.owner], ['Inherent risk', e.inherent], ['Residual risk', e.residual]],
    own: [['matrix']], ownTitle: 'The risk matrix', ownStreams: ['config-risk-matrix'],
  },
  {
    view: 'soa', title: 'Statement of Applicability', noun: 'control',
    lists: [{ path: ['themes', '*', 'controls'], dataKey: 'control_id', lastChangeOnly: true, related: linkingRisks }],
    name: (e) => e.title,
    link: () => '#/soa',
    stream: () => 'soa-main',
    hide: ['applicable', 'soa_linked_risks', 'treating_risks', 'differs_from_published', 'theme', 'title'],
    first: ['applicability', 'implementation_status', 'justification', 'linked_risks'],
    facts: (e) => [['Applicability', { state: e.applicability }], ['Implementation', { state: e.implementation_status }]],
    own: [['published_version'], ['published_at'], ['published_by']], ownTitle: 'The published SoA',
    ownStreams: ['soa-main'], ownTypes: /^soa\.(publication_|published)/,
  },
  {
    view: 'objectives', title: 'Objectives', noun: 'objective',
    lists: [{ path: ['objectives'] }],
    name: (e) => e.statement,
    link: () => '#/objectives',
    stream: (id) => `objective-${id}`,
    hide: ['latest', 'terms_in_force'],
    first: ['state', 'target', 'unit', 'owner', 'due_on', 'overdue', 'progress'],
    facts: (e) => [['State', { state: e.state }], ['Target', `${e.target ?? '—'} ${e.unit || ''}`.trim()], ['Owner', e.owner], ['Due', e.due_on]],
  },
  {
    view: 'nonconformities', title: 'Nonconformities', noun: 'nonconformity',
    lists: [{ path: ['nonconformities'] }],
    name: (e) => e.description,
    link: (id) => `#/nonconformities/${encodeURIComponent(id)}`,
    stream: (id) => `nc-${id}`,
    hide: ['overdue_actions'],
    first: ['state', 'severity', 'containment', 'root_cause', 'actions', 'closed_on'],
    facts: (e) => [['State', { state: e.state }], ['Severity', e.severity, 'severity'], ['Source', e.source, 'source'], ['Raised on', e.raised_on]],
  },
  {
    view: 'documents', title: 'Documents', noun: 'document',
    lists: [{ path: ['documents'] }],
    name: (e) => e.title,
    link: (id) => `#/documents/${encodeURIComponent(id)}`,
    stream: (id) => `document-${id}`,
    hide: ['working_sha256', 'published_sha256', 'document_id', 'approval_state'],
    first: ['state', 'published_version', 'published_on', 'working_version', 'last_reviewed_on', 'last_review_outcome', 'review_due_on'],
    facts: (e) => [['Kind', e.kind, 'kind'], ['State', { state: e.state }], ['Owner', e.owner], ['Published version', e.published_version || '—']],
  },
  {
    view: 'audits', title: 'Internal audits', noun: 'audit',
    lists: [{ path: ['audits'] }],
    name: (e) => e.area || e.scope,
    link: () => '#/audits',
    stream: (id) => `audit-${id}`,
    hide: ['findings_by_type', 'audit_id'],
    first: ['state', 'planned_start', 'planned_end', 'performed_on', 'findings', 'reported_on', 'conclusion'],
    facts: (e) => [['State', { state: e.state }], ['Lead auditor', e.lead_auditor], ['Planned', `${e.planned_start || ''} – ${e.planned_end || ''}`]],
  },
  {
    view: 'reviews', title: 'Management reviews', noun: 'review',
    lists: [{ path: ['reviews'] }],
    name: (e) => `Management review planned on ${e.planned_on || '—'}`,
    link: (id) => `#/reviews/${encodeURIComponent(id)}`,
    stream: (id) => `review-${id}`,
    hide: ['review_id', 'overdue_actions', 'pack_sha256', 'minutes_hash', 'inputs_as_of_position', 'baseline_position',
      'previous_review_position', 'inputs_assembled', 'pending_approval_id'],
    first: ['state', 'planned_on', 'chair', 'held_on', 'attendees', 'items', 'decisions', 'actions', 'closed_on'],
    facts: (e) => [['State', { state: e.state }], ['Planned on', e.planned_on], ['Chair', e.chair]],
  },
  {
    view: 'scope', title: 'Context and scope', noun: 'item',
    lists: [
      { path: ['effective', 'issues'], dataKey: 'issue_id', types: /^scope\.(issue_|approved)/, alsoTypes: ['scope.approved.v1'], label: 'Issue',
        about: (view) => historyIds(view, /\bissue (\S+) (?:added|updated|removed)\b/) },
      { path: ['effective', 'interested_parties'], dataKey: 'party_id', types: /^scope\.(interested_party_|approved)/, alsoTypes: ['scope.approved.v1'], label: 'Interested party',
        about: (view) => historyIds(view, /\binterested party (\S+) /) },
    ],
    name: (e) => e.description || e.name,
    link: () => '#/scope',
    stream: () => 'scope-main',
    hide: ['issue_id', 'party_id'],
    first: ['kind', 'description', 'name', 'requirements'],
    facts: (e) => (e.name ? [['Requirements', e.requirements]] : [['Kind', e.kind, 'kind']]),
    own: [['effective'], ['effective_since'], ['approved_by']], ownTitle: 'The scope in force',
    ownStreams: ['scope-main'], ownTypes: /^scope\.(statement_set|approval_requested|approved|rejected)/,
  },
  {
    view: 'users', title: 'Users and roles', noun: 'user',
    lists: [{ path: ['users'] }],
    name: (e) => e.name,
    link: (id, app) => (app && app.hasRole('admin') ? '#/users' : null),
    stream: (id) => `user-${id}`,
    hide: ['registered_at'],
    first: ['roles', 'enabled', 'name', 'email'],
    facts: (e) => [['Roles', e.roles], ['Enabled', e.enabled]],
  },
];

// An SoA control's linked risks change when a risk's treatment plan names
// the control or stops naming it (or the risk is reassessed or retired):
// those events are on the risks' streams.
function linkingRisks(rows) {
  const r = rows.find((x) => x.field === 'linked_risks' && x.kind === 'changed');
  if (!r) return [];
  const before = new Set(r.before || []);
  const after = new Set(r.after || []);
  // A plan links a control; a new plan without it, a reassessment (which
  // clears the plan) or retirement unlinks it.
  const linked = [...after].filter((x) => !before.has(x)).map((id) => ({ stream: `risk-${id}`, types: /^risk\.treatment_planned\./ }));
  const unlinked = [...before].filter((x) => !after.has(x)).map((id) => ({ stream: `risk-${id}`, types: /^risk\.(treatment_planned|assessed|retired)\./ }));
  return [...linked, ...unlinked];
}

// Which context item each event of the scope's history is about, from the
// history's own words ("external issue I-5 added: …"): the scope view names
// them for every reader, the event log only for auditors.
function historyIds(view, pattern) {
  const ids = new Map();
  for (const h of (view && view.history) || []) {
    const m = pattern.exec(h.summary || '');
    if (m) ids.set(h.position, m[1]);
  }
  return ids;
}

// ---------------------------------------------------------------- paths

// A JSON pointer's segments (RFC 6901).
export function segments(path) {
  if (!path || path === '/') return [];
  return String(path).split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function matches(pattern, segs) {
  return segs.length >= pattern.length && pattern.every((p, i) => p === '*' || p === segs[i]);
}

function isEntityList(a) {
  return Array.isArray(a) && a.length > 0 && a.every((x) => x && typeof x === 'object' && !Array.isArray(x) && 'id' in x);
}

// One step down a value, as the server's diff addresses it: an entity of a
// list by its id, any other list entry by its index.
function step(node, seg) {
  if (Array.isArray(node)) {
    if (isEntityList(node)) return node.find((x) => String(x.id) === seg);
    return /^\d+$/.test(seg) ? node[Number(seg)] : undefined;
  }
  return node && typeof node === 'object' ? node[seg] : undefined;
}

export function at(node, segs) {
  let n = node;
  for (const s of segs) { n = step(n, s); if (n === undefined) return undefined; }
  return n;
}

export function isRating(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && 'likelihood' in v && 'impact' in v;
}

const isPrimitive = (v) => v === null || typeof v !== 'object';
const blank = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length);

// The same walk as the server's `diff` (domain/src/views/diff.cpp), for the
// one case it leaves whole: a part of a view that was null on one side (the
// scope before its first approval), so that its entities still count one by one.
export function walkDiff(b, a, path, out = { added: [], removed: [], changed: [] }) {
  // What is absent on one side is empty there: its parts count one by one.
  const empty = (x) => (Array.isArray(x) ? [] : {});
  if (b === null && a !== null && typeof a === 'object') b = empty(a);
  if (a === null && b !== null && typeof b === 'object') a = empty(b);
  if (JSON.stringify(b) === JSON.stringify(a)) return out;
  if (b && a && typeof b === 'object' && typeof a === 'object' && !Array.isArray(b) && !Array.isArray(a)) {
    for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) walkDiff(b[k] ?? null, a[k] ?? null, `${path}/${k}`, out);
    return out;
  }
  if (Array.isArray(b) && Array.isArray(a) && (b.length || a.length)
    && (isEntityList(b) || !b.length) && (isEntityList(a) || !a.length)) {
    const before = new Map(b.map((x) => [String(x.id), x]));
    const after = new Set(a.map((x) => String(x.id)));
    for (const x of b) if (!after.has(String(x.id))) out.removed.push({ path: path || '/', id: String(x.id), value: x });
    for (const x of a) {
      const old = before.get(String(x.id));
      if (!old) out.added.push({ path: path || '/', id: String(x.id), value: x });
      else walkDiff(old, x, `${path}/${x.id}`, out);
    }
    return out;
  }
  if (Array.isArray(b) && Array.isArray(a) && b.length === a.length) {
    b.forEach((x, i) => walkDiff(x, a[i], `${path}/${i}`, out));
    return out;
  }
  out.changed.push({ path: path || '/', before: b, after: a });
  return out;
}

// ---------------------------------------------------------------- grouping

// The server's diff of one register (`diff`) with the view at the later
// point (`after`), as
//   {entities: [{list, id, kind: added|changed|removed, value, rows}], own: {rows} | null}
// `value` is the entity at the later point (at the earlier one when removed).
// A row is {key, label, before, after, kind, entries?}: a changed member, or
// an entry added to (removed from) a list inside the entity.
export function groupChanges(reg, diff, after) {
  const entities = new Map();
  const own = [];
  const entityOf = (list, id, kind, value) => {
    const key = `${list.path.join('/')}\u0000${id}`;
    let e = entities.get(key);
    if (!e) { e = { list, id, kind, value, changes: [] }; entities.set(key, e); }
    return e;
  };
  // Which entity list a path lies in: [list, segments to the list, rest after the id].
  const place = (segs) => {
    for (const list of reg.lists) {
      if (matches(list.path, segs)) return { list, base: segs.slice(0, list.path.length), rest: segs.slice(list.path.length) };
    }
    return null;
  };
  const ownPath = (segs) => (reg.own || []).some((o) => matches(o, segs));
  // A part of the view that was null (or absent) on one side and holds
  // entity lists: its entities, one by one.
  const holdsLists = (segs) => reg.lists.some((l) => l.path.length > segs.length && segs.every((s, i) => l.path[i] === '*' || l.path[i] === s));

  const added = [...(diff.added || [])];
  const removed = [...(diff.removed || [])];
  const changed = [];
  for (const c of diff.changed || []) {
    const segs = segments(c.path);
    if ((c.before === null || c.after === null) && holdsLists(segs)
      && (c.before === null || typeof c.before === 'object') && (c.after === null || typeof c.after === 'object')) {
      const inner = walkDiff(c.before ?? {}, c.after ?? {}, c.path === '/' ? '' : c.path);
      added.push(...inner.added);
      removed.push(...inner.removed);
      changed.push(...inner.changed);
    } else changed.push(c);
  }

  for (const [kind, list] of [['added', added], ['removed', removed]]) {
    for (const x of list) {
      const segs = segments(x.path);
      const p = place(segs);
      if (p && p.rest.length === 0) { entityOf(p.list, String(x.id), kind, x.value); continue; }
      if (p && p.rest.length >= 1) {
        // An entry of a list inside an entity (a corrective action, a finding).
        const id = p.rest[0];
        const e = entityOf(p.list, id, 'changed', at(after, [...p.base, id]));
        e.changes.push({ kind, rel: [...p.rest.slice(1)], id: String(x.id), value: x.value });
        continue;
      }
      if (ownPath(segs)) own.push({ kind, rel: segs, id: String(x.id), value: x.value });
    }
  }
  for (const c of changed) {
    const segs = segments(c.path);
    const p = place(segs);
    if (p && p.rest.length >= 2) {
      const id = p.rest[0];
      const e = entityOf(p.list, id, 'changed', at(after, [...p.base, id]));
      e.changes.push({ kind: 'changed', rel: p.rest.slice(1), before: c.before, after: c.after });
    } else if (ownPath(segs)) own.push({ kind: 'changed', rel: segs, before: c.before, after: c.after });
  }

  const out = [];
  for (const e of entities.values()) {
    if (e.kind === 'changed') {
      e.rows = rowsOf(reg, e.value, e.changes);
      if (!e.rows.length) continue;  // only bookkeeping changed
    } else e.rows = [];
    delete e.changes;
    out.push(e);
  }
  const order = { added: 0, changed: 1, removed: 2 };
  out.sort((x, y) => order[x.kind] - order[y.kind] || x.id.localeCompare(y.id, undefined, { numeric: true }));
  const ownRows = own.length ? rowsOf(reg, after, own, { top: true }) : [];
  return { entities: out, own: ownRows.length ? { rows: ownRows } : null };
}

// Rows of one entity's changes, grouped where a member reads as one value:
// a rating (likelihood × impact = score, level) and a list of plain values
// are shown whole, was → now; an entry added to a list of records is shown
// as added.
function rowsOf(reg, entity, changes, { top = false } = {}) {
  const hide = new Set(reg.hide || []);
  const groups = new Map();
  for (const c of changes) {
    if (!c.rel.length && c.kind === 'changed') continue;
    if (c.rel.some((s) => NOISE.has(s))) continue;
    if (!top && hide.has(c.rel[0])) continue;
    if (top && !(reg.own || []).some((o) => matches(o, c.rel))) continue;
    // Where the change reads as one value.
    let anchor = c.rel;
    for (let n = 1; n <= c.rel.length; n++) {
      const prefix = c.rel.slice(0, n);
      const node = at(entity, prefix);
      if (isRating(node) && n < c.rel.length) { anchor = prefix; break; }
      if (Array.isArray(node) && n < c.rel.length && node.every(isPrimitive)) { anchor = prefix; break; }
    }
    if (c.kind !== 'changed') anchor = c.rel;
    const key = `${c.kind === 'changed' ? '' : c.kind + ':'}${anchor.join('/')}${c.kind === 'changed' ? '' : '/' + c.id}`;
    let g = groups.get(key);
    if (!g) { g = { anchor, kind: c.kind, changes: [] }; groups.set(key, g); }
    g.changes.push(c);
  }
  const rows = [];
  for (const [key, g] of groups) {
    const label = labelOf(entity, g.anchor, g.kind !== 'changed' ? g.changes[0] : null);
    if (g.kind !== 'changed') {
      const c = g.changes[0];
      rows.push({ key, label, kind: g.kind, before: g.kind === 'removed' ? c.value : null, after: g.kind === 'added' ? c.value : null, field: g.anchor.at(-1) });
      continue;
    }
    const whole = g.changes.length === 1 && g.changes[0].rel.length === g.anchor.length;
    let before; let after;
    if (whole) ({ before, after } = g.changes[0]);
    else {
      // The value at the anchor then: now's, with each changed part put back.
      after = at(entity, g.anchor);
      before = structuredClone(after);
      for (const c of g.changes) {
        const rel = c.rel.slice(g.anchor.length);
        let n = before;
        for (let i = 0; i < rel.length - 1; i++) n = step(n, rel[i]);
        if (n && typeof n === 'object') {
          const last = rel.at(-1);
          if (Array.isArray(n) && /^\d+$/.test(last)) n[Number(last)] = c.before; else n[last] = c.before;
        }
      }
    }
    // A list of records (a series of measurements, the versions of a
    // document) that only grew: its new entries.
    if (Array.isArray(before) && Array.isArray(after) && after.length > before.length && !after.every(isPrimitive)
      && before.every((x, i) => JSON.stringify(x) === JSON.stringify(after[i]))) {
      rows.push({ key, label, kind: 'grown', before: null, after: after.slice(before.length), field: g.anchor.at(-1) });
      continue;
    }
    if (blank(before) && blank(after)) continue;
    rows.push({ key, label, kind: 'changed', before, after, field: g.anchor.at(-1) });
  }
  const first = reg.first || [];
  const rank = (r) => { const k = first.indexOf(r.key.replace(/^(added|removed):/, '').split('/')[0]); return k < 0 ? first.length : k; };
  return rows.map((r, i) => ({ r, i })).sort((x, y) => rank(x.r) - rank(y.r) || x.i - y.i).map((x) => x.r);
}

// "Inherent risk", "Treatment › Due", "Action A1 › Status", "Version 2 › State".
const LABELS = {
  inherent: 'Inherent risk', residual: 'Residual risk', implementation_status: 'Implementation status',
  due_on: 'Due', due: 'Due', linked_risks: 'Linked risks', review_date: 'Review date', matrix: 'Risk matrix',
  published_version: 'Published version', published_at: 'Published at', published_by: 'Published by',
  effective: '', effective_since: 'In force since', approved_by: 'Approved by', target: 'Target',
};
export function humanLabel(k) {
  if (Object.hasOwn(LABELS, k)) return LABELS[k];
  const t = String(k).replace(/[_.]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}
function singular(word) {
  if (/ies$/.test(word)) return word.replace(/ies$/, 'y');
  if (/s$/.test(word) && !/ss$/.test(word) && word !== 'progress') return word.slice(0, -1);
  return word;
}
function labelOf(entity, rel, entry) {
  const parts = [];
  let node = entity;
  for (let i = 0; i < rel.length; i++) {
    const seg = rel[i];
    if (Array.isArray(node)) {
      const listName = parts.pop() || '';
      parts.push(`${singular(listName)} ${isEntityList(node) ? seg : Number(seg) + 1}`);
    } else parts.push(humanLabel(seg));
    node = step(node, seg);
  }
  if (entry) parts.push(`${parts.length ? singular(parts.pop()) : 'Entry'} ${entry.id}`);
  // A part named by the card's title already ("the scope in force") has no label.
  return parts.filter(Boolean).join(' › ') || 'Whole';
}

// ---------------------------------------------------------------- events

// The events of the period that concern an entity: those on its stream and
// on the streams of the approvals asked about it (`approval-<stream>.v<n>`);
// on a stream that many entities share, only those about this one.
// `rows`: the entity's changes, for a change that events on other streams
// make (`list.related`); `view`: the register's view at the later point, for
// what it says about its events (`list.about`).
export function eventsOfEntity(reg, list, id, value, events, rows = [], view = null) {
  const stream = reg.stream(id, value);
  const approvals = `approval-${stream}.v`;
  const related = list.related ? list.related(rows) : [];
  const about = list.about ? list.about(view) : null;
  const also = (e) => e.stream === stream && (list.alsoTypes || []).includes(e.type);
  const own = events.filter((e) => {
    if (related.some((r) => r.stream === e.stream && r.types.test(e.type))) return true;
    if (e.stream !== stream && !e.stream.startsWith(approvals)) return false;
    if (!list.dataKey) return true;
    if (e.stream !== stream) return false;          // the approvals of a shared stream are the register's own
    if (also(e)) return false;
    if (e.data) return String(e.data[list.dataKey] ?? '') === String(id);
    if (about && about.has(e.position)) return about.get(e.position) === String(id);
    if (list.lastChangeOnly) return !!(value && value.last_change && value.last_change.position === e.position);
    return list.types ? list.types.test(e.type) : true;
  });
  if (!list.alsoTypes) return own;
  // The events that put a shared record's changes in force (the approval of
  // the context): those after the item's first event of the period.
  const since = own.length ? own[0].position : 0;
  return events.filter((e) => own.includes(e) || (also(e) && e.position > since));
}

// The events of the period about the register itself (the risk matrix, the
// publication of the SoA).
export function eventsOfRegister(reg, events) {
  const streams = reg.ownStreams || [];
  return events.filter((e) => streams.some((s) => e.stream === s || e.stream.startsWith(`approval-${s}.v`))
    && (!reg.ownTypes || e.stream !== streams[0] || reg.ownTypes.test(e.type)));
}

// "risk.acceptance_requested.v1" → "Acceptance requested"; on an approval
// stream "Approval: reviewer approved".
export function eventWords(e) {
  let rest = String(e.type || '');
  const dot = rest.indexOf('.');
  if (dot >= 0) rest = rest.slice(dot + 1);
  rest = rest.replace(/\.v\d+$/, '').replace(/_/g, ' ');
  const words = rest.charAt(0).toUpperCase() + rest.slice(1);
  return String(e.stream || '').startsWith('approval-') ? `Approval: ${rest}` : words;
}

// One line of GET /api/events as the activity feed words it.
export function fromLog(line) {
  const m = line.metadata || {};
  return {
    position: line.position,
    at: new Date(Number(m.recorded_at_ms) || 0).toISOString(),
    by: m.actor || '',
    stream: line.stream,
    type: line.type,
    comment: (m.extra && typeof m.extra.comment === 'string') ? m.extra.comment : '',
    data: line.data && typeof line.data === 'object' ? line.data : null,
  };
}
