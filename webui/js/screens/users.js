// User administration (admin): register users, grant and revoke roles, set
// passwords, disable and enable. Identity lives in the event log; passwords
// only as Argon2id hashes outside it (POST /api/users/password).

import { h, replace, instant } from '../dom.js';
import { app } from '../state.js';
import { http } from '../api.js';
import { toast, explain, chip, field, openDialog, writeButton, empty, userError, registerScreen } from '../ui.js';
import { ROLE_LABELS, ALL_ROLES } from '../roles.js';
import { users as refreshDirectory } from '../directory.js';

export async function render(ctx) {
  // Each drawing also refreshes the people the owner pickers offer.
  const { page, body, reload } = registerScreen(ctx, {
    title: 'Users',
    subtitle: 'Who may sign in, and with which roles. Every change is recorded in the log.',
    action: ['user.register', '+ Register a user', registerDialog],
    view: 'users',
    draw: (data) => { draw(data); refreshDirectory({ fresh: true }).catch(() => {}); },
  });

  function draw(data) {
    const users = data.users || [];
    replace(body, users.length ? h('section.card', h('div.table-wrap', h('table.data.responsive', { 'aria-label': 'Users' },
      h('thead', h('tr', h('th', 'User'), h('th', 'Roles'), h('th', 'Status'), h('th', 'Registered'), h('th', h('span.sr-only', 'Actions')))),
      h('tbody', users.map((u) => h('tr', { dataset: { user: u.id } },
        h('td.cell-main', { 'data-label': 'User' }, h('b', u.name || u.id), h('div.muted', { style: 'font-size:.84rem' }, h('code', u.id), u.email ? ` · ${u.email}` : '')),
        h('td', { 'data-label': 'Roles' }, (u.roles || []).length ? h('span.row', { style: 'gap:4px' }, u.roles.map((r) => chip(ROLE_LABELS[r] || r, 'info'))) : h('span.muted', 'none')),
        h('td', { 'data-label': 'Status' }, u.enabled === false ? chip('Disabled', 'bad') : chip('Active', 'ok')),
        h('td', { 'data-label': 'Registered' }, instant(u.registered_at)),
        h('td', { 'data-label': '' }, h('div.row', { style: 'gap:6px;justify-content:flex-end' },
          writeButton('user.grant_role', 'Roles', () => rolesDialog(u), { small: true, kind: 'quiet' }),
          app.roleAllows('users.password') && !app.past ? h('button.btn.btn-small.btn-quiet', { type: 'button', dataset: { write: 'users.password' }, onclick: () => passwordDialog(u) }, 'Password') : null,
          app.roleAllows('users.second_factor') && !app.past && u.id !== app.user.id ? h('button.btn.btn-small.btn-quiet', { type: 'button', dataset: { write: 'users.second_factor' }, onclick: () => resetFactorDialog(u) }, 'Reset second factor') : null,
          u.enabled === false
            ? writeButton('user.enable', 'Enable', () => enableDialog(u), { small: true, kind: 'quiet' })
            : u.id !== app.user.id ? writeButton('user.disable', 'Disable', () => disableDialog(u), { small: true, kind: 'danger' }) : null)))))))) :
      empty('No user', 'Register the people who run the ISMS.'));
  }

  await reload();
  return page;
}

const ROLE_OPTIONS = ALL_ROLES.map((r) => [r, ROLE_LABELS[r]]);

function registerDialog() {
  openDialog({
    title: 'Register a user',
    wide: true,
    fields: h('div.form-grid',
      field({ label: 'User name (sign-in id)', name: 'id', required: true, autocomplete: 'off', hint: 'Letters, digits, "-", "_" or "."' }),
      field({ label: 'Full name', name: 'name', required: true }),
      h('div.span-2', field({ label: 'E-mail', name: 'email', type: 'email' })),
      h('div.span-2', field({ label: 'Roles', name: 'roles', type: 'checkboxes', options: ROLE_OPTIONS, value: [] })),
      h('div.span-2', field({ label: 'Initial password', name: 'password', type: 'password', autocomplete: 'new-password', hint: 'At least 12 characters. Leave empty to set it later.' }))),
    submitLabel: 'Register',
    onSubmit: async (v) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(v.id)) throw userError('The user name may use letters, digits, "-", "_" and ".", starting with a letter or digit.');
      if (v.password && v.password.length < 12) throw userError('The password needs at least 12 characters.');
      const data = { name: v.name, roles: v.roles || [] };
      if (v.email) data.email = v.email;
      await app.command('user.register', `user-${v.id}`, data, { expectedVersion: 0 });
      if (v.password) {
        try { await http.setPassword(v.id, v.password); } catch (err) {
          toast(`${v.id} is registered, but the password was not set: ${explain(err)}`, { kind: 'error', timeout: 10000 });
          return;
        }
      }
      toast(`${v.name} is registered${v.password ? ' and can sign in' : '; set a password so they can sign in'}.`, { kind: 'ok' });
    },
  });
}

