// Statement of Applicability (6.1.3 d): the 93 Annex A controls of ISO/IEC
// 27001:2022 by theme — applicability, justification, implementation status,
// linked risks — with the server's CSV of it and its printed document. The ISMS
// manager decides controls and requests publication here.

import { h, replace, instant, humanize } from '../dom.js';
import { app } from '../state.js';
import { evidenceDisclosure } from '../evidence.js';
import { pageHeader, csvButtons, printButton, loading, toast, stateChip, chip, field, openDialog, writeButton, empty, followView, queryParams, queryFilters, kpi } from '../ui.js';
import { stackBar } from '../charts.js';
import { people } from '../directory.js';

const STATUSES = ['not_started', 'planned', 'partial', 'implemented'];

export async function render(ctx) {
  const q = { theme: '', applicability: '', status: '', differs_only: '', ...ctx.query };
  let last = null;
  let filterBox = null;
  const top = h('div');
  const list = h('div');
  const head = h('div', pageHeader('Statement of Applicability'));
  const body = h('div', loading());
  const page = h('div', head, body);

  const reload = followView(ctx, 'soa', {
    body,
    params: () => queryParams(q, ['theme', 'applicability', 'status'], ['differs_only']),
    draw: (data) => draw((last = data)),
  });

  function draw(data) {
    const c = data.counts || {};
    const pending = data.pending_approval_id;
    replace(head, pageHeader('Statement of Applicability', {
      subtitle: 'The Annex A controls of ISO/IEC 27001:2022: which apply and why, how far each is implemented, and the risks they treat (6.1.3 d).',
      actions: [
        ...csvButtons([['statement_of_applicability', 'Statement of Applicability']]),
        printButton('soa'),
        // What the SoA's state admits comes with it (allowed_commands).
        writeButton('soa.request_publication', 'Request publication', () => publishDialog(data), { on: data }),
      ],
    }));
    if (!filterBox) {
      filterBox = filters();
      replace(body, top, filterBox, list);
    }
    replace(top,
      h('div.kpis',
        kpi(c.total ?? 93, 'Controls'),
        kpi(c.applicable ?? 0, 'Applicable', 'ok'),
        kpi(c.excluded ?? 0, 'Excluded'),
        kpi(c.undecided ?? 0, 'Undecided', c.undecided ? 'warn' : ''),
        kpi(c.implemented ?? 0, 'Implemented', 'ok')),
      h('section.card',
        h('div.row',
          h('div', { style: 'flex:1;min-width:240px' },
            h('div', h('b', 'Published version: '), data.published_version ? [`v${data.published_version}, `, instant(data.published_at), (data.published_by || []).length ? [', approved by ', people(data.published_by)] : ''] : 'not published yet'),
            // Without a published version there is nothing to compare with:
            // every decision is still a draft.
            h('div.muted', !data.published_version
              ? 'Nothing is published yet: every decision is a draft until top management approves a version.'
              : data.differs_from_published ? `${data.differing_controls} control${data.differing_controls === 1 ? '' : 's'} differ from the published version.` : 'The working SoA equals the published version.'),
            pending ? h('div', 'Publication waiting for approval: ', h('a', { href: `#/approvals/${encodeURIComponent(pending)}` }, pending)) : null),
          h('div', { style: 'flex:1;min-width:220px' },
            h('div.muted', { style: 'font-size:.84rem;margin-bottom:4px' }, 'Applicable controls by implementation status'),
            stackBar(statusParts(data))))));
    replace(list,
      (data.themes || []).every((t) => !t.controls.length) ? empty('No control matches', 'Change or clear the filters.') : null,
      (data.themes || []).filter((t) => t.controls.length).map((t) => themeBlock(t)));
    if (q.control) {
      const row = list.querySelector(`[data-control="${CSS.escape(q.control)}"]`);
      if (row) { row.scrollIntoView({ block: 'center' }); row.style.background = '#fff8e1'; }
      delete q.control;
    }
  }

  function statusParts(data) {
    const n = { not_started: 0, planned: 0, partial: 0, implemented: 0 };
    for (const t of data.themes || []) for (const x of t.controls) if (x.applicable) n[x.implementation_status] = (n[x.implementation_status] || 0) + 1;
    return [
      { label: 'Implemented', value: n.implemented, tone: 'ok' },
      { label: 'Partial', value: n.partial, tone: 'warn' },
      { label: 'Planned', value: n.planned, tone: 'info' },
      { label: 'Not started', value: n.not_started, tone: 'bad' },
    ];
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters',
      f.select('theme', 'Theme', [['organizational', 'Organizational (5)'], ['people', 'People (6)'], ['physical', 'Physical (7)'], ['technological', 'Technological (8)']]),
      f.select('applicability', 'Applicability', ['applicable', 'excluded', 'undecided']),
      f.select('status', 'Implementation', STATUSES),
      f.flag('differs_only', 'Only controls that differ from the published version'));
  }

  function themeBlock(t) {
    return h('details.theme-block', { open: true },
      h('summary', h('span', `${t.title || humanize(t.theme)} controls`), h('span.chip.tone-neutral', String(t.controls.length))),
      h('div.table-wrap', h('table.data.responsive', { 'aria-label': `${t.title} controls` },
        h('thead', h('tr', h('th', 'Control'), h('th', 'Applicability'), h('th', 'Implementation'), h('th', 'Linked risks'), app.roleAllows('soa.decide_control') ? h('th', h('span.sr-only', 'Actions')) : null)),
        h('tbody', t.controls.map((x) => h('tr', { dataset: { control: x.id } },
          h('td.cell-main', { 'data-label': 'Control' },
            h('div.ctl-title', h('span.id-cell', x.id), ' ', x.title),
            x.justification ? h('div.ctl-just', x.justification) : null,
            x.differs_from_published ? h('div', chip('changed since publication', 'warn')) : null,
            h('div', { dataset: { controlEvidence: x.id } }, evidenceDisclosure(ctx, 'control', x.id, x.evidence))),
          h('td', { 'data-label': 'Applicability' }, stateChip(x.applicability, null, 'soa_applicability')),
          h('td', { 'data-label': 'Implementation' }, x.applicable ? stateChip(x.implementation_status, null, 'soa_status') : h('span.muted', '—')),
          h('td', { 'data-label': 'Linked risks' }, (x.linked_risks || []).length ? h('span', x.linked_risks.map((r, k) => [k ? ', ' : '', h('a', { href: `#/risks/${encodeURIComponent(r)}` }, r)])) : h('span.muted', '—')),
          app.roleAllows('soa.decide_control') ? h('td', { 'data-label': '' }, writeButton('soa.decide_control', 'Edit', () => editDialog(x), { kind: 'quiet', small: true })) : null))))));
  }

  await reload();
  return page;
}

