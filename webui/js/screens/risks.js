// Risk register (6.1.2, 6.1.3, 8.2, 8.3): filters and sorting (the `risks`
// view's params), heat maps of inherent and residual risk, and the form to
// identify a new risk. Updates live while looking at the present.

import { h, replace, day, humanize, plural } from '../dom.js';
import { app } from '../state.js';
import { empty, toast, levelChip, stateChip, field, openDialog, userError, registerScreen, queryParams, queryFilters, kpi } from '../ui.js';
import { heatMap } from '../charts.js';
import { userOptions, nextId, person, personName } from '../directory.js';
import { assetOptions } from './assets.js';


export async function render(ctx) {
  const q = { state: '', owner: '', level: '', residual_level: '', sort: 'id', order: 'asc', text: '', ...ctx.query };
  let cell = null;            // {map: 'inherent'|'residual', l, i} picked on a heat map
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const { page, body, reload, last } = registerScreen(ctx, {
    title: 'Risk register',
    subtitle: 'Risks to information security, their assessment, treatment and acceptance (6.1.2, 6.1.3, 8.2, 8.3).',
    action: ['risk.identify', '+ Identify a risk', identifyDialog],
    view: 'risks',
    csv: [['risk_register', 'Risk register']],
    print: [['risk-treatment-plan', 'Print the treatment plan']],
    params: () => queryParams(q, ['state', 'owner', 'level', 'residual_level', 'sort', 'order']),
    draw,
  });

  function draw(data) {
    const matrix = data.matrix || {};
    const bands = (matrix.bands || []).map((b) => b.name);
    // A retired risk has left the register (and the heat maps): the list,
    // its count and the figures above count the risks in the register, the
    // retired ones only when the state filter asks for them.
    const all = (data.risks || []).filter((r) => q.state === 'retired' || r.state !== 'retired');
    const retired = (data.risks || []).length - all.length;
    let risks = all;
    if (q.text) {
      const t = q.text.toLowerCase();
      risks = risks.filter((r) => [r.id, r.title, r.asset, ...(r.asset_ids || []), r.threat, r.vulnerability, r.owner, personName(r.owner), r.category].join(' ').toLowerCase().includes(t));
    }
    if (cell) {
      risks = risks.filter((r) => {
        const x = cell.map === 'inherent' ? r.inherent : r.residual;
        return x && x.likelihood === cell.l && x.impact === cell.i && r.state !== 'retired';
      });
    }
    const above = all.filter((r) => r.state !== 'retired' && r.residual && r.residual.score && r.within_appetite === false).length;
    const waiting = all.filter((r) => r.state === 'acceptance_requested').length;
    const expired = all.filter((r) => r.state === 'acceptance_expired').length;
    const accepted = all.filter((r) => r.state === 'accepted').length;

    const pick = (map) => (l, i) => {
      cell = cell && cell.map === map && cell.l === l && cell.i === i ? null : { map, l, i };
      draw(last());
    };
    if (!filterBox) {
      filterBox = filters(bands);
      replace(body, top, h('section.card', { style: 'margin-top:18px' }, filterBox, list));
    }
    replace(top,
      h('div.kpis',
        kpi(all.length, counted(all.length)),
        kpi(above, 'Residual risk above appetite', above ? 'bad' : 'ok'),
        kpi(waiting, 'Waiting for acceptance', waiting ? 'warn' : ''),
        kpi(accepted, 'Accepted', 'ok'),
        kpi(expired, 'Acceptance expired', expired ? 'bad' : '')),
      h('div.grid-2',
        h('section.card', heatMap({ title: 'Inherent risk (before treatment)', counts: data.heat_map && data.heat_map.inherent, matrix: data.heat_map ? { ...matrix, ...data.heat_map } : matrix, onPick: pick('inherent'), selected: cell && cell.map === 'inherent' ? cell : null }), legend(matrix)),
        h('section.card', heatMap({ title: 'Residual risk (after treatment)', counts: data.heat_map && data.heat_map.residual, matrix: data.heat_map ? { ...matrix, ...data.heat_map } : matrix, onPick: pick('residual'), selected: cell && cell.map === 'residual' ? cell : null }), legend(matrix))));
    replace(list,
      cell ? h('p.row', h('span', `Showing the risks rated likelihood ${cell.l} × impact ${cell.i} (${cell.map}).`), h('button.link-btn', { type: 'button', onclick: () => { cell = null; draw(last()); } }, 'Show all')) : null,
      h('p.muted.list-count', { 'aria-live': 'polite' },
        risks.length === all.length ? `Listing ${all.length === 1 ? 'the' : 'all'} ${counted(all.length, { lower: true })}` : `Listing ${risks.length} of the ${counted(all.length, { lower: true })}`,
        retired && q.state !== 'retired' ? [` · ${plural(retired, 'retired risk')} not listed (`,
          h('button.link-btn', { type: 'button', onclick: () => showRetired() }, 'list the retired'), ')'] : null),
      risks.length ? table(risks) : empty('No risk matches', all.length ? 'Change or clear the filters to see more risks.' : 'The register is empty. The ISMS manager or a risk owner identifies the first risk.'));
  }

  // What the first figure and the list count: the risks in the register, or
  // those the server-side filters select, or the retired ones.
  function counted(n, { lower = false } = {}) {
    const filtered = q.owner || q.level || q.residual_level || (q.state && q.state !== 'retired');
    const what = q.state === 'retired' ? (n === 1 ? 'Retired risk' : 'Retired risks')
      : filtered ? `${n === 1 ? 'Risk' : 'Risks'} matching the filters` : `${n === 1 ? 'Risk' : 'Risks'} in the register`;
    const text = lower ? what.charAt(0).toLowerCase() + what.slice(1) : what;
    return lower ? `${n} ${text}` : text;
  }

  function showRetired() {
    q.state = 'retired';
    const select = filterBox && filterBox.querySelector('select[name=state]');
    if (select) select.value = 'retired';
    ctx.setQuery(q);
    reload();
  }

  function legend(matrix) {
    return h('div.legend', (matrix.bands || []).map((b) => h('span', { style: `--swatch: var(--band-${b.name}, #ddd)` }, `${humanize(b.name)} (${b.min_score}–${b.max_score})`)),
      matrix.appetite ? h('span.muted', { style: '--swatch: transparent' }, `Appetite: up to ${humanize(matrix.appetite)}`) : null);
  }

  function filters(bands) {
    // The search filters what is loaded; the others ask the server again.
    const f = queryFilters(ctx, q, reload);
    const sel = f.select;
    const search = field({ label: 'Search', name: 'text', type: 'search', value: q.text, placeholder: 'Title, asset, threat, owner…' });
    search.classList.add('field-grow');
    search.querySelector('input').addEventListener('input', (e) => { q.text = e.target.value; ctx.setQuery(q); draw(last()); });
    const owners = [...new Set((last().risks || []).map((r) => r.owner).filter(Boolean))]
      .map((o) => [o, personName(o)]).sort((a, b) => a[1].localeCompare(b[1]));
    return h('div.filters',
      search,
      sel('state', 'State', app.states('risks')),
      sel('owner', 'Owner', owners),
      sel('level', 'Inherent level', bands.map((b) => [b, humanize(b)])),
      sel('residual_level', 'Residual level', bands.map((b) => [b, humanize(b)])));
  }

  function sortHead(key, label) {
    const active = q.sort === key;
    const next = active && q.order === 'asc' ? 'desc' : 'asc';
    return h('th', { scope: 'col', 'aria-sort': active ? (q.order === 'asc' ? 'ascending' : 'descending') : 'none' },
      h('button.sort-btn', { type: 'button', onclick: () => { q.sort = key; q.order = next; ctx.setQuery(q); reload(); } },
        label, h('span.sort-ind', { 'aria-hidden': 'true' }, active ? (q.order === 'asc' ? '▲' : '▼') : '↕')));
  }

  function table(risks) {
    return h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Risks' },
      h('thead', h('tr',
        sortHead('id', 'ID'), sortHead('title', 'Risk'), h('th', { scope: 'col' }, 'Owner'), h('th', { scope: 'col' }, 'State'),
        sortHead('inherent_score', 'Inherent'), sortHead('residual_score', 'Residual'), sortHead('due', 'Treatment due'), h('th', { scope: 'col' }, 'Review'))),
      h('tbody', risks.map((r) => h('tr', { dataset: { risk: r.id } },
        h('td.id-cell', { 'data-label': 'ID' }, r.id),
        h('td.cell-main', { 'data-label': 'Risk' }, h('a.rowlink', { href: `#/risks/${encodeURIComponent(r.id)}` }, r.title || r.id),
          h('div.muted', { style: 'font-size:.84rem' }, [[...(r.asset_ids || []), r.asset].filter(Boolean).join(', '), r.threat].filter(Boolean).join(' · '))),
        h('td', { 'data-label': 'Owner' }, person(r.owner)),
        h('td', { 'data-label': 'State' }, stateChip(r.state)),
        h('td', { 'data-label': 'Inherent' }, r.inherent && r.inherent.score ? levelChip(r.inherent.level, r.inherent.score) : h('span.muted', '—')),
        h('td', { 'data-label': 'Residual' }, r.residual && r.residual.score ? levelChip(r.residual.level, r.residual.score) : h('span.muted', '—')),
        h('td.nowrap', { 'data-label': 'Treatment due' }, day(r.treatment_due)),
        h('td.nowrap', { 'data-label': 'Review' }, day(r.review_date)))))));
  }

  await reload();
  return page;
}

