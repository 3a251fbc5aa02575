// One nonconformity: the steps of 10.2 as the `nonconformity` view reports
// them, its corrective actions (overdue flagged; the implementer of an
// action never verifies it), and its history.

import { h, replace, day, humanize, monthsAhead } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, printButton, loading, toast, chip, stateChip, field, openDialog, writeButton, facts, section, followView, actionFields } from '../ui.js';
import { userOptions, person, personName } from '../directory.js';
import { timeline } from './risk.js';
import { evidenceSection } from '../evidence.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const head = h('div', pageHeader(`Nonconformity ${id}`, { back: ['#/nonconformities', 'Nonconformities'] }));
  const body = h('div', loading());
  // Made once: a redraw of the page keeps it (it follows the evidence view itself).
  const evidence = evidenceSection(ctx, 'nonconformity', id, { hint: 'What shows the corrective actions were taken and work' });
  const page = h('div', head, body);

  const reload = followView(ctx, 'nonconformity', { body, params: () => ({ id }), draw });

  function draw(n) {
    evidence.setParts('corrective action', (n.actions || []).map((a) => [a.action_id, `${a.action_id} · ${a.description}`]));
    const s = n.state;
    const actionsPlanned = (n.actions || []).length > 0;
    replace(head, pageHeader(n.description || `Nonconformity ${id}`, {
      back: ['#/nonconformities', 'Nonconformities'],
      subtitle: h('span.row', h('span.id-cell', n.id), stateChip(s), chip(humanize(n.severity), n.severity === 'major' ? 'bad' : n.severity === 'minor' ? 'warn' : 'neutral'),
        n.overdue_actions ? chip(`${n.overdue_actions} overdue`, 'bad') : null),
      // The state's admitted commands come with the nonconformity; of the
      // steps the domain allows to record again, the screen offers the next.
      actions: [
        printButton(`nonconformity-${n.id}`, 'Print the report'),
        !n.containment ? writeButton('nc.record_containment', 'Record reaction', () => textDialog(n, 'nc.record_containment', 'React and contain (10.2 a)', 'What was done to control and correct it, and deal with the consequences'), { on: n }) : null,
        !n.root_cause ? writeButton('nc.record_root_cause', 'Record root cause', () => textDialog(n, 'nc.record_root_cause', 'Root cause (10.2 b 2)', 'Why it happened'), { on: n }) : null,
        !n.similar_checked ? writeButton('nc.record_similar_check', 'Record similar check', () => similarDialog(n), { on: n }) : null,
        writeButton('nc.plan_action', 'Plan an action', () => planDialog(n), { kind: actionsPlanned ? 'quiet' : 'primary', on: n }),
        writeButton('nc.close', 'Close', () => closeDialog(n), { on: n }),
      ],
    }));
    const steps = n.steps || [];
    const firstOpen = steps.findIndex((x) => !x.done);
    replace(body,
      h('div.grid-2',
        section('The steps of 10.2', h('ol.steps', steps.map((x, k) => h('li', { class: x.done ? 'done' : k === firstOpen ? 'current' : null },
          h('div.step-code', x.step), h('div.step-title', x.title), stepDetail(x.detail))))),
        section('Facts', facts([
          ['Source', humanize(n.source)], ['Reference', n.reference], ['Raised', h('span', day(n.raised_on), ' by ', person(n.raised_by))],
          n.audit_id ? ['Audit', h('a', { href: '#/audits' }, `${n.audit_id} / ${n.finding_id}`)] : null,
          n.review_id ? ['Management review', h('a', { href: `#/reviews/${encodeURIComponent(n.review_id)}` }, n.review_id)] : null,
          ['Containment', n.containment || '—'], ['Root cause', n.root_cause || '—'],
          ['Similar nonconformities', n.similar_checked ? (n.similar_found ? 'found' : 'none found') : 'not checked yet'],
          n.closed_on ? ['Closed', day(n.closed_on)] : null,
        ]))),
      section('Corrective actions', actionsTable(n)),
      evidence,
      section('History', timeline(n.history || [])));
  }

  function stepDetail(d) {
    if (!d || typeof d !== 'object') return null;
    const parts = [];
    if (d.description) parts.push(d.description);
    if (d.on) parts.push(['on ', day(d.on)]);
    if (d.by) parts.push(['by ', person(d.by)]);
    if ('planned' in d) parts.push(`${d.done ?? 0} of ${d.planned} actions done`);
    if ('verified' in d) parts.push(`${d.verified} verified${d.ineffective_verifications ? `, ${d.ineffective_verifications} found ineffective` : ''}`);
    return parts.length ? h('div.step-detail', parts.flatMap((p, k) => (k ? [' · ', p] : [p]))) : null;
  }

  function actionsTable(n) {
    const actions = n.actions || [];
    if (!actions.length) return h('p.muted', 'No corrective action planned yet.');
    return h('div.table-wrap', h('table.data.responsive',
      h('thead', h('tr', h('th', 'Action'), h('th', 'Owner'), h('th', 'Due'), h('th', 'Status'), h('th', 'Evidence and verification'), h('th', h('span.sr-only', 'Actions')))),
      h('tbody', actions.map((a) => h('tr', { dataset: { action: a.action_id } },
        h('td.cell-main', { 'data-label': 'Action' }, h('span.id-cell', a.action_id), ' ', a.description),
        h('td', { 'data-label': 'Owner' }, person(a.owner)),
        h('td', { 'data-label': 'Due' }, h('span', { class: a.overdue ? 'overdue' : null }, day(a.due_on), a.overdue ? ' · overdue' : '')),
        h('td', { 'data-label': 'Status' }, stateChip(a.status, null, 'corrective_actions')),
        h('td', { 'data-label': 'Evidence' },
          a.evidence ? h('div', a.evidence, h('div.muted', { style: 'font-size:.82rem' }, 'done ', day(a.completed_on), ' by ', person(a.completed_by))) : h('span.muted', '—'),
          a.verified_by ? h('div.muted', { style: 'font-size:.82rem' }, 'verified ', day(a.verified_on), ' by ', person(a.verified_by), a.verification_notes ? `: ${a.verification_notes}` : '') : null,
          a.ineffective_verifications ? h('div.overdue', { style: 'font-size:.82rem' }, `${a.ineffective_verifications} verification(s) found it ineffective`) : null),
        h('td', { 'data-label': '' },
          writeButton('nc.complete_action', 'Mark done', () => completeDialog(n, a), { small: true, on: a, owner: a.owner }),
          writeButton('nc.verify_action', 'Verify', () => verifyDialog(n, a), { small: true, on: a }),
          (a.allowed_commands || []).includes('nc.verify_action') && app.barredOn(a, 'nc.verify_action') && app.roleAllows('nc.verify_action') ? h('span.muted', { style: 'font-size:.8rem' }, 'someone else verifies your action') : null))))));
  }

  await reload();
  return page;
}

