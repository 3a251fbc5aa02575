// The application shell: sign-in, navigation, the connection and time-travel
// banners, notifications, and the hash router that mounts one screen at a time.

import { h, replace, clear, debounce, instant } from './dom.js';
import { http } from './api.js';
import { app } from './state.js';
import { toast, closeToasts, explain, loading } from './ui.js';
import { ROLE_LABELS } from './roles.js';
import { notices, noticeCentre, noticeHref, DECIDED_KINDS, WAITING_KINDS } from './notices.js';
import { findApproval, outcomeOf } from './approvalview.js';
import { loadPeople, readable, users as refreshPeople } from './directory.js';

import * as signin from './screens/signin.js';
import * as inbox from './screens/inbox.js';
import * as approval from './screens/approval.js';
import * as risks from './screens/risks.js';
import * as risk from './screens/risk.js';
import * as soa from './screens/soa.js';
import * as objectives from './screens/objectives.js';
import * as ncs from './screens/ncs.js';
import * as nc from './screens/nc.js';
import * as documents from './screens/documents.js';
import * as documentScreen from './screens/document.js';
import * as reviews from './screens/reviews.js';
import * as review from './screens/review.js';
import * as audits from './screens/audits.js';
import * as incidents from './screens/incidents.js';
import * as incident from './screens/incident.js';
import * as suppliers from './screens/suppliers.js';
import * as assets from './screens/assets.js';
import * as assetScreen from './screens/asset.js';
import * as supplierScreen from './screens/supplier.js';
import * as historyScreen from './screens/history.js';
import * as compare from './screens/compare.js';
import * as users from './screens/users.js';
import * as scope from './screens/scope.js';
import * as account from './screens/account.js';

// Routes: pattern → screen. ":id" captures one path segment.
const ROUTES = [
  ['inbox', inbox],
  ['approvals/:id', approval],
  ['risks', risks],
  ['risks/:id', risk],
  ['soa', soa],
  ['objectives', objectives],
  ['nonconformities', ncs],
  ['nonconformities/:id', nc],
  ['documents', documents],
  ['documents/:id', documentScreen],
  ['reviews', reviews],
  ['reviews/:id', review],
  ['audits', audits],
  ['incidents', incidents],
  ['incidents/:id', incident],
  ['assets', assets],
  ['assets/:id', assetScreen],
  ['suppliers', suppliers],
  ['suppliers/:id', supplierScreen],
  ['scope', scope],
  ['history', historyScreen],
  ['compare', compare],
  ['users', users],
  ['account', account],
];

const NAV = [
  { href: '#/inbox', label: 'Inbox', icon: 'inbox', show: () => !app.hasRole('external_auditor') || app.user.roles.length > 1, badge: true },
  { href: '#/risks', label: 'Risk register', icon: 'risk' },
  { href: '#/soa', label: 'Statement of Applicability', short: 'SoA', icon: 'soa' },
  { href: '#/objectives', label: 'Objectives', icon: 'target' },
  { href: '#/incidents', label: 'Incidents', icon: 'incident' },
  { href: '#/nonconformities', label: 'Nonconformities', icon: 'nc' },
  { href: '#/documents', label: 'Documents', icon: 'doc' },
  { href: '#/reviews', label: 'Management review', icon: 'review' },
  { href: '#/audits', label: 'Internal audits', icon: 'audit' },
  { href: '#/assets', label: 'Assets', icon: 'asset' },
  { href: '#/suppliers', label: 'Suppliers', icon: 'supplier' },
  { href: '#/scope', label: 'Context & scope', icon: 'scope' },
  { href: '#/history', label: 'Audit & history', icon: 'history' },
  { href: '#/compare', label: 'Compare two dates', icon: 'compare' },
  { href: '#/users', label: 'Users', icon: 'users', show: () => app.hasRole('admin') },
];

