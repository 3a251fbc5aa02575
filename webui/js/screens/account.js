// My account: who I am, my roles, changing my own password, the second
// factor (an authenticator app, RFC 6238), signing out.

import { h, replace } from '../dom.js';
import { app } from '../state.js';
import { http } from '../api.js';
import { pageHeader, section, facts, chip, toast, loading } from '../ui.js';
import { ROLE_LABELS } from '../roles.js';
import { signOut } from '../app.js';

export async function render() {
  const u = app.user;
  const err = h('div.form-error', { role: 'alert', hidden: true });
  const ok = h('div.form-ok', { role: 'status', hidden: true });
  const cur = h('input#pw-current', { type: 'password', autocomplete: 'current-password', required: true });
  const next = h('input#pw-new', { type: 'password', autocomplete: 'new-password', required: true, 'aria-describedby': 'pw-hint' });
  const rep = h('input#pw-repeat', { type: 'password', autocomplete: 'new-password', required: true });
  const submit = h('button.btn.btn-primary', { type: 'submit' }, 'Change password');
  const form = h('form', { novalidate: true },
    h('div.field', h('label', { for: 'pw-current' }, 'Current password'), cur),
    h('div.field', h('label', { for: 'pw-new' }, 'New password'), next, h('p.hint#pw-hint', 'At least 12 characters. A passphrase of several words is easy to remember and hard to guess.')),
    h('div.field', h('label', { for: 'pw-repeat' }, 'Repeat the new password'), rep),
    err, ok, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = ok.hidden = true;
    const fail = (t, el) => { err.textContent = t; err.hidden = false; if (el) el.focus(); };
    if (!cur.value) return fail('Enter your current password.', cur);
    if (next.value.length < 12) return fail('The new password needs at least 12 characters.', next);
    if (next.value !== rep.value) return fail('The two new passwords differ.', rep);
    submit.disabled = true;
    submit.classList.add('busy');
    try {
      await http.changeOwnPassword(cur.value, next.value);
      form.reset();
      ok.textContent = 'Your password is changed.';
      ok.hidden = false;
      toast('Password changed.', { kind: 'ok' });
    } catch (x) {
      if (x.status === 403) fail('The current password is not right.', cur);
      else if (x.status === 429) fail('Too many failed attempts. Wait a while before you try again.');
      else if (x.status === 401) fail('Your session has ended. Sign in again.');
      else fail(x.message || 'The password could not be changed.');
    } finally {
      submit.disabled = false;
      submit.classList.remove('busy');
    }
  });

  return h('div',
    pageHeader('My account', { actions: [h('button.btn', { type: 'button', onclick: () => signOut() }, 'Sign out')] }),
    h('div.grid-2',
      section('You', facts([
        ['Name', u.name || u.id],
        ['User name', h('code', u.id)],
        ['Roles', (u.roles || []).length ? h('span.row', { style: 'gap:4px' }, u.roles.map((r) => chip(ROLE_LABELS[r] || r, 'info'))) : 'none'],
      ]), h('p.muted', { style: 'margin-top:12px;font-size:.88rem' }, 'Roles are granted by an administrator. Everything you do is recorded with your name.')),
      section('Change your password', form)),
    h('div.grid-2', secondFactor(), mailPreferences()));
}

// ---------------------------------------------------------------- e-mail

const MAIL_CATEGORIES = [
  ['approvals', 'Approvals', 'A request waits for you or your turn has come; a request of yours was decided or withdrawn.'],
  ['assignments', 'Assignments', 'A risk, corrective action, objective, review or audit became yours; a nonconformity was raised.'],
  ['incidents', 'Incidents', 'An incident was reported, became yours to handle or touches a risk of yours; one you reported was closed.'],
  ['reminders', 'Reminders', 'Something of yours is due or overdue; an acceptance expired.'],
];
const MAIL_MODES = [['immediately', 'At once'], ['digest', 'In a daily summary'], ['off', 'Not by e-mail']];

