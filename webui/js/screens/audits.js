// The internal audit programme (9.2): planned audits, their findings (a
// finding of nonconformity raises a nonconformity by itself) and reports.

import { h, replace, day, humanize, todayUtc, monthsAhead } from '../dom.js';
import { app } from '../state.js';
import { toast, stateChip, chip, field, openDialog, writeButton, empty, facts, registerScreen } from '../ui.js';
import { userOptions, nextId, person } from '../directory.js';
import { evidenceDisclosure } from '../evidence.js';

const FINDING_TONE = { nonconformity_major: 'bad', nonconformity_minor: 'warn', observation: 'neutral', opportunity: 'info' };

export async function render(ctx) {
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Internal audits',
    subtitle: 'The audit programme: scope, criteria, auditors, findings and reports (9.2).',
    action: ['audit.plan', '+ Plan an audit', planDialog],
    view: 'audits',
    csv: [['internal_audits', 'Audits'], ['audit_findings', 'Findings']],
    draw,
  });

  function draw(data) {
    const audits = (data.audits || []).slice().sort((a, b) => (a.planned_start < b.planned_start ? 1 : -1));
    const b = data.by_state || {};
    replace(body,
      h('div.kpis',
        h('div.kpi', h('div.kpi-value', String(b.planned ?? 0)), h('div.kpi-label', 'Planned')),
        h('div.kpi', h('div.kpi-value', String(b.performed ?? 0)), h('div.kpi-label', 'Performed, report pending')),
        h('div.kpi.ok', h('div.kpi-value', String(b.reported ?? 0)), h('div.kpi-label', 'Reported')),
        h('div.kpi', { class: audits.some((a) => a.overdue) ? 'bad' : '' }, h('div.kpi-value', String(audits.filter((a) => a.overdue).length)), h('div.kpi-label', 'Overdue'))),
      audits.length ? audits.map(card) : empty('No audit in the programme', 'The ISMS manager plans internal audits; internal auditors record what they find.'));
  }

  function card(a) {
    return h('article.card', { dataset: { audit: a.id } },
      h('div.row', { style: 'justify-content:space-between;margin-bottom:8px' },
        h('div', h('span.id-cell', a.id), ' ', h('b', a.scope)),
        h('div.row', stateChip(a.state), a.overdue ? chip('Overdue', 'bad') : null)),
      facts([
        ['Area', a.area], ['Criteria', a.criteria], ['Process owner', person(a.process_owner)], ['Lead auditor', person(a.lead_auditor)],
        ['Planned', h('span', day(a.planned_start), ' – ', day(a.planned_end))],
        a.performed_on ? ['Performed', day(a.performed_on)] : null,
        a.reported_on ? ['Reported', h('span', day(a.reported_on), a.conclusion ? `: ${a.conclusion}` : '')] : null,
      ]),
      (a.findings || []).length ? h('ul.timeline', { style: 'margin-top:12px' }, a.findings.map((f) => h('li',
        h('div.tl-when', chip(humanize(f.type), FINDING_TONE[f.type] || 'neutral')),
        h('div', h('div.tl-what', `${f.id} · ${f.reference}`), h('div', f.text),
          f.nc_id ? h('a', { href: `#/nonconformities/${encodeURIComponent(f.nc_id)}` }, `Nonconformity ${f.nc_id}`) : null)))) : null,
      evidenceDisclosure(ctx, 'audit', a.id, null, { label: 'finding', options: (a.findings || []).map((f) => [f.id, `${f.id} · ${f.reference}`]) }),
      h('div.row', { style: 'margin-top:12px' },
        // What the audit's state admits and who may send it come with it
        // (allowed_commands, actors).
        writeButton('audit.record_performed', 'Record performed', () => performedDialog(a), { small: true, on: a }),
        writeButton('audit.record_finding', '+ Finding', () => findingDialog(a), { small: true, on: a }),
        writeButton('audit.issue_report', 'Issue report', () => reportDialog(a), { small: true, kind: 'quiet', on: a })));
  }

  await reload();
  return page;
}

