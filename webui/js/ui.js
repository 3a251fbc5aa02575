// Shared UI pieces: error words, toasts, dialogs, form fields, chips, and the
// loading / empty / error states every screen uses.

import { h, append, replace, humanize, day } from './dom.js';
import { app } from './state.js';
import { nextId } from './directory.js';

// ---------------------------------------------------------------- error words

const FIELD_LABELS = {
  'data.likelihood': 'Likelihood', 'data.impact': 'Impact', 'data.rationale': 'Rationale',
  'data.title': 'Title', 'data.owner': 'Owner', 'data.asset': 'Asset', 'data.threat': 'Threat',
  'data.vulnerability': 'Vulnerability', 'data.category': 'Category', 'data.due': 'Due date',
  'data.due_date': 'Due date', 'data.controls': 'Controls', 'data.actions': 'Actions',
  'data.target_likelihood': 'Target likelihood', 'data.target_impact': 'Target impact',
  'data.review_date': 'Review date', 'data.comment': 'Comment', 'data.reason': 'Reason',
  'data.justification': 'Justification', 'data.name': 'Name', 'data.roles': 'Roles',
  'data.text': 'Text', 'data.role': 'Role', 'stream': 'Identifier',
};

// Says what went wrong in words a manager understands. `err` is an ApiError
// (code, message, field) or any Error.
export function explain(err) {
  const code = err && err.code;
  const msg = sentence(err && err.message);
  const field = err && err.field ? FIELD_LABELS[err.field] || humanize(String(err.field).replace(/^(data|params)\./, '')) : '';
  switch (code) {
    case 'offline': return 'The server cannot be reached. Check the network connection; the page reconnects by itself.';
    case 'closed': return 'You are signed out.';
    case 'past': return 'You are looking at the past. Return to the present to make changes.';
    case 'conflict': return 'Someone else changed this in the meantime, so nothing was saved. The page now shows the latest state — check it and try again.';
    case 'id_taken': return `${err.message} Choose another id; nothing was saved.`;
    case 'forbidden': return `Your role does not allow this.${msg ? ' ' + msg : ''}`;
    case 'confirmation_required': return 'This decision needs your second factor: enter the code your authenticator app shows now, and decide again.';
    case 'rejected': return `The ISMS rules do not allow this: ${msg || 'the request was refused.'}`;
    case 'bad_request': return field ? `Please check “${field}”: ${msg}` : `The request was not accepted: ${msg}`;
    case 'not_found': return `This could not be found. ${msg}`.trim();
    case 'rate_limited': return 'Too many attempts in a short time. Wait a moment, then try again.';
    case 'too_large': return `This is too large to save. ${msg}`.trim();
    case 'unavailable': return 'The server is busy or restarting. Try again in a moment — nothing is saved twice.';
    case 'unauthenticated': return 'Your session has ended. Please sign in again.';
    case 'internal': return `Something went wrong on the server and nothing was saved. Tell your administrator: ${msg}`;
    default: return msg || 'Something went wrong.';
  }
}

function sentence(s) {
  if (!s) return '';
  const t = String(s).trim();
  const c = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(c) ? c : c + '.';
}

// ---------------------------------------------------------------- toasts

