// Assets on the demo ISMS, through the browser:
//
// - Jonas Richter owns the laptops; the deputy ISMS manager proposed three
//   days ago to classify them confidential. Jonas finds the request in his
//   inbox, sees the levels and the reason, and approves: the asset is
//   confidential, its history says who decided.
// - Mara Hansen registers a new asset through the form.
// - The retired EDI gateway keeps its disposal record; the inventory comes
//   out as CSV.
// - Lars Meyer links his risk, identified in words, to the Hamburg site in
//   the inventory; the site's page lists its risks.

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

// Risks name their assets by id. A risk identified in words a year ago is
// linked by its owner to the asset in the inventory; the asset's page lists
// its risks; another owner's risk offers no link.
test('a risk owner links their risk to the asset in the inventory, and the asset lists its risks', async (t) => {
  if (skip) { t.skip(skip); return; }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    // Linked when the inventory was set up: R-01 to the data and the TMS.
    const r01 = (await api.query('risk', { id: 'R-01' })).data;
    assert.deepEqual(r01.asset_ids, ['A-1', 'A-2']);
    const lars = (await api.query('risks', { owner: 'lars.meyer' })).data.risks;
    const mine = lars.find((r) => !r.asset_ids.length && r.allowed_commands.includes('risk.link_assets'));
    assert.ok(mine, 'a risk of Lars named in words only, open to a link');
    const other = (await api.query('risks', { owner: 'eva.schmidt' })).data.risks.find((r) => r.allowed_commands.includes('risk.link_assets'));
    assert.ok(other, 'a risk of another owner');

    const { context, page } = await signIn(browser, server.url, 'lars.meyer', 'demo-lars.meyer');
    try {
      await page.goto(`${server.url}/#/risks/R-01`);
      await settle(page);
      await visible(page.locator('[data-asset-link="A-2"]', { hasText: 'Transport management system' }), 'R-01\'s asset A-2 by its name');
      await page.goto(`${server.url}/#/risks/${encodeURIComponent(other.id)}`);
      await settle(page);
      await visible(page.locator('.page-head'), 'another owner\'s risk');
      assert.equal(await page.locator('[data-write="risk.link_assets"]').count(), 0, 'no link on another owner\'s risk');

      await page.goto(`${server.url}/#/risks/${encodeURIComponent(mine.id)}`);
      await settle(page);
      await page.locator('[data-write="risk.link_assets"]').click();
      const dialog = page.locator('dialog.dialog');
      await visible(dialog.getByText(mine.asset, { exact: false }).first(), 'the words it was identified with');
      assert.equal(await dialog.getByLabel(/A-5 · EDI gateway/).count(), 0, 'a retired asset is not offered');
      await dialog.getByLabel(/A-6 · Warehouse and server room/).check();
      await dialog.locator('[name=reason]').fill('The server room is part of the Hamburg site (A-6)');
      await submitDialog(page);
      await visible(page.locator('[data-asset-link="A-6"]'), 'the asset linked on the risk page', 15_000);
      await visible(page.locator('main .timeline', { hasText: 'assets: A-6 (were: none)' }), 'the link in the risk\'s history');

      await page.goto(`${server.url}/#/assets/A-6`);
      await settle(page);
      const risks = page.locator('[data-asset-risks="A-6"]');
      await visible(risks.locator(`[data-risk-id="${mine.id}"]`), 'the risk on the asset page');
      await visible(risks.locator('[data-risk-id="R-07"]'), 'the risk linked when the inventory was set up');
      await shot(page, 'asset-risks');
      assert.deepEqual((await api.query('risk', { id: mine.id })).data.asset_ids, ['A-6']);
      assert.deepEqual((await api.query('risks', { asset_id: 'A-6' })).data.risks.map((r) => r.id).sort(), [mine.id, 'R-07'].sort());
    } finally {
      await context.close();
    }
  } finally {
    await api.close();
  }
});

// The classification scheme is configuration: Mara adds a "Restricted" level
// between internal and confidential and retires "Public"; the inventory shows
// the scheme with its handling rules, the forms offer the new level and no
// longer the retired one, and an asset at the retired level keeps it.
test('the ISMS manager adds a level to the classification scheme and retires one', async (t) => {
  if (skip) { t.skip(skip); return; }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    const before = (await api.query('assets', {})).data.classification_scheme;
    assert.deepEqual(before.levels.map((l) => l.id), ['public', 'internal', 'confidential', 'strictly_confidential']);
    assert.equal(before.version, 1, 'the demo company configured its scheme');
    // An asset at the level about to be retired.
    await api.command('asset.register', 'asset-A-90', { asset_id: 'A-90', name: 'Price list', type: 'information', owner: 'mara.hansen', classification: 'public' });

    await page.goto(`${server.url}/#/assets`);
    await settle(page);
    const scheme = page.locator('[data-classification-scheme]');
    await visible(scheme.locator('tr[data-level="confidential"]', { hasText: 'POL-002' }), 'the handling rules of the demo scheme');
    await scheme.locator('[data-write="classification.configure"]').click();
    const dialog = page.locator('dialog.dialog');
    await dialog.locator('fieldset[data-level="public"] input[type=checkbox]').check();
    await dialog.locator('[name=new-id]').fill('restricted');
    await dialog.locator('[name=new-name]').fill('Restricted');
    await dialog.locator('[name=new-rank]').selectOption({ label: 'Confidential' });
    await dialog.locator('[name=new-handling]').fill('Team folders only; never sent outside');
    await dialog.locator('[name=comment]').fill('A tier for information of one team');
    await submitDialog(page);
    await visible(scheme.locator('tr[data-level="restricted"]', { hasText: 'Team folders only' }), 'the new level in the scheme', 15_000);
    await visible(scheme.locator('tr[data-level="public"]', { hasText: 'retired level' }), 'the retired level, still listed');
    await shot(page, 'classification-scheme');

    const after = (await api.query('assets', {})).data.classification_scheme;
    assert.deepEqual(after.levels.map((l) => l.id), ['public', 'internal', 'restricted', 'confidential', 'strictly_confidential']);
    assert.equal(after.levels[0].retired, true);
    assert.equal(after.levels[0].assets_in_use, 1);

    // The register form offers the new level and not the retired one.
    await page.locator('main [data-write="asset.register"]').click();
    const options = await dialog.locator('[name=classification] option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(options, ['internal', 'restricted', 'confidential', 'strictly_confidential']);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // The asset at the retired level keeps it; the server refuses the level anew.
    const kept = (await api.query('asset', { id: 'A-90' })).data;
    assert.equal(kept.classification, 'public');
    const refused = await api.raw({ op: 'command', type: 'asset.register', stream: 'asset-A-91', data: { asset_id: 'A-91', name: 'Flyer', type: 'information', owner: 'mara.hansen', classification: 'public' } });
    assert.equal(refused.ok, false);
    assert.equal(refused.error.code, 'bad_request');
    assert.match(refused.error.message, /retired/);
    await page.goto(`${server.url}/#/assets/A-90`);
    await settle(page);
    await visible(page.locator('main .chip', { hasText: 'Public (retired level)' }).first(), 'the level in force, marked retired');
  } finally {
    await context.close();
    await api.close();
  }
});