async function planDialog(data) {
  const [auditors, owners] = await Promise.all([userOptions('internal_auditor'), userOptions()]);
  const year = new Date().getUTCFullYear();
  openDialog({
    title: 'Plan an internal audit',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Audit id', name: 'audit_id', value: nextId(`IA-${year}-`, ((data && data.audits) || []).map((a) => a.id)), required: true }),
      field({ label: 'Area', name: 'area', required: true }),
      h('div.span-2', field({ label: 'Scope', name: 'scope', required: true })),
      h('div.span-2', field({ label: 'Criteria', name: 'criteria', required: true, placeholder: 'e.g. ISO/IEC 27001:2022 A.5.15–5.18' })),
      field({ label: 'Lead auditor', name: 'lead_auditor', type: 'select', options: [['', 'Choose…'], ...auditors], required: true }),
      field({ label: 'Process owner', name: 'process_owner', type: 'select', options: [['', 'Choose…'], ...owners], required: true }),
      field({ label: 'Planned start', name: 'planned_start', type: 'date', value: monthsAhead(data, 1), required: true }),
      field({ label: 'Planned end', name: 'planned_end', type: 'date', value: monthsAhead(data, 1), required: true })),
    submitLabel: 'Plan audit',
    onSubmit: async (v) => {
      await app.command('audit.plan', `audit-${v.audit_id}`, v, { expectedVersion: 0 });
      toast(`Audit ${v.audit_id} planned.`, { kind: 'ok' });
    },
  });
}

function performedDialog(a) {
  openDialog({
    title: `Audit ${a.id} performed`,
    fields: [
      field({ label: 'Performed on', name: 'performed_on', type: 'date', value: todayUtc(), required: true }),
      field({ label: 'Auditors', name: 'auditors', value: [a.lead_auditor, ...(a.auditors || [])].filter((x, i, s) => x && s.indexOf(x) === i).join(', '), required: true, hint: 'User ids separated by commas' }),
      field({ label: 'Summary', name: 'summary', type: 'textarea' }),
    ],
    submitLabel: 'Record',
    onSubmit: async (v) => {
      await app.command('audit.record_performed', a.stream, { performed_on: v.performed_on, auditors: v.auditors.split(/[\s,;]+/).filter(Boolean), summary: v.summary }, { expectedVersion: a.version });
      toast('Recorded.', { kind: 'ok' });
    },
  });
}

function findingDialog(a) {
  openDialog({
    title: `Finding of audit ${a.id}`,
    intro: 'A finding of nonconformity raises a nonconformity for the ISMS manager.',
    fields: [
      field({ label: 'Finding id', name: 'finding_id', value: nextId('F', (a.findings || []).map((f) => f.id)), required: true }),
      field({ label: 'Type', name: 'type', type: 'select', options: [['nonconformity_major', 'Major nonconformity'], ['nonconformity_minor', 'Minor nonconformity'], ['observation', 'Observation'], ['opportunity', 'Opportunity for improvement']] }),
      field({ label: 'Clause or control', name: 'reference', required: true }),
      field({ label: 'Finding', name: 'text', type: 'textarea', required: true }),
    ],
    submitLabel: 'Record finding',
    onSubmit: async (v) => {
      await app.command('audit.record_finding', a.stream, v);
      toast('Finding recorded.', { kind: 'ok' });
    },
  });
}

function reportDialog(a) {
  openDialog({
    title: `Report of audit ${a.id}`,
    fields: [
      field({ label: 'Summary', name: 'summary', type: 'textarea', required: true }),
      field({ label: 'Conclusion', name: 'conclusion', type: 'textarea', required: true }),
    ],
    submitLabel: 'Issue report',
    onSubmit: async (v) => {
      await app.command('audit.issue_report', a.stream, v, { expectedVersion: a.version });
      toast('Report issued.', { kind: 'ok' });
    },
  });
}