// A toast; `data` tags it (data-* attributes) so that closeToasts() can find
// it again, e.g. when what it announces has been decided. The returned
// element has setText(…nodes) to complete its message (a reason looked up
// after the push) and close().
export function toast(message, { kind = 'info', action, timeout = 6000, data } = {}) {
  const region = document.getElementById('toasts');
  const text = h('div.toast-text', message);
  const el = h('div.toast', { class: `toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', dataset: data || {} },
    text,
    action ? h('button.btn.btn-small.btn-quiet', { type: 'button', onclick: () => { action.run(); el.remove(); } }, action.label) : null,
    h('button.toast-close', { type: 'button', 'aria-label': 'Dismiss', onclick: () => el.remove() }, '×'));
  el.setText = (...nodes) => replace(text, ...nodes);
  el.close = () => el.remove();
  region.append(el);
  if (timeout) setTimeout(() => el.remove(), timeout);
  return el;
}

// Closes the toasts whose data-* tags all match `data` ({approval: id}).
export function closeToasts(data) {
  for (const el of document.querySelectorAll('#toasts .toast')) {
    if (Object.entries(data).every(([k, v]) => el.dataset[k] === String(v))) el.remove();
  }
}

// ---------------------------------------------------------------- states

export function loading(text = 'Loading…') {
  return h('div.state.state-loading', { role: 'status', 'aria-live': 'polite' }, h('span.spinner', { 'aria-hidden': 'true' }), text);
}

export function empty(title, text, action) {
  return h('div.state.state-empty', h('div.state-title', title), text ? h('p', text) : null, action || null);
}

export function errorState(err, retry) {
  return h('div.state.state-error', { role: 'alert' },
    h('div.state-title', 'This could not be loaded'),
    h('p', explain(err)),
    retry ? h('button.btn', { type: 'button', onclick: retry }, 'Try again') : null);
}

// ---------------------------------------------------------------- chips

const LEVEL_CLASS = { low: 'lvl-low', medium: 'lvl-medium', high: 'lvl-high', critical: 'lvl-critical', very_high: 'lvl-critical' };

export function levelChip(level, score) {
  if (!level) return h('span.chip.chip-muted', 'not rated');
  return h('span.chip', { class: LEVEL_CLASS[level] || 'chip-muted' }, humanize(level), score ? h('span.chip-score', ` ${score}`) : null);
}

// The states of the registers are labelled and toned by the server (the
// session's `vocabulary`): of `register` where the caller names it, else of
// the first register that lists the state; a state none lists reads as its
// name, in the neutral tone.
export function stateLabel(state, register) {
  const s = app.stateEntry(register, state);
  return s ? s.label : humanize(state);
}

export function stateChip(state, label, register) {
  const s = app.stateEntry(register, state);
  return h('span.chip', { class: `tone-${(s && s.tone) || 'neutral'}` }, label || (s ? s.label : humanize(state)));
}

export function chip(text, tone = 'neutral') { return h('span.chip', { class: `tone-${tone}` }, text); }

// ---------------------------------------------------------------- forms

let fieldSeq = 0;

// A labelled control. type: text | textarea | select | number | date | checkbox | password | email | checkboxes.
export function field({ label, name, type = 'text', value, required, options, hint, rows, min, max, step, placeholder, autocomplete }) {
  const id = `f-${name}-${++fieldSeq}`;
  const hintId = hint ? `${id}-hint` : null;
  let control;
  const common = { id, name, required: !!required, 'aria-describedby': hintId };
  if (type === 'textarea') {
    control = h('textarea', { ...common, rows: rows || 3, placeholder });
    control.value = value ?? '';
  } else if (type === 'select') {
    control = h('select', common, (options || []).map((o) => {
      const [v, l] = Array.isArray(o) ? o : [o, humanize(o)];
      return h('option', { value: v, selected: String(v) === String(value ?? '') }, l);
    }));
  } else if (type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: !!value });
    return h('div.field.field-check', control, h('label', { for: id }, label), hint ? h('p.hint', { id: hintId }, hint) : null);
  } else if (type === 'checkboxes') {
    const chosen = new Set(value || []);
    return h('fieldset.field.field-group', h('legend', label),
      h('div.check-grid', (options || []).map((o) => {
        const [v, l] = Array.isArray(o) ? o : [o, humanize(o)];
        const cid = `${id}-${v}`;
        return h('label.check', { for: cid }, h('input', { type: 'checkbox', id: cid, name, value: v, checked: chosen.has(v) }), l);
      })),
      hint ? h('p.hint', { id: hintId }, hint) : null);
  } else {
    control = h('input', { ...common, type, min, max, step, placeholder, autocomplete });
    if (value !== undefined && value !== null) control.value = value;
  }
  return h('div.field', h('label', { for: id }, label, required ? h('span.req', { 'aria-hidden': 'true' }, ' *') : null), control,
    hint ? h('p.hint', { id: hintId }, hint) : null);
}

// The first fields of a corrective or review action: its id (the next free
// "A<n>" after `existingIds`) and its owner, one of `owners`.
export function actionFields(existingIds, owners) {
  return [
    field({ label: 'Action id', name: 'action_id', value: nextId('A', existingIds), required: true }),
    field({ label: 'Owner', name: 'owner', type: 'select', options: [['', 'Choose…'], ...owners], required: true }),
  ];
}

// Reads a form into an object: checkboxes groups become arrays, single
// checkboxes booleans, number inputs numbers.
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') {
      const group = form.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`).length > 1 || el.closest('.field-group');
      if (group) { (out[el.name] ||= []); if (el.checked) out[el.name].push(el.value); } else out[el.name] = el.checked;
    } else if (el.type === 'number') {
      out[el.name] = el.value === '' ? null : Number(el.value);
    } else if (el.tagName !== 'BUTTON' && el.tagName !== 'FIELDSET') {
      out[el.name] = el.value;
    }
  }
  return out;
}

