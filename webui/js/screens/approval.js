// One approval request: what it binds to, its policy, every decision with its
// comment, and — only when the inbox says it waits for me — the decide form.
// The requester sees their request but no control to decide it.

import { h, replace, instant } from '../dom.js';
import { app } from '../state.js';
import { pageHeader, loading, errorState, stateChip, facts, section } from '../ui.js';
import { policySteps, decisionsList, kindLabel, askBlock, requestMeta } from '../approvalview.js';
import { decideForm } from './inbox.js';
import { hashForStream } from '../app.js';
import { readable } from '../directory.js';

export async function render(ctx) {
  const id = ctx.params.id;
  const subject = id.replace(/\.v\d+$/, '');
  const body = h('div', loading());
  const page = h('div', pageHeader('Approval request', { back: ['#/inbox', 'Inbox'] }), body);

  async function reload() {
    try {
      const [all, inbox] = await Promise.all([
        app.query('approvals', { subject_stream: subject }),
        app.past ? Promise.resolve({ approvals: [] }) : app.query('inbox'),
      ]);
      const a = (all.approvals || []).find((x) => x.id === id);
      if (!a) {
        replace(body, errorState({ code: 'not_found', message: `No approval request ${id}${app.past ? ' at this point in history' : ''}.` }));
        return;
      }
      const waiting = (inbox.approvals || []).find((x) => x.id === id);
      const mine = app.user && a.requested_by === app.user.id;
      replace(body,
        section(null,
          h('div.approval-kind', kindLabel(a.subject_kind)),
          h('h2.approval-title', a.summary ? readable(a.summary) : a.subject_stream),
          requestMeta(a),
          h('div.row', { style: 'margin-top:10px' }, stateChip(a.state), h('a', { href: hashForStream(a.subject_stream) }, `Open ${a.subject_stream}`)),
          policySteps(a),
          h('div', { style: 'margin-top:14px' }, facts([
            ['Approval id', h('code', a.id)],
            ['Subject version', String(a.subject_version)],
            ['Content hash', h('code', String(a.content_hash || '').slice(0, 20) + '…')],
            ['Concluded', a.concluded_at ? instant(a.concluded_at) : 'not yet'],
            a.void_reason ? ['Voided because', a.void_reason] : null,
            a.outcome_comment ? ['Outcome comment', a.outcome_comment] : null,
          ]))),
        waiting ? section('Your decision', askBlock(waiting), decideForm(waiting, () => app.dispatchEvent(new CustomEvent('inbox-changed')))) : null,
        mine && a.state === 'open' ? h('div.signin-note', { role: 'note' },
          'You requested this approval. Under segregation of duties you cannot approve or reject your own request: the reviewers named above decide it.') : null,
        !waiting && !mine && a.state === 'open' && !app.past ? h('p.muted', 'This request does not wait for you.') : null,
        section('Decisions', decisionsList(a.decisions) || h('p.muted', 'No decision yet.')));
    } catch (err) {
      replace(body, errorState(err, reload));
    }
  }
  ctx.reload = reload;
  ctx.live('approvals', reload);
  reload();
  return page;
}