function textDialog(n, type, title, label) {
  openDialog({
    title,
    fields: [field({ label, name: 'description', type: 'textarea', required: true })],
    submitLabel: 'Record',
    onSubmit: async (v) => {
      await app.command(type, n.stream, { description: v.description }, { expectedVersion: n.version });
      toast('Recorded.', { kind: 'ok' });
    },
  });
}

function similarDialog(n) {
  openDialog({
    title: 'Similar nonconformities (10.2 b 3)',
    intro: 'Do similar nonconformities exist, or could they occur?',
    fields: [
      field({ label: 'Similar nonconformities found', name: 'similar_found', type: 'checkbox' }),
      field({ label: 'Details', name: 'details', type: 'textarea', required: true }),
      field({ label: 'Related nonconformities', name: 'related_ncs', hint: 'Ids separated by commas (optional)' }),
    ],
    submitLabel: 'Record',
    onSubmit: async (v) => {
      await app.command('nc.record_similar_check', n.stream, {
        similar_found: !!v.similar_found, details: v.details,
        related_ncs: String(v.related_ncs || '').split(/[\s,;]+/).filter(Boolean),
      }, { expectedVersion: n.version });
      toast('Recorded.', { kind: 'ok' });
    },
  });
}

async function planDialog(n) {
  const owners = await userOptions();
  openDialog({
    title: 'Plan a corrective action (10.2 c)',
    fields: h('div.form-grid',
      actionFields((n.actions || []).map((a) => a.action_id), owners),
      h('div.span-2', field({ label: 'What will be done', name: 'description', type: 'textarea', required: true })),
      field({ label: 'Due', name: 'due_date', type: 'date', value: monthsAhead(n, 1), required: true })),
    submitLabel: 'Plan action',
    onSubmit: async (v) => {
      await app.command('nc.plan_action', n.stream, { action_id: v.action_id, description: v.description, owner: v.owner, due_date: v.due_date }, { expectedVersion: n.version });
      toast(`Action ${v.action_id} planned; ${personName(v.owner)} is told.`, { kind: 'ok' });
    },
  });
}

function completeDialog(n, a) {
  openDialog({
    title: `Mark action ${a.action_id} done`,
    intro: a.description,
    fields: [field({ label: 'Evidence', name: 'evidence', type: 'textarea', required: true, hint: 'What shows it is done: a ticket, a document, a configuration.' })],
    submitLabel: 'Mark done',
    onSubmit: async (v) => {
      await app.command('nc.complete_action', n.stream, { action_id: a.action_id, evidence: v.evidence });
      toast('Action marked done. Someone other than you verifies its effectiveness.', { kind: 'ok' });
    },
  });
}

function verifyDialog(n, a) {
  openDialog({
    title: `Verify action ${a.action_id} (10.2 d)`,
    intro: `${a.description} — evidence: ${a.evidence}`,
    fields: [
      field({ label: 'Effective', name: 'effective', type: 'select', options: [['yes', 'Yes — it removed the cause'], ['no', 'No — not effective']], value: 'yes' }),
      field({ label: 'Notes', name: 'notes', type: 'textarea', required: true }),
    ],
    submitLabel: 'Record verification',
    onSubmit: async (v) => {
      await app.command('nc.verify_action', n.stream, { action_id: a.action_id, effective: v.effective === 'yes', notes: v.notes });
      toast('Verification recorded.', { kind: 'ok' });
    },
  });
}

function closeDialog(n) {
  openDialog({
    title: `Close ${n.id}`,
    intro: 'Every action is verified. Closing retains the nonconformity and its actions as documented information (10.2 f–g).',
    fields: [field({ label: 'Comment', name: 'comment', type: 'textarea', required: true })],
    submitLabel: 'Close nonconformity',
    onSubmit: async (v) => {
      await app.command('nc.close', n.stream, { comment: v.comment }, { expectedVersion: n.version, comment: v.comment });
      toast(`${n.id} closed.`, { kind: 'ok' });
    },
  });
}
