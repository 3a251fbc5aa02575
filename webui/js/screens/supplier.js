// One supplier: the terms recorded (and, once accepted, what top management
// accepted and whether the terms changed since), its assessments, and its
// history. The commands its state admits come with it (allowed_commands).

import { h, replace, day, humanize, monthsAhead } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, toast, chip, field, openDialog, writeButton, facts, section, followView, requestApprovalDialog, riskIds } from '../ui.js';
import { userOptions, person } from '../directory.js';
import { timeline } from './risk.js';
import { evidenceSection } from '../evidence.js';
import { CRITICALITY_TONE, RESULT_TONE, acceptance } from './suppliers.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const back = ['#/suppliers', 'Suppliers'];
  const head = h('div', pageHeader(`Supplier ${id}`, { back }));
  const body = h('div', loading());
  // Made once: a redraw of the page keeps it (it follows the evidence view itself).
  const evidence = evidenceSection(ctx, 'supplier', id, { hint: 'Agreements, certificates, assessment reports' });
  const page = h('div', head, body);

  const reload = followView(ctx, 'supplier', { body, params: () => ({ id }), draw });

  function draw(s) {
    replace(head, pageHeader(s.name || `Supplier ${id}`, {
      back,
      subtitle: h('span.row', h('span.id-cell', s.id), chip(humanize(s.criticality), CRITICALITY_TONE[s.criticality] || 'neutral'), acceptance(s)),
      actions: [
        writeButton('supplier.request_acceptance', s.changed_since_acceptance ? 'Request acceptance of the changes' : 'Request acceptance', () => requestApprovalDialog('supplier.request_acceptance', s, {
          title: `Acceptance of ${s.name}`,
          intro: 'Top management accepts the supplier with the terms recorded now; a later change is accepted again.',
          done: 'Acceptance requested from top management.',
        }), { on: s }),
        writeButton('supplier.record_assessment', 'Record assessment', () => assessmentDialog(s), { on: s, owner: s.owner, kind: s.assessment_due ? 'primary' : 'quiet' }),
        writeButton('supplier.change', 'Change terms', () => changeDialog(s), { on: s, kind: 'quiet' }),
        writeButton('supplier.terminate', 'Terminate', () => terminateDialog(s), { on: s, kind: 'quiet' }),
      ],
    }));
    replace(body,
      h('div.grid-2',
        section('Terms recorded', facts([
          ['Services', s.services], ['Information it handles', s.data_handled],
          ['Security requirements in the agreement (A.5.20)', s.security_requirements],
          s.agreement ? ['Agreement', s.agreement] : null,
          ['Relationship owner', person(s.owner)],
          (s.linked_risks || []).length ? ['Linked risks', h('span', s.linked_risks.map((r, k) => [k ? ', ' : '', h('a', { href: `#/risks/${encodeURIComponent(r)}` }, r)]))] : null,
          ['Registered', h('span', day(s.registered_on), ' by ', person(s.registered_by))],
        ])),
        section('Acceptance and assessment', facts([
          ['Acceptance', s.accepted ? h('span', 'by ', (s.accepted_by || []).map((u, k) => [k ? ', ' : '', person(u)]), ' on ', day(s.accepted_on), s.changed_since_acceptance ? h('span.overdue', ' · the terms changed since') : '') : (s.awaiting_acceptance ? 'awaiting top management' : 'not accepted yet')],
          ['Last assessment (A.5.22)', s.last_assessment ? h('span', chip(humanize(s.last_assessment.result), RESULT_TONE[s.last_assessment.result] || 'neutral'), ' ', day(s.last_assessment.on), ' by ', person(s.last_assessment.by), h('div', s.last_assessment.findings)) : h('span.muted', 'none yet')],
          ['Next assessment due', s.next_due ? h('span', { class: s.assessment_due ? 'overdue' : null }, day(s.next_due), s.assessment_due ? ' · due now' : '') : '—'],
          s.terminated_on ? ['Terminated', h('span', day(s.terminated_on), ': ', s.termination_reason)] : null,
        ]))),
      evidence,
      section('History', timeline(s.history || [])));
  }

  await reload();
  return page;
}

function assessmentDialog(s) {
  openDialog({
    title: `Assess ${s.name}`,
    intro: 'How the supplier met the security requirements of its agreement since the last assessment (A.5.22).',
    fields: h('div.form-grid',
      field({ label: 'Result', name: 'result', type: 'select', value: 'satisfactory', options: ['satisfactory', 'conditional', 'unsatisfactory'], required: true }),
      field({ label: 'Next assessment due', name: 'next_due', type: 'date', value: monthsAhead(s, 12), required: true }),
      h('div.span-2', field({ label: 'Findings', name: 'findings', type: 'textarea', rows: 3, required: true }))),
    submitLabel: 'Record',
    onSubmit: async (v) => {
      await app.command('supplier.record_assessment', s.stream, v);
      toast('Assessment recorded.', { kind: 'ok' });
    },
  });
}

async function changeDialog(s) {
  const owners = await userOptions();
  openDialog({
    title: `Change the terms of ${s.name}`,
    intro: s.accepted ? 'An accepted supplier stays in use; the changed terms are put to top management again.' : null,
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Name', name: 'name', value: s.name, required: true }),
      field({ label: 'Criticality', name: 'criticality', type: 'select', value: s.criticality, options: ['low', 'medium', 'high', 'critical'], required: true }),
      h('div.span-2', field({ label: 'Services', name: 'services', type: 'textarea', rows: 2, value: s.services, required: true })),
      h('div.span-2', field({ label: 'Information it handles', name: 'data_handled', type: 'textarea', rows: 2, value: s.data_handled, required: true })),
      h('div.span-2', field({ label: 'Security requirements in the agreement', name: 'security_requirements', type: 'textarea', rows: 3, value: s.security_requirements, required: true })),
      field({ label: 'Agreement', name: 'agreement', value: s.agreement }),
      field({ label: 'Relationship owner', name: 'owner', type: 'select', value: s.owner, options: owners, required: true }),
      field({ label: 'Linked risks', name: 'linked_risks', value: (s.linked_risks || []).join(', ') }),
      h('div.span-2', field({ label: 'Why', name: 'reason', required: true }))),
    submitLabel: 'Save',
    onSubmit: async (v) => {
      const data = { reason: v.reason };
      for (const k of ['name', 'criticality', 'services', 'data_handled', 'security_requirements', 'agreement', 'owner'])
        if (v[k] !== (s[k] ?? '')) data[k] = v[k];
      const risks = riskIds(v.linked_risks);
      if (JSON.stringify(risks) !== JSON.stringify(s.linked_risks || [])) data.linked_risks = risks;
      await app.command('supplier.change', s.stream, data, { expectedVersion: s.version });
      toast('Terms changed.', { kind: 'ok' });
    },
  });
}

function terminateDialog(s) {
  openDialog({
    title: `Terminate the relationship with ${s.name}`,
    fields: field({ label: 'Why, and how information and access were returned or removed', name: 'reason', type: 'textarea', rows: 3, required: true }),
    submitLabel: 'Terminate',
    danger: true,
    onSubmit: async (v) => {
      await app.command('supplier.terminate', s.stream, { reason: v.reason }, { expectedVersion: s.version });
      toast('Relationship terminated.', { kind: 'ok' });
    },
  });
}
