// My account: who I am, my roles, changing my own password, signing out.

import { h } from '../dom.js';
import { app } from '../state.js';
import { http } from '../api.js';
import { pageHeader, section, facts, chip, toast } from '../ui.js';
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
      section('Change your password', form)));
}
