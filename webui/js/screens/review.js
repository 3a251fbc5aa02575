// The live management review (9.3): the agenda assembled from the inputs of
// 9.3.2 a–g (the `review_pack` view), who is in the room (presence pushes of
// the `review:<id>` channel), and the items, decisions and actions the chair
// records — pushed to every participant the moment they are recorded.

import { h, replace, day, humanize, monthsAhead, debounce } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, printButton, loading, errorState, toast, explain, stateChip, chip, levelChip, field, openDialog, writeButton, facts, section, empty, actionFields, requestApprovalDialog } from '../ui.js';
import { userOptions, nextId, person, people, personName } from '../directory.js';
import { evidenceSection } from '../evidence.js';

export const INPUTS = [
  ['previous_actions', 'a', 'Status of actions from previous management reviews'],
  ['issue_changes', 'b', 'Changes in external and internal issues'],
  ['interested_party_changes', 'c', 'Changes in needs and expectations of interested parties'],
  ['security_performance', 'd', 'Feedback on information security performance'],
  ['interested_party_feedback', 'e', 'Feedback from interested parties'],
  ['risk_assessment', 'f', 'Results of risk assessment and status of the risk treatment plan'],
  ['improvement_opportunities', 'g', 'Opportunities for continual improvement'],
];

export async function render(ctx) {
  const id = ctx.params.id;
  const head = h('div', pageHeader(`Management review ${id}`, { back: ['#/reviews', 'Management review'] }));
  const presenceBox = h('div.presence', { 'aria-live': 'polite' }, h('span.muted', app.past ? 'Presence is shown only live.' : 'Joining…'));
  const sessionBox = h('div');
  const agendaBox = h('div', loading('Assembling the agenda…'));
  const body = h('div', loading());
  const page = h('div', head, body);
  let review = null;
  let reviewsData = null;  // the `reviews` reply the review came from (its `months_ahead`)
  let pack = null;
  let present = [];
  const seen = new Set();     // decision / action / item ids already shown (to mark new ones)
  let first = true;

  let evidence = null;
  async function reload() {
    try {
      const data = await app.query('reviews');
      const r = (data.reviews || []).find((x) => x.id === id);
      if (!r) {
        replace(body, errorState({ code: 'not_found', message: `No management review ${id}${app.past ? ' at this point in history' : ''}.` }));
        return;
      }
      review = r;
      reviewsData = data;
      if (first) {
        evidence = evidenceSection(ctx, 'review', id, { hint: 'Presentations, reports and records of the review' });
        replace(body, h('div.grid-2', section('In the room', presenceBox), section('Session', sessionBox)),
          h('div', { id: 'review-live' }), section('Agenda — inputs of 9.3.2', agendaBox), evidence);
      }
      evidence.setParts('action', (r.actions || []).map((a) => [a.id, `${a.id} · ${a.description}`]));
      draw();
      if (first || !pack) loadPack();
      first = false;
    } catch (err) {
      if (!review) replace(body, errorState(err, reload));
      else toast(explain(err), { kind: 'error' });
    }
  }

  async function loadPack() {
    try {
      // Once assembled, the agenda is the pack as it stood then.
      let asOf = app.asOf ? { position: app.asOf.position } : null;
      if (review.inputs_as_of_position && (!asOf || asOf.position > review.inputs_as_of_position)) asOf = { position: review.inputs_as_of_position };
      const r = await app.conn.query('review_pack', { id }, asOf);
      pack = r.data;
      drawAgenda();
    } catch (err) {
      replace(agendaBox, errorState(err, loadPack));
    }
  }

  function draw() {
    const r = review;
    const s = r.state;
    const inSession = s === 'open';
    replace(head, pageHeader(`Management review ${r.id}`, {
      back: ['#/reviews', 'Management review'],
      subtitle: h('span.row', stateChip(s), h('span', 'Planned ', day(r.planned_on)), h('span', 'Chair: ', h('b', person(r.chair)))),
      actions: [
        printButton(`review-${r.id}`, 'Print the minutes'),
        // What the review's state admits comes with it (allowed_commands).
        writeButton('review.assemble_inputs', s === 'scheduled' ? 'Assemble inputs' : 'Re-assemble inputs', () => assemble(r), { kind: s === 'scheduled' ? 'primary' : 'quiet', on: r }),
        writeButton('review.open', 'Open the session', () => simple(r, 'review.open', 'The session is open.'), { on: r }),
        writeButton('review.record_attendance', 'Record attendance', () => attendanceDialog(r, present), { kind: r.attendees && r.attendees.length ? 'quiet' : 'primary', on: r }),
        writeButton('review.request_minutes_approval', 'Request minutes approval', () => minutesDialog(r), { kind: 'quiet', on: r }),
        writeButton('review.close', 'Close the review', () => simple(r, 'review.close', 'The review is closed.'), { on: r }),
      ],
    }));
    replace(sessionBox, facts([
      ['Held on', r.held_on ? day(r.held_on) : 'not yet'],
      ['Attendees', h('span', people(r.attendees))],
      r.apologies && r.apologies.length ? ['Apologies', h('span', people(r.apologies))] : null,
      ['Inputs assembled', r.inputs_assembled ? h('span', day(r.assembled_on), ` (position ${r.inputs_as_of_position})`) : 'not yet'],
      r.pending_approval_id ? ['Minutes', h('a', { href: `#/approvals/${encodeURIComponent(r.pending_approval_id)}` }, 'waiting for approval')] : null,
      (r.minutes_approved_by || []).length ? ['Minutes approved by', h('span', people(r.minutes_approved_by))] : null,
      r.previous_review_id ? ['Previous review', h('a', { href: `#/reviews/${encodeURIComponent(r.previous_review_id)}` }, r.previous_review_id)] : null,
    ]));
    const live = body.querySelector('#review-live');
    if (live) replace(live, h('div.grid-2', { style: 'margin-bottom:18px' },
      section(h('span.row', 'Decisions', h('span.spacer'),
        writeButton('review.record_decision', '+ Decision', () => decisionDialog(r), { small: true, on: r })),
        (r.decisions || []).length ? h('div', { role: 'list', 'aria-label': 'Decisions', 'aria-live': 'polite' }, r.decisions.map((d) => mark(`d:${d.id}`, h('div.decision', { role: 'listitem', dataset: { decision: d.id } },
          h('div.decision-kind', humanize(d.kind), d.item_id ? ` · on item ${d.item_id}` : ''),
          h('div', d.text))))) : h('p.muted', inSession ? 'No decision yet. Decisions recorded by the chair appear here for everyone at once.' : 'No decision recorded.')),
      section(h('span.row', 'Actions', h('span.spacer'),
        writeButton('review.record_action', '+ Action', () => actionDialog(r, reviewsData), { small: true, on: r })),
        (r.actions || []).length ? h('div', { role: 'list', 'aria-label': 'Actions', 'aria-live': 'polite' }, r.actions.map((a) => mark(`a:${a.id}`, h('div.decision', { role: 'listitem', dataset: { action: a.id } },
          h('div.row', h('b', a.description), h('span.spacer'), a.done ? chip('Done', 'ok') : a.overdue ? chip('Overdue', 'bad') : chip('Open', 'info')),
          h('div.muted', { style: 'font-size:.86rem' }, person(a.owner), ' · due ', day(a.due_on), a.decision_id ? ` · from decision ${a.decision_id}` : ''),
          a.evidence ? h('div.tl-why', a.evidence) : null,
          writeButton('review.complete_action', 'Mark done', () => completeDialog(r, a), { small: true, kind: 'quiet', on: a, owner: a.owner }))))) : h('p.muted', 'No action recorded.'))));
    if (pack) drawAgenda();
  }

  // Marks entries that arrived after the first render, so they stand out.
  function mark(key, el) {
    if (!first && !seen.has(key)) el.classList.add('fresh');
    seen.add(key);
    return el;
  }

  function drawAgenda() {
    const p = pack && pack.pack;
    if (!p) { replace(agendaBox, empty('No inputs yet')); return; }
    const items = (review && review.items) || [];
    replace(agendaBox,
      h('p.muted', { style: 'font-size:.88rem' }, `Compared with ${p.previous_review_id ? `review ${p.previous_review_id}` : 'the beginning (no previous review)'} · as of position ${p.as_of_position} · `, day(p.today)),
      h('div.agenda', INPUTS.map(([key, letter, title]) => {
        const discussed = items.filter((i) => i.input === key);
        return h('details.agenda-item', { open: true, dataset: { input: key } },
          h('summary', h('span.agenda-letter', letter), h('span.agenda-title', title),
            discussed.length ? chip('discussed', 'ok') : chip('to discuss', 'neutral')),
          h('div.agenda-body',
            inputBody(key, p[key] || {}),
            discussed.map((i) => h('div.tl-why', h('b', `${i.id}: `), i.discussion)),
            review ? writeButton('review.record_item', 'Record discussion', () => itemDialog(review, key, title), { small: true, kind: 'quiet', on: review }) : null));
      })));
  }

  ctx.reload = reload;
  if (!app.past) {
    const refresh = debounce(reload, 120);
    const unsubscribe = app.conn.subscribe(`review:${id}`, (data) => {
      if (data && data.presence) {
        present = data.presence;
        replace(presenceBox, present.length ? present.map((u) => h('span.row', { style: 'gap:6px', dataset: { present: u } }, h('span.avatar', { 'aria-hidden': 'true' }, initials(personName(u))), h('span', person(u)))) : h('span.muted', 'Nobody else is here.'));
      } else if (data && data.event) {
        refresh();
      }
    });
    ctx.onCleanup(unsubscribe);
  }
  await reload();
  return page;
}

