// The asset inventory (A.5.9–5.12): every asset with its owner, type,
// classification and location; a reclassification awaiting its owner's
// approval is flagged; the form to register one.

import { h, replace, day, humanize } from '../dom.js';
import { app } from '../state.js';
import { toast, chip, stateChip, field, openDialog, empty, registerScreen, queryParams, queryFilters, kpi } from '../ui.js';
import { userOptions, nextId, person } from '../directory.js';

export const CLASSIFICATION_TONE = { public: 'neutral', internal: 'info', confidential: 'warn', strictly_confidential: 'bad' };
export const TYPES = ['information', 'software', 'hardware', 'service', 'people', 'site', 'other'];
export const LEVELS = ['public', 'internal', 'confidential', 'strictly_confidential'];

// The inventory as choices for a form: [[id, "A-3 · Name"]], the assets in
// use and those of `keep` (a retired asset a risk stays linked to).
export async function assetOptions(keep = []) {
  const data = await app.query('assets', {});
  return (data.assets || [])
    .filter((a) => a.state !== 'retired' || keep.includes(a.id))
    .map((a) => [a.id, `${a.id} · ${a.name}${a.state === 'retired' ? ' (retired)' : ''}`]);
}

export function classificationChip(level) {
  return chip(app.stateLabel('asset_classifications', level) || humanize(level), CLASSIFICATION_TONE[level] || 'neutral');
}

export async function render(ctx) {
  const q = { state: 'in_use', type: '', classification: '', ...ctx.query };
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Assets',
    subtitle: 'The inventory of information and other associated assets, each with its owner and classification (A.5.9–5.12).',
    action: ['asset.register', '+ Register an asset', registerDialog],
    view: 'assets',
    csv: [['assets', 'Assets']],
    params: () => queryParams(q, ['state', 'type', 'classification']),
    draw,
  });

  function draw(data) {
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list);
    }
    const all = data.assets || [];
    const c = data.by_classification || {};
    replace(top, h('div.kpis',
      kpi(all.filter((a) => a.state === 'in_use').length, 'In use'),
      kpi((c.confidential ?? 0) + (c.strictly_confidential ?? 0), 'Confidential or higher'),
      kpi(data.reclassifications_awaiting_approval ?? 0, 'Reclassifications awaiting approval', data.reclassifications_awaiting_approval ? 'warn' : '')));
    if (!all.length) {
      replace(list, empty('No asset', q.type || q.classification || q.state !== 'in_use' ? 'No asset matches the filters.' : 'Register the information and the assets that hold or process it.'));
      return;
    }
    replace(list, h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Assets' },
      h('thead', h('tr', h('th', 'Asset'), h('th', 'Type'), h('th', 'Classification'), h('th', 'Owner'), h('th', 'Location'))),
      h('tbody', all.map((a) => h('tr', { dataset: { asset: a.id } },
        h('td.cell-main', { 'data-label': 'Asset' }, h('span.id-cell', a.id), ' ', h('a', { href: `#/assets/${encodeURIComponent(a.id)}` }, a.name),
          a.state === 'retired' ? h('span.muted', ' · retired') : null),
        h('td', { 'data-label': 'Type' }, humanize(a.type)),
        h('td', { 'data-label': 'Classification' }, classificationChip(a.classification),
          a.proposed_classification ? h('span.muted', { style: 'font-size:.82rem' }, ' → ', humanize(a.proposed_classification), ' awaiting approval') : null),
        h('td', { 'data-label': 'Owner' }, person(a.owner)),
        h('td', { 'data-label': 'Location' }, a.location || h('span.muted', '—'))))))));
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters',
      f.select('state', 'State', ['in_use', 'retired']),
      f.select('type', 'Type', TYPES),
      f.select('classification', 'Classification', LEVELS));
  }

  await reload();
  return page;
}

async function registerDialog(data) {
  const owners = await userOptions();
  openDialog({
    title: 'Register an asset',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Id', name: 'asset_id', value: nextId('A-', ((data && data.assets) || []).map((a) => a.id)), required: true }),
      field({ label: 'Name', name: 'name', required: true }),
      field({ label: 'Type', name: 'type', type: 'select', value: 'information', options: TYPES, required: true }),
      field({ label: 'Classification (A.5.12)', name: 'classification', type: 'select', value: 'internal', options: LEVELS.map((l) => [l, humanize(l)]), required: true }),
      field({ label: 'Owner', name: 'owner', type: 'select', options: [['', 'Choose…'], ...owners], required: true }),
      field({ label: 'Location', name: 'location', placeholder: 'e.g. ERP, EU data centre' }),
      field({ label: 'Acceptable use (A.5.10)', name: 'acceptable_use', placeholder: 'e.g. POL-003' }),
      h('div.span-2', field({ label: 'Description', name: 'description', type: 'textarea', rows: 2 }))),
    submitLabel: 'Register',
    onSubmit: async (v) => {
      const body = { ...v };
      for (const k of ['location', 'acceptable_use', 'description']) if (!body[k]) delete body[k];
      await app.command('asset.register', `asset-${v.asset_id}`, body, { expectedVersion: 0 });
      toast(`Asset ${v.asset_id} registered.`, { kind: 'ok' });
      location.hash = `#/assets/${encodeURIComponent(v.asset_id)}`;
    },
  });
}
