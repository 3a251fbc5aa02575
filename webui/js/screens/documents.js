// Documented information (5.2, 7.5): policies, procedures and records with
// their versions, approval state and review due dates.

import { h, replace, day, humanize } from '../dom.js';
import { app } from '../state.js';
import { toast, stateChip, chip, field, openDialog, empty, userError, registerScreen, queryParams, queryFilters } from '../ui.js';
import { userOptions, nextId, person } from '../directory.js';

export async function render(ctx) {
  const q = { kind: '', state: '', review_due: '', ...ctx.query };
  let filterBox = null;
  const list = h('div');
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Documents',
    subtitle: 'Policies, procedures and records: versions, approval and review (5.2, 7.5).',
    action: ['document.draft', '+ Draft a document', draftDialog],
    view: 'documents',
    params: () => queryParams(q, ['kind', 'state'], ['review_due']),
    draw,
  });

  function draw(data) {
    if (!filterBox) { filterBox = filters(); replace(body, h('section.card', filterBox, list)); }
    const docs = data.documents || [];
    replace(list, docs.length ? h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Documents' },
      h('thead', h('tr', h('th', 'Document'), h('th', 'Kind'), h('th', 'Owner'), h('th', 'Working version'), h('th', 'In force'), h('th', 'Review due'))),
      h('tbody', docs.map((d) => h('tr', { dataset: { document: d.id } },
        h('td.cell-main', { 'data-label': 'Document' }, h('span.id-cell', d.id), ' ', h('a.rowlink', { href: `#/documents/${encodeURIComponent(d.id)}` }, d.title)),
        h('td', { 'data-label': 'Kind' }, humanize(d.kind)),
        h('td', { 'data-label': 'Owner' }, person(d.owner)),
        h('td', { 'data-label': 'Working version' }, `v${d.working_version} `, stateChip(d.state)),
        h('td', { 'data-label': 'In force' }, d.published_version ? [`v${d.published_version} since `, day(d.published_on)] : h('span.muted', 'not published')),
        h('td', { 'data-label': 'Review due' }, d.review_due_on ? h('span', { class: d.review_due ? 'overdue' : null }, day(d.review_due_on), d.review_due ? ' · due' : '') : '—')))))) :
      empty('No document', q.kind || q.state || q.review_due ? 'No document matches the filters.' : 'Draft the information security policy first (5.2).'));
  }

  function filters() {
    const f = queryFilters(ctx, q, reload);
    return h('div.filters', f.select('kind', 'Kind', ['policy', 'procedure', 'record']), f.select('state', 'State', app.states('documents')),
      f.flag('review_due', 'Only review due'));
  }

  await reload();
  return page;
}

async function draftDialog(data) {
  const owners = await userOptions();
  const suggested = nextId('POL-', ((data && data.documents) || []).map((d) => d.id));
  openDialog({
    title: 'Draft a document',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'Document id', name: 'document_id', value: suggested, required: true }),
      field({ label: 'Kind', name: 'kind', type: 'select', options: [['policy', 'Policy'], ['procedure', 'Procedure'], ['record', 'Record']], required: true }),
      h('div.span-2', field({ label: 'Title', name: 'title', required: true })),
      field({ label: 'Owner', name: 'owner', type: 'select', options: [['', 'Choose…'], ...owners], value: app.user.id, required: true }),
      field({ label: 'Classification', name: 'classification', type: 'select', value: 'internal', options: [['public', 'Public'], ['internal', 'Internal'], ['confidential', 'Confidential'], ['restricted', 'Restricted']] }),
      field({ label: 'Review interval (months)', name: 'review_interval_months', type: 'number', value: 12, min: 1, max: 60, required: true }),
      field({ label: 'Change note', name: 'change_note', value: 'First version' }),
      h('div.span-2', field({ label: 'Text', name: 'text', type: 'textarea', rows: 10, required: true }))),
    submitLabel: 'Save draft',
    onSubmit: async (v) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v.document_id)) throw userError('The document id may use letters, digits, "-", "_" and ".".');
      await app.command('document.draft', `document-${v.document_id}`, {
        document_id: v.document_id, kind: v.kind, title: v.title, owner: v.owner, classification: v.classification,
        review_interval_months: v.review_interval_months, text: v.text, change_note: v.change_note,
      }, { expectedVersion: 0 });
      toast(`Document ${v.document_id} drafted.`, { kind: 'ok' });
      location.hash = `#/documents/${encodeURIComponent(v.document_id)}`;
    },
  });
}

export { chip };