// "Mara Hansen" → "MH"; a user id without a name → its first two letters.
function initials(name) {
  const parts = String(name).split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts.slice(0, 2).map((p) => p[0]) : [String(name).slice(0, 2)]).join('').toUpperCase();
}

// ---------------------------------------------------------------- inputs

function list(items, render, none = 'None.') {
  return items && items.length ? h('ul.plain', items.map((x) => h('li', render(x)))) : h('p.muted', none);
}

function changes(c) {
  if (!c) return null;
  const n = (c.added || []).length + (c.removed || []).length + (c.changed || []).length;
  return h('p', n ? `${(c.added || []).length} added, ${(c.removed || []).length} removed, ${(c.changed || []).length} changed since the previous review.` : 'No change since the previous review.');
}

function inputBody(key, x) {
  switch (key) {
    case 'previous_actions':
      return h('div', h('p', `${x.open ?? 0} open, ${x.done ?? 0} done, ${x.overdue ?? 0} overdue.`),
        list(x.actions, (a) => [a.description, ' — ', person(a.owner), ', due ', day(a.due_on), ' ', a.done ? chip('done', 'ok') : a.overdue ? chip('overdue', 'bad') : chip('open', 'info')], 'No action from previous reviews.'));
    case 'issue_changes':
      return h('div', changes(x.changes), list(x.current, (i) => [chip(humanize(i.kind), 'neutral'), ' ', i.description], 'No issue recorded.'));
    case 'interested_party_changes':
      return h('div', changes(x.changes), list(x.current, (p) => [h('b', p.name), (p.requirements || []).length ? `: ${p.requirements.join('; ')}` : ''], 'No interested party recorded.'));
    case 'security_performance': {
      const nc = x.nonconformities || {};
      const sev = nc.open_by_severity || {};
      const fo = x.fulfilment_of_objectives || {};
      // Packs assembled before the incident register carry no `incidents`.
      const inc = x.incidents;
      const isev = (inc && inc.open_by_severity) || {};
      return h('div.stack', { style: 'gap:10px' },
        inc ? h('div', h('b', 'Information security incidents: '),
          `${(inc.reported_since_previous_review || []).length} reported (${inc.events_not_incidents_since_previous_review ?? 0} of them events, not incidents) and ${(inc.closed_since_previous_review || []).length} closed since the previous review; `,
          `${(inc.trend || {}).open_now ?? 0} open now (${(inc.trend || {}).open_at_previous_review ?? 0} at the previous review)`,
          (isev.critical || isev.high) ? `, ${isev.critical ?? 0} critical and ${isev.high ?? 0} high.` : '.',
          list(inc.reported_since_previous_review, (i) => [h('a', { href: `#/incidents/${encodeURIComponent(i.id)}` }, `${i.id} ${i.title}`), ' ', i.severity ? chip(humanize(i.severity), i.severity === 'high' || i.severity === 'critical' ? 'bad' : 'neutral') : null, ' ', humanize(i.state)], 'No incident reported.')) : null,
        h('div', h('b', 'Nonconformities and corrective actions: '), `${sev.major ?? 0} major, ${sev.minor ?? 0} minor, ${sev.observation ?? 0} observations open; `,
          `${(nc.raised_since_previous_review || []).length} raised and ${(nc.closed_since_previous_review || []).length} closed since the previous review; `,
          `${nc.corrective_actions_open ?? 0} actions open, ${nc.corrective_actions_overdue ?? 0} overdue.`),
        h('div', h('b', 'Monitoring and measurement: '),
          list(x.monitoring_and_measurement, (o) => [o.statement, ': ', o.latest && typeof o.latest.value === 'number' ? `${o.latest.value} ${o.unit}` : 'not measured', ` (target ${o.target} ${o.unit})`], 'No objective measured.')),
        h('div', h('b', 'Audit results: '),
          list((x.audit_results || {}).audits, (a) => [`${a.id} ${a.area}: `, humanize(a.state), a.conclusion ? ` — ${a.conclusion}` : ''], 'No audit.')),
        h('div', h('b', 'Fulfilment of objectives: '), `${(fo.achieved_since_previous_review || []).length} achieved, ${(fo.missed_since_previous_review || []).length} missed, ${(fo.overdue || []).length} overdue.`));
    }
    case 'interested_party_feedback': {
      // Packs assembled before the supplier register carry no `supplier_performance`.
      const sp = x.supplier_performance;
      return h('div.stack', { style: 'gap:10px' },
        h('p', `${(x.external_audit_nonconformities_since_previous_review || []).length} nonconformities from external audits since the previous review; ${x.interested_parties ?? 0} interested parties on record.`),
        sp ? h('div', h('b', 'Supplier performance: '),
          `${(sp.assessed_since_previous_review || []).length} assessed since the previous review, ${(sp.not_satisfactory_since_previous_review || []).length} not satisfactory; ${(sp.assessments_due || []).length} assessments due.`,
          list(sp.not_satisfactory_since_previous_review, (s) => [h('a', { href: `#/suppliers/${encodeURIComponent(s.id)}` }, s.name), ' ', chip(humanize(s.result), s.result === 'unsatisfactory' ? 'bad' : 'warn'), s.findings ? ` — ${s.findings}` : ''], 'Every supplier assessed was satisfactory.')) : null);
    }
    case 'risk_assessment': {
      const tp = x.treatment_plan || {};
      return h('div.stack', { style: 'gap:10px' },
        changes(x.changes),
        h('div', h('b', 'Above the risk appetite: '),
          list(x.above_appetite, (r) => [h('a', { href: `#/risks/${encodeURIComponent(r.id)}` }, `${r.id} ${r.title}`), ' ', levelChip(r.level), ' — ', person(r.owner)], 'No risk above appetite.')),
        h('div', h('b', 'Risk treatment plan: '), `${(tp.treatments_overdue || []).length} treatments overdue, ${(tp.acceptances_expiring || []).length} acceptances expiring, ${(tp.acceptances_expired || []).length} expired.`),
        h('div', `${(x.identified_since_previous_review || []).length} risks identified and ${(x.retired_since_previous_review || []).length} retired since the previous review.`));
    }
    case 'improvement_opportunities':
      return h('div',
        list([...(x.audit_opportunities_since_previous_review || []), ...(x.observations_since_previous_review || [])], (o) => o.text || o.description || JSON.stringify(o), 'No opportunity from audits or observations.'),
        (x.incident_lessons_since_previous_review || []).length ? h('div', h('b', 'Lessons learned from incidents: '),
          list(x.incident_lessons_since_previous_review, (l) => [h('a', { href: `#/incidents/${encodeURIComponent(l.id)}` }, l.id), ': ', l.lessons])) : null,
        (x.previous_review_improvement_decisions || []).length ? h('div', h('b', 'Improvement decided at the previous review: '), list(x.previous_review_improvement_decisions, (d) => d.text)) : null);
    default:
      return h('pre', JSON.stringify(x, null, 2));
  }
}

