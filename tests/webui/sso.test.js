// Single sign-on through a real OpenID provider on loopback: oidc-provider
// (a certified implementation, from npm) with its development login pages,
// one client for ISMS Ledger (authorization code with PKCE, client secret
// basic), RS256 keys of its own. ismsd creates unknown users with the roles
// their groups map to.
//
// Through the browser:
// - the sign-in page offers the provider; Anna (group isms-team) signs in
//   there and lands in ISMS Ledger as an ISMS manager, created at once;
// - Olaf, whose only group maps to no role, is refused; on a server that
//   creates no users, a user it does not know is refused;
// - an ID token changed on its way (to name the administrator), one for another audience
//   and an expired one (both signed with the provider's own key) are each
//   refused, and the sign-in page says so;
// - the callback of a finished sign-in, replayed (its state), is refused
//   and signs nobody in;
// - the provider rotates its keys (a new key published, ID tokens signed
//   with it): ISMS Ledger fetches the key set again and signs the user in;
//   a token signed with a key the provider never published is refused;
// - a top manager who signs in only through the provider approves a risk
//   acceptance above appetite: the approval asks for a fresh proof, they
//   sign in at the provider again (prompt=login, max_age=0), come back and
//   approve, and the decision records that it was confirmed by that sign-in;
// - the roles the groups map to follow the groups at each sign-in, and a
//   role an administrator granted by hand stays.
// The tampering is a middleware in front of the provider's token endpoint,
// which changes the ID token the provider issued.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';
import Provider from 'oidc-provider';
import { startServer, launchBrowser, visible, shot, until, ApiClient, ADMIN_PASSWORD, PASSWORD } from './harness.js';

const CLIENT = 'isms-ledger';
const SECRET = 'a-client-secret-of-the-test-provider';
const ACCOUNTS = {
  'anna.becker': { name: 'Anna Becker', email: 'anna.becker@example.com', groups: ['staff', 'isms-team'] },
  'olaf.lund': { name: 'Olaf Lund', email: 'olaf.lund@example.com', groups: ['canteen'] },
  'bea.kraus': { name: 'Bea Kraus', email: 'bea.kraus@example.com', groups: ['board'] },
};

let server;
let strict;  // a second ismsd that creates no users at sign-in
let browser;
let idp;
let key;
let mode = 'honest';  // what the middleware does to the next ID tokens
let rotated = null;   // the provider's next key {private, public}, once it has rotated
let stranger = null;  // a key the provider never publishes
let firstSignIn = 0;  // when ISMS Ledger first fetched the provider's keys
const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'isms-sso-'));

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// The ID token as the middleware hands it on.
async function changed(idToken) {
  if (mode === 'honest') return idToken;
  const [header, payload, signature] = idToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  if (mode === 'tampered') {
    claims.preferred_username = 'admin';  // someone else, the provider's signature kept
    return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  }
  if (mode === 'rotated') return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k2', typ: 'JWT' }).sign(rotated.private);
  if (mode === 'stranger') return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k9', typ: 'JWT' }).sign(stranger);
  if (mode === 'audience') claims.aud = 'another-client';
  if (mode === 'expired') {
    const now = Math.floor(Date.now() / 1000);
    claims.iat = now - 7200;
    claims.exp = now - 3600;
  }
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' }).sign(key);
}

