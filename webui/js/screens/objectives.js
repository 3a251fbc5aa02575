// Information security objectives (6.2, 9.1): targets and measured progress
// as small inline SVG charts; overdue objectives highlighted.

import { h, replace, day, todayUtc, monthsAhead } from '../dom.js';
import { app } from '../state.js';
import { toast, stateChip, chip, field, openDialog, writeButton, empty, registerScreen, queryParams, requestApprovalDialog, queryFilters, kpi } from '../ui.js';
import { progressChart } from '../charts.js';
import { userOptions, nextId, person } from '../directory.js';
import { evidenceDisclosure } from '../evidence.js';

export async function render(ctx) {
  const q = { state: '', overdue: '', ...ctx.query };
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Objectives',
    subtitle: 'Information security objectives, their targets and the progress measured against them (6.2, 9.1).',
    action: ['objective.propose', '+ Propose an objective', proposeDialog],
    view: 'objectives',
    csv: [['objectives', 'Objectives']],
    params: () => queryParams(q, ['state'], ['overdue']),
    draw,
  });

  function draw(data) {
    const b = data.by_state || {};
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list);
    }
    replace(top, h('div.kpis',
      kpi(b.set ?? 0, 'In force', 'ok'), kpi(b.proposed ?? 0, 'Proposed'), kpi(b.achieved ?? 0, 'Achieved', 'ok'),
      kpi(b.missed ?? 0, 'Missed', b.missed ? 'bad' : ''), kpi(b.overdue ?? 0, 'Overdue', b.overdue ? 'bad' : '')));
    const objectives = data.objectives || [];
    replace(list, objectives.length
      ? h('div.cards-grid', objectives.map(card))
      : empty('No objective', (data.count === 0 && !q.state && !q.overdue) ? 'The ISMS manager proposes objectives; top management sets them.' : 'No objective matches the filters.'));
  }

  function filters() {
    // The states and their labels as the server names them.
    const f = queryFilters(ctx, q, reload);
    return h('div.filters', f.select('state', 'State', app.states('objectives')), f.flag('overdue', 'Only overdue'));
  }

  function card(o) {
    const latest = o.latest && typeof o.latest.value === 'number' ? o.latest : null;
    return h('article.card.objective-card', { class: o.overdue ? 'overdue-card' : null, dataset: { objective: o.id } },
      h('div.objective-head',
        h('div',
          h('div.id-cell', o.id),
          h('h2.objective-statement', o.statement || o.id)),
        h('div', { style: 'display:grid;gap:4px;justify-items:end' }, stateChip(o.state), o.overdue ? chip('Overdue', 'bad') : null,
          o.state === 'set' && latest ? (targetMet(o) ? chip('Target met', 'ok') : chip('Target not met yet', 'warn')) : null)),
      h('div.objective-figures',
        h('span', 'Target ', h('b', `${o.target} ${o.unit || ''}`)),
        h('span', 'Latest ', h('b', latest ? `${latest.value} ${o.unit || ''}` : '—')),
        h('span', 'Due ', h('b', { class: o.overdue ? 'overdue' : null }, day(o.due_on))),
        h('span', 'Owner ', h('b', person(o.owner)))),
      h('div.muted', { style: 'font-size:.86rem;margin-bottom:6px' }, 'Measure: ', o.measure || '—'),
      progressChart({ progress: o.progress, target: o.target, unit: o.unit, overdue: o.overdue, dueOn: o.due_on }),
      o.pending_approval_id ? h('p', { style: 'margin-top:8px;font-size:.9rem' }, 'Waiting for approval: ', h('a', { href: `#/approvals/${encodeURIComponent(o.pending_approval_id)}` }, o.pending_approval_id)) : null,
      o.closing_note ? h('p.tl-why', o.closing_note) : null,
      evidenceDisclosure(ctx, 'objective', o.id, null, { label: 'measurement', options: [...new Set((o.progress || []).map((p) => p.on))].map((on) => [on, on]) }),
      h('div.row', { style: 'margin-top:12px' },
        // What the objective's state admits comes with it (allowed_commands).
        writeButton('objective.record_progress', 'Record progress', () => progressDialog(o), { small: true, on: o, owner: o.owner }),
        writeButton('objective.request_approval', 'Request approval', () => requestDialog(o), { small: true, on: o }),
        writeButton('objective.mark_achieved', 'Close…', () => closeDialog(o), { small: true, kind: 'quiet', extraCheck: app.mayOn(o, 'objective.mark_achieved') || app.mayOn(o, 'objective.mark_missed') })));
  }

  await reload();
  return page;
}