// ---------------------------------------------------------------- commands

async function simple(r, type, done) {
  try {
    await app.command(type, r.stream, {}, { expectedVersion: r.version });
    toast(done, { kind: 'ok' });
  } catch (err) {
    toast(explain(err), { kind: 'error' });
  }
}

async function assemble(r) {
  try {
    const res = await app.conn.query('review_pack', { id: r.id });
    await app.command('review.assemble_inputs', r.stream, { pack: res.data.pack, as_of_position: res.position }, { expectedVersion: r.version });
    toast('Inputs assembled from the registers as they stand now.', { kind: 'ok' });
  } catch (err) {
    toast(explain(err), { kind: 'error' });
  }
}

async function attendanceDialog(r, present) {
  const everyone = await userOptions();
  const chosen = (r.attendees && r.attendees.length ? r.attendees : [...new Set([r.chair, ...present])]);
  openDialog({
    title: 'Attendance',
    intro: 'Who takes part. The chair, from top management, must attend (9.3.1). Those in the room are ticked.',
    fields: [
      field({ label: 'Attendees', name: 'attendees', type: 'checkboxes', options: everyone, value: chosen }),
      field({ label: 'Apologies', name: 'apologies', hint: 'User ids separated by commas (optional)', value: (r.apologies || []).join(', ') }),
    ],
    submitLabel: 'Record attendance',
    onSubmit: async (v) => {
      await app.command('review.record_attendance', r.stream, { attendees: v.attendees || [], apologies: String(v.apologies || '').split(/[\s,;]+/).filter(Boolean) });
      toast('Attendance recorded.', { kind: 'ok' });
    },
  });
}

