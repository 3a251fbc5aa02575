// One document: the version in force and the working version, the text and
// how it differs from what is published, every version's approval, the
// review due date, and the history.

import { h, replace, day, instant, humanize } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, toast, explain, stateChip, chip, field, openDialog, confirmDialog, writeButton, facts, section, followView, requestApprovalDialog } from '../ui.js';
import { textDiff } from '../diff.js';
import { timeline } from './risk.js';
import { evidenceSection } from '../evidence.js';
import { person, people } from '../directory.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const head = h('div', pageHeader(`Document ${id}`, { back: ['#/documents', 'Documents'] }));
  const body = h('div', loading());
  // Made once: a redraw of the page keeps it (it follows the evidence view itself).
  const evidence = evidenceSection(ctx, 'document', id);
  const page = h('div', head, body);
  let textMode = 'diff';

  const reload = followView(ctx, 'document', { body, params: () => ({ id, include_text: true }), draw });

  function draw(d) {
    evidence.setParts('version', (d.versions || []).map((v) => [String(v.document_version), `v${v.document_version}${v.change_note ? ` · ${v.change_note}` : ''}`]));
    const differs = d.published_version && d.working_version !== d.published_version;
    replace(head, pageHeader(d.title || id, {
      back: ['#/documents', 'Documents'],
      subtitle: h('span.row', h('span.id-cell', d.id), chip(humanize(d.kind), 'neutral'), stateChip(d.state), d.review_due ? chip('Review due', 'bad') : null),
      // What the document's state admits comes with it (allowed_commands);
      // whether this user acts only on their own documents, with the session.
      actions: [
        writeButton('document.revise', 'Revise', () => reviseDialog(d), { kind: 'quiet', on: d, owner: d.owner }),
        writeButton('document.request_approval', 'Request approval', () => requestDialog(d), { on: d }),
        writeButton('document.publish', `Publish v${d.working_version}`, () => publish(d), { on: d }),
        writeButton('document.record_review', 'Record review', () => reviewDialog(d), { kind: 'quiet', on: d, owner: d.owner }),
        writeButton('document.retire', 'Retire', () => retireDialog(d), { kind: 'danger', on: d }),
      ],
    }));
    const textBox = h('div');
    const drawText = () => {
      if (textMode === 'diff' && differs) replace(textBox, textDiff(d.published_text, d.text, { label: `Changes from v${d.published_version} (in force) to v${d.working_version} (working)` }));
      else if (textMode === 'published' && d.published_version) replace(textBox, docText(`Text of v${d.published_version} (in force)`, d.published_text));
      else replace(textBox, docText(`Text of v${d.working_version} (working)`, d.text));
    };
    const modeBtn = (mode, label) => h('button.btn.btn-small', { type: 'button', class: textMode === mode ? 'btn-primary' : 'btn-quiet', 'aria-pressed': String(textMode === mode),
      onclick: () => { textMode = mode; draw(d); } }, label);
    if (!differs && textMode === 'diff') textMode = 'working';
    drawText();
    replace(body,
      d.pending_approval_id ? h('div.signin-note', 'Version ', String(d.working_version), ' is waiting for approval: ', h('a', { href: `#/approvals/${encodeURIComponent(d.pending_approval_id)}` }, 'see the request')) : null,
      h('div.grid-2',
        section('In force', facts([
          ['Published version', d.published_version ? `v${d.published_version}` : 'none yet'],
          ['Published on', day(d.published_on)],
          ['Owner', person(d.owner)], ['Classification', humanize(d.classification)],
          ['Review interval', `${d.review_interval_months} months`],
          ['Review due', d.review_due_on ? h('span', { class: d.review_due ? 'overdue' : null }, day(d.review_due_on)) : '—'],
          d.last_reviewed_on ? ['Last review', h('span', day(d.last_reviewed_on), ' by ', person(d.last_reviewed_by), `: ${humanize(d.last_review_outcome)}`)] : null,
        ])),
        section('Versions', h('div.table-wrap', h('table.data', h('thead', h('tr', h('th', 'Version'), h('th', 'State'), h('th', 'Drafted'), h('th', 'Approved by'))),
          h('tbody', (d.versions || []).slice().reverse().map((v) => h('tr',
            h('td', `v${v.document_version}`, v.change_note ? h('div.muted', { style: 'font-size:.82rem' }, v.change_note) : null),
            h('td', stateChip(v.state)),
            h('td', instant(v.drafted_at), h('div.muted', { style: 'font-size:.82rem' }, person(v.drafted_by))),
            h('td', people(v.approved_by))))))))),
      section(h('span.row', 'Text', h('span.spacer'),
        differs ? modeBtn('diff', 'Changes') : null,
        modeBtn('working', `Working v${d.working_version}`),
        d.published_version ? modeBtn('published', `In force v${d.published_version}`) : null), textBox),
      evidence,
      section('History', timeline(d.history || [])));
  }

  await reload();
  return page;
}