// Follows one view on a screen: the returned reload() queries it (with
// params()) and hands the result to draw; ctx.reload and the view's live
// pushes call it too. Until a first result is drawn, a failure fills `body`
// with a retry; afterwards it is a toast and the last drawing stays.
export function followView(ctx, view, { body, params = () => ({}), draw }) {
  let drawn = false;
  async function reload() {
    try {
      draw(await app.query(view, params()));
      drawn = true;
    } catch (err) {
      if (!drawn) replace(body, errorState(err, reload));
      else toast(explain(err), { kind: 'error' });
    }
  }
  ctx.reload = reload;
  ctx.live(view, reload);
  return reload;
}

// A register screen: its title and subtitle over a body that shows loading
// until `view` is first drawn, with the register's one writing action
// ([command, label, dialog]) in the header; dialog is called with the last
// result of the view. `csv` lists the server's CSV files of the register
// ([name, label] pairs, csvButtons). Follows the view (followView); draw(data)
// gets each result. Returns {page, body, reload, last()}.
export function registerScreen(ctx, { title, subtitle, action: [command, label, dialog], view, params, draw, csv = [], print = [] }) {
  let last = null;
  const body = h('div', loading());
  const page = h('div', pageHeader(title, {
    subtitle,
    actions: [...csvButtons(csv), ...print.map(([name, text]) => printButton(name, text)), writeButton(command, label, () => dialog(last))],
  }), body);
  const reload = followView(ctx, view, { body, params, draw: (data) => draw((last = data)) });
  return { page, body, reload, last: () => last };
}

// A view's params from a screen's query: each of `keys` that has a value is
// passed as it is; each of `flags` that has one is passed as true.
export function queryParams(query, keys, flags = []) {
  const params = {};
  for (const k of keys) if (query[k]) params[k] = query[k];
  for (const k of flags) if (query[k]) params[k] = true;
  return params;
}

// ---------------------------------------------------------------- dialogs

// A modal form. onSubmit(values) runs the command; a thrown error is shown in
// the dialog in words, the dialog stays open with what was typed.
export function openDialog({ title, intro, fields, submitLabel = 'Save', onSubmit, danger = false, wide = false }) {
  const errorBox = h('div.form-error', { role: 'alert', hidden: true });
  const waitBox = h('div.form-wait', { role: 'status', hidden: true });
  const submit = h('button.btn', { type: 'submit', class: danger ? 'btn-danger' : 'btn-primary' }, submitLabel);
  const form = h('form.dialog-form', { novalidate: true },
    intro ? h('p.dialog-intro', intro) : null,
    fields,
    errorBox,
    waitBox,
    h('div.dialog-actions',
      h('button.btn.btn-quiet', { type: 'button', onclick: () => close() }, 'Cancel'),
      submit));
  const dlg = h('dialog.dialog', { class: wide ? 'dialog-wide' : null, 'aria-labelledby': 'dlg-title' },
    h('div.dialog-head', h('h2#dlg-title', title),
      h('button.icon-btn', { type: 'button', 'aria-label': 'Close', onclick: () => close() }, '×')),
    form);
  function close() { dlg.close(); dlg.remove(); }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errorBox.hidden = true;
    const invalid = Array.from(form.elements).find((el) => el.willValidate && !el.checkValidity());
    if (invalid) {
      invalid.focus();
      errorBox.textContent = `Please fill in “${labelOf(invalid)}”.`;
      errorBox.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.classList.add('busy');
    // A command sent while the connection is down waits for it (api.js):
    // the dialog says so, and says when it goes out.
    const queued = () => {
      waitBox.textContent = 'Not connected: this will be sent when the connection is back. Keep this window open to see the result.';
      waitBox.hidden = false;
    };
    const back = (e) => {
      if (!waitBox.hidden && e.detail.state === 'open') waitBox.textContent = 'The connection is back: sending…';
    };
    app.addEventListener('command-queued', queued);
    app.conn.addEventListener('state', back);
    try {
      await onSubmit(formValues(form), form);
      close();
    } catch (err) {
      errorBox.textContent = err.userMessage || explain(err);
      errorBox.hidden = false;
      if (err.code === 'id_taken') markIdField(form);
    } finally {
      app.removeEventListener('command-queued', queued);
      app.conn.removeEventListener('state', back);
      waitBox.hidden = true;
      submit.disabled = false;
      submit.classList.remove('busy');
    }
  });
  dlg.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  document.body.append(dlg);
  dlg.showModal();
  const first = form.querySelector('input:not([type=hidden]), select, textarea');
  if (first) first.focus();
  return dlg;
}