function itemDialog(r, input, title) {
  openDialog({
    title: 'Record the discussion',
    intro: title,
    fields: [
      field({ label: 'Item id', name: 'item_id', value: nextId('IT', (r.items || []).map((i) => i.id)), required: true }),
      field({ label: 'What was discussed', name: 'discussion', type: 'textarea', rows: 4, required: true }),
    ],
    submitLabel: 'Record',
    onSubmit: async (v) => {
      await app.command('review.record_item', r.stream, { item_id: v.item_id, input, discussion: v.discussion });
      toast('Discussion recorded.', { kind: 'ok' });
    },
  });
}

function decisionDialog(r) {
  openDialog({
    title: 'Record a decision (9.3.3)',
    fields: [
      field({ label: 'Decision id', name: 'decision_id', value: nextId('D', (r.decisions || []).map((d) => d.id)), required: true }),
      field({ label: 'Kind', name: 'kind', type: 'select', options: [['improvement_opportunity', 'Continual improvement opportunity'], ['isms_change', 'Change to the ISMS']], required: true }),
      field({ label: 'Decision', name: 'text', type: 'textarea', rows: 3, required: true }),
      field({ label: 'On item (optional)', name: 'item_id', type: 'select', options: [['', '—'], ...(r.items || []).map((i) => [i.id, `${i.id}: ${humanize(i.input)}`])] }),
    ],
    submitLabel: 'Record decision',
    onSubmit: async (v) => {
      const data = { decision_id: v.decision_id, kind: v.kind, text: v.text };
      if (v.item_id) data.item_id = v.item_id;
      await app.command('review.record_decision', r.stream, data);
      toast('Decision recorded — every participant sees it now.', { kind: 'ok' });
    },
  });
}

