// Context and scope of the ISMS (4.1–4.4): the scope statement, the internal
// and external issues, the interested parties and their requirements — the
// `scope` view. The ISMS manager edits a draft; top management's approval
// makes it the scope in force (the approval screen shows the difference).

import { h, replace, day } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, toast, explain, chip, field, openDialog, writeButton, empty, facts, section, confirmDialog, userError, followView, requestApprovalDialog } from '../ui.js';
import { nextId, people } from '../directory.js';

const STREAM = 'scope-main';

export async function render(ctx) {
  let last = null;
  const head = h('div');
  const body = h('div', loading());
  const page = h('div', head, body);

  const reload = followView(ctx, 'scope', { body, draw: (data) => draw((last = data)) });

  function draw(s) {
    const draft = normalized(s.draft || {});
    const statement = draft.statement || null;
    const pending = s.pending_approval_id || '';
    replace(head, pageHeader('Context and scope', {
      subtitle: 'The issues, the interested parties and their requirements, and the boundaries of the ISMS (4.1–4.4).',
      // What the scope's state admits comes with it (allowed_commands).
      actions: [writeButton('scope.request_approval', 'Request approval', () => requestDialog(s), { on: s })],
    }));

    const standing = s.effective
      ? h('div.row', { dataset: { testid: 'scope-in-force' } }, chip('In force', 'ok'),
        h('span', ' since ', day(s.effective_since), ', approved by ', people(s.approved_by)))
      : h('div.row', chip('Not yet approved', 'warn'), h('span.muted', ' Top management has not approved a scope yet.'));
    const draftNote = pending
      ? h('p', { dataset: { testid: 'scope-pending' } }, chip('Awaiting approval', 'warn'), ' ',
        h('a', { href: `#/approvals/${encodeURIComponent(pending)}` }, 'Top management decides on the draft below'),
        '. A change to the draft withdraws the request.')
      : s.draft_differs
        ? h('p', chip('Draft', 'info'), ' The draft below differs from the scope in force; request approval to make it effective.')
        : s.effective ? h('p.muted', 'The draft below is the scope in force.') : null;

    replace(body,
      section(null, standing, draftNote),
      section('Scope statement (4.3)',
        statement ? statementView(statement) : empty('No scope statement yet', 'The ISMS manager writes the boundaries and applicability of the ISMS.'),
        h('div.row', { style: 'margin-top:12px' },
          writeButton('scope.set_statement', statement ? 'Edit statement' : 'Write the statement', () => statementDialog(statement), { small: true, kind: statement ? 'quiet' : 'primary' }))),
      section('Internal and external issues (4.1)',
        (draft.issues || []).length
          ? h('ul.plain-list', draft.issues.map((i) => h('li', { dataset: { issue: i.id }, style: 'margin-bottom:10px' },
            h('div.row', { style: 'justify-content:space-between' },
              h('div', h('span.id-cell', i.id), ' ', chip(i.kind === 'external' ? 'External' : 'Internal', i.kind === 'external' ? 'info' : 'neutral'), ' ', i.description),
              h('div.row',
                writeButton('scope.update_issue', 'Edit', () => issueDialog(draft, i), { small: true, kind: 'quiet' }),
                writeButton('scope.remove_issue', 'Remove', () => removeIssue(i), { small: true, kind: 'quiet' }))))))
          : empty('No issue recorded', 'Internal and external issues relevant to the purpose of the organisation and its ISMS.'),
        h('div.row', { style: 'margin-top:12px' },
          writeButton('scope.add_issue', '+ Issue', () => issueDialog(draft), { small: true }))),
      section('Interested parties and their requirements (4.2)',
        (draft.interested_parties || []).length
          ? h('ul.plain-list', draft.interested_parties.map((p) => h('li', { dataset: { party: p.id }, style: 'margin-bottom:12px' },
            h('div.row', { style: 'justify-content:space-between' },
              h('div', h('span.id-cell', p.id), ' ', h('b', p.name)),
              h('div.row',
                writeButton('scope.update_interested_party', 'Edit', () => partyDialog(draft, p), { small: true, kind: 'quiet' }),
                writeButton('scope.remove_interested_party', 'Remove', () => removePartyDialog(p), { small: true, kind: 'quiet' }))),
            (p.requirements || []).length ? h('ul', p.requirements.map((r) => h('li', r))) : h('div.muted', 'No requirement recorded.'))))
          : empty('No interested party recorded', 'Customers, regulators, staff, suppliers … and what they require of information security.'),
        h('div.row', { style: 'margin-top:12px' },
          writeButton('scope.add_interested_party', '+ Interested party', () => partyDialog(draft, null), { small: true }))));
  }

  await reload();
  return page;
}

// Entries carry their id as issue_id / party_id (and as id in some shapes).
function normalized(part) {
  return {
    ...part,
    issues: (part.issues || []).map((i) => ({ ...i, id: i.id || i.issue_id })),
    interested_parties: (part.interested_parties || []).map((p) => ({ ...p, id: p.id || p.party_id })),
  };
}

function statementView(st) {
  return h('div',
    facts([
      ['Boundaries', st.boundaries],
      ['Interfaces and dependencies', st.interfaces || ''],
    ]),
    h('h3.subhead', 'Included'),
    h('ul', (st.inclusions || []).map((i) => h('li', i))),
    h('h3.subhead', 'Excluded'),
    (st.exclusions || []).length
      ? h('ul', st.exclusions.map((x) => h('li', h('b', x.item), ' — ', x.justification)))
      : h('p.muted', 'Nothing is excluded.'));
}

