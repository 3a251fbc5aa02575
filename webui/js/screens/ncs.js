// Nonconformities and corrective actions (10.2): a board by state, overdue
// actions flagged, and the form to raise a nonconformity.

import { h, replace, day, humanize, todayUtc, plural } from '../dom.js';
import { app } from '../state.js';
import { toast, chip, field, openDialog, empty, registerScreen, queryParams, queryFilters, kpi } from '../ui.js';
import { nextId } from '../directory.js';

// The board's columns: the steps of 10.2 in order, each with its states,
// as the server groups them (the vocabulary's `stage` of each state).
function columns() {
  const out = [];
  for (const s of app.vocabulary.nonconformities || []) {
    const last = out[out.length - 1];
    if (last && last[0] === s.stage) last[1].push(s.state);
    else out.push([s.stage, [s.state]]);
  }
  return out;
}
const SEVERITY_TONE = { major: 'bad', minor: 'warn', observation: 'neutral' };

export async function render(ctx) {
  const q = { severity: '', source: '', overdue: '', ...ctx.query };
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Nonconformities and corrective actions',
    subtitle: 'React, find the cause, act, verify effectiveness, keep the evidence (10.2).',
    action: ['nc.raise', '+ Raise a nonconformity', raiseDialog],
    view: 'nonconformities',
    csv: [['nonconformities', 'Nonconformities'], ['corrective_actions', 'Corrective actions']],
    params: () => queryParams(q, ['severity', 'source'], ['overdue']),
    draw,
  });

  function draw(data) {
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list);
    }
    const ncs = data.nonconformities || [];
    const open = ncs.filter((n) => n.state !== 'closed');
    const sev = data.by_severity || {};
    replace(top, h('div.kpis',
      kpi(open.length, 'Open nonconformities', open.length ? 'warn' : 'ok'),
      kpi(open.filter((n) => n.severity === 'major').length || 0, 'Major, open', open.some((n) => n.severity === 'major') ? 'bad' : ''),
      kpi(data.open_actions ?? 0, 'Open corrective actions'),
      kpi(data.overdue_actions ?? 0, 'Overdue actions', data.overdue_actions ? 'bad' : 'ok'),
      kpi(sev.observation ?? 0, 'Observations')));
    if (!ncs.length) {
      replace(list, empty('No nonconformity', q.severity || q.source || q.overdue ? 'No nonconformity matches the filters.' : 'Nonconformities come from audits, incidents and management reviews, or are raised here.'));
      return;
    }
    // A list of columns, each a heading (its state and how many are in it,
    // the count apart from the words) over the list of its cards.
    replace(list, h('ul.board', { 'aria-label': 'Nonconformities by state' }, columns().map(([title, states], k) => {
      const items = ncs.filter((n) => states.includes(n.state));
      const headingId = `board-col-${k}`;
      return h('li.board-col',
        h('h2.board-col-title', { id: headingId }, h('span', title), ' ',
          h('span.board-count', h('span.sr-only', '('), String(items.length), h('span.sr-only', items.length === 1 ? ' nonconformity)' : ' nonconformities)'))),
        items.length ? h('ul.board-cards', { 'aria-labelledby': headingId }, items.map((n) => h('li',
          h('a.board-card', { href: `#/nonconformities/${encodeURIComponent(n.id)}`, class: n.overdue_actions ? 'overdue-card' : null, dataset: { nc: n.id } },
            h('div.row', { style: 'justify-content:space-between' }, h('span.board-card-id', n.id), chip(humanize(n.severity), SEVERITY_TONE[n.severity] || 'neutral')),
            h('div.board-card-text', n.description),
            h('div.muted', { style: 'font-size:.8rem' }, humanize(n.source), n.reference ? ` · ${n.reference}` : '', ' · ', day(n.raised_on)),
            n.actions && n.actions.length ? h('div', { style: 'font-size:.8rem;margin-top:4px' }, `${n.actions.filter((a) => a.status !== 'planned').length} of ${plural(n.actions.length, 'action')} done`,
              n.overdue_actions ? h('span.overdue', ` · ${n.overdue_actions} overdue`) : null) : null)))) : null);
    })));
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters',
      f.select('severity', 'Severity', ['major', 'minor', 'observation']),
      f.select('source', 'Source', ['internal_audit', 'external_audit', 'incident', 'management_review', 'other']),
      f.flag('overdue', 'Only with overdue actions'));
  }

  await reload();
  return page;
}

function raiseDialog(data) {
  const suggested = nextId('NC-', ((data && data.nonconformities) || []).map((n) => n.id));
  openDialog({
    title: 'Raise a nonconformity',
    intro: ['Raised on ', day(todayUtc()), '. The ISMS manager is told at once.'],
    fields: h('div.form-grid',
      field({ label: 'Id', name: 'nc_id', value: suggested, required: true }),
      field({ label: 'Severity', name: 'severity', type: 'select', value: 'minor', options: [['major', 'Major'], ['minor', 'Minor'], ['observation', 'Observation']], required: true }),
      field({ label: 'Source', name: 'source', type: 'select', value: 'incident', options: ['internal_audit', 'external_audit', 'incident', 'management_review', 'other'].map((s) => [s, humanize(s)]), required: true }),
      field({ label: 'Clause or control', name: 'reference', required: true, placeholder: 'e.g. A.8.8 or 7.2' }),
      h('div.span-2', field({ label: 'What is wrong', name: 'description', type: 'textarea', required: true }))),
    submitLabel: 'Raise',
    onSubmit: async (v) => {
      await app.command('nc.raise', `nc-${v.nc_id}`, { nc_id: v.nc_id, source: v.source, reference: v.reference, severity: v.severity, description: v.description }, { expectedVersion: 0 });
      toast(`Nonconformity ${v.nc_id} raised.`, { kind: 'ok' });
      location.hash = `#/nonconformities/${encodeURIComponent(v.nc_id)}`;
    },
  });
}
