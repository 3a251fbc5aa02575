// Evidence files of one subject (a risk, a control, a nonconformity, …):
// the list with what each shows, its owner, review day and status, a
// download link, and for those who may, attaching a file (uploaded as it is
// to POST /api/evidence-files, which stores it by its SHA-256 and records
// the attachment), reviewing and withdrawing it.

import { h, replace, day, humanize } from './dom.js';
import { app } from './state.js';
import { section, loading, toast, field, openDialog, writeButton, stateChip, explain, chip } from './ui.js';
import { userOptions, person } from './directory.js';
import { ApiError } from './api.js';

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

// Uploads `file` as evidence for the subject; resolves to the server's answer.
export async function uploadEvidence(file, { kind, subjectId, part, purpose, reviewBy, owner }) {
  const q = new URLSearchParams({ subject_kind: kind, subject_id: subjectId, purpose, name: file.name });
  if (part) q.set('part', part);
  if (reviewBy) q.set('review_by', reviewBy);
  if (owner) q.set('owner', owner);
  let res;
  try {
    res = await fetch(`/api/evidence-files?${q}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
      body: file,
    });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(err.code || `http_${res.status}`, err.message || res.statusText, err.field, res.status);
  }
  return data;
}

// The evidence section of a subject's page; follows the `evidence` view.
// A user who attaches only to what they own (a risk owner: their risks and
// assets) sees "Attach a file" once the page has told the section the
// subject's owner (`el.setOwner(id)`); subjects without an owner never offer
// it to them. A subject with parts (a nonconformity's actions, an audit's
// findings, …) lets the page name them (`el.setParts(label, [[id, text]])`),
// and the upload may then evidence one of them.
export function evidenceSection(ctx, kind, subjectId, { title = 'Evidence', hint, parts: initialParts } = {}) {
  let parts = initialParts && (initialParts.options || []).length ? initialParts : null;
  const list = h('div', loading());
  const attachRow = h('div.row', { style: 'margin-top:8px' });
  const el = section(title, hint ? h('p.muted', hint) : null, list, attachRow);
  el.dataset.evidence = `${kind}:${subjectId}`;
  el.setOwner = (ownerId) => {
    replace(attachRow, writeButton('evidence.attach', 'Attach a file', () => attachDialog(kind, subjectId, reload, parts),
      { small: true, kind: 'quiet', owner: ownerId }));
  };
  el.setOwner(null);
  el.setParts = (label, options) => { parts = options && options.length ? { label, options } : null; };
  async function reload() {
    try {
      const data = await app.query('evidence', { subject_kind: kind, subject_id: subjectId });
      replace(list, rows(data, reload));
    } catch (err) {
      replace(list, h('p.form-error', explain(err)));
    }
  }
  ctx.live('evidence', reload);
  reload();
  return el;
}

// A subject's evidence folded into one line (for the cards and rows of a
// list: an SoA control, an audit, an objective) that opens the list, loaded
// when first opened. `counts` ({current, stale}), when the view gives them,
// label it; stale files are flagged.
export function evidenceDisclosure(ctx, kind, subjectId, counts, parts) {
  const n = counts || null;
  const label = !n ? 'Evidence' : n.current + n.stale === 0 ? 'No evidence' : `Evidence: ${n.current + n.stale}`;
  const box = h('details.ctl-evidence', { dataset: { evidenceOf: `${kind}:${subjectId}` } },
    h('summary', label, n && n.stale ? [' ', chip(`${n.stale} stale`, 'bad')] : ''));
  box.addEventListener('toggle', () => {
    if (box.open && !box.dataset.loaded) {
      box.dataset.loaded = '1';
      box.append(evidenceSection(ctx, kind, subjectId, { title: null, parts }));
    }
  });
  return box;
}

function rows(data, reload) {
  const items = data.evidence || [];
  if (!items.length) return h('p.muted', 'No evidence files yet.');
  return h('ul.plain.evidence-list', items.map((x) => h('li.evidence-item', { dataset: { evidenceId: x.evidence_id } },
    h('div.row',
      h('a', { href: x.download, download: x.name, rel: 'noopener' }, x.name),
      h('span.muted', ` ${sizeText(x.size)}`),
      stateChip(x.status, null, 'evidence'),
      x.review_due && x.status === 'current' ? chip('review due', 'warn') : null),
    x.part ? h('div.muted', { dataset: { part: x.part } }, `For ${x.part_name} ${x.part}`) : null,
    h('div', x.purpose),
    h('div.muted',
      'Attached ', day(x.attached_on), ' by ', person(x.attached_by), '; owner ', person(x.owner),
      x.review_by ? [', review by ', day(x.review_by)] : '',
      x.withdrawn ? ['; withdrawn ', day(x.withdrawn_on), ': ', x.withdrawn_reason] : '',
      h('span.digest', { title: 'SHA-256 of the file' }, ` · sha256 ${x.digest.slice(0, 12)}…`)),
    h('div.row',
      writeButton('evidence.review', 'Reviewed', () => reviewDialog(x, reload), { on: x, owner: x.owner, small: true, kind: 'quiet' }),
      writeButton('evidence.withdraw', 'Withdraw', () => withdrawDialog(x, reload), { on: x, owner: x.owner, small: true, kind: 'quiet' })))));
}

async function attachDialog(kind, subjectId, reload, parts) {
  const owners = await userOptions();
  const fileInput = h('input', { type: 'file', name: 'file', required: true, 'aria-label': 'File' });
  openDialog({
    title: 'Attach a file as evidence',
    intro: 'The file is stored once by its SHA-256 and the record of it can never be changed. PDF, images, office documents and text; 25 MiB at most.',
    fields: h('div',
      h('label.field', h('span.field-label', 'File'), fileInput),
      parts ? field({ label: `For which ${parts.label}`, name: 'part', type: 'select', value: '', options: [['', `The whole ${humanize(kind)}`], ...parts.options] }) : null,
      field({ label: 'What it shows', name: 'purpose', required: true, placeholder: 'e.g. MFA enforced for all administrators (export of 30 June)' }),
      field({ label: 'Owner', name: 'owner', type: 'select', value: app.user.id, options: owners }),
      field({ label: 'Review by', name: 'review_by', type: 'date', hint: 'Optional. Its owner is reminded two weeks before; after it the evidence counts as stale.' })),
    submitLabel: 'Upload',
    onSubmit: async (v) => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) throw new ApiError('bad_request', 'Choose a file.', 'file');
      const done = await uploadEvidence(file, { kind, subjectId, part: v.part, purpose: v.purpose, reviewBy: v.review_by, owner: v.owner });
      toast(done.already_stored ? 'Attached (the same file was stored already).' : `Attached ${file.name}.`, { kind: 'ok' });
      reload();
    },
  });
}

function reviewDialog(x, reload) {
  openDialog({
    title: `Review ${x.name}`,
    intro: 'Confirm the file still shows what it says, and set the next review.',
    fields: h('div',
      field({ label: 'Next review by', name: 'review_by', type: 'date' }),
      field({ label: 'Note', name: 'note', type: 'textarea', rows: 2 })),
    submitLabel: 'Record the review',
    onSubmit: async (v) => {
      const data = {};
      if (v.review_by) data.review_by = v.review_by;
      if (v.note) data.note = v.note;
      await app.command('evidence.review', x.stream, data, { expectedVersion: x.version });
      toast('Review recorded.', { kind: 'ok' });
      reload();
    },
  });
}

function withdrawDialog(x, reload) {
  openDialog({
    title: `Withdraw ${x.name}`,
    intro: 'It no longer counts as evidence. The record and the file stay in the history.',
    fields: field({ label: 'Why', name: 'reason', required: true }),
    submitLabel: 'Withdraw',
    danger: true,
    onSubmit: async (v) => {
      await app.command('evidence.withdraw', x.stream, v, { expectedVersion: x.version });
      toast('Evidence withdrawn.', { kind: 'ok' });
      reload();
    },
  });
}

