// Inbox: everything that waits for me — approvals I may decide now (the
// server's `inbox` view applies the approval policy and segregation of
// duties), my overdue actions, and my own requests waiting for others.
// New requests arrive live (notifications push) without a reload; cards are
// updated in place so a comment being typed is never lost.

import { h, replace, day, instant } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, errorState, empty, toast, explain, writeButton } from '../ui.js';
import { askBlock, policySteps, requestMeta, kindLabel, findApproval, outcomeOf, outcomeBlock } from '../approvalview.js';
import { hashForStream } from '../app.js';
import { person, readable } from '../directory.js';
import { reportDialog } from './incidents.js';

export async function render(ctx) {
  const approvalsBox = h('div.approvals-list');
  const actionsBox = h('div');
  const incidentsBox = h('div');
  const mineBox = h('div');
  const dueBox = h('div');
  const manager = app.hasRole('isms_manager');
  const status = h('div', loading());
  const cards = new Map();       // approval id → card element
  const decided = new Set();     // decided in this visit: kept on screen with the outcome
  const settled = new Set();     // decided elsewhere (another reviewer, another window) or withdrawn
                                 // while on screen: kept with who decided and why, and the comment typed
  const allDone = h('p.all-done', { role: 'status', tabindex: '-1', hidden: true },
    'Nothing else waits for your approval. ', h('a', { href: '#/inbox', onclick: (e) => { e.preventDefault(); window.scrollTo(0, 0); } }, 'Back to the top'));

  const page = h('div.inbox',
    pageHeader('Inbox', {
      subtitle: 'What waits for your decision or action. New requests appear here at once.',
      // Reporting an incident is open to everyone, and never more than one tap away.
      actions: [writeButton('incident.report', 'Report an incident', () => reportDialog(null), { kind: 'quiet' })],
    }),
    status,
    h('h2.inbox-section-title', { id: 'inbox-approvals' }, 'Waiting for your approval'),
    approvalsBox,
    allDone,
    h('h2.inbox-section-title', 'Your overdue actions'),
    actionsBox,
    h('h2.inbox-section-title', 'Incidents waiting for you'),
    incidentsBox,
    h('h2.inbox-section-title', 'Your requests waiting for others'),
    mineBox,
    manager ? h('h2.inbox-section-title', 'Coming due in the ISMS') : null,
    manager ? dueBox : null);

  let loaded = false;
  async function reload() {
    try {
      const [data, due] = await Promise.all([app.query('inbox'), manager ? app.query('due') : null]);
      replace(status);
      update(data);
      if (due) replace(dueBox, dueCard(due));
      loaded = true;
    } catch (err) {
      if (!loaded) replace(status, errorState(err, reload));
      else toast(explain(err), { kind: 'error' });
    }
  }

  function update(data) {
    // Approvals: keyed by id; new cards are inserted, gone ones removed
    // (unless decided here), existing ones kept as they are.
    const ids = new Set();
    const list = data.approvals || [];
    list.forEach((item, index) => {
      ids.add(item.id);
      let card = cards.get(item.id);
      if (!card) {
        card = approvalCard(item, () => { decided.add(item.id); focusNext(item.id); });
        cards.set(item.id, card);
        if (loaded) card.classList.add('fresh');
      }
      const at = approvalsBox.children[index];
      if (at !== card) approvalsBox.insertBefore(card, at || null);
    });
    for (const [id, card] of cards) {
      if (ids.has(id) || decided.has(id) || settled.has(id)) continue;
      // No longer waits for me, and not decided here: say who decided and
      // why, and keep what I had typed. Nothing to say on a first load.
      if (!loaded || !card.decide) { card.remove(); cards.delete(id); continue; }
      settled.add(id);
      card.decide.settle();
    }
    allDone.hidden = list.length > 0 || !(decided.size || settled.size);
    const emptyNote = approvalsBox.querySelector(':scope > .state');
    if (!list.length && !decided.size && !settled.size) {
      if (!emptyNote) approvalsBox.append(empty('Nothing waits for your approval', 'When someone asks you to approve a risk acceptance, a document, the Statement of Applicability, an objective or review minutes, it appears here — with a notification.'));
    } else if (emptyNote) emptyNote.remove();

    const actions = data.overdue_actions || [];
    replace(actionsBox, actions.length ? h('div.card', h('div.table-wrap', h('table.data.responsive',
      h('thead', h('tr', h('th', 'Action'), h('th', 'Where'), h('th', 'Due'))),
      h('tbody', actions.map((a) => h('tr',
        h('td.cell-main', { 'data-label': 'Action' }, a.description),
        h('td', { 'data-label': 'Where' }, h('a', { href: hashForStream(a.stream) }, a.kind === 'review_action' ? `Management review ${a.stream.replace(/^review-/, '')}` : `Nonconformity ${a.stream.replace(/^nc-/, '')}`), ` · ${a.action_id}`),
        h('td', { 'data-label': 'Due' }, h('span.overdue', day(a.due_on), ' · overdue')))))))) : h('p.muted', 'No overdue action is assigned to you.'));

    const incidents = data.incidents || [];
    replace(incidentsBox, incidents.length ? h('div.card', h('ul.timeline', { 'aria-label': 'Incidents waiting for you' }, incidents.map((i) => h('li', { dataset: { incident: i.incident_id } },
      h('div.tl-when', day(i.reported_on)),
      h('div',
        h('div.tl-what', h('a', { href: hashForStream(i.stream) }, `${i.incident_id}: ${i.title}`)),
        h('div.tl-who', i.waits_for === 'triage' ? 'Reported, waiting for triage' : `You handle it · ${i.state}${i.severity ? ` · ${i.severity} severity` : ''}`)))))) : h('p.muted', 'No incident waits for you.'));

    const mine = data.my_open_requests || [];
    replace(mineBox, mine.length ? h('div.card', h('ul.timeline', mine.map((m) => h('li',
      h('div.tl-when', instant(m.requested_at)),
      h('div',
        h('div.tl-what', h('a', { href: `#/approvals/${encodeURIComponent(m.id)}` }, m.summary ? readable(m.summary) : m.id)),
        h('div.tl-who', `${(m.decisions || []).length} decision${(m.decisions || []).length === 1 ? '' : 's'} so far · you requested it, so someone else decides it (segregation of duties)`)))))) : h('p.muted', 'You have no open request.'));
  }

  // After a decision here: the next request that waits, or the note that
  // nothing does, takes the focus (a phone user finds it without scrolling).
  function focusNext(id) {
    const order = [...approvalsBox.querySelectorAll(':scope > .approval-card')];
    const from = order.findIndex((c) => c.dataset.approval === id);
    const waiting = (c) => !decided.has(c.dataset.approval) && !settled.has(c.dataset.approval);
    const next = order.slice(from + 1).find(waiting) || order.slice(0, Math.max(from, 0)).find(waiting);
    if (next) {
      const title = next.querySelector('.approval-title');
      title.focus({ preventScroll: true });
      next.scrollIntoView({ block: 'start', behavior: 'smooth' });
    } else {
      allDone.hidden = false;
      allDone.focus({ preventScroll: true });
      allDone.scrollIntoView({ block: 'center', behavior: 'smooth' });
    }
  }

  ctx.reload = reload;
  ctx.live('inbox', reload);
  const onNotification = () => reload();
  app.addEventListener('notification', onNotification);
  ctx.onCleanup(() => app.removeEventListener('notification', onNotification));
  reload();
  return page;
}

