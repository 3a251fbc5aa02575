// The one connection to ismsd: HTTP for the session, the event log and
// verification; the WebSocket API (docs/protocol.md) for everything else.
//
// The WebSocket reconnects by itself with exponential backoff (0.5 s doubling
// to 2 s, with jitter): the retry delay is capped low so that a page is back
// within about 3 s of the server returning. Requests sent while it is down wait for it; requests
// in flight when it drops are sent again after the reconnect — a command keeps
// its command_id, so the server writes it at most once. Subscriptions are
// renewed after every reconnect.

import { randomId } from './dom.js';

export class ApiError extends Error {
  constructor(code, message, field, status) {
    super(message || code);
    this.code = code;
    this.field = field || '';
    this.status = status || 0;
  }
}

// ---------------------------------------------------------------- HTTP

async function httpJson(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
  }
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = (data && data.error) || {};
    throw new ApiError(err.code || `http_${res.status}`, err.message || res.statusText, err.field, res.status);
  }
  return data;
}

export const http = {
  signIn: (username, password, code) => httpJson('POST', '/api/session', code ? { username, password, code } : { username, password }),
  whoAmI: () => httpJson('GET', '/api/session'),
  signOut: () => httpJson('DELETE', '/api/session'),
  changeOwnPassword: (current, next) => httpJson('POST', '/api/session/password', { current, new: next }),
  setPassword: (user, password) => httpJson('POST', '/api/users/password', { user, password }),
  // A second factor (TOTP): begin with the password (and a current code when
  // one is enrolled already), confirm with a code of the new secret (the
  // answer carries the recovery codes, shown this once), remove with a code.
  beginSecondFactor: (password, code) => httpJson('POST', '/api/session/second-factor', code ? { password, code } : { password }),
  confirmSecondFactor: (code) => httpJson('POST', '/api/session/second-factor/confirm', { code }),
  removeSecondFactor: (code) => httpJson('DELETE', '/api/session/second-factor', { code }),
  resetSecondFactor: (user) => httpJson('POST', '/api/users/second-factor/reset', { user }),
  // The notification centre: what the user was sent, kept by the server.
  notifications: (limit = 30) => httpJson('GET', `/api/notifications?limit=${limit}`),
  markNotificationsRead: (upTo) => httpJson('POST', '/api/notifications/read', { up_to: upTo }),
  notificationPreferences: () => httpJson('GET', '/api/notifications/preferences'),
  setNotificationPreferences: (mail) => httpJson('PUT', '/api/notifications/preferences', { mail }),
  verify: () => httpJson('GET', '/api/verify'),
  // Signed checkpoints (docs/auditors.md): the list with the current key, a
  // new one now (the newest again when nothing was appended since), the key.
  checkpoints: () => httpJson('GET', '/api/checkpoints'),
  signCheckpoint: () => httpJson('POST', '/api/checkpoints'),
  checkpointKey: () => httpJson('GET', '/api/checkpoints/key'),
  // The evidence bundle is a tar.gz attachment; the session cookie goes with
  // a plain link, so the browser downloads it itself (no copy in memory).
  evidenceUrl: '/api/evidence',
  backup: () => httpJson('POST', '/api/backup'),
  // The health answer, also when it is 503 (a read-only store says why).
  async health() {
    try {
      return await httpJson('GET', '/healthz');
    } catch (err) {
      if (err.status === 503) {
        const res = await fetch('/healthz', { credentials: 'same-origin' });
        return res.json();
      }
      throw err;
    }
  },

  // The event log as NDJSON, one page. Returns {text, head}.
  async eventsPage(from, limit) {
    let res;
    try {
      res = await fetch(`/api/events?from=${from}&limit=${limit}`, { credentials: 'same-origin' });
    } catch {
      throw new ApiError('offline', 'The server cannot be reached. Check the network connection.');
    }
    const text = await res.text();
    if (!res.ok) {
      let err = {};
      try { err = JSON.parse(text).error || {}; } catch { /* not JSON */ }
      throw new ApiError(err.code || `http_${res.status}`, err.message || res.statusText, '', res.status);
    }
    return { text, head: Number(res.headers.get('X-Head-Position') || 0) };
  },
};

// ---------------------------------------------------------------- WebSocket

const BACKOFF_MIN_MS = 500;
// A reconnect is one WebSocket handshake, cheap for the server; the jitter
// (±25 %) spreads the clients of a restarted server over the interval.
const BACKOFF_MAX_MS = 2_000;
const PING_EVERY_MS = 25_000;
const PING_TIMEOUT_MS = 10_000;

