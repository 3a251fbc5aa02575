// One information security incident: what was reported, its triage (event
// or incident, severity, handler, the risks it touches), containment,
// evidence, resolution and the lessons learned, with its history. The
// commands the incident's state admits come with it (allowed_commands); risk
// owners and contributors act on the incidents they handle.

import { h, replace, day, humanize } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, toast, chip, stateChip, field, openDialog, writeButton, facts, section, followView, riskIds } from '../ui.js';
import { userOptions, person } from '../directory.js';
import { timeline } from './risk.js';
import { evidenceSection } from '../evidence.js';
import { SEVERITY_TONE } from './incidents.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const back = ['#/incidents', 'Incidents'];
  const head = h('div', pageHeader(`Incident ${id}`, { back }));
  const body = h('div', loading());
  // Made once: a redraw of the page keeps it (it follows the evidence view itself).
  const evidence = evidenceSection(ctx, 'incident', id, { hint: 'What was collected (A.5.28): logs, screenshots, reports' });
  const page = h('div', head, body);

  const reload = followView(ctx, 'incident', { body, params: () => ({ id }), draw });

  function draw(i) {
    const stream = `incident-${i.id}`;
    const an_event = i.classification === 'event';
    replace(head, pageHeader(i.title || `Incident ${id}`, {
      back,
      subtitle: h('span.row', h('span.id-cell', i.id), stateChip(i.state, null, 'incidents'),
        i.severity ? chip(humanize(i.severity), SEVERITY_TONE[i.severity] || 'neutral') : chip('Not triaged', 'warn'),
        an_event ? chip('Event, not an incident', 'neutral') : null),
      actions: [
        writeButton('incident.triage', i.classification ? 'Triage again' : 'Triage', () => triageDialog(i, stream), { on: i, kind: i.classification ? 'quiet' : 'primary' }),
        writeButton('incident.record_containment', 'Record containment', () => textDialog(stream, 'incident.record_containment', 'Contain the incident (A.5.26)', 'What was done to stop it spreading and limit the harm'), { on: i, owner: i.handler }),
        writeButton('incident.resolve', 'Resolve', () => textDialog(stream, 'incident.resolve', 'Resolve the incident', 'How it was resolved and operations restored'), { on: i, owner: i.handler }),
        writeButton('incident.record_evidence', 'Record evidence', () => textDialog(stream, 'incident.record_evidence', 'Evidence collected (A.5.28)', 'What was collected, and where it is kept'), { on: i, owner: i.handler, kind: 'quiet' }),
        writeButton('incident.close', 'Close with lessons learned', () => closeDialog(i, stream), { on: i }),
      ],
    }));
    replace(body,
      h('div.grid-2',
        section('What was reported', h('p.prose', i.description), facts([
          ['Reported', h('span', day(i.reported_on), ' by ', person(i.reported_by))],
          i.occurred_on ? ['Happened', day(i.occurred_on)] : null,
          i.affected ? ['Affected', i.affected] : null,
        ])),
        section('Triage (A.5.25)', i.classification ? facts([
          ['Classified as', an_event ? 'An information security event, not an incident' : 'An information security incident'],
          ['Severity', humanize(i.severity)],
          i.category ? ['Category', i.category] : null,
          ['Handler', person(i.handler)],
          i.triage_notes ? ['Notes', i.triage_notes] : null,
          (i.related_risks || []).length ? ['Risks it touches', h('span', i.related_risks.map((r, k) => [k ? ', ' : '', h('a', { href: `#/risks/${encodeURIComponent(r)}` }, r)]))] : null,
          ['Triaged', h('span', day(i.triaged_on), ' by ', person(i.triaged_by))],
        ]) : h('p.muted', 'Waiting for an ISMS manager to triage it.'))),
      h('div.grid-2',
        section('Response', facts([
          ['Contained (A.5.26)', record(i.containment)],
          ['Resolved', record(i.resolution)],
          i.state === 'closed' ? ['Lessons learned (A.5.27)', i.lessons] : null,
          i.closed_on ? ['Closed', h('span', day(i.closed_on), ' by ', person(i.closed_by))] : null,
          i.nc_id ? ['Nonconformity raised', h('a', { href: `#/nonconformities/${encodeURIComponent(i.nc_id)}` }, i.nc_id)] : null,
          i.risk_id ? ['Risk identified', h('a', { href: `#/risks/${encodeURIComponent(i.risk_id)}` }, i.risk_id)] : null,
        ])),
        section('Evidence (A.5.28)', (i.evidence || []).length
          ? h('ul.evidence-list', i.evidence.map((e) => h('li', e.description, h('div.muted', { style: 'font-size:.82rem' }, day(e.on), ' by ', person(e.by)))))
          : h('p.muted', 'No evidence recorded yet.'))),
      evidence,
      section('History', timeline(i.history || [])));
  }

  function record(r) {
    if (!r || !r.description) return h('span.muted', 'not yet');
    return h('span', r.description, h('span.muted', ' — ', day(r.on), ' by ', person(r.by)));
  }

  await reload();
  return page;
}

async function handlerOptions() {
  const lists = await Promise.all(['isms_manager', 'risk_owner', 'contributor'].map((r) => userOptions(r)));
  const seen = new Set();
  return lists.flat().filter(([v]) => !seen.has(v) && seen.add(v)).sort((a, b) => a[1].localeCompare(b[1]));
}