function reviseDialog(d) {
  openDialog({
    title: `Revise ${d.id}`,
    intro: 'A revision starts a new working version; the published version stays in force until the new one is approved and published.',
    wide: true,
    fields: [
      field({ label: 'Title', name: 'title', value: d.title, required: true }),
      field({ label: 'Change note', name: 'change_note', required: true, placeholder: 'What changes and why' }),
      field({ label: 'Text', name: 'text', type: 'textarea', rows: 14, value: d.text || '', required: true }),
    ],
    submitLabel: 'Save revision',
    onSubmit: async (v) => {
      const data = { change_note: v.change_note };
      if (v.text !== d.text) data.text = v.text;
      if (v.title !== d.title) data.title = v.title;
      await app.command('document.revise', d.stream, data, { expectedVersion: d.version });
      toast('Revision saved.', { kind: 'ok' });
    },
  });
}

function requestDialog(d) {
  requestApprovalDialog('document.request_approval', d, {
    title: `Request approval of ${d.id} v${d.working_version}`,
    summary: { rows: 3 },
  });
}

// A document's text; it scrolls when long, so it takes the focus (a keyboard
// scrolls it) and is named for screen readers.
function docText(label, text) {
  return h('div.doc-text', { tabindex: '0', role: 'region', 'aria-label': label }, text || '');
}

async function publish(d) {
  const ok = await confirmDialog({
    title: `Publish ${d.id} version ${d.working_version}?`,
    text: `The approved text becomes the version in force, byte for byte${d.published_version ? `, replacing version ${d.published_version}` : ''}. Its review falls due in ${d.review_interval_months} months.`,
    confirmLabel: 'Publish',
  });
  if (!ok) return;
  try {
    await app.command('document.publish', d.stream, { content_sha256: d.working_sha256 }, { expectedVersion: d.version });
    toast(`Version ${d.working_version} published: it is now in force.`, { kind: 'ok' });
  } catch (err) {
    toast(explain(err), { kind: 'error' });
  }
}

function reviewDialog(d) {
  openDialog({
    title: `Review ${d.id}`,
    intro: 'Is the document still suitable, adequate and effective (7.5.2)?',
    fields: [
      field({ label: 'Outcome', name: 'outcome', type: 'select', options: [['suitable', 'Suitable as it is'], ['revision_needed', 'Revision needed'], ['retirement_proposed', 'Retirement proposed']] }),
      field({ label: 'Notes', name: 'notes', type: 'textarea', required: true }),
    ],
    submitLabel: 'Record review',
    onSubmit: async (v) => {
      await app.command('document.record_review', d.stream, { outcome: v.outcome, notes: v.notes }, { expectedVersion: d.version });
      toast('Review recorded.', { kind: 'ok' });
    },
  });
}

function retireDialog(d) {
  openDialog({
    title: `Retire ${d.id}`,
    fields: [field({ label: 'Reason', name: 'reason', type: 'textarea', required: true })],
    submitLabel: 'Retire document',
    danger: true,
    onSubmit: async (v) => {
      await app.command('document.retire', d.stream, { reason: v.reason }, { expectedVersion: d.version, comment: v.reason });
      toast('Document retired.', { kind: 'ok' });
    },
  });
}