// The id a creating dialog asks for is taken: mark that field and put the
// cursor in it (the field named `id` or `…_id`).
function markIdField(form) {
  const input = Array.from(form.elements).find((el) => el.tagName === 'INPUT' && /(^|_)id$/.test(el.name));
  if (!input) return;
  input.setAttribute('aria-invalid', 'true');
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'), { once: true });
  input.focus();
  input.select();
}

function labelOf(el) {
  const l = el.id && document.querySelector(`label[for="${el.id}"]`);
  return l ? l.textContent.replace(/\s*\*$/, '').trim() : el.name;
}

// A user-facing failure thrown from an onSubmit: shown as is.
export function userError(message) {
  return Object.assign(new Error(message), { userMessage: message });
}

// Asks top management to approve `entity` (its stream and version) by sending
// `command`, with an optional summary for the approvers; `done` is the note
// shown once it is sent. `summary` shapes the summary field (label, type, rows).
export function requestApprovalDialog(command, entity, { title, intro, done = 'Approval requested.', summary = {} }) {
  const { label = 'Summary for the approvers', type = 'textarea', rows = 2 } = summary;
  openDialog({
    title,
    intro,
    fields: [field({ label, name: 'summary', type, rows })],
    submitLabel: 'Request approval',
    onSubmit: async (v) => {
      await app.command(command, entity.stream, v.summary ? { summary: v.summary } : {}, { expectedVersion: entity.version });
      toast(done, { kind: 'ok' });
    },
  });
}

export function confirmDialog({ title, text, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    let done = false;
    const dlg = openDialog({
      title, intro: text, fields: [], submitLabel: confirmLabel, danger,
      onSubmit: async () => { done = true; resolve(true); },
    });
    dlg.addEventListener('close', () => { if (!done) resolve(false); });
  });
}

// ---------------------------------------------------------------- filters

// Filter controls bound to a screen's query object `q`: a change is written to
// the address (ctx.setQuery) and then `onChange()` runs (a reload).
// select(name, label, options): options are values (labelled by humanize) or
// [value, label] pairs, after "All". flag(name, label): a checkbox, '1' or ''.
export function queryFilters(ctx, q, onChange) {
  const changed = () => { ctx.setQuery(q); onChange(); };
  return {
    select(name, label, options) {
      const f = field({ label, name, type: 'select', value: q[name], options: [['', 'All'], ...options.map((o) => (Array.isArray(o) ? o : [o, humanize(o)]))] });
      f.querySelector('select').addEventListener('change', (e) => { q[name] = e.target.value; changed(); });
      return f;
    },
    flag(name, label) {
      const f = field({ label, name, type: 'checkbox', value: !!q[name] });
      f.querySelector('input').addEventListener('change', (e) => { q[name] = e.target.checked ? '1' : ''; changed(); });
      return f;
    },
  };
}

// ---------------------------------------------------------------- writing controls