const ICONS = {
  inbox: 'M3 13h4l2 3h6l2-3h4M5 5h14l2 8v6H3v-6z',
  risk: 'M12 3l9 16H3zM12 10v4M12 17h.01',
  soa: 'M5 4h14v16H5zM8 8h8M8 12h8M8 16h5',
  target: 'M12 3a9 9 0 1 0 .01 0M12 7a5 5 0 1 0 .01 0M12 11a1 1 0 1 0 .01 0',
  nc: 'M12 3a9 9 0 1 0 .01 0M12 8v5M12 16h.01',
  incident: 'M12 2l8 4v6c0 5-3.5 8.5-8 10-4.5-1.5-8-5-8-10V6zM12 8v5M12 16h.01',
  asset: 'M4 7l8-4 8 4v10l-8 4-8-4zM4 7l8 4 8-4M12 11v10',
  supplier: 'M3 7h11v9H3zM14 10h4l3 3v3h-7M7 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4M17 19a2 2 0 1 0 0-4 2 2 0 0 0 0 4',
  doc: 'M6 3h9l4 4v14H6zM14 3v5h5M9 13h7M9 17h7',
  review: 'M4 5h16v11H8l-4 4zM8 9h8M8 12h5',
  audit: 'M9 4h6v3H9zM6 6h3M15 6h3v15H6V6M9 13l2 2 4-4',
  history: 'M3 12a9 9 0 1 0 3-6.7M3 4v5h5M12 7v5l3 3',
  compare: 'M8 3v18M16 3v18M4 7l4-4 4 4M12 17l4 4 4-4',
  scope: 'M12 3a9 9 0 1 0 .01 0M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18',
  users: 'M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8M2 21c0-4 3-6 7-6s7 2 7 6M17 11a3 3 0 1 0 0-6M19 15c2 .5 3 2.5 3 5',
  menu: 'M4 6h16M4 12h16M4 18h16',
  account: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8M4 21c0-4 4-6 8-6s8 2 8 6',
};