async function triageDialog(i, stream) {
  const handlers = await handlerOptions();
  openDialog({
    title: `Triage ${i.id}`,
    intro: 'An information security event that is not an incident is closed with the reason; an incident is contained, resolved and learnt from.',
    fields: h('div.form-grid',
      field({ label: 'This is', name: 'classification', type: 'select', value: i.classification || 'incident', options: [['incident', 'An incident'], ['event', 'An event, not an incident']], required: true }),
      field({ label: 'Severity', name: 'severity', type: 'select', value: i.severity || 'medium', options: ['low', 'medium', 'high', 'critical'], required: true }),
      field({ label: 'Handler', name: 'handler', type: 'select', value: i.handler || app.user.id, options: handlers, required: true }),
      field({ label: 'Category', name: 'category', value: i.category || '', placeholder: 'e.g. phishing, lost device, malware' }),
      h('div.span-2', field({ label: 'Risks it touches (ids, separated by commas)', name: 'related_risks', value: (i.related_risks || []).join(', '), placeholder: 'e.g. R-4, R-12', hint: 'Their owners are told to reassess them.' })),
      h('div.span-2', field({ label: 'Notes', name: 'notes', type: 'textarea', value: i.triage_notes || '' }))),
    submitLabel: 'Save triage',
    onSubmit: async (v) => {
      const related = riskIds(v.related_risks);
      const data = { classification: v.classification, severity: v.severity, handler: v.handler, related_risks: related };
      if (v.category) data.category = v.category;
      if (v.notes) data.notes = v.notes;
      await app.command('incident.triage', stream, data);
      toast(`Incident ${i.id} triaged.`, { kind: 'ok' });
    },
  });
}

function textDialog(stream, type, title, label) {
  openDialog({
    title,
    fields: field({ label, name: 'description', type: 'textarea', rows: 4, required: true }),
    onSubmit: async (v) => {
      await app.command(type, stream, { description: v.description });
      toast('Recorded.', { kind: 'ok' });
    },
  });
}

async function closeDialog(i, stream) {
  const owners = await userOptions();
  const risk = h('div.form-grid', { hidden: true },
    h('div.span-2', field({ label: 'Risk title', name: 'risk_title', placeholder: 'e.g. Invoice portal accepts reused passwords' })),
    field({ label: 'Asset', name: 'risk_asset' }),
    field({ label: 'Threat', name: 'risk_threat' }),
    field({ label: 'Vulnerability', name: 'risk_vulnerability' }),
    field({ label: 'Category', name: 'risk_category', value: i.category || '' }),
    field({ label: 'Risk owner', name: 'risk_owner', type: 'select', value: i.handler, options: owners }));
  const identify = field({ label: 'These lessons show a new risk: identify it (6.1.2)', name: 'identify_risk', type: 'checkbox' });
  identify.querySelector('input').addEventListener('change', (e) => {
    risk.hidden = !e.target.checked;
    for (const n of ['risk_title', 'risk_asset', 'risk_threat', 'risk_vulnerability', 'risk_category'])
      risk.querySelector(`[name=${n}]`).required = e.target.checked;
  });
  const nc = h('div.form-grid', { hidden: true },
    field({ label: 'Clause or control not met', name: 'nc_reference', placeholder: 'e.g. A.5.17 or 7.3' }),
    field({ label: 'Severity of the nonconformity', name: 'nc_severity', type: 'select', value: 'minor', options: [['major', 'Major'], ['minor', 'Minor'], ['observation', 'Observation']] }));
  const raise = field({ label: 'Raise a nonconformity from these lessons (10.2)', name: 'raise_nonconformity', type: 'checkbox' });
  raise.querySelector('input').addEventListener('change', (e) => {
    nc.hidden = !e.target.checked;
    nc.querySelector('input[name=nc_reference]').required = e.target.checked;
  });
  openDialog({
    title: `Close ${i.id}`,
    intro: i.classification === 'event' ? 'Say why this is not an incident.' : 'What was learnt, so that it does not happen again (A.5.27).',
    fields: h('div', field({ label: i.classification === 'event' ? 'Why it is not an incident' : 'Lessons learned', name: 'lessons', type: 'textarea', rows: 4, required: true }), raise, nc, identify, risk),
    submitLabel: 'Close',
    onSubmit: async (v) => {
      const data = { lessons: v.lessons };
      if (v.raise_nonconformity) Object.assign(data, { raise_nonconformity: true, nc_reference: v.nc_reference, nc_severity: v.nc_severity });
      if (v.identify_risk) {
        data.new_risk = { title: v.risk_title, asset: v.risk_asset, threat: v.risk_threat, vulnerability: v.risk_vulnerability, owner: v.risk_owner, category: v.risk_category };
      }
      await app.command('incident.close', stream, data);
      const follows = [v.raise_nonconformity ? 'the nonconformity is being raised' : '', v.identify_risk ? 'the risk is being identified' : ''].filter(Boolean);
      toast(follows.length ? `Incident ${i.id} closed; ${follows.join(' and ')}.` : `Incident ${i.id} closed.`, { kind: 'ok' });
    },
  });
}