export async function identifyDialog(data) {
  const owners = await userOptions('risk_owner');
  const ids = ((data && data.risks) || []).map((r) => r.id);
  const suggested = nextId('R-', ids);
  const inventory = await assetOptions().catch(() => []);
  openDialog({
    title: 'Identify a risk',
    intro: 'A risk to the confidentiality, integrity or availability of information within the scope of the ISMS (6.1.2 c).',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Risk id', name: 'id', value: suggested, required: true, hint: 'Letters, digits, "-", "_" or "."' }),
      field({ label: 'Risk owner', name: 'owner', type: 'select', required: true, options: [['', 'Choose…'], ...(owners.length ? owners : [[app.user.id, app.user.id]])], value: app.hasRole('risk_owner') ? app.user.id : '' }),
      h('div.span-2', field({ label: 'Title', name: 'title', required: true, placeholder: 'e.g. Ransomware encrypts the file servers' })),
      inventory.length ? h('div.span-2', field({ label: 'Assets in the inventory (A.5.9)', name: 'asset_ids', type: 'checkboxes', options: inventory })) : null,
      field({ label: inventory.length ? 'Asset in words' : 'Asset', name: 'asset', hint: inventory.length ? 'For what the inventory does not hold; optional when assets are ticked.' : null }),
      field({ label: 'Category', name: 'category', required: true, placeholder: 'e.g. operations, supplier, people' }),
      field({ label: 'Threat', name: 'threat', required: true }),
      field({ label: 'Vulnerability', name: 'vulnerability', required: true }),
      h('div.span-2', field({ label: 'Description', name: 'description', type: 'textarea', rows: 3 }))),
    submitLabel: 'Identify risk',
    onSubmit: async (v) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v.id)) throw userError('The risk id may use letters, digits, "-", "_" and "." and must start with a letter or digit.');
      const assetIds = v.asset_ids || [];
      if (!assetIds.length && !String(v.asset || '').trim()) throw userError('Name the asset: tick it in the inventory or describe it in words.');
      await app.command('risk.identify', `risk-${v.id}`, {
        title: v.title, description: v.description, asset: v.asset, asset_ids: assetIds, threat: v.threat,
        vulnerability: v.vulnerability, owner: v.owner, category: v.category,
      }, { expectedVersion: 0 });
      toast(`Risk ${v.id} identified.`, { kind: 'ok' });
      location.hash = `#/risks/${encodeURIComponent(v.id)}`;
    },
  });
}