// What the time rules say is due (the `due` view), for the ISMS manager.
function dueCard(d) {
  const groups = [
    ['Risk acceptances expiring', d.acceptances_expiring, (x) => [h('a', { href: hashForStream(x.stream) }, x.stream.replace(/^risk-/, 'Risk ')), ' — ', person(x.owner), ', on ', day(x.due)]],
    ['Risk acceptances expired', d.acceptances_expired, (x) => [h('a', { href: hashForStream(x.stream) }, x.stream.replace(/^risk-/, 'Risk ')), ' — since ', day(x.due)]],
    ['Risk treatments overdue', d.treatments_overdue, (x) => [h('a', { href: hashForStream(x.stream) }, x.stream.replace(/^risk-/, 'Risk ')), ' — due ', day(x.due)]],
    ['Document reviews due', d.documents_review_due, (x) => [h('a', { href: hashForStream(x.stream) }, `${x.id} ${x.title}`), ' — ', day(x.review_due_on)]],
    ['Actions overdue', d.actions_overdue, (x) => [h('a', { href: hashForStream(x.stream) }, x.description), ' — ', person(x.owner), ', due ', day(x.due_on)]],
    ['Objectives overdue', d.objectives_overdue, (x) => [h('a', { href: '#/objectives' }, x.statement), ' — ', person(x.owner), ', due ', day(x.due_on)]],
    ['Supplier assessments due', d.supplier_assessments_due, (x) => [h('a', { href: hashForStream(x.stream) }, x.title), ' — ', person(x.owner), ', due ', day(x.due_on)]],
    ['Evidence to review', d.evidence_review_due, (x) => [h('a', { href: hashForStream(x.subject_stream) }, x.title), ` (${x.subject_kind} ${x.subject_id}) — `, person(x.owner), x.overdue ? ', stale since ' : ', review by ', day(x.due_on)]],
  ].filter(([, list]) => list && list.length);
  const review = d.management_review || {};
  if (!groups.length && !review.due) {
    return h('p.muted', 'Nothing is due.', review.next_due_on ? [' The next management review is due on ', day(review.next_due_on), '.'] : '');
  }
  return h('div.card', h('div.stack', { style: 'gap:14px' },
    review.due ? h('div.overdue', 'A management review is due', review.next_due_on ? [' (since ', day(review.next_due_on), ')'] : '', '. ', h('a', { href: '#/reviews' }, 'Schedule it')) : null,
    groups.map(([title, list, render]) => h('div', h('h3', { style: 'font-size:.92rem;margin-bottom:4px' }, `${title} (${list.length})`),
      h('ul.plain', list.slice(0, 8).map((x) => h('li', render(x)))),
      list.length > 8 ? h('p.muted', `and ${list.length - 8} more`) : null))));
}

