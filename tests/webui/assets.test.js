// Assets on the demo ISMS, through the browser:
//
// - Jonas Richter owns the laptops; the deputy ISMS manager proposed three
//   days ago to classify them confidential. Jonas finds the request in his
//   inbox, sees the levels and the reason, and approves: the asset is
//   confidential, its history says who decided.
// - Mara Hansen registers a new asset through the form.
// - The retired EDI gateway keeps its disposal record; the inventory comes
//   out as CSV.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDemo, signIn, ApiClient, until, visible, shot, settle, submitDialog } from './harness.js';

let server;
let browser;
let skip = '';

withDemo((d) => ({ server, browser, skip } = d));

test("the owner approves the reclassification of their asset from the inbox", async (t) => {
  if (skip) { t.skip(skip); return; }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    const before = (await api.query('asset', { id: 'A-4' })).data;
    assert.equal(before.classification, 'internal');
    assert.equal(before.proposed_classification, 'confidential');
    const { context, page } = await signIn(browser, server.url, 'jonas.richter', 'demo-jonas.richter');
    try {
      await settle(page);
      const card = page.locator(`.approval-card[data-approval="${before.pending_approval_id}"]`);
      await visible(card, 'the reclassification in his inbox');
      await visible(card.getByText('Asset classification').first(), 'the kind of request');
      await visible(card.getByText('Laptops cache customer data offline').first(), 'the reason');
      await shot(page, 'asset-reclassification-inbox');
      await card.getByLabel(/Your comment/).fill('Yes, since the offline cache.');
      await card.getByRole('button', { name: 'Approve' }).click();
      await until(async () => (await api.query('asset', { id: 'A-4' })).data.classification === 'confidential', 'the asset reclassified');
      await page.goto(`${server.url}/#/assets/A-4`);
      await settle(page);
      await visible(page.locator('main .chip', { hasText: 'Confidential' }), 'the classification in force');
      await visible(page.locator('main .timeline', { hasText: 'classified confidential (was internal)' }), 'the history');
    } finally {
      await context.close();
    }
  } finally {
    await api.close();
  }
});

test('an asset is registered through the form, and retired ones keep their disposal record', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    await page.goto(`${server.url}/#/assets`);
    await settle(page);
    for (const id of ['A-1', 'A-2', 'A-3', 'A-4', 'A-6', 'A-7']) await visible(page.locator(`tr[data-asset="${id}"]`), `${id} in the inventory`);
    assert.equal(await page.locator('tr[data-asset="A-5"]').count(), 0, 'a retired asset is not listed as in use');
    await page.locator('main [data-write="asset.register"]').click();
    const dialog = page.locator('dialog.dialog');
    assert.equal(await dialog.locator('[name=asset_id]').inputValue(), 'A-8');
    await dialog.locator('[name=name]').fill('Driver telematics data');
    await dialog.locator('[name=type]').selectOption('information');
    await dialog.locator('[name=classification]').selectOption('confidential');
    await dialog.locator('[name=owner]').selectOption('lars.meyer');
    await dialog.locator('[name=location]').fill('Telematics provider portal');
    await submitDialog(page);
    await page.waitForFunction(() => location.hash === '#/assets/A-8', null, { timeout: 15_000 });
    await visible(page.locator('main h1', { hasText: 'Driver telematics data' }), 'the new asset');
    await page.goto(`${server.url}/#/assets/A-5`);
    await settle(page);
    await visible(page.locator('main', { hasText: 'Destruction certificate SN-2026-0412' }), 'the disposal record');
    assert.equal(await page.locator('[data-write="asset.change"]').count(), 0, 'a retired asset is not changed');
    await page.goto(`${server.url}/#/assets`);
    await settle(page);
    await shot(page, 'assets');
    const csv = await page.evaluate(async () => (await fetch('/api/registers/assets.csv')).text());
    assert.match(csv, /\nA-5,retired,EDI gateway,software,/);
    assert.match(csv, /\nA-8,in_use,Driver telematics data,information,/);
  } finally {
    await context.close();
  }
});
