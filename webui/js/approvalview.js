// What a reviewer is asked to approve, shown as the difference from what was
// approved before: per kind of subject (risk acceptance, document, SoA,
// objective, management review minutes, scope).

import { h, humanize, day, instant } from './dom.js';
import { levelChip, chip } from './ui.js';
import { showValue, textDiff } from './diff.js';
import { ROLE_LABELS } from './roles.js';
import { app } from './state.js';
import { loadPeople, person, people, personName } from './directory.js';
import { annexA } from './matrix.js';

export const KIND_LABELS = {
  'risk.acceptance': 'Risk acceptance',
  'document.approval': 'Document approval',
  'soa.publication': 'Statement of Applicability',
  'objective.setting': 'Information security objective',
  'review.minutes': 'Management review minutes',
  'scope.approval': 'ISMS scope',
  'supplier.acceptance': 'Supplier acceptance',
  'asset.classification': 'Asset classification',
};

export function kindLabel(kind) {
  return KIND_LABELS[kind] || humanize(String(kind || '').replace('.', ' '));
}

const RISK_FIELDS = [
  ['residual', 'Residual risk (after treatment)'],
  ['within_appetite', 'Within risk appetite'],
  ['treatment_option', 'Treatment option'],
  ['treatment_actions', 'Treatment plan'],
  ['controls', 'Annex A controls'],
  ['treatment_due', 'Treatment due'],
  ['review_date', 'Accepted until (review date)'],
  ['inherent', 'Inherent risk (before treatment)'],
  ['owner', 'Risk owner'],
  ['title', 'Risk'],
];

const OBJECTIVE_FIELDS = [
  ['statement', 'Objective'], ['measure', 'Measure'], ['target_value', 'Target'], ['unit', 'Unit'],
  ['owner', 'Owner'], ['due_date', 'Due'], ['resources', 'Resources'], ['evaluation', 'How it is evaluated'],
  ['related_policy', 'Related policy'],
];

const SUPPLIER_FIELDS = [
  ['name', 'Supplier'], ['services', 'Services'], ['data_handled', 'Information it handles'], ['criticality', 'Criticality'],
  ['security_requirements', 'Security requirements in the agreement'], ['agreement', 'Agreement'], ['owner', 'Relationship owner'],
  ['linked_risks', 'Linked risks'],
];

const ASSET_FIELDS = [
  ['name', 'Asset'], ['owner', 'Owner'], ['classification_in_force', 'Classified now'],
  ['classification_proposed', 'Proposed classification'], ['reason', 'Why'],
];

const DOCUMENT_FIELDS = [
  ['title', 'Title'], ['kind', 'Kind'], ['document_version', 'Version'], ['classification', 'Classification'],
  ['owner', 'Owner'], ['review_interval_months', 'Review interval (months)'], ['content_sha256', 'Content SHA-256'],
];

function same(a, b) { return JSON.stringify(a ?? null) === JSON.stringify(b ?? null); }

function render(key, v) {
  if (key === 'residual' || key === 'inherent') {
    if (!v || !v.score) return h('span.muted', 'not rated');
    return h('span', levelChip(v.level, v.score), ' ', `likelihood ${v.likelihood} × impact ${v.impact}`);
  }
  if (/(_date|_due|due_on|review_date)$/.test(key) || key === 'treatment_due') return day(v);
  if (key === 'owner' && v) return person(v);
  if (key === 'treatment_option' && v) return humanize(v);
  if (key === 'within_appetite') return v ? chip('Yes', 'ok') : chip('No — above appetite', 'bad');
  if (key === 'content_sha256' && v) return h('code', String(v).slice(0, 16) + '…');
  return showValue(v);
}

// Rows of a subject's content; rows that differ from the previously approved
// version are highlighted and show what was approved before.
export function contentTable(content, previous, fields) {
  const keys = fields || Object.keys(content || {}).map((k) => [k, humanize(k)]);
  const rows = [];
  for (const [key, label] of keys) {
    if (!content || !(key in content)) continue;
    const changed = previous && !same(content[key], previous[key]);
    rows.push(h('tr', { class: changed ? 'changed' : null },
      h('th', { scope: 'row' }, label),
      h('td', render(key, content[key]),
        changed ? h('span.was', h('span.sr-only', 'previously approved: '), 'was: ', previous[key] === undefined ? '—' : render(key, previous[key])) : null)));
  }
  return h('table.content-table', h('tbody', rows));
}