// Whether the latest measurement meets the target. The direction is read
// from the series: a first value above the target means lower is better.
function targetMet(o) {
  const series = (o.progress || []).filter((p) => typeof p.value === 'number');
  if (!series.length || typeof o.target !== 'number') return false;
  const lowerIsBetter = series[0].value > o.target;
  const v = o.latest.value;
  return lowerIsBetter ? v <= o.target : v >= o.target;
}

async function proposeDialog(data) {
  const owners = await userOptions();
  const suggested = nextId('O-', ((data && data.objectives) || []).map((o) => o.id));
  openDialog({
    title: 'Propose an objective',
    intro: 'Measurable, monitored, communicated, updated (6.2). Top management sets it.',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Objective id', name: 'objective_id', value: suggested, required: true }),
      field({ label: 'Owner', name: 'owner', type: 'select', options: [['', 'Choose…'], ...owners], required: true }),
      h('div.span-2', field({ label: 'Objective', name: 'statement', required: true, placeholder: 'e.g. Patch critical vulnerabilities fast' })),
      field({ label: 'Measure', name: 'measure', required: true, placeholder: 'e.g. median days to patch' }),
      field({ label: 'Unit', name: 'unit', required: true, placeholder: 'e.g. days, %' }),
      field({ label: 'Target value', name: 'target_value', type: 'number', step: 'any', required: true }),
      field({ label: 'Due', name: 'due_date', type: 'date', value: monthsAhead(data, 12), required: true }),
      h('div.span-2', field({ label: 'Resources', name: 'resources', type: 'textarea', rows: 2, required: true })),
      h('div.span-2', field({ label: 'How results are evaluated', name: 'evaluation', type: 'textarea', rows: 2, required: true }))),
    submitLabel: 'Propose',
    onSubmit: async (v) => {
      await app.command('objective.propose', `objective-${v.objective_id}`, {
        objective_id: v.objective_id, statement: v.statement, measure: v.measure, target_value: v.target_value,
        unit: v.unit, owner: v.owner, due_date: v.due_date, resources: v.resources, evaluation: v.evaluation,
      }, { expectedVersion: 0 });
      toast(`Objective ${v.objective_id} proposed.`, { kind: 'ok' });
    },
  });
}

function progressDialog(o) {
  openDialog({
    title: `Record progress: ${o.id}`,
    intro: `${o.statement} — target ${o.target} ${o.unit || ''}`,
    fields: [
      field({ label: `Measured value (${o.unit || 'value'})`, name: 'measured_value', type: 'number', step: 'any', required: true }),
      field({ label: 'Measured on', name: 'measured_on', type: 'date', value: todayUtc(), required: true }),
      field({ label: 'Note', name: 'note', type: 'textarea', rows: 2 }),
    ],
    submitLabel: 'Record',
    onSubmit: async (v) => {
      await app.command('objective.record_progress', o.stream, { measured_value: v.measured_value, measured_on: v.measured_on, note: v.note });
      toast('Progress recorded.', { kind: 'ok' });
    },
  });
}

function requestDialog(o) {
  requestApprovalDialog('objective.request_approval', o, {
    title: `Request approval: ${o.id}`,
    intro: 'Top management is asked to set this objective.',
  });
}

function closeDialog(o) {
  openDialog({
    title: `Close objective ${o.id}`,
    intro: `${o.statement} — target ${o.target} ${o.unit || ''}, latest ${o.latest && typeof o.latest.value === 'number' ? `${o.latest.value} ${o.unit || ''}` : 'not measured'}.`,
    fields: [
      field({ label: 'Outcome', name: 'outcome', type: 'select', required: true, options: [['achieved', 'Achieved'], ['missed', 'Missed']] }),
      field({ label: 'Note for the record', name: 'text', type: 'textarea', required: true, hint: 'How it was achieved, or why it was missed and what follows.' }),
    ],
    submitLabel: 'Close objective',
    onSubmit: async (v) => {
      const achieved = v.outcome === 'achieved';
      await app.command(achieved ? 'objective.mark_achieved' : 'objective.mark_missed', o.stream, achieved ? { note: v.text } : { reason: v.text }, { expectedVersion: o.version, comment: v.text });
      toast(achieved ? `${o.id} achieved.` : `${o.id} recorded as missed.`, { kind: 'ok' });
    },
  });
}
