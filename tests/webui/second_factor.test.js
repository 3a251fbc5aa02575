// Signing in with a second factor, on the demo ISMS: a top manager enrols an
// authenticator (over the API, as the account's owner), then signs in
// through the page. The password alone is not enough: the page asks for the
// code, a wrong code is refused, and a current one (computed here with
// RFC 6238, HMAC-SHA-1) opens the app.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, launchBrowser, loadDemo } from './harness.js';

const USER = 'henrik.brandt';
let server;
let browser;
let skip = '';

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0; let value = 0; const out = [];
  for (const ch of text.replace(/=+$/, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  return Buffer.from(out);
}

function totp(secret, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = crypto.createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function call(method, path, body, token) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  const demo = await loadDemo('demo-');
  if (demo.skip) { skip = demo.skip; return; }
  server = await startServer({ data: demo.data });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('a user with a second factor signs in with the code the page asks for', async (t) => {
  if (skip) { t.skip(skip); return; }
  const password = `demo-${USER}`;
  const session = await call('POST', '/api/session', { username: USER, password });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  const begun = await call('POST', '/api/session/second-factor', { password }, session.body.token);
  assert.equal(begun.status, 200, JSON.stringify(begun.body));
  const secret = base32Decode(begun.body.secret);
  const now = Date.now() / 1000;
  const confirmed = await call('POST', '/api/session/second-factor/confirm', { code: totp(secret, now) }, session.body.token);
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  assert.equal(confirmed.body.recovery_codes.length, 10);

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/`);
    assert.equal(await page.locator('#signin-code').isVisible(), false, 'no code field before it is needed');
    await page.fill('#signin-user', USER);
    await page.fill('#signin-pass', password);
    await page.click('form button[type=submit]');
    await page.locator('#signin-code').waitFor({ state: 'visible' });
    assert.match(await page.locator('#signin-error').textContent(), /authenticator/);

    await page.fill('#signin-code', '000000');
    await page.click('form button[type=submit]');
    await page.waitForFunction(() => /not right/.test(document.querySelector('#signin-error').textContent));
    assert.equal(await page.locator('.topbar').count(), 0, 'a wrong code does not sign in');

    // The next step's code: the one of this step was used to confirm.
    await page.fill('#signin-code', totp(secret, Date.now() / 1000 + 30));
    await page.click('form button[type=submit]');
    await page.locator('.topbar').waitFor();
  } finally {
    await context.close();
  }
});