export function icon(name, cls = 'icon') {
  return h('svg', { class: cls, viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    h('path', { d: ICONS[name] || '' }));
}

const root = document.getElementById('app');
let current = null;            // {cleanups: [], route}
let shell = null;              // elements of the signed-in shell
const seenNotifications = new Set();

// ---------------------------------------------------------------- boot

async function boot() {
  // A single sign-on the server refused comes back as ?signin_error=<why>.
  const refused = new URLSearchParams(location.search).get('signin_error');
  if (refused !== null) history.replaceState(null, '', location.pathname + location.hash);
  try {
    const me = await http.whoAmI();
    signedIn(me.user, me.vocabulary);
  } catch (err) {
    if (err.code === 'offline') showSignIn('The server cannot be reached. Check the network connection and reload.');
    else showSignIn(refused !== null ? signin.ssoMessage(refused) || undefined : undefined);
  }
}

function showSignIn(message) {
  unmountScreen();
  shell = null;
  document.body.classList.remove('signed-in');
  replace(root, signin.render({ message, onSignedIn: (user, vocabulary) => signedIn(user, vocabulary) }));
}

function signedIn(user, vocabulary) {
  app.user = user;
  app.vocabulary = vocabulary || {};
  document.body.classList.add('signed-in');
  buildShell();
  startNotifications();
  followPeople();
  app.conn.start();
  if (!location.hash || location.hash === '#/' || location.hash === '#/signin') location.hash = landing();
  route();
}

function landing() {
  if (app.hasRole('admin') && app.user.roles.length === 1) return '#/users';
  if (app.hasRole('external_auditor') && app.user.roles.length === 1) return '#/history';
  return '#/inbox';
}

export async function signOut(message = 'You are signed out.') {
  try { await http.signOut(); } catch { /* the cookie is cleared or gone already */ }
  app.conn.stop();
  app.user = null;
  app.setAsOf(null);
  seenNotifications.clear();
  notices.clear();
  watchedApprovals.clear();
  history.replaceState(null, '', location.pathname);
  showSignIn(message);
}

// ---------------------------------------------------------------- shell

function buildShell() {
  const navList = h('ul.nav-list');
  const badge = h('span.badge', { hidden: true, 'aria-hidden': 'true' });
  // The link's name is its words: the count is said in words after them, not
  // in an aria-label that would hide the visible "Inbox".
  const badgeWords = h('span.sr-only');
  const topBadge = h('span.badge', { hidden: true, 'aria-hidden': 'true' });
  for (const item of NAV) {
    if (item.show && !item.show()) continue;
    navList.append(h('li', h('a.nav-link', { href: item.href, dataset: { nav: item.href } },
      icon(item.icon), h('span.nav-label', item.label), item.badge ? [badge, badgeWords] : null)));
  }
  const connStatus = h('div.conn-status', { role: 'status', 'aria-live': 'polite' });
  const connBanner = h('div.banner.banner-conn', { role: 'status', hidden: true });
  const pastBanner = h('div.banner.banner-past', { role: 'region', 'aria-label': 'Looking at the past', hidden: true });
  const factorBanner = h('div.banner.banner-factor', { role: 'region', 'aria-label': 'Second factor required', hidden: true });
  const main = h('main#main', { tabindex: '-1' });
  const nav = h('nav.sidebar#sidebar', { 'aria-label': 'Main' },
    h('div.sidebar-brand', logo(), h('button.icon-btn.drawer-close', { type: 'button', 'aria-label': 'Close the menu', onclick: () => { toggleNav(false); shell.menuBtn.focus(); } }, '×')),
    navList,
    h('div.sidebar-foot',
      h('a.nav-link', { href: '#/account', dataset: { nav: '#/account' } }, icon('account'), h('span.nav-label', 'My account'))));
  const menuBtn = h('button.icon-btn.menu-btn', { type: 'button', 'aria-label': 'Menu', 'aria-controls': 'sidebar', 'aria-expanded': 'false',
    onclick: () => toggleNav() }, icon('menu'));
  const inboxBtn = h('a.icon-btn.top-inbox', { href: '#/inbox', 'aria-label': 'Inbox' }, icon('inbox'), topBadge);
  const centre = noticeCentre(hashForStream);
  const userBox = h('div.userbox',
    h('a.userbox-name', { href: '#/account' }, h('span.avatar', { 'aria-hidden': 'true' }, initials(app.user.name || app.user.id)),
      h('span.userbox-text', h('span.userbox-user', app.user.name || app.user.id),
        h('span.userbox-roles', (app.user.roles || []).map((r) => ROLE_LABELS[r] || r).join(', ') || 'no role'))),
    h('button.btn.btn-quiet.btn-small', { type: 'button', onclick: () => signOut() }, 'Sign out'));
  const scrim = h('div.scrim', { onclick: () => toggleNav(false) });
  const topbar = h('header.topbar',
    menuBtn,
    h('div.topbar-brand', logo()),
    connStatus,
    h('div.topbar-spacer'),
    app.hasRole('external_auditor') && app.user.roles.length === 1 ? null : inboxBtn,
    h('div.notices-anchor', centre.button, centre.panel),
    userBox);
  replace(root,
    h('div.shell', topbar, pastBanner, factorBanner, connBanner, h('div.body', nav, scrim, main)));
  shell = { main, nav, navList, badge, badgeWords, topBadge, connStatus, connBanner, pastBanner, factorBanner, menuBtn, centre };
  renderConn({ state: app.conn.state });
  renderPast();
  renderFactor();
  refreshBadge();
}

function logo() {
  return h('a.brand', { href: '#/inbox', 'aria-label': 'ISMS Ledger — home' },
    h('svg.brand-mark', { viewBox: '0 0 32 32', 'aria-hidden': 'true' },
      h('rect', { x: 2, y: 2, width: 28, height: 28, rx: 7 }),
      h('path', { d: 'M10 9h9M10 14h12M10 19h8M10 24h5' })),
    h('span.brand-name', 'ISMS', h('b', ' Ledger')));
}

function initials(name) {
  return String(name).split(/\s+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join('');
}

function toggleNav(open) {
  if (!shell) return;
  const willOpen = open ?? !document.body.classList.contains('nav-open');
  document.body.classList.toggle('nav-open', willOpen);
  shell.menuBtn.setAttribute('aria-expanded', String(willOpen));
  if (willOpen) shell.nav.querySelector('.nav-link')?.focus();
}

// ---------------------------------------------------------------- connection

let connTick = null;
function renderConn({ state, retryAt }) {
  if (!shell) return;
  clearInterval(connTick);
  const { connStatus, connBanner } = shell;
  const open = state === 'open';
  // Looking at the past is never "Live": nothing on screen follows the
  // present, whatever the state of the connection.
  const [dot, text] = app.past
    ? ['dot-past', open ? `Past: position ${app.asOf.position}` : `Past: position ${app.asOf.position}, offline`]
    : open ? ['dot-live', 'Live'] : state === 'connecting' ? ['dot-wait', 'Connecting…'] : ['dot-down', 'Offline'];
  replace(connStatus, h('span.dot', { class: dot, 'aria-hidden': 'true' }), h('span.conn-text', text));
  connStatus.classList.toggle('conn-past', app.past);
  if (state === 'reconnecting') {
    const paint = () => {
      const s = Math.max(0, Math.ceil(((retryAt || 0) - Date.now()) / 1000));
      replace(connBanner, h('span', h('strong', 'Connection lost. '),
        retryAt && s > 0 ? `Reconnecting in ${s} s — what you see may be out of date.` : 'Reconnecting…'),
        h('button.btn.btn-small', { type: 'button', onclick: () => app.conn.retryNow() }, 'Retry now'));
    };
    paint();
    connTick = setInterval(paint, 1000);
    connBanner.hidden = false;
  } else {
    connBanner.hidden = true;
  }
}

app.conn.addEventListener('state', (e) => renderConn(e.detail));
app.conn.addEventListener('reconnected', () => {
  if (!shell) return;
  if (app.conn.attempt === 0 && wasDown) toast('Connection restored. The page is up to date.', { kind: 'ok', timeout: 3000 });
  wasDown = false;
  refreshBadge();
  notices.load();  // what was sent while the connection was down
  if (current && current.reload) current.reload();
});
let wasDown = false;
app.conn.addEventListener('state', (e) => { if (e.detail.state === 'reconnecting') wasDown = true; });

// A WebSocket that cannot open may mean the session ended (expired, password
// reset, user disabled): ask, and go back to sign-in if so.
const checkSession = debounce(async () => {
  if (!app.user) return;
  try { await http.whoAmI(); } catch (err) {
    if (err.status === 401) signOut('Your session has ended. Please sign in again.');
  }
}, 200);
app.conn.addEventListener('refused', checkSession);
app.conn.addEventListener('kicked', checkSession);

// ---------------------------------------------------------------- people

// Screens show people by name (directory.js); the names follow the users
// view, so a user registered or renamed meanwhile is shown by name too.
function followPeople() {
  const refresh = debounce(() => refreshPeople({ fresh: true }).catch(() => {}), 500);
  app.conn.subscribe('view:users', refresh);
}

// A change made while the connection is down waits in the connection and is
// sent when it is back (api.js); say so, unless a dialog says it itself.
app.addEventListener('command-queued', () => {
  if (document.querySelector('dialog[open]')) return;
  toast('Not connected: your change will be sent when the connection is back.', { kind: 'info', timeout: 8000 });
});

// ---------------------------------------------------------------- notifications

// Each push is toasted once and kept in the notification centre. A toast
// about an approval leads to the request itself; one announcing a decision
// about my request shows who decided and why as soon as the approvals view
// is asked; one announcing a request waiting for me closes once that request
// is decided (by me, here or elsewhere, or by someone else) or withdrawn.
function startNotifications() {
  notices.load();  // also what was sent while signed out
  app.conn.subscribe('notifications', (n) => {
    if (!n || seenNotifications.has(n.id)) return;
    seenNotifications.add(n.id);
    notices.add(n);
    const decided = DECIDED_KINDS.has(n.kind) && n.approval_id;
    const actionFor = n.approval_id ? { label: 'Open request', run: () => { location.hash = noticeHref(n, hashForStream); } }
      : /action/.test(n.kind || '') ? { label: 'Open inbox', run: () => { location.hash = '#/inbox'; } }
        : n.subject_stream ? { label: 'Open', run: () => { location.hash = hashForStream(n.subject_stream); } } : null;
    const t = toast(n.title ? readable(n.title) : 'Something new waits for you', {
      kind: 'notice',
      timeout: decided ? 20_000 : 10_000,
      action: actionFor,
      data: { notice: n.id, kind: n.kind || '', approval: n.approval_id || '', subject: n.subject_stream || '', position: String(n.position || 0) },
    });
    if (decided) explainDecision(n, t);
    if (WAITING_KINDS.has(n.kind) && n.approval_id) watchedApprovals.set(n.approval_id, n.subject_stream);
    refreshBadge();
    app.dispatchEvent(new CustomEvent('notification', { detail: n }));
  });
  // Every event reaches every `view:` channel (docs/protocol.md): the badge
  // and the title follow any change to approvals or actions, also one that
  // sent me no notification (another reviewer decided what waited for me).
  app.conn.subscribe('view:inbox', (e) => {
    if (!e || !/^(approval|nc|review|user)\./.test(e.type || '')) return;
    refreshBadgeSoon();
    const m = /^approval-(.+)$/.exec(e.stream || '');
    if (m && watchedApprovals.has(m[1])) checkWaiting(m[1]);
  });
}

// Completes a decision's toast and its entry in the centre with the verdict
// in words and the reviewer's reason.
async function explainDecision(n, t) {
  try {
    const o = await outcomeOf(await findApproval(n.approval_id, n.subject_stream));
    if (!o) return;
    const summary = String(n.title || '').replace(/^[^:]+: /, '');
    t.setText(h('strong', o.verdict), ': ', readable(summary),
      o.reason ? h('span.toast-reason', h('span.sr-only', 'Reason: '), `“${o.reason}”`) : null);
    notices.update(n.id, { verdict: o.verdict, reason: o.reason });
  } catch { /* the toast keeps the title the server sent */ }
}

// Approvals announced to me as waiting, whose toasts are still up: id → subject.
const watchedApprovals = new Map();

// Closes the toasts of a request that no longer waits for me: concluded,
// withdrawn, or already decided by me.
const checkWaiting = async (id) => {
  if (!document.querySelector(`#toasts .toast[data-approval="${CSS.escape(id)}"]`)) { watchedApprovals.delete(id); return; }
  try {
    const a = await findApproval(id, watchedApprovals.get(id));
    const me = app.user && app.user.id;
    if (!a || (a.state !== 'open' && a.state !== 'requested') || (a.decisions || []).some((d) => d.reviewer === me)) stale(id);
  } catch { /* offline: the toast times out by itself */ }
};

function stale(id) {
  watchedApprovals.delete(id);
  for (const kind of WAITING_KINDS) closeToasts({ approval: id, kind });
}

app.addEventListener('approval-decided', (e) => stale(e.detail.id));

export function hashForStream(stream) {
  const m = /^([a-z_]+)-(.+)$/.exec(stream || '');
  if (!m) return '#/inbox';
  const [, kind, id] = m;
  const map = { risk: 'risks', document: 'documents', nc: 'nonconformities', incident: 'incidents', supplier: 'suppliers', asset: 'assets', review: 'reviews', audit: 'audits', objective: 'objectives', approval: 'approvals', user: 'users' };
  if (kind === 'soa') return '#/soa';
  if (kind === 'scope') return '#/scope';
  if (kind === 'objective') return '#/objectives';
  if (kind === 'audit') return '#/audits';
  if (kind === 'user') return '#/users';
  return map[kind] ? `#/${map[kind]}/${encodeURIComponent(id)}` : '#/history';
}

export async function refreshBadge() {
  if (!app.user) return;
  try {
    const r = await app.conn.query('inbox', {});
    setBadge(r.data.count || 0);
  } catch { /* offline: the badge keeps its last value */ }
}
const refreshBadgeSoon = debounce(refreshBadge, 300);

function setBadge(n) {
  app.inboxCount = n;
  if (!shell) return;
  for (const b of [shell.badge, shell.topBadge]) {
    b.textContent = n > 99 ? '99+' : String(n);
    b.hidden = n === 0;
  }
  shell.badgeWords.textContent = n ? `, ${n} waiting for you` : '';
  const top = root.querySelector('.top-inbox');
  if (top) top.setAttribute('aria-label', n ? `Inbox, ${n} waiting for you` : 'Inbox');
  updateTitle();
}

let screenTitle = '';
function updateTitle() {
  const n = app.inboxCount;
  document.title = `${n ? `(${n}) ` : ''}${screenTitle ? screenTitle + ' · ' : ''}ISMS Ledger`;
}
app.addEventListener('inbox-changed', () => refreshBadge());

// ---------------------------------------------------------------- time travel

function renderPast() {
  if (!shell) return;
  const b = shell.pastBanner;
  document.body.classList.toggle('in-past', app.past);
  if (!app.past) { b.hidden = true; clear(b); return; }
  replace(b,
    h('span.banner-icon', { 'aria-hidden': 'true' }, icon('history')),
    h('span', h('strong', 'You are looking at the past: '),
      `the ISMS as it stood at position ${app.asOf.position}`, app.asOf.at ? [' (', instant(app.asOf.at), ')'] : '',
      '. Nothing can be changed while you look back.'),
    h('span.banner-actions',
      h('a.btn.btn-small.btn-quiet-inverse', { href: '#/history' }, 'Change'),
      h('button.btn.btn-small', { type: 'button', onclick: () => app.setAsOf(null) }, 'Return to now')));
  b.hidden = false;
}

// A user whose roles require a second factor may read and enrol, but may not
// act until enrolled: the banner says so on every page until they have.
function renderFactor() {
  if (!shell) return;
  const b = shell.factorBanner;
  const f = app.user && app.user.second_factor;
  if (!f || !f.required || f.enrolled) { b.hidden = true; clear(b); return; }
  replace(b,
    h('span', h('strong', 'Your role requires a second factor. '),
      'Until you set up an authenticator app, you can read but not approve or change anything.'),
    h('span.banner-actions', h('a.btn.btn-small.btn-primary', { href: '#/account' }, 'Set it up')));
  b.hidden = false;
}

app.addEventListener('second-factor-changed', () => renderFactor());

app.addEventListener('asof', () => {
  renderPast();
  renderConn({ state: app.conn.state, retryAt: app.conn.retryAt });
  route();
});

// ---------------------------------------------------------------- router

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  for (const [pattern, screen] of ROUTES) {
    const ps = pattern.split('/');
    if (ps.length !== segments.length) continue;
    const params = {};
    if (ps.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = segments[i]), true) : p === segments[i])))
      return { screen, params, query, path: pathPart };
  }
  return null;
}

