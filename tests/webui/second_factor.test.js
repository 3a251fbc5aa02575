// A second factor on the demo ISMS, with codes computed here (RFC 6238,
// HMAC-SHA-1):
//
// - a top manager enrolled over the API signs in through the page: the
//   password alone is not enough, the page asks for the code, a wrong code
//   is refused, and a current one opens the app;
// - another top manager, on a phone, sets up the app on the account page
//   (QR code and key, confirmed with a code; the recovery codes shown once),
//   then approves R-12's acceptance above appetite from the inbox: the card
//   asks for the code, a wrong one is refused and nothing is recorded, and
//   the decision recorded with a current code says it was confirmed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { withDemo, signIn, ApiClient, until, visible, shot } from './harness.js';

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

withDemo((d) => ({ server, browser, skip } = d));

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

test('a top manager sets up the app on a phone and confirms an acceptance above appetite with it', async (t) => {
  if (skip) { t.skip(skip); return; }
  const user = 'claudia.weber';
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
  const { context, page } = await signIn(browser, server.url, user, `demo-${user}`, phone);
  const auditor = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    await page.goto(`${server.url}/#/account`);
    await visible(page.locator('#sf-start'), 'the button that sets up a second factor');
    await page.click('#sf-start');
    await page.fill('#sf-password', 'wrong password here');
    await page.click('#second-factor form button[type=submit]');
    await page.waitForFunction(() => /password is not right/.test(document.querySelector('#second-factor .form-error').textContent));
    await page.fill('#sf-password', `demo-${user}`);
    await page.click('#second-factor form button[type=submit]');
    await visible(page.locator('#sf-qr'), 'the QR code');
    // The QR code is drawn from the server's modules: a square with a path.
    assert.ok((await page.locator('#sf-qr path').getAttribute('d')).length > 1000, 'the QR code has modules');
    await shot(page, 'second-factor-scan');
    const secret = base32Decode(await page.locator('#sf-secret').getAttribute('data-secret'));
    await page.fill('#sf-code', '000000');
    await page.click('#second-factor form button[type=submit]');
    await page.waitForFunction(() => /not right/.test(document.querySelector('#second-factor .form-error').textContent));
    await page.fill('#sf-code', totp(secret, Date.now() / 1000));
    await page.click('#second-factor form button[type=submit]');
    await visible(page.locator('#sf-recovery'), 'the recovery codes');
    const codes = await page.locator('#sf-recovery li').allTextContents();
    assert.equal(codes.length, 10);
    await shot(page, 'second-factor-recovery-codes');
    for (const c of codes) assert.match(c, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
    await page.click('#sf-done');
    await page.waitForFunction(() => /On/.test(document.querySelector('#second-factor').textContent) && !document.querySelector('#sf-recovery'));
    assert.equal(await page.locator('#sf-remove').count(), 1, 'a factor no role requires can be turned off');

    // R-12's acceptance waits for the board: the card asks for the code.
    await page.goto(`${server.url}/#/inbox`);
    const card = page.locator('.approval-card', { hasText: 'R-12' }).first();
    await visible(card, "R-12's acceptance in the inbox");
    const code = card.locator('.confirm-code input');
    await visible(code, 'the code field of a decision that needs confirming');
    await card.locator('textarea[name=comment]').fill('Accepted until the patch window in Q1.');
    await card.locator('button', { hasText: 'Approve' }).click();
    await until(async () => /Enter the code/.test(await card.locator('.form-error').textContent()), 'the request for a code');
    await code.fill('000000');
    await card.locator('button', { hasText: 'Approve' }).click();
    await until(async () => /not right/.test(await card.locator('.form-error').textContent()), 'a wrong code refused');
    const before = (await auditor.query('approvals')).data.approvals.find((a) => a.subject_stream === 'risk-R-12' && a.state === 'open');
    assert.ok(before, 'the acceptance is still open after a wrong code');
    assert.ok(!before.decisions.some((d) => d.reviewer === user), 'a wrong code records no decision');

    // The code of the next step: the current one confirmed the enrolment.
    await code.fill(totp(secret, Date.now() / 1000 + 30));
    await card.locator('button', { hasText: 'Approve' }).click();
    await shot(page, 'second-factor-confirm-decision');
    await visible(card.locator('.approval-done'), 'the recorded decision');
    const after = (await auditor.query('approvals')).data.approvals.find((a) => a.id === before.id);
    const mine = after.decisions.find((d) => d.reviewer === user);
    assert.ok(mine && mine.approved, JSON.stringify(after.decisions));
    assert.equal(mine.confirmed_with, 'totp');
  } finally {
    await auditor.close();
    await context.close();
  }
});
