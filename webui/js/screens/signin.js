// Sign-in: username and password against POST /api/session. The server
// answers 401 for any wrong combination (and for disabled users), 429 while
// an account or address is paused after too many failures. A user with a
// second factor is asked, once the password is right, for the code of their
// authenticator app (or a recovery code). Where the server offers single
// sign-on, a button leads through the organisation's identity provider
// (GET /api/oidc/start); a sign-in it refused comes back here with
// ?signin_error=<why>, said in words by ssoMessage.

import { h, replace } from '../dom.js';
import { http } from '../api.js';

export function render({ message, onSignedIn }) {
  const error = h('div.form-error', { role: 'alert', hidden: true });
  const user = h('input#signin-user', { type: 'text', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input#signin-pass', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const code = h('input#signin-code', { type: 'text', name: 'code', autocomplete: 'one-time-code', inputmode: 'numeric', autocapitalize: 'none', spellcheck: 'false' });
  const codeField = h('div.field', { hidden: true }, h('label', { for: 'signin-code' }, 'Code from your authenticator app (or a recovery code)'), code);
  const submit = h('button.btn.btn-primary', { type: 'submit' }, 'Sign in');
  const form = h('form', { novalidate: true, 'aria-describedby': 'signin-error' },
    h('div.field', h('label', { for: 'signin-user' }, 'User name'), user),
    h('div.field', h('label', { for: 'signin-pass' }, 'Password'), pass),
    codeField,
    error,
    submit);
  error.id = 'signin-error';

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    user.removeAttribute('aria-invalid');
    pass.removeAttribute('aria-invalid');
    if (!user.value.trim() || !pass.value) {
      show(!user.value.trim() ? 'Enter your user name.' : 'Enter your password.', !user.value.trim() ? user : pass);
      return;
    }
    submit.disabled = true;
    submit.classList.add('busy');
    try {
      const r = await http.signIn(user.value.trim(), pass.value, codeField.hidden ? '' : code.value.trim());
      onSignedIn(r.user, r.vocabulary);
    } catch (err) {
      if (err.code === 'second_factor_required') {
        codeField.hidden = false;
        show('Enter the code your authenticator app shows now.', code);
        return;
      }
      if (!codeField.hidden && err.status === 401) {
        code.value = '';
        show('The code is not right or was used already. Wait for the next one and try again.', code);
        return;
      }
      pass.value = '';
      if (err.status === 401) show('The user name or password is not right. Check them and try again — after several failed attempts, signing in is paused for a while.', pass);
      else if (err.status === 429) show('Too many failed attempts. For your protection, signing in is paused for a while (up to 15 minutes). Try again later, or ask your administrator to reset your password.', pass);
      else if (err.status === 400) show('Enter both your user name and your password.', user);
      else if (err.code === 'offline') show('The server cannot be reached. Check the network connection and try again.');
      else show(`Signing in did not work (${err.message}). Try again in a moment.`);
    } finally {
      submit.disabled = false;
      submit.classList.remove('busy');
    }
  });

  function show(text, focus) {
    error.textContent = text;
    error.hidden = false;
    if (focus) { focus.setAttribute('aria-invalid', 'true'); focus.focus(); }
  }

  // Single sign-on, when the server offers it: the way through the
  // organisation's identity provider, above the password form.
  const sso = h('div.signin-sso', { hidden: true });
  fetch('/api/oidc', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null)).then((o) => {
    if (!o || !o.enabled) return;
    replace(sso,
      h('a.btn.btn-primary.btn-block#signin-sso', { href: '/api/oidc/start' }, `Sign in with ${o.name}`),
      h('p.signin-or', h('span', 'or with a password of ISMS Ledger')));
    sso.hidden = false;
  }).catch(() => { /* offered only when the server says so */ });

  const page = h('div.signin-page',
    h('main.signin-card', { id: 'main' },
      h('div.brand', h('svg.brand-mark', { viewBox: '0 0 32 32', 'aria-hidden': 'true' },
        h('rect', { x: 2, y: 2, width: 28, height: 28, rx: 7 }),
        h('path', { d: 'M10 9h9M10 14h12M10 19h8M10 24h5' })), h('span.brand-name', 'ISMS', h('b', ' Ledger'))),
      h('h1', 'Sign in'),
      h('p.subtitle', 'Information security management system — ISO/IEC 27001:2022'),
      message ? h('div.signin-note', { role: 'status' }, message) : null,
      sso,
      form,
      h('p.signin-foot', 'Every decision you take here is recorded, with your name and the time, in a tamper-evident log.')));
  setTimeout(() => user.focus(), 0);
  return page;
}

// Why a single sign-on came back without a session, in words.
export function ssoMessage(code) {
  switch (code) {
    case 'unknown_user': return 'Your identity provider signed you in, but ISMS Ledger has no user of that name. Ask your administrator to register you.';
    case 'no_role': return 'Your identity provider signed you in, but none of your groups gives you a role in ISMS Ledger. Ask your administrator.';
    case 'provider_unavailable': return 'The identity provider cannot be reached right now. Try again in a moment, or sign in with a password.';
    case 'provider_refused': return 'The identity provider did not sign you in.';
    case 'sso_failed': return 'The sign-in through your identity provider could not be checked, so it was refused. Try again; if it keeps failing, tell your administrator.';
    default: return '';
  }
}