const lines = (text) => String(text || '').split('\n').map((l) => l.trim()).filter(Boolean);

function statementDialog(st) {
  const current = st || { boundaries: '', inclusions: [], exclusions: [], interfaces: '' };
  openDialog({
    title: 'Scope statement',
    intro: 'The boundaries and applicability of the ISMS (4.3). Each exclusion needs its justification.',
    wide: true,
    fields: h('div',
      field({ label: 'Boundaries', name: 'boundaries', type: 'textarea', value: current.boundaries, required: true }),
      field({ label: 'Included (one per line)', name: 'inclusions', type: 'textarea', rows: 4, value: (current.inclusions || []).join('\n'), required: true }),
      field({ label: 'Excluded (one per line: item: justification)', name: 'exclusions', type: 'textarea', rows: 3,
        value: (current.exclusions || []).map((x) => `${x.item}: ${x.justification}`).join('\n') }),
      field({ label: 'Interfaces and dependencies', name: 'interfaces', type: 'textarea', value: current.interfaces || '' })),
    submitLabel: 'Save statement',
    onSubmit: async (v) => {
      const exclusions = [];
      for (const line of lines(v.exclusions)) {
        const at = line.indexOf(':');
        if (at <= 0 || !line.slice(at + 1).trim()) throw userError(`Give each exclusion its justification after a colon: “${line}”.`);
        exclusions.push({ item: line.slice(0, at).trim(), justification: line.slice(at + 1).trim() });
      }
      await app.command('scope.set_statement', STREAM, {
        boundaries: v.boundaries, inclusions: lines(v.inclusions), exclusions, interfaces: v.interfaces || '',
      });
      toast('Scope statement saved in the draft.', { kind: 'ok' });
    },
  });
}

// Adds an issue, or revises `issue` (its kind and description) when given.
function issueDialog(draft, issue) {
  openDialog({
    title: issue ? `Issue ${issue.id}` : 'Add an issue',
    intro: 'An internal or external issue that affects the ability of the ISMS to achieve its intended outcomes (4.1).',
    fields: [
      issue ? null : field({ label: 'Issue id', name: 'issue_id', value: nextId('I-', (draft.issues || []).map((i) => i.id)), required: true }),
      field({ label: 'Kind', name: 'kind', type: 'select', value: issue ? issue.kind : 'external', options: [['external', 'External'], ['internal', 'Internal']] }),
      field({ label: 'Description', name: 'description', type: 'textarea', value: issue ? issue.description : '', required: true }),
    ].filter(Boolean),
    submitLabel: issue ? 'Save issue' : 'Add issue',
    onSubmit: async (v) => {
      const id = issue ? issue.id : v.issue_id;
      await app.command(issue ? 'scope.update_issue' : 'scope.add_issue', STREAM, { issue_id: id, kind: v.kind, description: v.description });
      toast(issue ? `Issue ${id} revised in the draft.` : `Issue ${id} added to the draft.`, { kind: 'ok' });
    },
  });
}

async function removeIssue(issue) {
  const yes = await confirmDialog({ title: `Remove issue ${issue.id}`, text: `“${issue.description}” leaves the draft; its history stays in the log.`, confirmLabel: 'Remove issue', danger: true });
  if (!yes) return;
  try {
    await app.command('scope.remove_issue', STREAM, { issue_id: issue.id });
    toast(`Issue ${issue.id} removed from the draft.`, { kind: 'ok' });
  } catch (err) {
    toast(explain(err), { kind: 'error' });
  }
}

function removePartyDialog(party) {
  openDialog({
    title: `Remove interested party ${party.id}`,
    intro: `${party.name} will no longer be listed among the interested parties of the draft context (4.2). Say why: the reason is recorded.`,
    fields: [field({ label: 'Reason', name: 'reason', type: 'textarea', rows: 3, required: true })],
    submitLabel: 'Remove party',
    onSubmit: async (v) => {
      await app.command('scope.remove_interested_party', STREAM, { party_id: party.id, reason: v.reason });
      toast(`Interested party ${party.id} removed from the draft.`, { kind: 'ok' });
    },
  });
}

function partyDialog(draft, party) {
  openDialog({
    title: party ? `Interested party ${party.id}` : 'Add an interested party',
    intro: 'Who is interested in the information security of the organisation, and what they require of it (4.2).',
    fields: [
      party ? null : field({ label: 'Party id', name: 'party_id', value: nextId('P-', (draft.interested_parties || []).map((p) => p.id)), required: true }),
      field({ label: 'Name', name: 'name', value: party ? party.name : '', required: true }),
      field({ label: 'Requirements (one per line)', name: 'requirements', type: 'textarea', rows: 4, value: party ? (party.requirements || []).join('\n') : '' }),
    ],
    submitLabel: party ? 'Save' : 'Add party',
    onSubmit: async (v) => {
      const data = { party_id: party ? party.id : v.party_id, name: v.name, requirements: lines(v.requirements) };
      await app.command(party ? 'scope.update_interested_party' : 'scope.add_interested_party', STREAM, data);
      toast(`Interested party ${data.party_id} ${party ? 'updated' : 'added'} in the draft.`, { kind: 'ok' });
    },
  });
}

function requestDialog() {
  requestApprovalDialog('scope.request_approval', { stream: STREAM }, {
    title: 'Request approval of the scope',
    intro: 'Top management decides; once approved, the draft becomes the scope in force.',
    summary: { label: 'Summary (optional)', type: 'text' },
    done: 'Approval of the scope requested. Top management is notified.',
  });
}
