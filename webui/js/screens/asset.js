// One asset: what it is, who owns it, how it is classified (and a
// reclassification awaiting its owner's approval), where it is, the rules
// for its use, its disposal once retired, and its history.

import { h, replace, day, humanize } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, toast, field, openDialog, writeButton, facts, section, followView, stateChip, levelChip, explain } from '../ui.js';
import { userOptions, person } from '../directory.js';
import { timeline } from './risk.js';
import { evidenceSection } from '../evidence.js';
import { classificationChip, TYPES, levelOptions, useScheme } from './assets.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const back = ['#/assets', 'Assets'];
  const head = h('div', pageHeader(`Asset ${id}`, { back }));
  const body = h('div', loading());
  // Made once: a redraw of the page keeps it (it follows the evidence view itself).
  const evidence = evidenceSection(ctx, 'asset', id);
  // The risks that name this asset (the risk register, filtered by the server).
  const risks = h('div', loading());
  const risksSection = section('Risks to this asset', risks);
  risksSection.dataset.assetRisks = id;
  async function loadRisks() {
    try {
      const d = await app.query('risks', { asset_id: id });
      replace(risks, (d.risks || []).length
        ? h('ul.plain', d.risks.map((r) => h('li.row', { dataset: { riskId: r.id } },
          h('a', { href: `#/risks/${encodeURIComponent(r.id)}` }, r.id), h('span', r.title), stateChip(r.state),
          r.residual && r.residual.score ? levelChip(r.residual.level, r.residual.score)
            : r.inherent && r.inherent.score ? levelChip(r.inherent.level, r.inherent.score) : null)))
        : h('p.muted', 'No risk in the register names this asset.'));
    } catch (err) {
      replace(risks, h('p.form-error', explain(err)));
    }
  }
  ctx.live('risks', loadRisks);
  loadRisks();
  const page = h('div', head, body);

  const reload = followView(ctx, 'asset', { body, params: () => ({ id }), draw });

  function draw(a) {
    useScheme(a.classification_scheme);
    evidence.setOwner(a.owner);
    replace(head, pageHeader(a.name || `Asset ${id}`, {
      back,
      subtitle: h('span.row', h('span.id-cell', a.id), classificationChip(a.classification), a.state === 'retired' ? h('span.muted', 'retired') : null),
      actions: [
        writeButton('asset.request_reclassification', 'Change classification', () => reclassifyDialog(a), { on: a, owner: a.owner }),
        writeButton('asset.change', 'Change', () => changeDialog(a), { on: a, owner: a.owner, kind: 'quiet' }),
        writeButton('asset.retire', 'Retire', () => retireDialog(a), { on: a, owner: a.owner, kind: 'quiet' }),
      ],
    }));
    replace(body,
      h('div.grid-2',
        section('The asset', facts([
          ['Type', humanize(a.type)], a.description ? ['Description', a.description] : null,
          ['Owner', person(a.owner)], ['Location', a.location || '—'], ['Acceptable use (A.5.10)', a.acceptable_use || '—'],
          ['Registered', h('span', day(a.registered_on), ' by ', person(a.registered_by))],
        ])),
        section('Classification (A.5.12)', facts([
          ['In force', h('span', classificationChip(a.classification), ' since ', day(a.classified_on))],
          a.proposed_classification ? ['Proposed', h('span', classificationChip(a.proposed_classification), ' — ', a.proposal_reason, h('div.muted', 'awaiting approval ', h('a', { href: `#/approvals/${encodeURIComponent(a.pending_approval_id)}` }, a.pending_approval_id)))] : null,
          a.state === 'retired' ? ['Retired', h('span', day(a.retired_on), ' by ', person(a.retired_by), ': ', a.disposal_method, h('div.muted', a.disposal_record))] : null,
        ]))),
      risksSection,
      evidence,
      section('History', timeline(a.history || [])));
  }

  await reload();
  return page;
}

function reclassifyDialog(a) {
  openDialog({
    title: `Classify ${a.name}`,
    intro: a.owner === app.user.id ? 'As its owner you propose; top management decides.' : 'Its owner decides whether the new classification applies.',
    fields: h('div',
      field({ label: 'Classification', name: 'classification', type: 'select', value: a.classification, options: levelOptions(a.classification), required: true }),
      field({ label: 'Why', name: 'reason', type: 'textarea', rows: 3, required: true })),
    submitLabel: 'Put to approval',
    onSubmit: async (v) => {
      await app.command('asset.request_reclassification', a.stream, v, { expectedVersion: a.version });
      toast('The reclassification awaits approval.', { kind: 'ok' });
    },
  });
}

async function changeDialog(a) {
  const owners = await userOptions();
  openDialog({
    title: `Change ${a.name}`,
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Name', name: 'name', value: a.name, required: true }),
      field({ label: 'Type', name: 'type', type: 'select', value: a.type, options: TYPES, required: true }),
      field({ label: 'Owner', name: 'owner', type: 'select', value: a.owner, options: owners, required: true }),
      field({ label: 'Location', name: 'location', value: a.location }),
      field({ label: 'Acceptable use', name: 'acceptable_use', value: a.acceptable_use }),
      h('div.span-2', field({ label: 'Description', name: 'description', type: 'textarea', rows: 2, value: a.description })),
      h('div.span-2', field({ label: 'Why', name: 'reason', required: true }))),
    submitLabel: 'Save',
    onSubmit: async (v) => {
      const data = { reason: v.reason };
      for (const k of ['name', 'type', 'owner', 'location', 'acceptable_use', 'description'])
        if (v[k] !== (a[k] ?? '')) data[k] = v[k];
      await app.command('asset.change', a.stream, data, { expectedVersion: a.version });
      toast('Asset changed.', { kind: 'ok' });
    },
  });
}

function retireDialog(a) {
  openDialog({
    title: `Retire ${a.name}`,
    intro: 'How the asset and the information on it were disposed of (A.7.14), and the record that proves it.',
    fields: h('div',
      field({ label: 'Disposal', name: 'disposal_method', type: 'textarea', rows: 2, required: true, placeholder: 'e.g. disks wiped and shredded by a certified service' }),
      field({ label: 'Record', name: 'disposal_record', required: true, placeholder: 'e.g. destruction certificate 2026-118' })),
    submitLabel: 'Retire',
    danger: true,
    onSubmit: async (v) => {
      await app.command('asset.retire', a.stream, v, { expectedVersion: a.version });
      toast('Asset retired.', { kind: 'ok' });
    },
  });
}
