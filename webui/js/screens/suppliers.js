// Suppliers (A.5.19–5.23): the register with each supplier's criticality,
// whether top management accepted it, its last assessment and when the next
// is due; the form to register one.

import { h, replace, day, humanize } from '../dom.js';
import { app } from '../state.js';
import { toast, chip, stateChip, field, openDialog, empty, registerScreen, queryParams, queryFilters, kpi, riskIds } from '../ui.js';
import { userOptions, nextId, person } from '../directory.js';

export const CRITICALITY_TONE = { low: 'neutral', medium: 'info', high: 'warn', critical: 'bad' };
export const RESULT_TONE = { satisfactory: 'ok', conditional: 'warn', unsatisfactory: 'bad' };

export async function render(ctx) {
  const q = { state: '', criticality: '', assessment_due: '', ...ctx.query };
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Suppliers',
    subtitle: 'Who handles our information, under which security requirements, accepted by top management and assessed regularly (A.5.19–5.23).',
    action: ['supplier.register', '+ Register a supplier', registerDialog],
    view: 'suppliers',
    csv: [['suppliers', 'Suppliers']],
    params: () => queryParams(q, ['state', 'criticality'], ['assessment_due']),
    draw,
  });

  function draw(data) {
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list);
    }
    const all = data.suppliers || [];
    const c = data.by_criticality || {};
    const r = data.by_last_result || {};
    replace(top, h('div.kpis',
      kpi((data.by_state || {}).accepted ?? 0, 'Accepted'),
      kpi(all.filter((s) => s.state !== 'terminated' && (!s.accepted || s.changed_since_acceptance)).length, 'Not accepted as recorded', ''),
      kpi((c.critical ?? 0) + (c.high ?? 0), 'High or critical'),
      kpi(data.assessments_due ?? 0, 'Assessments due', data.assessments_due ? 'bad' : 'ok'),
      kpi(r.unsatisfactory ?? 0, 'Last assessed unsatisfactory', r.unsatisfactory ? 'bad' : '')));
    if (!all.length) {
      replace(list, empty('No supplier', q.state || q.criticality || q.assessment_due ? 'No supplier matches the filters.' : 'Register the suppliers that handle the organisation\u2019s information.'));
      return;
    }
    replace(list, h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Suppliers' },
      h('thead', h('tr', h('th', 'Supplier'), h('th', 'Criticality'), h('th', 'Acceptance'), h('th', 'Last assessment'), h('th', 'Next due'), h('th', 'Owner'))),
      h('tbody', all.map((s) => h('tr', { dataset: { supplier: s.id } },
        h('td.cell-main', { 'data-label': 'Supplier' }, h('span.id-cell', s.id), ' ', h('a', { href: `#/suppliers/${encodeURIComponent(s.id)}` }, s.name),
          h('div.muted', { style: 'font-size:.82rem' }, s.services)),
        h('td', { 'data-label': 'Criticality' }, chip(humanize(s.criticality), CRITICALITY_TONE[s.criticality] || 'neutral')),
        h('td', { 'data-label': 'Acceptance' }, acceptance(s)),
        h('td', { 'data-label': 'Last assessment' }, s.last_assessment ? h('span', chip(humanize(s.last_assessment.result), RESULT_TONE[s.last_assessment.result] || 'neutral'), ' ', day(s.last_assessment.on)) : h('span.muted', 'none yet')),
        h('td', { 'data-label': 'Next due' }, s.next_due ? h('span', { class: s.assessment_due ? 'overdue' : null }, day(s.next_due), s.assessment_due ? ' · due' : '') : h('span.muted', '—')),
        h('td', { 'data-label': 'Owner' }, person(s.owner))))))));
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters',
      f.select('state', 'State', ['registered', 'accepted', 'terminated']),
      f.select('criticality', 'Criticality', ['low', 'medium', 'high', 'critical']),
      f.flag('assessment_due', 'Only with an assessment due'));
  }

  await reload();
  return page;
}

// Where the supplier's acceptance stands, in words.
export function acceptance(s) {
  if (s.state === 'terminated') return stateChip('terminated', null, 'suppliers');
  if (s.awaiting_acceptance) return chip('Awaiting acceptance', 'warn');
  if (s.accepted && s.changed_since_acceptance) return chip('Changed since accepted', 'warn');
  if (s.accepted) return chip('Accepted', 'ok');
  return chip('Not accepted yet', 'neutral');
}

export async function registerDialog(data) {
  const owners = await userOptions();
  openDialog({
    title: 'Register a supplier',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Id', name: 'supplier_id', value: nextId('S-', ((data && data.suppliers) || []).map((s) => s.id)), required: true }),
      field({ label: 'Name', name: 'name', required: true }),
      h('div.span-2', field({ label: 'Services', name: 'services', type: 'textarea', rows: 2, required: true })),
      h('div.span-2', field({ label: 'Information it handles', name: 'data_handled', type: 'textarea', rows: 2, required: true, placeholder: 'e.g. customer contact data, shipment data' })),
      field({ label: 'Criticality', name: 'criticality', type: 'select', value: 'medium', options: ['low', 'medium', 'high', 'critical'], required: true }),
      field({ label: 'Relationship owner', name: 'owner', type: 'select', options: [['', 'Choose…'], ...owners], required: true }),
      h('div.span-2', field({ label: 'Security requirements in the agreement (A.5.20)', name: 'security_requirements', type: 'textarea', rows: 3, required: true })),
      field({ label: 'Agreement', name: 'agreement', placeholder: 'e.g. MSA-2025-07' }),
      field({ label: 'Linked risks (ids, separated by commas)', name: 'linked_risks', placeholder: 'e.g. R-02' })),
    submitLabel: 'Register',
    onSubmit: async (v) => {
      const body = { ...v, linked_risks: riskIds(v.linked_risks) };
      if (!body.agreement) delete body.agreement;
      await app.command('supplier.register', `supplier-${v.supplier_id}`, body, { expectedVersion: 0 });
      toast(`Supplier ${v.supplier_id} registered. Request its acceptance when the terms are complete.`, { kind: 'ok' });
      location.hash = `#/suppliers/${encodeURIComponent(v.supplier_id)}`;
    },
  });
}