// One approval: what is asked, who decides, and the decide form. The
// Approve / Reject bar is the card's last child, so that on a phone it can
// stay at the bottom of the screen while the card is read.
export function approvalCard(item, onDecided) {
  const subjectLink = h('a', { href: hashForStream(item.subject_stream) }, `Open ${item.subject_stream}`);
  const decide = decideForm(item, onDecided);
  const card = h('article.card.approval-card', { dataset: { approval: item.id }, 'aria-labelledby': `ap-${cssId(item.id)}` },
    h('div.approval-head',
      h('div',
        h('div.approval-kind', kindLabel(item.subject_kind)),
        h('h3.approval-title', { id: `ap-${cssId(item.id)}`, tabindex: '-1' }, h('a', { href: `#/approvals/${encodeURIComponent(item.id)}` }, item.summary ? readable(item.summary) : item.subject_stream)),
        requestMeta(item)),
      subjectLink),
    policySteps(item),
    askBlock(item),
    decide,
    decide.bar);
  card.decide = decide;
  return card;
}

function cssId(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, '_'); }

// Approve or reject with a comment; rejecting requires one. Writes
// approval.approve / approval.reject on the approval's stream. Returns the
// form (comment and error) with the button bar as `.bar`, which the caller
// places (last in the card, for the sticky bar on phones), and `.settle()`
// for a request that stopped waiting while the form was open: it says who
// decided and why, and keeps the comment that was being typed (read-only,
// to copy) instead of dropping it.
export function decideForm(item, onDecided) {
  const id = `c-${cssId(item.id)}`;
  const comment = h('textarea', { id, name: 'comment', rows: 2, placeholder: 'Why you approve or reject — recorded with your decision' });
  const err = h('div.form-error', { role: 'alert', hidden: true });
  // A decision that matters (an acceptance above appetite, the SoA's
  // publication, a document version, review minutes) is confirmed with the
  // approver's second factor: the server asks for it, and the field appears.
  const codeId = `code-${cssId(item.id)}`;
  const code = h('input', { id: codeId, name: 'code', type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric', autocapitalize: 'none', spellcheck: 'false', maxlength: 16 });
  const factor = app.user?.second_factor || {};
  // Signing in only through the identity provider, the user confirms by
  // signing in there again (then comes back to this page to decide).
  const bySignIn = factor.confirm_by === 'sign_in';
  const fresh = bySignIn && factor.fresh_sign_in_until_ms > Date.now();
  const asked = !!(item.needs_confirmation && factor.enrolled);
  const signInBox = h('div.confirm-sign-in', { hidden: !(item.needs_confirmation && bySignIn) });
  const drawSignIn = (again) => {
    if (fresh && !again) {
      replace(signInBox, h('p.form-ok', { role: 'status' },
        `Confirmed: you signed in again. Approve before ${new Date(factor.fresh_sign_in_until_ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}; your decision is recorded as confirmed this way.`));
      return;
    }
    const then = encodeURIComponent(location.hash || '#/inbox');
    replace(signInBox,
      h('p.hint', 'This decision needs a fresh proof that it is you: sign in again at your identity provider, then approve here within five minutes.'),
      h('a.btn.btn-primary.confirm-sign-in-link', { href: `/api/oidc/start?confirm=1&then=${then}` }, 'Confirm by signing in again'));
  };
  drawSignIn(false);
  const codeField = h('div.field.confirm-code', { hidden: !asked || bySignIn },
    h('label', { for: codeId }, 'Code from your authenticator app (or a recovery code)'), code,
    h('p.hint', 'This decision is recorded as confirmed with your second factor.'));
  const box = h('div.approval-decide');
  const approve = h('button.btn.btn-approve.btn-large', { type: 'button', dataset: { write: 'approval.approve' } }, 'Approve');
  const reject = h('button.btn.btn-danger.btn-large', { type: 'button', dataset: { write: 'approval.reject' } }, 'Reject');
  const bar = h('div.approval-buttons.approval-bar', { role: 'group', 'aria-label': 'Your decision' }, approve, reject);
  let done = false;
  if (app.past) {
    approve.disabled = reject.disabled = comment.disabled = true;
    approve.title = reject.title = 'Return to the present to decide';
  }
  async function decide(approved) {
    err.hidden = true;
    comment.removeAttribute('aria-invalid');
    const text = comment.value.trim();
    if (!approved && !text) {
      err.textContent = 'Say why you reject it: a rejection needs a comment, and the requester will read it.';
      err.hidden = false;
      comment.setAttribute('aria-invalid', 'true');
      comment.focus();
      return;
    }
    const confirmSignIn = approved && bySignIn && fresh;
    const confirmCode = approved && !codeField.hidden ? code.value.replace(/\s+/g, '') : '';
    if (approved && !codeField.hidden && !confirmCode) {
      err.textContent = 'Enter the code your authenticator app shows now.';
      err.hidden = false;
      code.setAttribute('aria-invalid', 'true');
      code.focus();
      return;
    }
    code.removeAttribute('aria-invalid');
    const btn = approved ? approve : reject;
    approve.disabled = reject.disabled = true;
    btn.classList.add('busy');
    try {
      const r = await app.command(approved ? 'approval.approve' : 'approval.reject', item.stream || `approval-${item.id}`, text ? { comment: text } : {}, { comment: text || undefined, confirmCode: confirmCode || undefined, confirmSignIn: confirmSignIn || undefined });
      done = true;
      // A rejection is a decision, not a success: it is not shown in green.
      bar.remove();
      replace(box, h(approved ? 'div.approval-done' : 'div.approval-done.rejected', { role: 'status' },
        approved ? '✓ You approved this.' : '✗ You rejected this.',
        h('span.muted', { style: 'font-weight:400' }, ` Recorded at position ${r.position}.`)));
      box.closest('.approval-card')?.classList.add('decided');
      if (!approved) box.closest('.approval-card')?.classList.add('rejected');
      toast(approved ? 'Approved. Your decision is recorded.' : 'Rejected. The requester is told why.', { kind: 'ok', timeout: 4000 });
      app.dispatchEvent(new CustomEvent('approval-decided', { detail: { id: item.id } }));
      app.dispatchEvent(new CustomEvent('inbox-changed'));
      if (onDecided) onDecided(approved, r);
    } catch (e) {
      if (approved && bySignIn && (e.code === 'confirmation_required' || e.field === 'confirm.sign_in')) {
        signInBox.hidden = false;
        drawSignIn(true);
        err.textContent = 'This decision needs a fresh sign-in at your identity provider: use the button above, then approve again.';
      } else if (approved && e.code === 'confirmation_required') {
        codeField.hidden = false;
        err.textContent = 'This decision needs your second factor: enter the code your authenticator app shows now, then approve again.';
        code.setAttribute('aria-invalid', 'true');
        setTimeout(() => code.focus(), 0);
      } else if (e.field === 'confirm.code') {
        code.value = '';
        code.setAttribute('aria-invalid', 'true');
        err.textContent = e.code === 'rate_limited' ? 'Too many wrong codes. Wait a while before you try again.'
          : 'The code is not right or was used already. Wait for the next one and approve again.';
        setTimeout(() => code.focus(), 0);
      } else {
        err.textContent = explain(e);
      }
      err.hidden = false;
      approve.disabled = reject.disabled = false;
    } finally {
      btn.classList.remove('busy');
    }
  }
  approve.addEventListener('click', () => decide(true));
  reject.addEventListener('click', () => decide(false));

  async function settle() {
    if (done) return;
    done = true;
    const typed = comment.value;
    bar.remove();
    const card = box.closest('.approval-card');
    card?.classList.add('decided', 'settled');
    const note = h('div', { role: 'status' }, h('p.outcome-lead', 'This request no longer waits for you.'));
    replace(box, note, keptComment(typed, id));
    let o = null;
    try { o = await outcomeOf(await findApproval(item.id, item.subject_stream)); } catch { /* said in general terms above */ }
    if (o) {
      if (o.tone === 'bad') card?.classList.add('rejected');
      replace(note, outcomeBlock(o, { lead: o.by === app.user.id ? 'You decided this in another window.' : 'This request no longer waits for you.' }));
    }
  }

  box.append(
    signInBox,
    h('div.field', { style: 'margin:0' }, h('label', { for: id }, 'Your comment ', h('span.muted', { style: 'font-weight:400' }, '(required to reject)')), comment),
    codeField,
    err);
  box.bar = bar;
  box.comment = comment;
  box.settle = settle;
  return box;
}

// The comment someone was typing when the request was decided without them:
// kept, read-only, with a button that copies it.
function keptComment(text, id) {
  if (!text || !text.trim()) return null;
  const keptId = `${id}-kept`;
  const area = h('textarea.kept-text', { id: keptId, readonly: true, rows: Math.min(6, Math.max(2, text.split('\n').length)) });
  area.value = text;
  const copied = h('span.muted', { role: 'status' });
  const copy = h('button.btn.btn-small', { type: 'button', onclick: async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      area.focus();
      area.select();
      document.execCommand('copy');
    }
    copied.textContent = 'Copied.';
  } }, 'Copy your comment');
  return h('div.field.kept-comment', h('label', { for: keptId }, 'Your comment — not sent'), area, h('div.row', copy, copied));
}