async function actionDialog(r, data) {
  const owners = await userOptions();
  openDialog({
    title: 'Record an action',
    fields: h('div.form-grid',
      actionFields((r.actions || []).map((a) => a.id), owners),
      h('div.span-2', field({ label: 'What is to be done', name: 'description', type: 'textarea', rows: 3, required: true })),
      field({ label: 'Due', name: 'due_date', type: 'date', value: monthsAhead(data, 2), required: true }),
      field({ label: 'From decision (optional)', name: 'decision_id', type: 'select', options: [['', '—'], ...(r.decisions || []).map((d) => [d.id, `${d.id}: ${d.text.slice(0, 40)}`])] })),
    submitLabel: 'Record action',
    onSubmit: async (v) => {
      const data = { action_id: v.action_id, description: v.description, owner: v.owner, due_date: v.due_date };
      if (v.decision_id) data.decision_id = v.decision_id;
      await app.command('review.record_action', r.stream, data);
      toast(`Action recorded; ${personName(v.owner)} is told.`, { kind: 'ok' });
    },
  });
}

function completeDialog(r, a) {
  openDialog({
    title: `Mark action ${a.id} done`,
    intro: a.description,
    fields: [field({ label: 'Evidence', name: 'evidence', type: 'textarea', required: true })],
    submitLabel: 'Mark done',
    onSubmit: async (v) => {
      await app.command('review.complete_action', r.stream, { action_id: a.id, evidence: v.evidence });
      toast('Action done.', { kind: 'ok' });
    },
  });
}

function minutesDialog(r) {
  requestApprovalDialog('review.request_minutes_approval', r, {
    title: 'Request approval of the minutes',
    intro: 'Top management approves the minutes: attendance, items discussed for every input a–g, decisions and actions.',
    summary: { label: 'Summary' },
    done: 'Minutes sent for approval.',
  });
}
