// The notification centre: every notification the user was sent, kept by
// the server (GET /api/notifications), also those sent while they were
// offline, reminders included; pushes that arrive while the page is open
// join the list at once. Opening the panel marks them read (on the server,
// so in every tab and on every device). Below them, from the views, what they
// already hold about the user's approvals: their own requests decided lately
// and the requests for them that someone else decided.
//
// A button in the top bar opens it as a panel; each entry links to what it
// is about (an approval request's own page, which says who decided and why).

import { h, replace, instant } from './dom.js';
import { readable } from './directory.js';
import { app } from './state.js';
import { http } from './api.js';
import { loading, explain } from './ui.js';
import { outcomeOf, kindLabel } from './approvalview.js';

const KEEP = 30;
const SHOW_DECIDED = 6;

// ---------------------------------------------------------------- the list

class Notices extends EventTarget {
  constructor() {
    super();
    this.list = [];   // newest first: {id, seq?, kind, title, subject_stream, approval_id, position, received_at, read, verdict?, reason?}
    this.unreadOnServer = 0;
    this.loaded = false;
  }

  has(id) { return this.list.some((n) => n.id === id); }

  // The server's list, with what this page learnt (verdicts) kept.
  async load() {
    try {
      const r = await http.notifications(KEEP);
      const known = new Map(this.list.map((n) => [n.id, n]));
      const fromServer = (r.notifications || []).map((n) => ({
        id: n.id, seq: n.seq, kind: n.kind, title: n.title, subject_stream: n.subject_stream,
        approval_id: n.approval_id || '', position: n.position, received_at: n.at, read: !!n.read,
        verdict: known.get(n.id)?.verdict, reason: known.get(n.id)?.reason,
      }));
      const ids = new Set(fromServer.map((n) => n.id));
      // Pushed and not yet listed (kept a moment later): stays on top.
      const pushed = this.list.filter((n) => !ids.has(n.id) && n.seq === undefined);
      this.list = pushed.concat(fromServer).slice(0, KEEP);
      this.unreadOnServer = r.unread || 0;
      this.loaded = true;
      this.changed();
    } catch { /* offline or signed out: the list stays as it was */ }
  }

  // Keeps a pushed notification; false when it was kept already.
  add(n) {
    if (!n || !n.id || this.has(n.id)) return false;
    const { id, kind, title, subject_stream, approval_id, position } = n;
    this.list.unshift({ id, kind, title, subject_stream, approval_id: approval_id || '', position, received_at: new Date().toISOString(), read: false });
    this.list.length = Math.min(this.list.length, KEEP);
    this.unreadOnServer += 1;
    this.changed();
    return true;
  }

  update(id, patch) {
    const n = this.list.find((x) => x.id === id);
    if (!n) return;
    Object.assign(n, patch);
    this.changed();
  }

  // Unread ones, also those beyond the newest KEEP the panel lists.
  get unread() { return Math.max(this.unreadOnServer, this.list.filter((n) => !n.read).length); }

  async markAllRead() {
    if (!this.unread) return;
    for (const n of this.list) n.read = true;
    this.unreadOnServer = 0;
    this.changed();
    try {
      // Listed again first, so that a notification just pushed has its seq.
      const r = await http.notifications(1);
      const newest = (r.notifications || [])[0];
      if (newest) await http.markNotificationsRead(newest.seq);
    } catch { /* the server keeps them unread; the next load says so */ }
  }

  clear() {
    this.list = [];
    this.unreadOnServer = 0;
    this.loaded = false;
    this.dispatchEvent(new CustomEvent('change'));
  }

  changed() {
    this.dispatchEvent(new CustomEvent('change'));
  }
}

export const notices = new Notices();

// Where a notification leads: an approval's own page, else its subject.
export function noticeHref(n, hashForStream) {
  return n.approval_id ? `#/approvals/${encodeURIComponent(n.approval_id)}` : hashForStream(n.subject_stream);
}

// Kinds that announce a decision about a request (the reason is looked up).
export const DECIDED_KINDS = new Set(['approval_approved', 'approval_rejected', 'approval_voided']);
// Kinds that announce something waiting for the user's decision.
export const WAITING_KINDS = new Set(['approval_requested', 'approval_your_turn']);

// ---------------------------------------------------------------- the centre