function soaDiff(content, previous) {
  const prevBy = new Map((previous || []).map((e) => [e.control, e]));
  const entries = (content || []).filter((e) => (previous ? !same(e, prevBy.get(e.control)) : e.decided));
  const applicable = (content || []).filter((e) => e.decided && e.applicable).length;
  const excluded = (content || []).filter((e) => e.decided && !e.applicable).length;
  const implemented = (content || []).filter((e) => e.decided && e.applicable && e.status === 'implemented').length;
  if (!entries.length) return h('p.muted', 'No control differs from the published Statement of Applicability.');
  const cell = (e, p, k) => {
    const changed = previous && p && !same(e[k], p[k]);
    return h('td', { class: changed ? 'now' : null }, fmtSoa(k, e[k]),
      changed ? h('span.was', h('span.sr-only', 'published: '), 'was: ', fmtSoa(k, p[k])) : null);
  };
  const titles = [];   // control title elements, filled from the catalogue
  const out = h('div',
    h('p', `${applicable} applicable, ${excluded} excluded, ${implemented} implemented. `,
      previous ? `${entries.length} control${entries.length === 1 ? '' : 's'} change compared with the published version:` : 'First publication: every control as decided.'),
    // Wide screens: one table. Phones: one card per control (the table is
    // hidden by the stylesheet), so nothing scrolls sideways.
    h('div.table-wrap.scroll-box.soa-diff-table', { tabindex: '0', role: 'region', 'aria-label': 'Controls of the Statement of Applicability' }, h('table.difftable.soa-diff',
      h('thead', h('tr', h('th', { scope: 'col' }, 'Control'), h('th', { scope: 'col' }, 'Applicability'), h('th', { scope: 'col' }, 'Implementation'), h('th', { scope: 'col' }, 'Justification'))),
      h('tbody', entries.map((e) => {
        const p = prevBy.get(e.control);
        return h('tr', h('th', { scope: 'row' }, h('code', e.control)), cell(e, p, 'applicable'), cell(e, p, 'status'), cell(e, p, 'justification'));
      })))),
    h('ul.soa-cards', { 'aria-label': 'Controls that change' }, entries.map((e) => {
      const p = previous ? prevBy.get(e.control) : null;
      const title = h('span.soa-card-title');
      titles.push([e.control, title]);
      return h('li.soa-card', { dataset: { control: e.control } },
        h('div.soa-card-head', h('code', e.control), ' ', title),
        h('dl.soa-card-facts',
          soaFact('Decision', 'applicable', e, p),
          e.applicable || (p && p.applicable) ? soaFact('Implementation', 'status', e, p) : null,
          soaFact('Justification', 'justification', e, p, true),
          p && !same(e.linked_risks, p.linked_risks) ? soaFact('Linked risks', 'linked_risks', e, p) : null));
    })));
  annexA().then((catalogue) => {
    const byId = new Map(catalogue.map((c) => [c.id, c.title]));
    for (const [id, el] of titles) el.textContent = byId.get(id) || '';
  }).catch(() => { /* the ids stand alone */ });
  return out;
}

// One line of a phone card: what was published → what is asked now. A long
// text (the justification) shows what it was under what it is now.
function soaFact(label, key, e, p, long = false) {
  const changed = p && !same(e[key], p[key]);
  let value;
  if (!changed) value = fmtSoa(key, e[key]);
  else if (long) value = [h('span.soa-now', fmtSoa(key, e[key])), h('span.was', h('span.sr-only', 'published: '), 'was: ', fmtSoa(key, p[key]))];
  else value = [h('span.was-inline', h('span.sr-only', 'published: '), fmtSoa(key, p[key])), h('span', { 'aria-hidden': 'true' }, ' → '), h('span.sr-only', ', now: '), h('span.soa-now', fmtSoa(key, e[key]))];
  return h('div.soa-fact', { class: changed ? 'changed' : null, dataset: { fact: key } }, h('dt', label), h('dd', value));
}