function unmountScreen() {
  if (!current) return;
  for (const fn of current.cleanups) { try { fn(); } catch (e) { console.error(e); } }
  current = null;
}

async function route() {
  if (!app.user || !shell) return;
  toggleNav(false);
  const match = parseHash();
  if (!match) { location.replace(landing()); return; }
  unmountScreen();
  const ctx = {
    params: match.params,
    query: match.query,
    cleanups: [],
    reload: null,
    onCleanup(fn) { this.cleanups.push(fn); },
    // Re-runs fn (debounced) after any event that changes one of these views.
    // Nothing is live while looking at the past.
    live(viewNames, fn) {
      if (app.past) return;
      const run = debounce(fn, 250);
      for (const v of [].concat(viewNames)) this.cleanups.push(app.conn.subscribe(`view:${v}`, run));
      this.cleanups.push(() => run.cancel());
    },
    // Navigates within the screen by rewriting the query part of the hash.
    setQuery(q) {
      const clean = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== '' && v !== null && v !== undefined && v !== false));
      const qs = new URLSearchParams(clean).toString();
      const next = `#/${match.path}${qs ? '?' + qs : ''}`;
      if (next !== location.hash) history.replaceState(null, '', next);
    },
  };
  current = ctx;
  for (const a of shell.navList.parentElement.parentElement.querySelectorAll('[data-nav]')) {
    const active = match.path === a.dataset.nav.slice(2) || match.path.startsWith(a.dataset.nav.slice(2) + '/');
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const main = shell.main;
  replace(main, loading());
  await loadPeople();
  if (current !== ctx) return;
  try {
    const node = await match.screen.render(ctx);
    if (current !== ctx) return;
    clear(main);
    if (node) main.append(node);
  } catch (err) {
    console.error(err);
    if (current !== ctx) return;
    replace(main, h('div.state.state-error', { role: 'alert' }, h('div.state-title', 'This screen could not be shown'), h('p', explain(err))));
  }
  const heading = main.querySelector('h1');
  screenTitle = heading ? heading.textContent : '';
  updateTitle();
  if (routeByUser) { main.focus({ preventScroll: true }); window.scrollTo(0, 0); }
  routeByUser = true;
}

let routeByUser = false;
// The skip link must not change the hash (the router owns it): focus main instead.
document.querySelector('.skip-link')?.addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main')?.focus();
});
window.addEventListener('hashchange', () => { routeByUser = true; route(); });
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && document.body.classList.contains('nav-open')) toggleNav(false); });

boot();

export { app };