// The top-bar button and its panel. hashForStream maps a stream to a route.
export function noticeCentre(hashForStream) {
  const count = h('span.badge', { hidden: true, 'aria-hidden': 'true' });
  const button = h('button.icon-btn.top-notices', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'notices-panel', 'aria-label': 'Notifications' },
    h('svg.icon', { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
      h('path', { d: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0' })),
    count);
  const heading = h('h2#notices-title', { tabindex: '-1' }, 'Notifications');
  const received = h('div');
  const decided = h('div');
  const panel = h('section.notices-panel#notices-panel', { 'aria-labelledby': 'notices-title', hidden: true },
    h('div.notices-head', heading,
      h('button.icon-btn', { type: 'button', 'aria-label': 'Close the notifications', onclick: () => close(true) }, '×')),
    received,
    decided,
    h('p.notices-foot', h('a', { href: '#/inbox', onclick: () => close(false) }, 'Open the inbox')));

  function paintCount() {
    const n = notices.unread;
    count.textContent = n > 99 ? '99+' : String(n);
    count.hidden = n === 0;
    button.setAttribute('aria-label', n ? `Notifications, ${n} new` : 'Notifications');
  }

  function paintReceived() {
    const list = notices.list;
    replace(received, h('h3.notices-sub', 'Sent to you'),
      list.length ? h('ul.notices-list', list.map((n) => h('li.notice', { class: n.read ? null : 'unread', dataset: { notice: n.id } },
        h('a.notice-title', { href: noticeHref(n, hashForStream), onclick: () => close(false) }, readable(n.verdict ? `${n.verdict}: ${stripVerdict(n.title)}` : n.title)),
        n.reason ? h('blockquote.notice-reason', h('span.sr-only', 'Reason: '), n.reason) : null,
        h('div.notice-when', instant(n.received_at)))))
        : h('p.muted', notices.loaded ? 'Nothing yet. New requests, decisions about yours and reminders appear here — also those sent while you were away.' : 'Loading…'));
  }

  // The user's own requests decided lately, and requests for them decided by
  // someone else: from the approvals view, so they are there in a new tab.
  async function paintDecided() {
    replace(decided, loading('Looking up recent decisions…'));
    try {
      const me = app.user.id;
      const [own, all] = await Promise.all([
        app.query('approvals', { requested_by: me }, { now: true }),
        app.query('approvals', {}, { now: true }),
      ]);
      const concluded = (a) => a.state === 'approved' || a.state === 'rejected' || a.state === 'voided';
      const newest = (list) => list.filter(concluded).sort((x, y) => String(y.concluded_at).localeCompare(String(x.concluded_at))).slice(0, SHOW_DECIDED);
      const mineDecided = newest(own.approvals || []);
      const roles = new Set(app.user.roles || []);
      const forMe = newest((all.approvals || []).filter((a) => a.requested_by !== me
        && !(a.decisions || []).some((d) => d.reviewer === me)
        && ((a.policy && (a.policy.required_users || []).includes(me)) || (a.policy && (a.policy.required_roles || []).some((r) => roles.has(r))))));
      const row = async (a) => {
        const o = await outcomeOf(a);
        return h('li.notice', { dataset: { approval: a.id, outcome: a.state } },
          h('a.notice-title', { href: `#/approvals/${encodeURIComponent(a.id)}`, onclick: () => close(false) }, readable(`${o ? o.verdict : a.state}: ${a.summary || a.subject_stream}`)),
          o && o.reason ? h('blockquote.notice-reason', h('span.sr-only', 'Reason: '), o.reason) : null,
          h('div.notice-when', kindLabel(a.subject_kind), a.concluded_at ? [' · ', instant(a.concluded_at)] : null));
      };
      replace(decided,
        h('h3.notices-sub', 'Your requests, decided lately'),
        mineDecided.length ? h('ul.notices-list', await Promise.all(mineDecided.map(row))) : h('p.muted', 'None of your requests was decided lately.'),
        forMe.length ? [h('h3.notices-sub', 'Requests for you, decided by someone else'), h('ul.notices-list', await Promise.all(forMe.map(row)))] : null);
    } catch (err) {
      replace(decided, h('p.muted', explain(err)));
    }
  }

  function open() {
    paintReceived();
    notices.load();
    paintDecided();
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    heading.focus();
    document.addEventListener('pointerdown', outside, true);
    document.addEventListener('keydown', onKey, true);
  }

  function close(returnFocus) {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    notices.markAllRead();
    document.removeEventListener('pointerdown', outside, true);
    document.removeEventListener('keydown', onKey, true);
    if (returnFocus) button.focus();
  }

  function outside(e) {
    if (!panel.contains(e.target) && !button.contains(e.target)) close(false);
  }

  function onKey(e) {
    if (e.key === 'Escape') { e.stopPropagation(); close(true); }
  }

  button.addEventListener('click', () => (panel.hidden ? open() : close(true)));
  notices.addEventListener('change', () => {
    paintCount();
    if (!panel.hidden) paintReceived();
  });
  paintCount();
  return { button, panel, close };
}

// "Rejected by henrik.brandt: Accept …" → "Accept …" (the verdict is shown in words).
function stripVerdict(title) {
  return String(title || '').replace(/^(Rejected by [^:]+|Approved|Approval withdrawn): /, '');
}