function editDialog(x) {
  openDialog({
    title: `Control ${x.id}`,
    intro: x.title,
    fields: [
      field({ label: 'Applicability', name: 'applicable', type: 'select', value: x.applicability === 'excluded' ? 'no' : 'yes', options: [['yes', 'Applicable'], ['no', 'Excluded']], required: true }),
      field({ label: 'Justification', name: 'justification', type: 'textarea', value: x.justification || '', hint: 'Why the control is included or excluded. Required for an exclusion.' }),
      field({ label: 'Linked risks', name: 'linked_risks', value: (x.soa_linked_risks || []).join(', '), hint: 'Risk ids separated by commas, e.g. R-1, R-7' }),
      field({ label: 'Implementation status', name: 'status', type: 'select', value: x.implementation_status || 'not_started', options: STATUSES.map((s) => [s, humanize(s)]) }),
    ],
    submitLabel: 'Save control',
    onSubmit: async (v) => {
      const applicable = v.applicable === 'yes';
      const linked = String(v.linked_risks || '').split(/[\s,;]+/).filter(Boolean);
      const decisionChanged = x.applicability === 'undecided' || applicable !== x.applicable || v.justification !== (x.justification || '') ||
        JSON.stringify(linked) !== JSON.stringify(x.soa_linked_risks || []);
      if (decisionChanged)
        await app.command('soa.decide_control', 'soa-main', { control_id: x.id, applicable, justification: v.justification, linked_risks: linked });
      if (applicable && v.status !== x.implementation_status)
        await app.command('soa.set_implementation_status', 'soa-main', { control_id: x.id, status: v.status });
      toast(`Control ${x.id} saved.`, { kind: 'ok' });
    },
  });
}

function publishDialog(data) {
  openDialog({
    title: 'Request publication of the SoA',
    intro: `${data.differing_controls} control${data.differing_controls === 1 ? '' : 's'} differ from the published version. Top management is asked to approve the new version.`,
    fields: [field({ label: 'Comment for the approvers', name: 'comment', type: 'textarea' })],
    submitLabel: 'Request publication',
    onSubmit: async (v) => {
      await app.command('soa.request_publication', 'soa-main', v.comment ? { comment: v.comment } : {}, { comment: v.comment || undefined });
      toast('Publication requested.', { kind: 'ok' });
    },
  });
}
