// What a reviewer is asked to approve, shown as the difference from what was
// approved before: per kind of subject (risk acceptance, document, SoA,
// objective, management review minutes, scope).

import { h, humanize, day, instant } from './dom.js';
import { levelChip, chip } from './ui.js';
import { showValue, textDiff } from './diff.js';
import { ROLE_LABELS } from './roles.js';
import { person, people, personName } from './directory.js';

export const KIND_LABELS = {
  'risk.acceptance': 'Risk acceptance',
  'document.approval': 'Document approval',
  'soa.publication': 'Statement of Applicability',
  'objective.setting': 'Information security objective',
  'review.minutes': 'Management review minutes',
  'scope.approval': 'ISMS scope',
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
  return h('div',
    h('p', `${applicable} applicable, ${excluded} excluded, ${implemented} implemented. `,
      previous ? `${entries.length} control${entries.length === 1 ? '' : 's'} change compared with the published version:` : 'First publication: every control as decided.'),
    h('div.table-wrap.scroll-box', { tabindex: '0', role: 'region', 'aria-label': 'Controls of the Statement of Applicability' }, h('table.difftable.soa-diff',
      h('thead', h('tr', h('th', { scope: 'col' }, 'Control'), h('th', { scope: 'col' }, 'Applicability'), h('th', { scope: 'col' }, 'Implementation'), h('th', { scope: 'col' }, 'Justification'))),
      h('tbody', entries.map((e) => {
        const p = prevBy.get(e.control);
        return h('tr', h('th', { scope: 'row' }, h('code', e.control)), cell(e, p, 'applicable'), cell(e, p, 'status'), cell(e, p, 'justification'));
      })))));
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
  let nowMarked = false;
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
