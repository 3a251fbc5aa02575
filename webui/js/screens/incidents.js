// Information security incidents (A.5.24–5.28, 6.8): the register by state
// and severity, and the simplest form of the product: anyone who signs in
// reports what happened; the ISMS managers are told at once.

import { h, replace, day, humanize, todayUtc } from '../dom.js';
import { app } from '../state.js';
import { toast, chip, stateChip, field, openDialog, empty, registerScreen, queryParams, queryFilters, kpi } from '../ui.js';
import { nextId, person } from '../directory.js';

export const SEVERITY_TONE = { low: 'neutral', medium: 'warn', high: 'bad', critical: 'bad' };

export async function render(ctx) {
  const q = { state: '', severity: '', classification: '', ...ctx.query };
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Information security incidents',
    subtitle: 'Report, triage, contain, resolve, learn (A.5.24–5.28); anyone may report what they noticed (A.6.8).',
    action: ['incident.report', '+ Report an incident', reportDialog],
    view: 'incidents',
    csv: [['incidents', 'Incidents'], ['incident_evidence', 'Evidence']],
    params: () => queryParams(q, ['state', 'severity', 'classification']),
    draw,
  });

  function draw(data) {
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list);
    }
    const all = (data.incidents || []).slice().sort((a, b) => (a.reported_on < b.reported_on ? 1 : a.reported_on > b.reported_on ? -1 : a.id < b.id ? 1 : -1));
    const s = data.by_state || {};
    const sev = data.by_severity || {};
    replace(top, h('div.kpis',
      kpi(data.open ?? 0, 'Open', data.open ? 'warn' : 'ok'),
      kpi(s.reported ?? 0, 'Waiting for triage', s.reported ? 'bad' : ''),
      kpi((sev.high ?? 0) + (sev.critical ?? 0), 'High or critical'),
      kpi(s.closed ?? 0, 'Closed')));
    if (!all.length) {
      replace(list, empty('No incident', q.state || q.severity || q.classification ? 'No incident matches the filters.' : 'Anyone who notices something that may harm information security reports it here.'));
      return;
    }
    replace(list, h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Incidents' },
      h('thead', h('tr', h('th', 'Incident'), h('th', 'Severity'), h('th', 'State'), h('th', 'Reported'), h('th', 'Handler'))),
      h('tbody', all.map((i) => h('tr', { dataset: { incident: i.id } },
        h('td.cell-main', { 'data-label': 'Incident' }, h('span.id-cell', i.id), ' ',
          h('a', { href: `#/incidents/${encodeURIComponent(i.id)}` }, i.title),
          i.classification === 'event' ? h('span.muted', ' · an event, not an incident') : null),
        h('td', { 'data-label': 'Severity' }, i.severity ? chip(humanize(i.severity), SEVERITY_TONE[i.severity] || 'neutral') : h('span.muted', 'not triaged')),
        h('td', { 'data-label': 'State' }, stateChip(i.state, null, 'incidents')),
        h('td', { 'data-label': 'Reported' }, day(i.reported_on), ' by ', person(i.reported_by)),
        h('td', { 'data-label': 'Handler' }, i.handler ? person(i.handler) : h('span.muted', '—'))))))));
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters',
      f.select('state', 'State', ['open', 'reported', 'triaged', 'contained', 'resolved', 'closed']),
      f.select('severity', 'Severity', ['low', 'medium', 'high', 'critical']),
      f.select('classification', 'Kind', ['incident', 'event']));
  }

  await reload();
  return page;
}

// The simplest form of the product: what happened, and when if known.
export async function reportDialog(data) {
  if (!data) {
    try { data = (await app.conn.query('incidents', {})).data; } catch { data = null; }
  }
  const taken = ((data && data.incidents) || []).map((i) => i.id);
  const prefix = `INC-${todayUtc().slice(0, 4)}-`;
  openDialog({
    title: 'Report an incident',
    intro: 'Something that may harm the confidentiality, integrity or availability of information: a lost laptop, a suspicious mail you clicked, a door left open. The ISMS managers are told at once.',
    fields: h('div',
      field({ label: 'In a few words', name: 'title', required: true, placeholder: 'e.g. Laptop left on the train' }),
      field({ label: 'What happened', name: 'description', type: 'textarea', rows: 4, required: true }),
      field({ label: 'When it happened (if you know)', name: 'occurred_on', type: 'date', max: todayUtc() }),
      field({ label: 'What is affected (if you know)', name: 'affected', placeholder: 'e.g. customer data, the ERP system' })),
    submitLabel: 'Report',
    onSubmit: async (v) => {
      // The reporter does not choose the id: the next free one, and the one
      // after it when someone else reported at the same moment.
      let id;
      for (let attempt = 0; ; attempt++) {
        id = nextId(prefix, taken);
        const body = { incident_id: id, title: v.title, description: v.description };
        if (v.occurred_on) body.occurred_on = v.occurred_on;
        if (v.affected) body.affected = v.affected;
        try {
          await app.command('incident.report', `incident-${id}`, body, { expectedVersion: 0 });
          break;
        } catch (err) {
          if (err.code !== 'id_taken' || attempt >= 5) throw err;
          taken.push(id);
        }
      }
      toast(`Incident ${id} reported. Thank you: the ISMS managers have been told.`, { kind: 'ok' });
      location.hash = `#/incidents/${encodeURIComponent(id)}`;
    },
  });
}