// A button that writes. Rendered only for roles that may send `type`; while
// the time control is set it is shown disabled, with the reason.
// Every writing control carries data-write, so that tests can find them.
// `on`: the entity the command is about; the button shows only if its state
// admits the command (the view's `allowed_commands`). `owner`: the user who
// owns that entity, for commands the server says this user sends only about
// their own (`user.may.own_only`).
export function writeButton(type, label, onclick, { kind = 'primary', small = false, extraCheck = true, on, owner } = {}) {
  if (!app.mayOn(on, type, owner) || !extraCheck) return null;
  const past = app.past;
  return h('button.btn', {
    type: 'button',
    class: `btn-${kind}${small ? ' btn-small' : ''}`,
    dataset: { write: type },
    disabled: past,
    title: past ? 'Return to the present to make changes' : null,
    onclick: past ? null : onclick,
  }, label);
}

// One key figure over its label; `tone` (ok, warn, bad or '') colours it.
export function kpi(value, label, tone = '') {
  return h('div.kpi', { class: tone }, h('div.kpi-value', String(value)), h('div.kpi-label', label));
}

// The risk ids in a free-text field ("R-4, risk-R-12"), without the stream prefix.
export function riskIds(text) {
  return String(text || '').split(/[\s,;]+/).map((r) => r.replace(/^risk-/, '')).filter(Boolean);
}

// Key facts as a definition list: [[label, value], …]; null values skipped.
export function facts(rows) {
  return h('dl.facts', rows.filter((r) => r && r[1] !== undefined && r[1] !== null).map(([k, v]) =>
    h('div.fact', h('dt', k), h('dd', v === '' ? '—' : v))));
}

export function section(title, ...children) {
  return h('section.card', title ? h('h2.card-title', title) : null, children);
}

// Buttons that download registers as the server writes them
// (GET /api/registers/<name>.csv: the whole register, UTF-8 for spreadsheet
// programs, the position stamped in its first line), as of the time control's
// position while it is set. One [name, label] pair per file; a lone file's
// button reads "Download CSV".
// A document the server prints (GET /api/print/<name>.html), opened in a tab
// of its own: as of the time control's position while it is set.
export function printButton(name, label = 'Print') {
  return h('button.btn', {
    type: 'button',
    dataset: { print: name },
    onclick: () => {
      const at = app.asOf ? `?position=${encodeURIComponent(app.asOf.position)}` : '';
      window.open(`/api/print/${encodeURIComponent(name)}.html${at}`, '_blank', 'noopener');
    },
  }, label);
}

export function csvButtons(files) {
  return files.map(([name, label]) => h('button.btn', {
    type: 'button',
    onclick: () => {
      const at = app.asOf ? `?position=${encodeURIComponent(app.asOf.position)}` : '';
      const a = h('a', { href: `/api/registers/${encodeURIComponent(name)}.csv${at}`, download: '', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
    },
  }, files.length === 1 ? 'Download CSV' : `${label} (CSV)`));
}

export function pageHeader(title, { subtitle, actions, back } = {}) {
  return h('header.page-head',
    back ? h('a.back', { href: back[0] }, '← ', back[1]) : null,
    h('div.page-head-row',
      h('div', h('h1', title), subtitle ? h('p.subtitle', subtitle) : null),
      actions && actions.filter(Boolean).length ? h('div.page-actions', actions) : null));
}

export function dayCell(value, overdue) {
  return h('span', { class: overdue ? 'overdue' : null }, day(value), overdue ? h('span.overdue-tag', ' overdue') : null);
}

// A region whose content is loaded: shows loading, then content or an error
// with a retry. Returns {el, reload}. render(data) returns nodes.
// keep: on reload, the old content stays until the new one is ready.
export function loadRegion(fetcher, render) {
  const el = h('div.region');
  let seq = 0;
  let shown = false;
  async function reload() {
    const my = ++seq;
    if (!shown) replace(el, loading());
    try {
      const data = await fetcher();
      if (my !== seq) return;
      replace(el, render(data));
      shown = true;
    } catch (err) {
      if (my !== seq) return;
      if (shown) toast(explain(err), { kind: 'error' });
      else replace(el, errorState(err, reload));
    }
  }
  reload();
  return { el, reload };
}

export { append };
