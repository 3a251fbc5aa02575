// Audit and history: the time control (every screen as it stood at a past
// position or instant), the chain's verification and head hash, the signed
// checkpoints and the evidence bundle (docs/auditors.md), the event log with
// filters, and the evidence export (the NDJSON of /api/events).

import { h, replace, instant, humanize, download, todayUtc } from '../dom.js';
import { app } from '../state.js';
import { http } from '../api.js';
import { pageHeader, loading, errorState, toast, explain, field, section, facts, empty, stateChip } from '../ui.js';
import { hashForStream } from '../app.js';
import { person, readable } from '../directory.js';

export async function render(ctx) {
  const q = { stream: '', type: '', actor: '', from: '', to: '', ...ctx.query };
  const timeBox = h('div', loading());
  const verifyBox = h('div', loading('Verifying the chain…'));
  const logBox = h('div', loading());
  const checkpointsBox = h('div', loading());
  const exportBox = h('div');
  const backupBox = h('div');
  const approvalsBox = h('div', loading());
  const page = h('div',
    pageHeader('Audit and history', { subtitle: 'Look at any past state, verify the tamper-evident log, read and export the evidence.' }),
    h('div.grid-2',
      section('Time control', timeBox),
      section('Chain verification', verifyBox)),
    h('div', { style: 'height:18px' }),
    app.roleAllows('events.export') ? section('Signed checkpoints and the evidence bundle', checkpointsBox) : null,
    section('Event log', logBox),
    section('Approvals', approvalsBox),
    app.roleAllows('events.export') ? section('Evidence export', exportBox) : null,
    app.roleAllows('backup') ? section('Backups', backupBox) : null);

  let head = 0;

  // ------------------------------------------------------------ time control
  async function drawTime() {
    try {
      const health = await http.health();
      head = health.head.position;
    } catch { /* keep what we had */ }
    const cur = app.asOf;
    const pos = cur ? cur.position : head;
    const range = h('input#tc-range', { type: 'range', min: 1, max: Math.max(1, head), value: pos, 'aria-label': 'Position in the event log', 'aria-valuetext': `position ${pos} of ${head}` });
    const num = h('input#tc-pos', { type: 'number', min: 1, max: Math.max(1, head), value: pos, inputmode: 'numeric' });
    range.addEventListener('input', () => { num.value = range.value; range.setAttribute('aria-valuetext', `position ${range.value} of ${head}`); });
    num.addEventListener('input', () => { range.value = num.value; });
    const when = h('input#tc-time', { type: 'datetime-local', step: 1 });
    if (cur && cur.at) when.value = toLocalInput(cur.at);
    const err = h('div.form-error', { role: 'alert', hidden: true });

    async function goPosition(p) {
      err.hidden = true;
      const position = Number(p);
      if (!Number.isInteger(position) || position < 1) { err.textContent = 'Enter a position of 1 or more.'; err.hidden = false; return; }
      if (position >= head) { app.setAsOf(null); return; }
      try {
        const r = await app.conn.query('activity', { limit: 1 }, { position });
        app.setAsOf({ position: r.position, at: r.data.as_of || '' });
        toast(`Showing the ISMS as it stood at position ${r.position}.`, { kind: 'notice', timeout: 3500 });
      } catch (e) { err.textContent = explain(e); err.hidden = false; }
    }
    async function goTime() {
      err.hidden = true;
      if (!when.value) { err.textContent = 'Choose a date and time.'; err.hidden = false; return; }
      const d = new Date(when.value);
      if (Number.isNaN(d.getTime())) { err.textContent = 'That is not a valid date and time.'; err.hidden = false; return; }
      if (d.getTime() >= Date.now()) { app.setAsOf(null); return; }
      try {
        const r = await app.conn.query('activity', { limit: 1 }, { time: d.toISOString().replace(/\.\d{3}Z$/, 'Z') });
        if (!r.position) { err.textContent = 'Nothing was recorded yet at that time.'; err.hidden = false; return; }
        if (r.position >= head) { app.setAsOf(null); toast('Nothing changed since then: you are looking at the present.', { timeout: 3500 }); return; }
        app.setAsOf({ position: r.position, at: r.data.as_of || d.toISOString() });
      } catch (e) { err.textContent = explain(e); err.hidden = false; }
    }

    replace(timeBox, h('div.timecontrol',
      h('p', cur
        ? h('span', h('strong', `Looking at position ${cur.position}`), cur.at ? [' — ', instant(cur.at)] : '', `. The log has ${head} events.`)
        : h('span', 'You are looking at the present: ', h('strong', `${head} events`), ' in the log. Choose a point to see every screen as it stood then.')),
      h('div.timecontrol-row',
        h('div.field', { style: 'flex:1;min-width:200px' }, h('label', { for: 'tc-time' }, 'Date and time (your local time)'), when),
        h('button.btn', { type: 'button', onclick: goTime }, 'Show that moment')),
      h('div.row', { role: 'group', 'aria-label': 'Jump back' },
        h('span.muted', { style: 'font-size:.86rem' }, 'Jump back:'),
        [['1 week', 7], ['1 month', 30], ['3 months', 91], ['1 year', 365]].map(([label, days]) =>
          h('button.btn.btn-small.btn-quiet', { type: 'button', onclick: () => { when.value = toLocalInput(new Date(Date.now() - days * 864e5).toISOString()); goTime(); } }, label))),
      h('div.field', { style: 'margin:0' }, h('label', { for: 'tc-range' }, 'Or a position in the log'), range),
      h('div.timecontrol-row',
        h('div.field', { style: 'width:140px' }, h('label', { for: 'tc-pos' }, 'Position'), num),
        h('button.btn', { type: 'button', onclick: () => goPosition(num.value), dataset: { testid: 'tc-go' } }, 'Show this position'),
        h('button.btn.btn-quiet', { type: 'button', 'aria-label': 'One event earlier', disabled: !cur && head < 2, onclick: () => goPosition((cur ? cur.position : head) - 1) }, '◀ earlier'),
        cur ? h('button.btn.btn-quiet', { type: 'button', 'aria-label': 'One event later', onclick: () => goPosition(cur.position + 1) }, 'later ▶') : null),
      err,
      cur ? h('button.btn.btn-primary', { type: 'button', onclick: () => app.setAsOf(null) }, 'Return to now') : null,
      compareLink(cur ? String(cur.position) : todayUtc(-90), cur ? 'What changed between this position and now' : 'Compare two dates: what changed in between')));
  }

  // ------------------------------------------------------------ verification
  async function drawVerify() {
    replace(verifyBox, loading('Verifying the chain…'));
    try {
      // Who may verify on demand the server says (`user.may.endpoints`:
      // events.export covers /api/verify); everyone else sees what the
      // server's background verification found.
      const mayVerify = app.roleAllows('events.export');
      const health = await http.health();
      const bg = health.chain_verification || {};
      const background = bg.state === 'failed'
        ? { verified: false, first_bad_position: bg.failure.position, reason: bg.failure.message }
        : { verified: bg.state === 'verified', running: bg.state !== 'verified', position: bg.verified_position, target: bg.target_position, hash: bg.verified_hash };
      let v = background;
      if (mayVerify) {
        try {
          v = await http.verify();
        } catch (err) {
          // One verification runs at a time: while the background pass after
          // a start runs, /api/verify answers 429 and its progress is the news.
          if (!(err.code === 'rate_limited' && bg.state === 'running')) throw err;
        }
      }
      replace(verifyBox,
        v.verified
          ? h('div.verify-ok', { role: 'status' }, h('span', { 'aria-hidden': 'true' }, '✓'), `The whole chain verifies: positions 1 to ${v.position}.`)
          : v.running
            ? h('div.muted', { role: 'status', dataset: { testid: 'verify-progress' } }, `The server is verifying the chain: ${verifiedSoFar(v.position, v.target)}.`)
            : h('div.verify-bad', { role: 'alert' }, `The chain does NOT verify from position ${v.first_bad_position}: ${v.reason}`),
        health.store && !health.store.writable
          ? h('div.verify-bad', { role: 'alert' }, `The store is read-only and refuses changes: ${health.store.message}`)
          : null,
        h('div', { style: 'margin-top:12px' }, facts([
          ['Head position', String(health.head.position)],
          ['Views include', `position ${health.views_position}`],
          ['Verified at', instant(new Date().toISOString())],
        ])),
        h('div', { style: 'margin-top:10px' }, h('div.muted', { style: 'font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em' }, 'Head hash (SHA-256)'),
          h('code.hash', { dataset: { testid: 'head-hash' } }, v.verified ? v.hash : health.head.hash)),
        h('p.muted', { style: 'font-size:.84rem;margin-top:10px' }, 'Keep the head hash: any later export must still contain this event with this hash, or history was rewritten.'),
        h('button.btn.btn-small', { type: 'button', onclick: drawVerify }, 'Verify again'));
      // The background verification after a start takes a moment: look again.
      if (v.running) setTimeout(() => { if (verifyBox.isConnected) drawVerify(); }, 1000);
    } catch (err) {
      replace(verifyBox, errorState(err, drawVerify));
    }
  }

  // ------------------------------------------------------------ checkpoints
  // For auditors (events.export covers reading checkpoints): the key's
  // fingerprint to note, the newest signed checkpoint, signing one now and
  // the evidence bundle with its verifier. Others see none of it: the key
  // means something only to whoever checks the bundle.
  async function drawCheckpoints() {
    let data;
    try {
      data = await http.checkpoints();
    } catch (err) {
      replace(checkpointsBox, errorState({ message: serverSays(err) }, drawCheckpoints));
      return;
    }
    const list = data.checkpoints || [];
    const newest = list.length ? list[list.length - 1] : null;
    const key = data.key || {};
    const mayMake = app.roleAllows('checkpoints.make');
    const label = (text) => h('div.muted', { style: 'font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em' }, text);

    const sign = mayMake ? h('button.btn', { type: 'button', dataset: { testid: 'sign-checkpoint' } }, 'Sign a checkpoint now') : null;
    if (sign) sign.addEventListener('click', async () => {
      sign.disabled = true;
      sign.classList.add('busy');
      try {
        const c = await http.signCheckpoint();
        toast(newest && c.position === newest.position
          ? `Nothing was recorded since the newest checkpoint: it still covers position ${c.position}.`
          : `Checkpoint signed: positions 1 to ${c.position}.`);
        await drawCheckpoints();
      } catch (err) {
        toast(serverSays(err), { kind: 'error' });
        sign.disabled = false;
        sign.classList.remove('busy');
      }
    });

    replace(checkpointsBox,
      h('p.muted', { style: 'font-size:.9rem' }, 'The server signs the number of events, the last event’s hash and the Merkle root of the log with its Ed25519 key, so that the history can be checked away from the server.'),
      label('Signing key fingerprint (SHA-256)'),
      h('code.hash', { dataset: { testid: 'key-fingerprint' } }, key.fingerprint || '—'),
      h('p.muted', { style: 'font-size:.84rem;margin-top:6px' }, 'Note it in your audit file: it is the key you trust next time (', h('code', 'verify.py --trust-key'), ').'),
      newest
        ? h('div', { dataset: { testid: 'newest-checkpoint' }, style: 'margin-top:12px' },
          facts([
            ['Newest checkpoint', h('span', { dataset: { testid: 'newest-position' } }, `position ${newest.position}`)],
            ['Signed', instant(newest.time)],
            ['Checkpoints', h('span', { dataset: { testid: 'checkpoint-count' } }, String(list.length))],
          ]),
          h('div', { style: 'margin-top:10px' }, label('Merkle root of the newest'), h('code.hash', newest.merkle_root)),
          compareLink(`checkpoint-${newest.position}`, 'What changed since the newest checkpoint'))
        : h('p', { dataset: { testid: 'newest-checkpoint' }, style: 'margin-top:12px' }, 'No checkpoint is signed yet.', mayMake ? ' Sign one now; the bundle signs one too.' : ''),
      mayMake ? h('div.row', { style: 'margin-top:14px' },
        sign,
        h('a.btn.btn-primary', { href: http.evidenceUrl, download: '', dataset: { testid: 'evidence-bundle' } }, 'Download the evidence bundle')) : null,
      mayMake ? h('p.muted', { style: 'font-size:.84rem;margin-top:10px' },
        'The bundle holds the whole log, its checkpoints with a fresh one, the proofs and the registers. Run ',
        h('code', 'python3 verify.py'), ' on it (inside the bundle); keep ', h('code', 'checkpoints.json'), ' for next year’s audit.') : null);
  }

  // ------------------------------------------------------------ backups
  function drawBackup(last = null) {
    const button = h('button.btn.btn-small', { type: 'button', dataset: { testid: 'take-backup' } }, 'Take a backup now');
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.textContent = 'Taking the backup…';
      try {
        const r = await http.backup();
        toast('Backup written on the server.');
        drawBackup(r);
      } catch (err) {
        toast(explain(err), { kind: 'error' });
        drawBackup(last);
      }
    });
    replace(backupBox,
      h('p.muted', { style: 'font-size:.9rem' }, 'A consistent copy of the whole log, taken while everyone keeps working. It is written into the backup folder on the server; copy it to another place to keep it safe, and restore it with “ismsd restore”.'),
      last ? h('div', { dataset: { testid: 'backup-result' }, role: 'status', style: 'margin:10px 0' }, facts([
        ['Folder', h('code', last.path)],
        ['Holds at least', `position ${last.position}`],
        ['Head hash then', h('code.hash', last.head_hash)],
      ])) : null,
      button);
  }

  // ------------------------------------------------------------ event log
  let logFilters = null;
  const logList = h('div');
  async function drawLog() {
    if (!logFilters) {
      const inp = (name, label, placeholder, type = 'text') => {
        const f = field({ label, name, type, value: q[name], placeholder });
        f.querySelector('input').addEventListener('change', (e) => { q[name] = e.target.value.trim(); ctx.setQuery(q); drawLog(); });
        return f;
      };
      logFilters = h('div.filters',
        inp('stream', 'Stream', 'e.g. risk-R-1'),
        inp('type', 'Type', 'e.g. risk. or approval.approved.v1'),
        inp('actor', 'Actor', 'user id'),
        inp('from', 'From', '', 'date'),
        inp('to', 'To', '', 'date'));
      replace(logBox, logFilters, logList);
    }
    // The server filters and pages the whole log (the feed's latest lines
    // and, beyond them, the log itself), newest first.
    const params = { limit: 100 };
    for (const key of ['stream', 'type', 'actor', 'from', 'to']) if (q[key]) params[key] = q[key];
    try {
      const pages = [];
      let data = await app.query('activity', params);
      pages.push(...(data.events || []));
      const draw = () => {
        const events = pages;
        replace(logList,
          h('p.muted', { style: 'font-size:.86rem' }, `${events.length} event${events.length === 1 ? '' : 's'} shown, newest first${app.past ? `, up to position ${app.asOf.position}` : ''}${data.next_before ? '; older ones may match' : ''}.`),
          events.length ? h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Event log' },
            h('thead', h('tr', h('th', '#'), h('th', 'When'), h('th', 'Who'), h('th', 'What'), h('th', 'Stream'), h('th', 'Type'))),
            h('tbody', events.map((e) => h('tr',
              h('td.id-cell', { 'data-label': 'Position' }, String(e.position)),
              h('td.nowrap', { 'data-label': 'When' }, instant(e.at)),
              h('td', { 'data-label': 'Who' }, person(e.by)),
              // The feed's text starts with the actor's id, who is in the column before.
              h('td.cell-main', { 'data-label': 'What' }, readable(String(e.text || '').replace(`${e.by}: `, '')), e.comment ? h('div.tl-why', e.comment) : null),
              h('td', { 'data-label': 'Stream' }, h('a', { href: hashForStream(e.stream) }, e.stream)),
              h('td', { 'data-label': 'Type' }, h('code.event-type', e.type))))))) : (data.next_before ? null : empty('No event matches', 'Change or clear the filters.')),
          data.next_before
            ? h('button.btn#log-more', { type: 'button', style: 'margin-top:12px', onclick: async (ev) => {
              ev.currentTarget.disabled = true;
              try {
                data = await app.query('activity', { ...params, before: data.next_before });
                pages.push(...(data.events || []));
                draw();
              } catch (err) {
                replace(logList, errorState(err, drawLog));
              }
            } }, events.length ? 'Show older events' : 'Search older events') : null);
      };
      draw();
    } catch (err) {
      replace(logList, errorState(err, drawLog));
    }
  }

  // ------------------------------------------------------------ approvals
  let approvalState = '';
  async function drawApprovals() {
    try {
      const data = await app.query('approvals', approvalState ? { state: approvalState } : {});
      const list = (data.approvals || []).slice().sort((a, b) => (a.requested_at < b.requested_at ? 1 : -1));
      const by = data.by_state || {};
      const stateSel = field({ label: 'State', name: 'approval_state', type: 'select', value: approvalState,
        options: [['', `All (${Object.values(by).reduce((x, y) => x + y, 0)})`], ...app.states('approvals').map(([x, label]) => [x, `${label} (${by[x] ?? 0})`])] });
      stateSel.querySelector('select').addEventListener('change', (e) => { approvalState = e.target.value; drawApprovals(); });
      replace(approvalsBox,
        h('div.filters', stateSel),
        h('p.muted', { style: 'font-size:.85rem' }, 'Open requests, the 200 most recently concluded and the last approval of each subject. Every request of one subject is on its approval page and in the event log.'),
        list.length ? h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Approval requests' },
          h('thead', h('tr', h('th', 'Request'), h('th', 'Requested'), h('th', 'State'), h('th', 'Decided by'), h('th', 'Concluded'))),
          h('tbody', list.map((a) => h('tr',
            h('td.cell-main', { 'data-label': 'Request' }, h('a', { href: `#/approvals/${encodeURIComponent(a.id)}` }, a.summary ? readable(a.summary) : a.id), h('div.muted', { style: 'font-size:.82rem' }, h('code', a.id))),
            h('td', { 'data-label': 'Requested' }, person(a.requested_by), h('div.muted', { style: 'font-size:.82rem' }, instant(a.requested_at))),
            h('td', { 'data-label': 'State' }, stateChip(a.state)),
            h('td', { 'data-label': 'Decided by' }, (a.decisions || []).length
              ? (a.decisions || []).flatMap((d, k) => [k ? ', ' : '', `${d.approved ? '✓' : '✗'} `, person(d.reviewer)]) : '—'),
            h('td', { 'data-label': 'Concluded' }, instant(a.concluded_at))))))) : empty('No approval request', approvalState ? 'None in this state.' : 'Approval requests appear here as they are made.'));
    } catch (err) {
      replace(approvalsBox, errorState(err, drawApprovals));
    }
  }

  // ------------------------------------------------------------ export
  function drawExport() {
    const status = h('p.muted', { 'aria-live': 'polite' });
    const btn = h('button.btn.btn-primary', { type: 'button' }, app.past ? `Download events 1 to ${app.asOf.position} (NDJSON)` : 'Download the whole event log (NDJSON)');
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      btn.classList.add('busy');
      try {
        const upTo = app.past ? app.asOf.position : Infinity;
        const parts = [];
        let from = 1;
        let count = 0;
        let headPos = 0;
        for (;;) {
          const page = await http.eventsPage(from, 10000);
          headPos = page.head;
          const lines = page.text.split('\n').filter(Boolean);
          if (!lines.length) break;
          for (const line of lines) {
            const pos = JSON.parse(line).position;
            if (pos > upTo) break;
            parts.push(line);
            count++;
            from = pos + 1;
          }
          status.textContent = `${count} events read…`;
          if (from > Math.min(upTo, headPos)) break;
        }
        download(`isms-ledger-events-1-${from - 1}.ndjson`, parts.join('\n') + (parts.length ? '\n' : ''), 'application/x-ndjson');
        status.textContent = `Exported ${count} events (positions 1 to ${from - 1}). Each line carries its hash and the previous hash, so the chain can be verified without the server (docs/eventstore.md).`;
      } catch (err) {
        status.textContent = explain(err);
      } finally {
        btn.disabled = false;
        btn.classList.remove('busy');
      }
    });
    replace(exportBox, h('p', 'Every event with its actor, time, command, data and hash chain, one JSON object per line — the evidence an auditor keeps.'), btn, status);
  }

  const mayReadCheckpoints = app.roleAllows('events.export');
  const redraw = () => { drawTime(); drawLog(); drawApprovals(); if (mayReadCheckpoints) drawCheckpoints(); };
  ctx.reload = redraw;
  ctx.live('activity', redraw);
  drawTime();
  drawVerify();
  if (mayReadCheckpoints) drawCheckpoints();
  drawLog();
  drawApprovals();
  if (app.roleAllows('events.export')) drawExport();
  if (app.roleAllows('backup')) drawBackup();
  return page;
}

// The server's own words for a 503 (no signing key, the store unavailable),
// which explain() would turn into "busy or restarting"; explain() otherwise.
function serverSays(err) {
  return err && err.status === 503 && err.message ? explain({ message: err.message }) : explain(err);
}

// "positions 1 to X of Y (P %)" while the background verification walks
// towards its target; "so far" when the server names no target.
function verifiedSoFar(position, target) {
  const done = Number(position) || 0;
  const of = Number(target) || 0;
  if (!of) return `positions 1 to ${done} so far`;
  const percent = Math.min(100, Math.floor((done * 100) / of));
  return `positions 1 to ${done} of ${of} (${percent} %)`;
}

// The comparison of a point (a day, a position, a checkpoint) with now.
function compareLink(from, text) {
  return h('a.btn.btn-small', { href: `#/compare?${new URLSearchParams({ from, to: 'now' })}`, dataset: { testid: 'compare-link' }, style: 'justify-self:start;margin-top:10px' }, text, ' →');
}

function toLocalInput(at) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