export class Connection extends EventTarget {
  constructor() {
    super();
    this.ws = null;
    this.state = 'idle';          // idle | connecting | open | reconnecting | closed
    this.attempt = 0;
    this.retryAt = 0;
    this.nextId = 1;
    this.pending = new Map();     // id → {message, resolve, reject}
    this.channels = new Map();    // channel → Set(handler)
    this.stopped = true;
    this.retryTimer = null;
    this.pingTimer = null;
    this.position = 0;            // the last view position the server told us
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  // Closes for good (sign-out); pending requests fail.
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000, 'signed out'); }
    this.ws = null;
    for (const p of this.pending.values()) p.reject(new ApiError('closed', 'Signed out.'));
    this.pending.clear();
    this.channels.clear();
    this.setState('closed');
  }

  get isOpen() { return this.state === 'open' && !!this.ws && this.ws.readyState === WebSocket.OPEN; }

  // Reconnect now instead of waiting for the backoff.
  retryNow() {
    if (this.stopped || this.state === 'open' || this.state === 'connecting') return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, attempt: this.attempt, ...extra } }));
  }

  open() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws`;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { retryAt: 0 });
    let ws;
    try { ws = new WebSocket(url); } catch { return this.scheduleRetry(); }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.setState('open');
      // Renew subscriptions, then send again what was in flight or waiting.
      for (const channel of this.channels.keys()) this.sendRaw({ id: this.newId(), op: 'subscribe', channel });
      for (const [, p] of this.pending) this.sendRaw(p.message);
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY_MS);
      this.dispatchEvent(new CustomEvent('reconnected'));
    };
    ws.onmessage = (e) => this.onMessage(e.data);
    ws.onclose = (e) => {
      clearInterval(this.pingTimer);
      this.ws = null;
      if (this.stopped) return;
      // Never opened: maybe the session is gone. Let the app check.
      if (!opened) this.dispatchEvent(new CustomEvent('refused'));
      if (e.code === 1008) this.dispatchEvent(new CustomEvent('kicked', { detail: { reason: e.reason } }));
      this.scheduleRetry();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleRetry() {
    if (this.stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('reconnecting', { retryAt: this.retryAt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  async keepAlive() {
    if (this.state !== 'open') return;
    const ws = this.ws;
    const timer = setTimeout(() => { if (ws && ws === this.ws) ws.close(4000, 'no answer to ping'); }, PING_TIMEOUT_MS);
    try {
      const r = await this.request({ op: 'ping' }, { resend: false });
      if (r && r.position) this.position = r.position;
    } catch { /* the close handler reconnects */ } finally {
      clearTimeout(timer);
    }
  }

  newId() { return String(this.nextId++); }

  sendRaw(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  onMessage(text) {
    let msg;
    try { msg = JSON.parse(text); } catch { return; }
    if (msg.push) {
      const handlers = this.channels.get(msg.push);
      if (handlers) for (const fn of [...handlers]) { try { fn(msg.data, msg.push); } catch (err) { console.error(err); } }
      return;
    }
    if (msg.id === null || msg.id === undefined) {
      if (msg.error) this.dispatchEvent(new CustomEvent('servererror', { detail: msg.error }));
      return;
    }
    const p = this.pending.get(String(msg.id));
    if (!p) return;
    this.pending.delete(String(msg.id));
    if (msg.ok) p.resolve(msg.result);
    else {
      const e = msg.error || {};
      p.reject(new ApiError(e.code || 'internal', e.message, e.field));
    }
  }

  // Sends one request; resolves with its result or rejects with an ApiError.
  request(body, { resend = true } = {}) {
    const id = this.newId();
    const message = { id, ...body };
    return new Promise((resolve, reject) => {
      if (this.stopped) return reject(new ApiError('closed', 'Not signed in.'));
      this.pending.set(id, { message, resolve, reject });
      if (!this.sendRaw(message) && !resend) {
        this.pending.delete(id);
        reject(new ApiError('offline', 'Not connected.'));
      }
    });
  }

  // A list view longer than a page arrives in pages (data.next names the
  // next one, read from the same position): they are fetched here and joined,
  // so callers always see the whole list.
  query(view, params = {}, asOf = null) {
    const body = { op: 'query', view, params };
    if (asOf) body.as_of = asOf;
    return this.request(body).then(async (r) => {
      if (!asOf && r && r.position > this.position) this.position = r.position;
      const data = r && r.data;
      if (data && typeof data.next === 'string' && Array.isArray(data[view])) {
        for (let next = data.next; typeof next === 'string';) {
          const page = (await this.request({ op: 'query', view, params: { ...params, after: next } })).data;
          data[view] = data[view].concat(page[view] || []);
          next = page.next;
        }
        data.next = null;
      }
      return r;
    });
  }

  // A command with its own idempotency key: resending after a lost reply is
  // safe. `confirmCode` confirms a decision that matters with the second
  // factor (the server answers `confirmation_required` without it).
  command(type, stream, data = {}, { comment, expectedVersion, confirmCode, confirmSignIn } = {}) {
    const body = { op: 'command', type, stream, data, command_id: `ui-${randomId(12)}` };
    if (comment) body.comment = comment;
    if (confirmCode) body.confirm = { code: confirmCode };
    else if (confirmSignIn) body.confirm = { sign_in: true };
    if (expectedVersion !== undefined && expectedVersion !== null) body.expected_version = expectedVersion;
    return this.request(body);
  }

  // Subscribes `handler` to a push channel; returns the function that ends it.
  subscribe(channel, handler) {
    let set = this.channels.get(channel);
    const first = !set;
    if (first) {
      set = new Set();
      this.channels.set(channel, set);
    }
    set.add(handler);
    if (first && this.state === 'open') this.sendRaw({ id: this.newId(), op: 'subscribe', channel });
    return () => {
      const s = this.channels.get(channel);
      if (!s) return;
      s.delete(handler);
      if (s.size === 0) {
        this.channels.delete(channel);
        if (this.state === 'open') this.sendRaw({ id: this.newId(), op: 'unsubscribe', channel });
      }
    };
  }
}