// How each category of notification reaches the user by mail. Whatever is
// chosen, the notification centre (the bell) keeps every notification.
function mailPreferences() {
  const body = h('div.mail-preferences', loading('Loading your e-mail settings…'));
  const box = section('E-mail', body);
  box.id = 'mail-preferences';
  (async () => {
    let mail;
    try {
      mail = (await http.notificationPreferences()).mail;
    } catch (x) {
      replace(body, h('p.form-error', { role: 'alert' }, x.message || 'Your e-mail settings could not be read.'));
      return;
    }
    const note = { style: 'font-size:.88rem;margin-bottom:12px' };
    const where = !mail.sent
      ? h('p.muted', note, 'This server sends no e-mail. Notifications reach you in the app: the bell keeps every one.')
      : !mail.address
        ? h('p.muted', note, 'No e-mail address is registered for you; an administrator adds it. Until then notifications reach you in the app only.')
        : h('p.muted', note, 'Mails go to ', h('b', mail.address), `. A daily summary leaves at ${String(mail.digest_hour_utc).padStart(2, '0')}:00 UTC. The bell keeps every notification, whatever you choose.`);
    const err = h('div.form-error', { role: 'alert', hidden: true });
    const selects = MAIL_CATEGORIES.map(([key, label, hint]) => {
      const id = `mail-${key}`;
      const select = h(`select#${id}`, { name: key, 'aria-describedby': `${id}-hint` },
        MAIL_MODES.map(([v, l]) => h('option', { value: v, selected: mail.preferences[key] === v }, l)));
      return [key, select, h('div.field', h('label', { for: id }, label), select, h(`p.hint#${id}-hint`, hint))];
    });
    const save = h('button.btn.btn-primary', { type: 'submit' }, 'Save');
    const form = h('form', { novalidate: true }, where, selects.map(([, , f]) => f), err, save);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      save.disabled = true;
      save.classList.add('busy');
      try {
        const chosen = Object.fromEntries(selects.map(([k, sel]) => [k, sel.value]));
        await http.setNotificationPreferences(chosen);
        toast('Your e-mail settings are saved.', { kind: 'ok' });
      } catch (x) {
        err.textContent = x.message || 'Your e-mail settings could not be saved.';
        err.hidden = false;
      } finally {
        save.disabled = false;
        save.classList.remove('busy');
      }
    });
    replace(body, form);
  })();
  return box;
}

// ---------------------------------------------------------------- second factor

