// Showing what changed: a line diff of two texts (documents) and the view
// difference the server computes ({added, removed, changed}).

import { h, humanize } from './dom.js';

// Line diff by longest common subsequence. Returns [{op: ' '|'+'|'-', text}].
export function diffLines(before, after) {
  const a = String(before ?? '').split('\n');
  const b = String(after ?? '').split('\n');
  const n = a.length, m = b.length;
  // Texts of policies are short; guard the quadratic table anyway.
  if (n * m > 4_000_000) return [...a.map((t) => ({ op: '-', text: t })), ...b.map((t) => ({ op: '+', text: t }))];
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: ' ', text: a[i] }); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', text: a[i++] });
    else out.push({ op: '+', text: b[j++] });
  }
  while (i < n) out.push({ op: '-', text: a[i++] });
  while (j < m) out.push({ op: '+', text: b[j++] });
  return out;
}

// A rendered text diff; unchanged runs longer than 6 lines are folded.
export function textDiff(before, after, { label = 'Changes to the text' } = {}) {
  const lines = diffLines(before, after);
  const added = lines.filter((l) => l.op === '+').length;
  const removed = lines.filter((l) => l.op === '-').length;
  const rows = [];
  let run = [];
  const flush = (last) => {
    if (run.length > 6) {
      const head = rows.length ? run.slice(0, 2) : [];
      const tail = last ? [] : run.slice(-2);
      head.forEach((l) => rows.push(line(l)));
      rows.push(h('div.diff-fold', `… ${run.length - head.length - tail.length} unchanged lines …`));
      tail.forEach((l) => rows.push(line(l)));
    } else run.forEach((l) => rows.push(line(l)));
    run = [];
  };
  for (const l of lines) {
    if (l.op === ' ') run.push(l);
    else { flush(false); rows.push(line(l)); }
  }
  flush(true);
  return h('figure.textdiff',
    h('figcaption', label, ' ', h('span.diff-stat', h('span.diff-add', `+${added}`), ' ', h('span.diff-del', `−${removed}`))),
    // The body scrolls when long: it takes the focus, so that a keyboard scrolls it too.
    h('div.diff-body', { tabindex: '0', role: 'region', 'aria-label': label }, rows));
}

function line(l) {
  const cls = l.op === '+' ? 'diff-line add' : l.op === '-' ? 'diff-line del' : 'diff-line';
  const sr = l.op === '+' ? 'added: ' : l.op === '-' ? 'removed: ' : '';
  return h('div', { class: cls }, h('span.diff-op', { 'aria-hidden': 'true' }, l.op === ' ' ? ' ' : l.op === '-' ? '−' : '+'),
    sr ? h('span.sr-only', sr) : null, h('span.diff-text', l.text || ' '));
}

// Display of a JSON value in a cell: arrays joined, objects compact.
export function showValue(v) {
  if (v === null || v === undefined || v === '') return h('span.muted', '—');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) {
    if (!v.length) return h('span.muted', 'none');
    if (v.every((x) => typeof x !== 'object')) return v.join(', ');
    return h('ul.plain', v.map((x) => h('li', showValue(x))));
  }
  if (typeof v === 'object') {
    if ('likelihood' in v && 'impact' in v) return `${v.likelihood} × ${v.impact}${v.score ? ` = ${v.score}` : ''}${v.level ? ` (${v.level})` : ''}`;
    return h('span.kv', Object.entries(v).filter(([, x]) => x !== '' && x !== null).map(([k, x]) => h('span', h('b', humanize(k)), ': ', typeof x === 'object' ? JSON.stringify(x) : String(x), '; ')));
  }
  return String(v);
}

// "/residual/level" → "Residual › Level"
export function pathLabel(path, labels = {}) {
  const parts = String(path || '').split('/').filter(Boolean);
  return parts.map((p) => labels[p] || humanize(p)).join(' › ') || 'Whole';
}

// The server's difference as a table: what changed, was, now.
export function differenceTable(difference, { labels = {}, caption = 'What changed since the last approval' } = {}) {
  const rows = [];
  for (const c of difference.changed || [])
    rows.push(h('tr', h('th', { scope: 'row' }, pathLabel(c.path, labels)), h('td.was', showValue(c.before)), h('td.now', showValue(c.after))));
  for (const a of difference.added || [])
    rows.push(h('tr', h('th', { scope: 'row' }, pathLabel(a.path, labels), a.id ? ` ${a.id}` : ''), h('td.was', h('span.muted', 'not there')), h('td.now', showValue(a.value))));
  for (const r of difference.removed || [])
    rows.push(h('tr', h('th', { scope: 'row' }, pathLabel(r.path, labels), r.id ? ` ${r.id}` : ''), h('td.was', showValue(r.value)), h('td.now', h('span.muted', 'removed'))));
  if (!rows.length) return h('p.muted', 'Nothing changed since the last approved version.');
  return h('div.table-wrap', h('table.difftable',
    h('caption', caption),
    h('thead', h('tr', h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, 'Approved before'), h('th', { scope: 'col' }, 'Now asked'))),
    h('tbody', rows)));
}
