// Charts drawn as inline SVG or plain HTML: the risk heat map and the
// objectives' progress lines. No library, nothing fetched.

import { h, fmtDay, humanize } from './dom.js';

// The band a score falls in, from the matrix's bands [{name, min_score, max_score}].
export function bandOf(bands, score) {
  for (const b of bands || []) if (score >= b.min_score && score <= b.max_score) return b.name;
  return '';
}

// A likelihood × impact grid. counts[l-1][i-1] = number of risks. Likelihood
// runs bottom (rare) to top; impact left to right, as risk matrices are read.
// onPick(l, i) makes cells buttons that filter; without it they are static.
export function heatMap({ title, counts, matrix, onPick, selected }) {
  const ll = (matrix && matrix.likelihood_labels) || ['1', '2', '3', '4', '5'];
  const il = (matrix && matrix.impact_labels) || ['1', '2', '3', '4', '5'];
  const rows = [];
  for (let l = ll.length; l >= 1; l--) {
    const cells = [h('th.hm-rowhead', { scope: 'row' }, h('span.hm-num', l), ' ', ll[l - 1])];
    for (let i = 1; i <= il.length; i++) {
      const n = (counts && counts[l - 1] && counts[l - 1][i - 1]) || 0;
      const band = bandOf(matrix && matrix.bands, l * i);
      const label = `Likelihood ${l} (${ll[l - 1]}) × impact ${i} (${il[i - 1]}): ${n} ${n === 1 ? 'risk' : 'risks'}, ${humanize(band || 'unbanded')}`;
      const isSel = selected && selected.l === l && selected.i === i;
      const content = n ? String(n) : '';
      cells.push(h('td.hm-cell', { class: `band-${band || 'none'}${n ? ' has' : ''}${isSel ? ' selected' : ''}` },
        onPick && n
          ? h('button.hm-btn', { type: 'button', 'aria-label': label, 'aria-pressed': isSel ? 'true' : 'false', onclick: () => onPick(l, i) }, content)
          // A static cell says what it counts in words for screen readers (a
          // span has no role that takes a label); the tooltip says it too.
          : h('span.hm-val', { title: label }, h('span', { 'aria-hidden': 'true' }, content), h('span.sr-only', label))));
    }
    rows.push(h('tr', cells));
  }
  return h('figure.heatmap',
    h('figcaption', title),
    h('div.hm-wrap',
      h('div.hm-axis-y', { 'aria-hidden': 'true' }, 'Likelihood →'),
      h('table.hm', h('tbody', rows,
        h('tr', h('td'), il.map((x, k) => h('th.hm-colhead', { scope: 'col' }, h('span.hm-num', k + 1), h('span.hm-collabel', x))))))),
    h('div.hm-axis-x', { 'aria-hidden': 'true' }, 'Impact →'));
}

// A small progress chart: measured values over time against the target.
// progress: [{date, value}], target: number.
export function progressChart({ progress, target, unit, overdue, dueOn }) {
  const W = 320, H = 132, PL = 34, PR = 12, PT = 14, PB = 22;
  const pts = (progress || []).filter((p) => typeof p.value === 'number' && p.date).slice().sort((a, b) => (a.date < b.date ? -1 : 1));
  const values = pts.map((p) => p.value).concat(typeof target === 'number' ? [target] : []);
  if (!pts.length) {
    return h('div.chart-empty', 'No measurement recorded yet');
  }
  let lo = Math.min(...values), hi = Math.max(...values);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.12;
  lo -= pad; hi += pad;
  const now = Date.now();
  const t0 = Date.parse(pts[0].date), t1 = Math.max(Date.parse(pts[pts.length - 1].date), dueOn ? Date.parse(dueOn) : 0, now);
  const span = Math.max(t1 - t0, 864e5);
  const x = (d) => PL + ((Date.parse(d) - t0) / span) * (W - PL - PR);
  const y = (v) => PT + (1 - (v - lo) / (hi - lo)) * (H - PT - PB);
  const line = pts.map((p) => `${x(p.date).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const last = pts[pts.length - 1];
  const lowerIsBetter = typeof target === 'number' && pts[0].value > target;
  const met = typeof target === 'number' && (lowerIsBetter ? last.value <= target : last.value >= target);
  const desc = `Measured ${pts.length} times; latest ${last.value} ${unit || ''} on ${fmtDay(last.date)}; target ${target} ${unit || ''} (${met ? 'met' : 'not met yet'}).`;
  return h('svg.chart', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': desc, class: met ? 'chart-met' : overdue ? 'chart-overdue' : '' },
    h('title', desc),
    h('line.chart-axis', { x1: PL, y1: H - PB, x2: W - PR, y2: H - PB }),
    typeof target === 'number' ? [
      h('line.chart-target', { x1: PL, y1: y(target), x2: W - PR, y2: y(target) }),
      h('text.chart-label', { x: PL - 4, y: y(target) + 3, 'text-anchor': 'end' }, fmtNum(target)),
      h('text.chart-label.chart-target-label', { x: PL + 4, y: y(target) - 4, 'text-anchor': 'start' }, 'target'),
    ] : null,
    now > t0 && now < t1 ? [
      h('line.chart-today', { x1: x(new Date(now).toISOString()), y1: PT - 6, x2: x(new Date(now).toISOString()), y2: H - PB }),
      h('text.chart-label', { x: x(new Date(now).toISOString()), y: PT - 7, 'text-anchor': 'middle' }, 'today'),
    ] : null,
    h('text.chart-label', { x: PL - 4, y: y(pts[0].value) + 3, 'text-anchor': 'end' }, fmtNum(pts[0].value)),
    h('polyline.chart-line', { points: line }),
    pts.map((p) => h('circle.chart-dot', { cx: x(p.date), cy: y(p.value), r: 3 }, h('title', `${fmtDay(p.date)}: ${p.value} ${unit || ''}`))),
    x(last.date) > W - PR - 28
      ? h('text.chart-label.chart-last', { x: x(last.date) - 6, y: y(last.value) - 7, 'text-anchor': 'end' }, fmtNum(last.value))
      : h('text.chart-label.chart-last', { x: x(last.date) + 6, y: y(last.value) - 6, 'text-anchor': 'start' }, fmtNum(last.value)),
    h('text.chart-label', { x: PL, y: H - 6 }, fmtDay(pts[0].date)),
    pts.length > 1 || dueOn ? h('text.chart-label', { x: W - PR, y: H - 6, 'text-anchor': 'end' }, dueOn ? `due ${fmtDay(dueOn)}` : fmtDay(last.date)) : null);
}

function fmtNum(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

// A horizontal bar of proportions: parts [{label, value, tone}].
export function stackBar(parts) {
  const total = parts.reduce((s, p) => s + p.value, 0) || 1;
  return h('div.stackbar', { role: 'img', 'aria-label': parts.map((p) => `${p.label}: ${p.value}`).join(', ') },
    parts.filter((p) => p.value > 0).map((p) => h('span.stackbar-part', { class: `tone-${p.tone}`, style: `width:${(p.value / total) * 100}%`, title: `${p.label}: ${p.value}` })));
}