// The section's state follows the server's answer: off (set up), being set
// up (scan, then confirm with a code), the recovery codes shown once, on
// (replace, turn off unless the roles require it).
function secondFactor() {
  const body = h('div.second-factor');
  const box = section('Second factor', body);
  box.id = 'second-factor';
  const status = () => app.user.second_factor || { enrolled: false, required: false, recovery_codes_left: 0 };
  const changed = (patch) => {
    app.user.second_factor = { ...status(), ...patch };
    app.dispatchEvent(new CustomEvent('second-factor-changed'));
  };

  function overview() {
    const f = status();
    const rows = [
      ['Status', f.enrolled ? chip('On — authenticator app', 'ok') : chip('Off', f.required ? 'bad' : 'neutral')],
    ];
    if (f.required) rows.push(['Required', 'Your roles require a second factor.']);
    if (f.enrolled) rows.push(['Recovery codes left', String(f.recovery_codes_left)]);
    const intro = f.enrolled
      ? 'Signing in asks for a code of your authenticator app, and so do the decisions that matter: accepting a risk above appetite, publishing the Statement of Applicability, approving a document or management review minutes. The record says that you confirmed them.'
      : 'An authenticator app on your phone (any that supports time-based codes) adds a code to your password when you sign in, and confirms the decisions that matter, so that the record shows they were yours.';
    const actions = h('div.row', { style: 'gap:8px;flex-wrap:wrap;margin-top:12px' });
    if (!f.enrolled) {
      actions.append(h('button.btn.btn-primary#sf-start', { type: 'button', onclick: () => begin(false) }, 'Set up an authenticator app'));
    } else {
      actions.append(h('button.btn#sf-replace', { type: 'button', onclick: () => begin(true) }, 'Replace (new phone, new recovery codes)'));
      if (!f.required) actions.append(h('button.btn.btn-danger#sf-remove', { type: 'button', onclick: remove }, 'Turn off'));
    }
    const low = f.enrolled && f.recovery_codes_left <= 2
      ? h('p.form-error', { role: 'status' }, f.recovery_codes_left === 0 ? 'You have no recovery codes left. Replace the factor to get new ones.' : 'Few recovery codes are left. Replace the factor to get new ones.')
      : null;
    replace(body, facts(rows), h('p.muted', { style: 'margin-top:12px;font-size:.88rem' }, intro), low, actions);
  }

  // Step 1: the password (and a current code when replacing).
  function begin(replacing) {
    const err = h('div.form-error', { role: 'alert', hidden: true });
    const pw = h('input#sf-password', { type: 'password', autocomplete: 'current-password', required: true });
    const code = codeInput('sf-current');
    const go = h('button.btn.btn-primary', { type: 'submit' }, 'Continue');
    const form = h('form', { novalidate: true },
      h('p', replacing ? 'Your password and a code of your current app, to show it is you. The old app and recovery codes keep working until the new one is confirmed.' : 'Your password first, to show it is you.'),
      h('div.field', h('label', { for: 'sf-password' }, 'Password'), pw),
      replacing ? h('div.field', h('label', { for: 'sf-current' }, 'Code from your current authenticator app'), code) : null,
      err,
      h('div.row', { style: 'gap:8px' }, go, h('button.btn', { type: 'button', onclick: overview }, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      if (!pw.value) return fail(err, 'Enter your password.', pw);
      if (replacing && !code.value.trim()) return fail(err, 'Enter a code of your current app.', code);
      await busy(go, async () => {
        try {
          scan(await http.beginSecondFactor(pw.value, replacing ? code.value.replace(/\s+/g, '') : ''));
        } catch (x) {
          if (x.status === 403) fail(err, 'The password is not right.', pw);
          else if (x.status === 429) fail(err, 'Too many failed attempts. Wait a while before you try again.');
          else if (x.code === 'second_factor_required') fail(err, 'Enter a code of your current app.', code);
          else if (x.status === 401 && replacing) fail(err, 'The code is not right or was used already. Wait for the next one.', code);
          else fail(err, x.message || 'It could not be started.');
        }
      });
    });
    replace(body, form);
    setTimeout(() => pw.focus(), 0);
  }

  // Step 2: scan the QR code (or type the key), then confirm with a code.
  function scan(s) {
    const err = h('div.form-error', { role: 'alert', hidden: true });
    const code = codeInput('sf-code');
    const go = h('button.btn.btn-primary', { type: 'submit' }, 'Turn on');
    const key = String(s.secret || '').replace(/(.{4})/g, '$1 ').trim();
    const form = h('form', { novalidate: true },
      h('ol.sf-steps',
        h('li', 'Open your authenticator app and add an account by scanning this code:'),
        h('li', 'Enter the code the app shows for “ISMS Ledger”, to confirm that it works.')),
      h('div.sf-scan', qrCode(s.qr || []),
        h('div',
          h('p.muted', { style: 'font-size:.88rem' }, 'Cannot scan? Enter this key in the app (time-based, 6 digits, 30 seconds):'),
          h('code.sf-secret#sf-secret', { 'data-secret': s.secret }, key))),
      h('div.field', h('label', { for: 'sf-code' }, 'Code from the app'), code),
      err,
      h('div.row', { style: 'gap:8px' }, go, h('button.btn', { type: 'button', onclick: overview }, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      const c = code.value.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(c)) return fail(err, 'Enter the 6 digits the app shows now.', code);
      await busy(go, async () => {
        try {
          const r = await http.confirmSecondFactor(c);
          changed({ enrolled: true, recovery_codes_left: (r.recovery_codes || []).length });
          recovery(r.recovery_codes || []);
        } catch (x) {
          code.value = '';
          if (x.status === 429) fail(err, 'Too many wrong codes. Wait a while before you try again.', code);
          else if (x.status === 401) fail(err, 'The code is not right. Check that the app shows “ISMS Ledger”, wait for the next code and try again.', code);
          else fail(err, x.message || 'It could not be turned on. Start again.', code);
        }
      });
    });
    replace(body, form);
    setTimeout(() => code.focus(), 0);
  }

  // Step 3: the recovery codes, shown this once.
  function recovery(codes) {
    const text = `ISMS Ledger recovery codes for ${app.user.id}\nEach works once, instead of a code of the app.\n\n${codes.join('\n')}\n`;
    const copied = h('span.muted', { role: 'status' });
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    replace(body,
      h('div.form-ok', { role: 'status' }, 'Your second factor is on.'),
      h('p', h('strong', 'Keep these recovery codes somewhere safe. '), 'Each signs you in once if you lose your phone. They are shown only now.'),
      h('ul.sf-codes#sf-recovery', codes.map((c) => h('li', h('code', c)))),
      h('div.row', { style: 'gap:8px;flex-wrap:wrap' },
        h('a.btn', { href: url, download: `isms-ledger-recovery-codes-${app.user.id}.txt` }, 'Download'),
        h('button.btn', { type: 'button', onclick: async () => {
          try { await navigator.clipboard.writeText(text); copied.textContent = 'Copied.'; } catch { copied.textContent = 'Select the codes and copy them.'; }
        } }, 'Copy'),
        h('button.btn.btn-primary#sf-done', { type: 'button', onclick: () => { URL.revokeObjectURL(url); overview(); } }, 'I have kept them'),
        copied));
    toast('Second factor turned on.', { kind: 'ok' });
  }

  function remove() {
    const err = h('div.form-error', { role: 'alert', hidden: true });
    const code = codeInput('sf-remove-code');
    const go = h('button.btn.btn-danger', { type: 'submit' }, 'Turn off');
    const form = h('form', { novalidate: true },
      h('p', 'A code of your app (or a recovery code), to turn the second factor off.'),
      h('div.field', h('label', { for: 'sf-remove-code' }, 'Code'), code),
      err,
      h('div.row', { style: 'gap:8px' }, go, h('button.btn', { type: 'button', onclick: overview }, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.hidden = true;
      if (!code.value.trim()) return fail(err, 'Enter a code.', code);
      await busy(go, async () => {
        try {
          await http.removeSecondFactor(code.value.replace(/\s+/g, ''));
          changed({ enrolled: false, recovery_codes_left: 0 });
          toast('Second factor turned off.', { kind: 'ok' });
          overview();
        } catch (x) {
          code.value = '';
          if (x.status === 409) fail(err, 'Your roles require a second factor: replace it instead.');
          else if (x.status === 429) fail(err, 'Too many wrong codes. Wait a while before you try again.', code);
          else if (x.status === 401) fail(err, 'The code is not right or was used already.', code);
          else fail(err, x.message || 'It could not be turned off.');
        }
      });
    });
    replace(body, form);
    setTimeout(() => code.focus(), 0);
  }

  overview();
  return box;
}

function codeInput(id) {
  return h(`input#${id}`, { type: 'text', autocomplete: 'one-time-code', inputmode: 'numeric', autocapitalize: 'none', spellcheck: 'false', maxlength: 16 });
}

function fail(err, text, focus) {
  err.textContent = text;
  err.hidden = false;
  if (focus) { focus.setAttribute('aria-invalid', 'true'); focus.focus(); }
}

async function busy(button, run) {
  button.disabled = true;
  button.classList.add('busy');
  try { await run(); } finally { button.disabled = false; button.classList.remove('busy'); }
}

// The QR code from the server's rows of modules ('1' dark), drawn as one SVG
// path with the quiet zone of four modules the standard asks for.
function qrCode(rows) {
  const n = rows.length;
  const size = n + 8;
  let d = '';
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) if (row[x] === '1') d += `M${x + 4} ${y + 4}h1v1h-1z`;
  });
  return h('svg.sf-qr#sf-qr', { viewBox: `0 0 ${size} ${size}`, role: 'img', 'aria-label': 'QR code to scan with your authenticator app', 'shape-rendering': 'crispEdges' },
    h('rect', { x: 0, y: 0, width: size, height: size, fill: '#fff' }),
    h('path', { d, fill: '#000' }));
}
