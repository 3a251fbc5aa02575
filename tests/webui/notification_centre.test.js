// The notification centre on the demo ISMS: what a user was sent is kept by
// the server, so that it is found in the app afterwards.
//
// - Henrik Brandt signs in for the first time: the bell already counts what
//   was sent to him during the story, the panel lists R-12's acceptance
//   request with a link to it; once opened, the count is gone — also after
//   a reload (read is kept on the server), while the entries stay.
// - Jonas Richter is signed out when Mara Hansen makes him the owner of a
//   new risk; signing in later, he finds it in the centre, unread.
// - Eva Schmidt, on a phone, chooses a daily summary for approvals and no
//   mail for reminders; the choice is kept by the server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDemo, signIn, ApiClient, until, visible, shot } from './harness.js';

let server;
let browser;
let skip = '';

withDemo((d) => ({ server, browser, skip } = d));

async function badgeCount(page) {
  const badge = page.locator('.top-notices .badge');
  if (await badge.isHidden()) return 0;
  return Number((await badge.textContent()).replace('+', ''));
}

test('what a user was sent before signing in is in the centre, and read once opened, on the server', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, 'henrik.brandt', 'demo-henrik.brandt');
  try {
    await until(async () => (await badgeCount(page)) > 0, 'an unread count on the bell');
    await page.click('.top-notices');
    const panel = page.locator('#notices-panel');
    await visible(panel, 'the notification centre');
    const entry = panel.locator('.notice', { hasText: 'R-12' }).first();
    await visible(entry, "R-12's acceptance request among what was sent");
    await shot(page, 'notification-centre', { fullPage: false });
    assert.equal(await entry.evaluate((li) => li.classList.contains('unread')), true);
    assert.match(await entry.locator('a.notice-title').getAttribute('href'), /^#\/approvals\//);
    await page.keyboard.press('Escape');
    await until(async () => (await badgeCount(page)) === 0, 'the count gone once the centre was opened');

    // Read on the server: a reload (or another device) counts nothing unread.
    await page.reload();
    await page.locator('.topbar').waitFor();
    await page.locator('.conn-status .dot-live').waitFor();
    await page.waitForTimeout(500);
    assert.equal(await badgeCount(page), 0, 'read is kept by the server');
    await page.click('.top-notices');
    await visible(panel.locator('.notice', { hasText: 'R-12' }).first(), 'the entries are still listed');
    assert.equal(await panel.locator('.notice.unread').count(), 0);
  } finally {
    await context.close();
  }
});

test('a notification sent while the user was signed out waits in the centre', async (t) => {
  if (skip) { t.skip(skip); return; }
  const manager = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    await manager.command('risk.identify', 'risk-R-90', {
      title: 'Courier tablets without device management', asset: 'Courier tablets', threat: 'Loss of a tablet',
      vulnerability: 'No remote wipe', owner: 'jonas.richter', category: 'technical',
    });
  } finally {
    await manager.close();
  }
  const { context, page } = await signIn(browser, server.url, 'jonas.richter', 'demo-jonas.richter');
  try {
    await until(async () => (await badgeCount(page)) > 0, 'an unread count on the bell');
    await page.click('.top-notices');
    const entry = page.locator('#notices-panel .notice', { hasText: 'R-90' }).first();
    await visible(entry, 'the new risk among what was sent while signed out');
    assert.equal(await entry.evaluate((li) => li.classList.contains('unread')), true);
    assert.match(await entry.textContent(), /You own the risk risk-R-90/);
  } finally {
    await context.close();
  }
});

test('a user chooses on the account page how each kind of notification is mailed, and it is kept', async (t) => {
  if (skip) { t.skip(skip); return; }
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
  const { context, page } = await signIn(browser, server.url, 'eva.schmidt', 'demo-eva.schmidt', phone);
  try {
    await page.goto(`${server.url}/#/account`);
    const approvals = page.locator('#mail-approvals');
    await visible(approvals, 'the e-mail choice for approvals');
    assert.equal(await approvals.inputValue(), 'immediately', 'at once until chosen otherwise');
    await approvals.selectOption('digest');
    await page.locator('#mail-reminders').selectOption('off');
    await page.locator('#mail-preferences button[type=submit]').click();
    await visible(page.locator('.toast', { hasText: 'e-mail settings are saved' }), 'the saved note');

    await page.reload();
    await visible(page.locator('#mail-approvals'), 'the e-mail choices after a reload');
    assert.equal(await page.locator('#mail-approvals').inputValue(), 'digest');
    assert.equal(await page.locator('#mail-reminders').inputValue(), 'off');
    assert.equal(await page.locator('#mail-assignments').inputValue(), 'immediately');
    await shot(page, 'account-mail-preferences');
    const kept = await page.evaluate(async () => (await (await fetch('/api/notifications/preferences')).json()).mail.preferences);
    assert.deepEqual(kept, { approvals: 'digest', assignments: 'immediately', incidents: 'immediately', reminders: 'off' });
  } finally {
    await context.close();
  }
});
