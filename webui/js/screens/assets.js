// The asset inventory (A.5.9–5.12): every asset with its owner, type,
// classification and location; a reclassification awaiting its owner's
// approval is flagged; the form to register one; the classification scheme
// in force (A.5.12, 5.13) and, for the ISMS manager, the form to change it.

import { h, replace, day, humanize } from '../dom.js';
import { app } from '../state.js';
import { toast, chip, field, openDialog, empty, registerScreen, queryParams, queryFilters, kpi, section, writeButton } from '../ui.js';
import { userOptions, nextId, person } from '../directory.js';

export const TYPES = ['information', 'software', 'hardware', 'service', 'people', 'site', 'other'];

// The classification scheme as the assets and asset views last gave it
// ({levels: [{id, name, description, handling, retired}], version}): the
// server's, never a list of our own.
let scheme = { levels: [], version: 0 };
export function useScheme(s) { if (s && Array.isArray(s.levels)) scheme = s; }

// The levels a form may offer: those not retired, but for `except` (the level in force).
export function levelOptions(except = '') {
  return scheme.levels.filter((l) => !l.retired && l.id !== except).map((l) => [l.id, l.name]);
}

// A level's tone by its rank: the lowest neutral, the highest bad.
function toneOf(level) {
  const i = scheme.levels.findIndex((l) => l.id === level);
  const n = scheme.levels.length;
  if (i < 0 || n < 2) return 'neutral';
  const rank = i / (n - 1);
  return rank === 0 ? 'neutral' : rank < 0.5 ? 'info' : rank < 1 ? 'warn' : 'bad';
}

// The inventory as choices for a form: [[id, "A-3 · Name"]], the assets in
// use and those of `keep` (a retired asset a risk stays linked to).
export async function assetOptions(keep = []) {
  const data = await app.query('assets', {});
  return (data.assets || [])
    .filter((a) => a.state !== 'retired' || keep.includes(a.id))
    .map((a) => [a.id, `${a.id} · ${a.name}${a.state === 'retired' ? ' (retired)' : ''}`]);
}

export function classificationChip(level) {
  const known = scheme.levels.find((l) => l.id === level);
  const label = known ? known.name + (known.retired ? ' (retired level)' : '') : humanize(level);
  return chip(label, toneOf(level));
}

export async function render(ctx) {
  const q = { state: 'in_use', type: '', classification: '', ...ctx.query };
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const levels = h('div');
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
    useScheme(data.classification_scheme);
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list, levels);
    }
    replace(levels, schemeSection(data.classification_scheme));
    const all = data.assets || [];
    const c = data.by_classification || {};
    replace(top, h('div.kpis',
      kpi(all.filter((a) => a.state === 'in_use').length, 'In use'),
      kpi(scheme.levels.slice(Math.floor(scheme.levels.length / 2)).reduce((n, l) => n + (c[l.id] ?? 0), 0),
        `${(scheme.levels[Math.floor(scheme.levels.length / 2)] || {}).name || 'Upper half'} or higher`),
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
          a.proposed_classification ? h('span.muted', { style: 'font-size:.82rem' }, ' → ', nameOf(a.proposed_classification), ' awaiting approval') : null),
        h('td', { 'data-label': 'Owner' }, person(a.owner)),
        h('td', { 'data-label': 'Location' }, a.location || h('span.muted', '—'))))))));
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters',
      f.select('state', 'State', ['in_use', 'retired']),
      f.select('type', 'Type', TYPES),
      f.select('classification', 'Classification', scheme.levels.map((l) => [l.id, l.name])));
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
      field({ label: 'Classification (A.5.12)', name: 'classification', type: 'select', value: (levelOptions()[1] || levelOptions()[0] || [''])[0], options: levelOptions(), required: true }),
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

function nameOf(level) {
  const known = scheme.levels.find((l) => l.id === level);
  return known ? known.name : humanize(level);
}

// The scheme in force: each level in increasing order of protection, what
// belongs there, how it is handled, and how many assets in use are at it.
function schemeSection(s) {
  const levels = (s && s.levels) || [];
  const card = section('Classification scheme (A.5.12, A.5.13)',
    h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Classification scheme' },
      h('thead', h('tr', h('th', 'Level'), h('th', 'What belongs here'), h('th', 'Handling'), h('th', 'Assets in use'))),
      h('tbody', levels.map((l) => h('tr', { dataset: { level: l.id } },
        h('td.cell-main', { 'data-label': 'Level' }, classificationChip(l.id)),
        h('td', { 'data-label': 'What belongs here' }, l.description || h('span.muted', '—')),
        h('td', { 'data-label': 'Handling' }, l.handling || h('span.muted', '—')),
        h('td', { 'data-label': 'Assets in use' }, String(l.assets_in_use ?? 0))))))),
    h('p.muted', s && s.version ? `Configured (version ${s.version}). Levels are listed from the least to the most protected.`
      : 'The built-in scheme. Levels are listed from the least to the most protected.'),
    writeButton('classification.configure', 'Change the scheme', () => schemeDialog(levels), { kind: 'quiet' }));
  card.dataset.classificationScheme = '';
  return card;
}

// Every level stays (history names it): it can be renamed, described or
// retired; one new level may be added at a time, at a chosen rank.
function schemeDialog(levels) {
  const rows = levels.map((l, i) => h('fieldset.scheme-level', { dataset: { level: l.id } },
    h('legend', `${l.name} (${l.id})`),
    h('div.form-grid',
      field({ label: 'Name', name: `name-${i}`, value: l.name, required: true }),
      field({ label: 'Retired', name: `retired-${i}`, type: 'checkbox', value: l.retired, hint: 'Not assigned any more; assets at it keep it' }),
      field({ label: 'What belongs here', name: `description-${i}`, type: 'textarea', rows: 2, value: l.description }),
      field({ label: 'Handling', name: `handling-${i}`, type: 'textarea', rows: 2, value: l.handling }))));
  openDialog({
    title: 'Change the classification scheme',
    intro: 'A level in use or used before is never removed: retire it instead. A new level takes the rank you choose.',
    wide: true,
    fields: h('div', rows,
      h('fieldset.scheme-level', h('legend', 'Add a level (optional)'),
        h('div.form-grid',
          field({ label: 'Id', name: 'new-id', placeholder: 'e.g. restricted' }),
          field({ label: 'Name', name: 'new-name', placeholder: 'e.g. Restricted' }),
          field({ label: 'Below', name: 'new-rank', type: 'select', value: '', options: [['', 'the top (most protected)'], ...levels.map((l, i) => [String(i), l.name])] }),
          field({ label: 'What belongs here', name: 'new-description', type: 'textarea', rows: 2 }),
          field({ label: 'Handling', name: 'new-handling', type: 'textarea', rows: 2 }))),
      field({ label: 'Why', name: 'comment', required: true })),
    submitLabel: 'Save the scheme',
    onSubmit: async (v) => {
      const out = levels.map((l, i) => ({ id: l.id, name: v[`name-${i}`], description: v[`description-${i}`], handling: v[`handling-${i}`], retired: !!v[`retired-${i}`] }));
      if (v['new-id']) {
        const added = { id: v['new-id'], name: v['new-name'] || v['new-id'], description: v['new-description'], handling: v['new-handling'] };
        out.splice(v['new-rank'] === '' ? out.length : Number(v['new-rank']), 0, added);
      }
      await app.command('classification.configure', 'config-classification', { levels: out, comment: v.comment });
      toast('The classification scheme is changed.', { kind: 'ok' });
    },
  });
}