function fmtSoa(k, v) {
  if (k === 'applicable') return v ? 'applicable' : 'excluded';
  if (k === 'status') return humanize(v);
  if (Array.isArray(v)) return v.length ? v.join(', ') : 'none';
  return v || '—';
}

function minutes(content) {
  return h('div.stack',
    content.held_on ? h('p', 'Held on ', day(content.held_on), content.attendees && content.attendees.length ? [' with ', people(content.attendees)] : '') : null,
    content.decisions && content.decisions.length ? h('div', h('h4', 'Decisions'), h('ul.plain', content.decisions.map((d) => h('li', h('b', humanize(d.kind)), ': ', d.text)))) : null,
    content.actions && content.actions.length ? h('div', h('h4', 'Actions'), h('ul.plain', content.actions.map((a) => h('li', a.description, ' — ', person(a.owner), ', due ', day(a.due_date))))) : null,
    content.items && content.items.length ? h('div', h('h4', 'Items discussed'), h('ul.plain', content.items.map((i) => h('li', h('b', humanize(i.input)), ': ', i.discussion)))) : null);
}

// The "what am I asked" block for one approval (an inbox entry).
export function askBlock(item) {
  const content = item.content;
  const previous = item.previously_approved;
  const kind = item.subject_kind;
  let body;
  let heading = previous ? 'What you are asked to approve — changes since the last approved version' : 'What you are asked to approve (nothing was approved before)';
  if (content === null || content === undefined) {
    body = h('p.muted', 'The subject has no content to show.');
  } else if (kind === 'risk.acceptance') {
    body = contentTable(content, previous, RISK_FIELDS);
  } else if (kind === 'document.approval') {
    body = h('div.stack', contentTable(content, previous, DOCUMENT_FIELDS),
      previous ? textDiff(previous.text, content.text, { label: 'Text: changes since the approved version' })
        : h('div', h('h4', 'Text'), h('div.doc-text', { tabindex: '0', role: 'region', 'aria-label': `Text of ${content.title || 'the document'}` }, content.text || '')));
  } else if (kind === 'soa.publication') {
    heading = previous ? 'Controls that change compared with the published Statement of Applicability' : 'The Statement of Applicability to publish';
    body = soaDiff(content, previous);
  } else if (kind === 'objective.setting') {
    body = contentTable(content, previous, OBJECTIVE_FIELDS);
  } else if (kind === 'review.minutes') {
    body = minutes(content);
  } else if (kind === 'asset.classification') {
    body = contentTable(content, previous, ASSET_FIELDS);
  } else if (kind === 'supplier.acceptance') {
    body = contentTable(content, previous, SUPPLIER_FIELDS);
  } else if (Array.isArray(content)) {
    body = showValue(content);
  } else {
    body = contentTable(content, previous);
  }
  return h('div.approval-ask', h('h3', heading), body);
}

// The reviewers the policy asks for, and who has decided: chips in order.
export function policySteps(item) {
  const p = item.policy || {};
  const decided = item.decisions || [];
  const steps = [];
  for (const u of p.required_users || []) steps.push({ key: `user:${u}`, label: personName(u) });
  for (const r of p.required_roles || []) steps.push({ key: `role:${r}`, label: ROLE_LABELS[r] || humanize(r) });
  // Only a request still open has a step whose turn it is now.
  let nowMarked = !!item.state && item.state !== 'open';
  return h('div.policy-steps', { 'aria-label': 'Who approves' },
    steps.map((s) => {
      const d = decided.find((x) => x.step === s.key);
      const isNow = !d && !nowMarked;
      if (isNow) nowMarked = true;
      return h('span.step', { class: d ? 'done' : isNow ? 'now' : null },
        d ? '✓ ' : '', s.label, d && s.key.startsWith('role:') ? ` (${personName(d.reviewer)})` : !d && isNow ? ' — now' : '');
    }),
    p.min_approvals ? h('span.muted', { style: 'font-size:.84rem;align-self:center' }, `${p.min_approvals} approval${p.min_approvals === 1 ? '' : 's'} needed${p.ordered ? ', in this order' : ''}`) : null);
}