function rolesDialog(u) {
  openDialog({
    title: `Roles of ${u.name || u.id}`,
    intro: 'Roles decide what the user sees and may do. An administrator approves nothing by default.',
    fields: [
      field({ label: 'Roles', name: 'roles', type: 'checkboxes', options: ROLE_OPTIONS, value: u.roles || [] }),
      field({ label: 'Why (recorded)', name: 'comment', type: 'textarea', rows: 2 }),
    ],
    submitLabel: 'Save roles',
    onSubmit: async (v) => {
      const want = new Set(v.roles || []);
      const have = new Set(u.roles || []);
      const stream = `user-${u.id}`;
      const extra = v.comment ? { comment: v.comment } : {};
      for (const r of want) if (!have.has(r)) await app.command('user.grant_role', stream, { role: r, ...extra }, { comment: v.comment || undefined });
      for (const r of have) if (!want.has(r)) await app.command('user.revoke_role', stream, { role: r, ...extra }, { comment: v.comment || undefined });
      toast(`Roles of ${u.id} saved.`, { kind: 'ok' });
    },
  });
}

function passwordDialog(u) {
  openDialog({
    title: `Set the password of ${u.name || u.id}`,
    intro: 'Their open sessions end; they sign in with the new password.',
    fields: [
      field({ label: 'New password', name: 'password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters.' }),
      field({ label: 'Repeat it', name: 'repeat', type: 'password', required: true, autocomplete: 'new-password' }),
    ],
    submitLabel: 'Set password',
    onSubmit: async (v) => {
      if (v.password.length < 12) throw userError('The password needs at least 12 characters.');
      if (v.password !== v.repeat) throw userError('The two passwords differ.');
      await http.setPassword(u.id, v.password);
      toast(`Password of ${u.id} set.`, { kind: 'ok' });
    },
  });
}

// For a user who lost their phone and their recovery codes: the factor is
// removed and their sessions end; they sign in with the password and enrol
// again (at once, if their roles require one).
function resetFactorDialog(u) {
  openDialog({
    title: `Reset the second factor of ${u.name || u.id}`,
    intro: 'Do this only when you are sure it is them asking (for example in person): whoever knows their password can then sign in without a code until they set up a new app. Their open sessions end.',
    fields: [],
    submitLabel: 'Reset second factor',
    danger: true,
    onSubmit: async () => {
      await http.resetSecondFactor(u.id);
      toast(`The second factor of ${u.id} is reset.`, { kind: 'ok' });
    },
  });
}

function disableDialog(u) {
  openDialog({
    title: `Disable ${u.name || u.id}`,
    intro: 'They can no longer sign in; their sessions end at once. Their history stays.',
    fields: [field({ label: 'Reason', name: 'reason', type: 'textarea', required: true })],
    submitLabel: 'Disable user',
    danger: true,
    onSubmit: async (v) => {
      await app.command('user.disable', `user-${u.id}`, { reason: v.reason }, { comment: v.reason });
      toast(`${u.id} is disabled.`, { kind: 'ok' });
    },
  });
}

function enableDialog(u) {
  openDialog({
    title: `Enable ${u.name || u.id}`,
    fields: [field({ label: 'Why (recorded)', name: 'comment', type: 'textarea', rows: 2 })],
    submitLabel: 'Enable user',
    onSubmit: async (v) => {
      await app.command('user.enable', `user-${u.id}`, v.comment ? { comment: v.comment } : {}, { comment: v.comment || undefined });
      toast(`${u.id} is enabled.`, { kind: 'ok' });
    },
  });
}