before(async () => {
  const idpPort = await freePort();
  const ismsPort = await freePort();
  const strictPort = await freePort();
  const issuer = `http://127.0.0.1:${idpPort}`;
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  key = pair.privateKey;
  const jwk = { ...(await jose.exportJWK(pair.privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT,
      client_secret: SECRET,
      redirect_uris: [`http://127.0.0.1:${ismsPort}/api/oidc/callback`, `http://127.0.0.1:${strictPort}/api/oidc/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['a-cookie-key-of-the-test-provider'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
    // The scopes' claims in the ID token itself, as many providers do.
    conformIdTokenClaims: false,
    findAccount: async (ctx, id) => {
      const a = ACCOUNTS[id];
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, preferred_username: id, name: a.name, email: a.email, groups: a.groups }) };
    },
  });
  const next2 = await jose.generateKeyPair('RS256', { extractable: true });
  rotated = { private: next2.privateKey, public: { ...(await jose.exportJWK(next2.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' } };
  stranger = (await jose.generateKeyPair('RS256')).privateKey;
  provider.use(async (ctx, next) => {
    await next();
    // After the rotation the key set publishes the new key too.
    if (ctx.method === 'GET' && ctx.path === '/jwks' && mode === 'rotated' && ctx.body && Array.isArray(ctx.body.keys)) {
      ctx.body = { keys: [...ctx.body.keys, rotated.public] };
    }
    if (ctx.method === 'POST' && ctx.path === '/token' && ctx.body && ctx.body.id_token) {
      ctx.body = { ...ctx.body, id_token: await changed(ctx.body.id_token) };
    }
  });
  idp = await new Promise((resolve) => { const s = provider.listen(idpPort, '127.0.0.1', () => resolve(s)); });

  const secretFile = path.join(secretDir, 'oidc.secret');
  fs.writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  server = await startServer({
    port: ismsPort,
    args: ['--oidc_issuer', issuer, '--oidc_client_id', CLIENT, '--oidc_client_secret_file', secretFile,
      '--oidc_name', 'Nordlicht ID', '--oidc_create_users', 'true',
      '--oidc_group_roles', 'isms-team=isms_manager,board=top_management'],
  });
  strict = await startServer({
    port: strictPort,
    args: ['--oidc_issuer', issuer, '--oidc_client_id', CLIENT, '--oidc_client_secret_file', secretFile,
      '--oidc_name', 'Nordlicht ID', '--oidc_group_roles', 'isms-team=isms_manager'],
  });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (strict) await strict.stop();
  if (idp) await new Promise((r) => idp.close(r));
  fs.rmSync(secretDir, { recursive: true, force: true });
});

// Signs in at the provider as `login` in a fresh browser (no provider
// session), from ISMS Ledger's sign-in page. Returns the page once back at
// ISMS Ledger, and the callback URL the provider sent the browser to.
async function throughProvider(login, at = server) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  let callback = '';
  page.on('request', (r) => { if (r.url().includes('/api/oidc/callback')) callback = r.url(); });
  await page.goto(`${at.url}/`);
  const sso = page.locator('#signin-sso');
  await visible(sso, 'the single sign-on button');
  assert.equal((await sso.textContent()).trim(), 'Sign in with Nordlicht ID');
  await sso.click();
  await page.waitForURL((u) => u.port !== String(at.port()));
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password: the development login checks none');
  await page.click('button[type=submit]');
  // The provider asks to authorize the client once per account.
  const consent = page.locator('button[type=submit]', { hasText: /continue/i });
  await consent.first().waitFor({ timeout: 10_000 });
  await consent.first().click();
  await page.waitForURL((u) => u.port === String(at.port()) && !u.pathname.startsWith('/api/'));
  return { context, page, callback };
}

async function refusedWith(page, words) {
  const note = page.locator('.signin-note');
  await visible(note, 'the sign-in page saying why');
  assert.match(await note.textContent(), words);
  assert.equal(await page.locator('.topbar').count(), 0, 'nobody is signed in');
  assert.equal(new URL(page.url()).search, '', 'the reason is taken out of the address');
}

test('a user of the identity provider signs in and lands with the roles of their groups', async () => {
  firstSignIn = Date.now();
  const { context, page, callback } = await throughProvider('anna.becker');
  try {
    await page.locator('.topbar').waitFor();
    assert.match(await page.locator('.userbox-user').textContent(), /Anna Becker/);
    assert.match(await page.locator('.userbox-roles').textContent(), /ISMS manager/);
    await shot(page, 'sso-signed-in', { fullPage: false });
    const me = await page.evaluate(async () => (await (await fetch('/api/session')).json()).user);
    assert.equal(me.id, 'anna.becker');
    assert.deepEqual(me.roles, ['isms_manager']);

    // The same callback again: its state was used, so it signs nobody in.
    const other = await browser.newContext();
    const replay = await other.newPage();
    assert.ok(callback.includes('state='), callback);
    await replay.goto(callback);
    await refusedWith(replay, /could not be checked/);
    assert.match(server.log(), /unknown or used state/);
    await other.close();
  } finally {
    await context.close();
  }
});

test('a user whose groups map to no role is refused', async () => {
  const { context, page } = await throughProvider('olaf.lund');
  try {
    await refusedWith(page, /none of your groups/);
  } finally {
    await context.close();
  }
});

test('a server that creates no users refuses one it does not know', async () => {
  const { context, page } = await throughProvider('anna.becker', strict);
  try {
    await refusedWith(page, /no user of that name/);
    assert.match(strict.log(), /refused anna\.becker .*no such user here/);
  } finally {
    await context.close();
  }
});

for (const [which, logged] of [
  ['tampered', /the signature does not match/],
  ['audience', /issued for another audience/],
  ['expired', /the token has expired/],
]) {
  test(`an ID token ${which === 'tampered' ? 'changed on its way' : which === 'audience' ? 'for another audience' : 'that has expired'} is refused`, async () => {
    mode = which;
    const { context, page } = await throughProvider('bea.kraus');
    try {
      await refusedWith(page, /could not be checked/);
      assert.match(server.log(), logged);
      if (which === 'tampered') await shot(page, 'sso-refused', { fullPage: false });
    } finally {
      mode = 'honest';
      await context.close();
    }
    // Nothing was created for the refused sign-in.
    const exists = await fetch(`${server.url}/api/oidc`).then((r) => r.json());
    assert.equal(exists.enabled, true);
  });
}

test('the provider is trusted again once the ID tokens are honest', async () => {
  const { context, page } = await throughProvider('bea.kraus');
  try {
    await page.locator('.topbar').waitFor();
    assert.match(await page.locator('.userbox-roles').textContent(), /Top management/);
  } finally {
    await context.close();
  }
});

test('after the provider rotates its keys, ISMS Ledger fetches them again; a key never published is refused', async () => {
  // The key set is fetched again at most every ten seconds: past them.
  const wait = firstSignIn + 10_500 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  mode = 'stranger';
  try {
    const { context, page } = await throughProvider('anna.becker');
    await refusedWith(page, /could not be checked/);
    assert.match(server.log(), /unknown_key/);
    await context.close();
  } finally {
    mode = 'honest';
  }
  await new Promise((r) => setTimeout(r, 10_500));
  mode = 'rotated';
  try {
    const { context, page } = await throughProvider('anna.becker');
    await page.locator('.topbar').waitFor();
    assert.match(await page.locator('.userbox-user').textContent(), /Anna Becker/);
    await context.close();
  } finally {
    mode = 'honest';
  }
});

test('a decision that matters is confirmed by signing in again at the provider, and says so', async () => {
  // The request: Mia (ISMS manager) asks to accept risk R-1 of Rolf above
  // appetite; Rolf approves his step; the board's step waits for Bea, who
  // signs in only through the provider.
  const admin = await ApiClient.open(browser, server.url, 'admin', ADMIN_PASSWORD);
  for (const [id, role] of [['mia', 'isms_manager'], ['rolf', 'risk_owner']]) {
    await admin.command('user.register', `user-${id}`, { name: id, roles: [role] });
    const set = await admin.http('POST', '/api/users/password', { user: id, password: PASSWORD });
    assert.equal(set.status, 200, set.body);
  }
  const mia = await ApiClient.open(browser, server.url, 'mia', PASSWORD);
  await mia.command('risk.identify', 'risk-R-1', { title: 'Unpatched depot servers', asset: 'Depot servers', threat: 'Ransomware',
    vulnerability: 'Patches late', owner: 'rolf', category: 'technical' });
  await mia.command('risk.assess', 'risk-R-1', { likelihood: 4, impact: 5, rationale: 'seen at a peer' });
  const due = new Date(Date.now() + 40 * 86400_000).toISOString().slice(0, 10);
  await mia.command('risk.plan_treatment', 'risk-R-1', { option: 'modify', controls: ['8.8'], actions: 'Monthly patch window',
    target_likelihood: 3, target_impact: 4, due });
  const review = new Date(Date.now() + 300 * 86400_000).toISOString().slice(0, 10);
  await mia.command('risk.request_acceptance', 'risk-R-1', { review_date: review });
  const rolf = await ApiClient.open(browser, server.url, 'rolf', PASSWORD);
  let waiting = null;
  await until(async () => {
    waiting = (await rolf.query('inbox')).data.approvals.find((a) => a.subject_stream === 'risk-R-1');
    return !!waiting;
  }, "the request in Rolf's inbox");
  assert.equal(waiting.needs_confirmation, true);
  await rolf.command('approval.approve', waiting.stream, { comment: 'as the owner' });

  const { context, page } = await throughProvider('bea.kraus');
  try {
    await page.locator('.topbar').waitFor();
    await page.goto(`${server.url}/#/inbox`);
    const card = page.locator('.approval-card', { hasText: 'risk-R-1' }).first();
    await visible(card, 'the request in Bea\'s inbox');
    const confirm = card.locator('a.confirm-sign-in-link');
    await visible(confirm, 'the way to confirm by signing in again');

    // Approving without the fresh sign-in is refused, and nothing is recorded.
    await card.locator('button', { hasText: 'Approve' }).click();
    await until(async () => /fresh sign-in/.test(await card.locator('.form-error').textContent()), 'the refusal');
    const open = (await mia.query('approvals')).data.approvals.find((a) => a.id === waiting.id);
    assert.ok(!open.decisions.some((d) => d.reviewer === 'bea.kraus'));

    // Signing in again at the provider: it asks for the login once more.
    await confirm.click();
    await page.waitForURL((u) => u.port !== String(server.port()));
    await page.fill('input[name=login]', 'bea.kraus');
    await page.fill('input[name=password]', 'again');
    await page.click('button[type=submit]');
    const consent = page.locator('button[type=submit]', { hasText: /continue/i });
    await Promise.race([
      page.waitForURL((u) => u.port === String(server.port()) && !u.pathname.startsWith('/api/')),
      consent.first().waitFor({ timeout: 15_000 }).then(() => consent.first().click()),
    ]);
    await page.waitForURL((u) => u.port === String(server.port()) && !u.pathname.startsWith('/api/'));
    await page.locator('.topbar').waitFor();
    const again = page.locator('.approval-card', { hasText: 'risk-R-1' }).first();
    await visible(again.locator('.confirm-sign-in .form-ok'), 'the confirmation shown on the card');
    await again.locator('textarea[name=comment]').fill('Accepted for the board until the patch window runs.');
    await shot(page, 'sso-confirmed-decision');
    await again.locator('button', { hasText: 'Approve' }).click();
    await visible(again.locator('.approval-done'), 'the recorded decision');
    const decided = (await mia.query('approvals')).data.approvals.find((a) => a.id === waiting.id);
    const mine = decided.decisions.find((d) => d.reviewer === 'bea.kraus');
    assert.ok(mine && mine.approved, JSON.stringify(decided.decisions));
    assert.equal(mine.confirmed_with, 'sign_in');
  } finally {
    await context.close();
    for (const c of [admin, mia, rolf]) await c.close();
  }
});

test('the roles the groups map to follow the groups at each sign-in; a role granted here stays', async () => {
  const admin = await ApiClient.open(browser, server.url, 'admin', ADMIN_PASSWORD);
  const rolesOf = async () => {
    const users = (await admin.query('users')).data.users;
    return [...users.find((u) => u.id === 'anna.becker').roles].sort();
  };
  try {
    await admin.command('user.grant_role', 'user-anna.becker', { role: 'contributor' });
    assert.deepEqual(await rolesOf(), ['contributor', 'isms_manager']);
    ACCOUNTS['anna.becker'].groups = ['staff', 'board'];
    let { context, page } = await throughProvider('anna.becker');
    await page.locator('.topbar').waitFor();
    assert.match(await page.locator('.userbox-roles').textContent(), /Top management/);
    await context.close();
    assert.deepEqual(await rolesOf(), ['contributor', 'top_management']);

    ACCOUNTS['anna.becker'].groups = ['canteen'];
    ({ context, page } = await throughProvider('anna.becker'));
    await page.locator('.topbar').waitFor();
    await context.close();
    assert.deepEqual(await rolesOf(), ['contributor'], 'only the role granted here is left');
    assert.match(server.log(), /roles of anna\.becker follow their groups: 0 granted, 1 revoked/);
  } finally {
    ACCOUNTS['anna.becker'].groups = ['staff', 'isms-team'];
    await admin.close();
  }
});