export function requestMeta(item) {
  return h('div.approval-meta', 'Requested by ', h('b', person(item.requested_by)), ' on ', instant(item.requested_at));
}

// The decisions taken so far, with their comments.
export function decisionsList(decisions) {
  if (!decisions || !decisions.length) return null;
  return h('ul.timeline', decisions.map((d) => h('li',
    h('div.tl-when', instant(d.at), d.position ? h('div.tl-pos', `#${d.position}`) : null),
    h('div', h('div.tl-what', d.approved ? '✓ Approved' : '✗ Rejected', ' by ', person(d.reviewer)),
      d.roles && d.roles.length ? h('div.tl-who', d.roles.map((r) => ROLE_LABELS[r] || r).join(', ')) : null,
      d.comment ? h('div.tl-why', d.comment) : null))));
}

// ---------------------------------------------------------------- outcomes

// The approval request `id` as the `approvals` view holds it now (every
// request of its subject is listed when asked by subject), or null.
export async function findApproval(id, subjectStream) {
  const subject = subjectStream || String(id).replace(/\.v\d+$/, '');
  const data = await app.query('approvals', { subject_stream: subject }, { now: true });
  return (data.approvals || []).find((x) => x.id === id) || null;
}

// A person's name once the users are loaded ("Henrik Brandt"), else the id.
async function loadedName(id) {
  await loadPeople();
  return personName(id);
}

// Who concluded a request and why, in words: {verdict, by, reason, at,
// tone} with verdict "Rejected by Henrik Brandt" / "Approved by …" /
// "Withdrawn"; for a request still open, what `me` decided on it, or null.
export async function outcomeOf(a, me = app.user && app.user.id) {
  if (!a) return null;
  const decisions = a.decisions || [];
  if (a.state === 'rejected') {
    const d = decisions.find((x) => !x.approved && (!a.rejected_by || x.reviewer === a.rejected_by)) || {};
    const by = a.rejected_by || d.reviewer || '';
    return { state: 'rejected', tone: 'bad', by, verdict: by === me ? 'You rejected this' : `Rejected by ${await loadedName(by)}`, reason: d.comment || a.outcome_comment || '', at: a.concluded_at || d.at };
  }
  if (a.state === 'approved') {
    const last = decisions.filter((x) => x.approved).at(-1) || {};
    const names = await Promise.all((a.approvers || []).map((u) => (u === me ? 'you' : loadedName(u))));
    return { state: 'approved', tone: 'ok', by: last.reviewer || '', verdict: `Approved by ${names.join(' and ') || '—'}`, reason: a.outcome_comment || last.comment || '', at: a.concluded_at || last.at };
  }
  if (a.state === 'voided') {
    return { state: 'voided', tone: 'muted', by: '', verdict: 'Withdrawn', reason: a.void_reason || '', at: a.concluded_at };
  }
  const mine = decisions.find((x) => x.reviewer === me);
  if (mine) return { state: a.state, tone: mine.approved ? 'ok' : 'bad', by: me, verdict: mine.approved ? 'You approved this' : 'You rejected this', reason: mine.comment || '', at: mine.at };
  return null;
}

// The outcome as a block: the verdict, when, and the reason quoted.
export function outcomeBlock(o, { lead } = {}) {
  if (!o) return null;
  return h('div.outcome', { class: `outcome-${o.tone}`, dataset: { outcome: o.state } },
    lead ? h('p.outcome-lead', lead) : null,
    h('p.outcome-verdict', h('strong', o.verdict), o.at ? h('span.muted', ' · ', instant(o.at)) : null),
    o.reason ? h('blockquote.outcome-reason', h('span.sr-only', 'Reason: '), o.reason) : h('p.muted', 'No reason was given.'));
}
