// One approval request: what it binds to, its policy, every decision with its
// comment, and — only when the inbox says it waits for me — the decide form.
// The requester sees their request but no control to decide it.
//
// The page follows the approvals live. The decide form is built once and
// kept across those updates, so a comment being typed survives them; when
// the request stops waiting for me while I type (another reviewer decided,
// or it was withdrawn), the form gives way to who decided and why, and the
// typed comment stays on the page to copy.

import { h, replace, instant } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, errorState, stateChip, facts, section } from '../ui.js';
import { policySteps, decisionsList, kindLabel, askBlock, requestMeta, outcomeOf, outcomeBlock } from '../approvalview.js';
import { decideForm } from './inbox.js';
import { hashForStream } from '../app.js';
import { readable } from '../directory.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const subject = id.replace(/\.v\d+$/, '');
  const body = h('div.approval-page', loading());
  const page = h('div', pageHeader('Approval request', { back: ['#/inbox', 'Inbox'] }), body);
  const head = h('div');
  const decision = h('div');        // the decide form, kept across reloads
  const notes = h('div');
  const details = h('div');
  const history = h('div');
  let form = null;                  // decideForm while the request waits for me
  let decidedHere = false;
  let shown = false;

  async function reload() {
    try {
      const [all, inbox] = await Promise.all([
        app.query('approvals', { subject_stream: subject }),
        app.past ? Promise.resolve({ approvals: [] }) : app.query('inbox'),
      ]);
      const a = (all.approvals || []).find((x) => x.id === id);
      if (!a) {
        replace(body, errorState({ code: 'not_found', message: `No approval request ${id}${app.past ? ' at this point in history' : ''}.` }));
        shown = false;
        return;
      }
      const waiting = (inbox.approvals || []).find((x) => x.id === id);
      const mine = app.user && a.requested_by === app.user.id;
      const outcome = await outcomeOf(a);
      if (!shown) {
        replace(body, head, decision, notes, details, history);
        shown = true;
      }
      replace(head, section(null,
        h('div.approval-kind', kindLabel(a.subject_kind)),
        h('h2.approval-title', a.summary ? readable(a.summary) : a.subject_stream),
        requestMeta(a),
        h('div.row', { style: 'margin-top:10px' }, stateChip(a.state), h('a', { href: hashForStream(a.subject_stream) }, `Open ${a.subject_stream}`)),
        policySteps(a),
        // A concluded request says at once who decided and why.
        a.state !== 'open' && a.state !== 'requested' && !form ? outcomeBlock(outcome) : null));
      if (waiting && !form && !decidedHere) {
        form = decideForm(waiting, () => { decidedHere = true; showNext(form); });
        replace(decision, h('section.card.approval-decision',
          h('h2.card-title', 'Your decision'), askBlock(waiting), form, form.bar));
      } else if (!waiting && form && !decidedHere) {
        form.settle();
      }
      replace(notes,
        mine && a.state === 'open' ? h('div.signin-note', { role: 'note' },
          'You requested this approval. Under segregation of duties you cannot approve or reject your own request: the reviewers named above decide it.') : null,
        !waiting && !form && !mine && a.state === 'open' && !app.past ? h('p.muted', 'This request does not wait for you.') : null);
      replace(details, section('Details', facts([
        ['Approval id', h('code', a.id)],
        ['Subject version', String(a.subject_version)],
        ['Content hash', h('code', String(a.content_hash || '').slice(0, 20) + '…')],
        ['Concluded', a.concluded_at ? instant(a.concluded_at) : 'not yet'],
        a.void_reason ? ['Voided because', a.void_reason] : null,
        a.outcome_comment ? ['Outcome comment', a.outcome_comment] : null,
      ])));
      replace(history, section('Decisions', decisionsList(a.decisions) || h('p.muted', 'No decision yet.')));
    } catch (err) {
      if (!shown) replace(body, errorState(err, reload));
    }
  }

  // After deciding here: the next request waiting for me takes the focus,
  // or the note that nothing else waits.
  async function showNext(box) {
    let next = null;
    try { next = ((await app.query('inbox', {}, { now: true })).approvals || []).find((x) => x.id !== id) || null; } catch { /* the note below still leads back */ }
    const target = next
      ? h('a.next-link', { href: `#/approvals/${encodeURIComponent(next.id)}` }, next.summary ? readable(next.summary) : next.subject_stream)
      : null;
    const note = next
      ? h('p.next-up', 'Next waiting for you: ', target)
      : h('p.all-done', { tabindex: '-1' }, 'Nothing else waits for your approval. ', h('a', { href: '#/inbox' }, 'Back to the inbox'));
    box.append(note);
    const focus = target || note;
    focus.focus({ preventScroll: true });
    note.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }

  ctx.reload = reload;
  ctx.live('approvals', reload);
  await reload();
  return page;
}
