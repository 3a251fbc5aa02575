// Suppliers on the demo ISMS, through the browser:
//
// - Mara Hansen registers a supplier with the security requirements of its
//   agreement and requests its acceptance;
// - Claudia Weber (top management) reads the terms she is asked to accept
//   on the request page and accepts them;
// - Lars Meyer, its owner, records a conditional assessment; the ISMS
//   managers are told; the register shows the result and the next due day;
// - the demo's hosting provider, whose assessment is due, is flagged in the
//   register and listed in the `due` view for its owner; the register comes
//   out as CSV.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDemo, signIn, ApiClient, until, visible, shot, settle, submitDialog } from './harness.js';

let server;
let browser;
let skip = '';

withDemo((d) => ({ server, browser, skip } = d));

test('a supplier is registered, accepted by top management and assessed by its owner', async (t) => {
  if (skip) { t.skip(skip); return; }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    // Registered and put to top management.
    {
      const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
      try {
        await page.goto(`${server.url}/#/suppliers`);
        await settle(page);
        await page.locator('main [data-write="supplier.register"]').click();
        const dialog = page.locator('dialog.dialog');
        assert.equal(await dialog.locator('[name=supplier_id]').inputValue(), 'S-5', 'the next free id is suggested');
        await dialog.locator('[name=name]').fill('Parcel Lockers Nord');
        await dialog.locator('[name=services]').fill('Parcel lockers at 40 petrol stations for customer pickups');
        await dialog.locator('[name=data_handled]').fill('Consignee names and pickup codes');
        await dialog.locator('[name=criticality]').selectOption('high');
        await dialog.locator('[name=owner]').selectOption('lars.meyer');
        await dialog.locator('[name=security_requirements]').fill('Pickup codes valid 72 h; locker logs kept 90 days; incidents reported within 24 h');
        await dialog.locator('[name=linked_risks]').fill('R-19');
        await submitDialog(page);
        await page.waitForFunction(() => location.hash === '#/suppliers/S-5', null, { timeout: 15_000 });
        await visible(page.locator('main h1', { hasText: 'Parcel Lockers Nord' }), 'the supplier page');
        await visible(page.locator('main .chip', { hasText: 'Not accepted yet' }), 'not accepted yet');
        await page.locator('[data-write="supplier.request_acceptance"]').click();
        await submitDialog(page);
        await visible(page.locator('main .chip', { hasText: 'Awaiting acceptance' }), 'awaiting acceptance');
      } finally {
        await context.close();
      }
    }
    const pending = await until(async () => (await api.query('supplier', { id: 'S-5' })).data.pending_approval_id, 'the acceptance request');
    await until(async () => (await api.query('approvals', { state: 'open' })).data.approvals.some((a) => a.id === pending), 'the approval opened');

    // Accepted by top management on the request page.
    {
      const { context, page } = await signIn(browser, server.url, 'claudia.weber', 'demo-claudia.weber');
      try {
        await page.goto(`${server.url}/#/approvals/${encodeURIComponent(pending)}`);
        await settle(page);
        await visible(page.getByText('Supplier acceptance').first(), 'the kind of request');
        await visible(page.getByText('Pickup codes valid 72 h').first(), 'the security requirements she accepts');
        await shot(page, 'supplier-acceptance');
        await page.getByLabel(/Your comment/).fill('Accepted for the pilot.');
        await page.getByRole('button', { name: 'Approve' }).click();
        await visible(page.getByText('You approved this.'), 'her decision');
      } finally {
        await context.close();
      }
    }
    await until(async () => (await api.query('supplier', { id: 'S-5' })).data.state === 'accepted', 'the supplier accepted by the reaction');

    // Assessed by its owner.
    {
      const { context, page } = await signIn(browser, server.url, 'lars.meyer', 'demo-lars.meyer');
      try {
        await page.goto(`${server.url}/#/suppliers/S-5`);
        await settle(page);
        await visible(page.locator('main .chip', { hasText: 'Accepted' }), 'accepted');
        await page.locator('[data-write="supplier.record_assessment"]').click();
        const dialog = page.locator('dialog.dialog');
        await dialog.locator('[name=result]').selectOption('conditional');
        await dialog.locator('[name=findings]').fill('Locker logs kept 30 days only; to be extended.');
        await submitDialog(page);
        await visible(page.locator('main .chip', { hasText: 'Conditional' }), 'the result');
        // He owns it but does not change its terms or end it.
        assert.equal(await page.locator('[data-write="supplier.change"]').count(), 0);
        assert.equal(await page.locator('[data-write="supplier.terminate"]').count(), 0);
      } finally {
        await context.close();
      }
    }
    const centre = JSON.parse((await api.http('GET', '/api/notifications')).body);
    assert.ok(centre.notifications.some((n) => n.kind === 'supplier_assessment_conditional' && n.subject_stream === 'supplier-S-5'),
      'the ISMS manager was told of the conditional result');
  } finally {
    await api.close();
  }
});

test('the register flags a supplier whose assessment is due and exports as CSV', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, 'tobias.lange', 'demo-tobias.lange');
  try {
    await page.goto(`${server.url}/#/suppliers`);
    await settle(page);
    for (const id of ['S-1', 'S-2', 'S-3', 'S-4']) await visible(page.locator(`tr[data-supplier="${id}"]`), `${id} in the register`);
    assert.match(await page.locator('tr[data-supplier="S-1"]').textContent(), /· due/);
    assert.match(await page.locator('tr[data-supplier="S-2"]').textContent(), /Changed since accepted/);
    await shot(page, 'suppliers');
    const csv = await page.evaluate(async () => (await fetch('/api/registers/suppliers.csv')).text());
    assert.match(csv, /^# position \d+\nid,state,name,/);
    assert.match(csv, /\nS-1,accepted,Nordcloud Hosting GmbH,/);
  } finally {
    await context.close();
  }
  const owner = await ApiClient.open(browser, server.url, 'jonas.richter', 'demo-jonas.richter');
  try {
    const due = (await owner.query('due')).data;
    assert.ok(due.supplier_assessments_due.some((d) => d.id === 'S-1' && d.owner === 'jonas.richter'), JSON.stringify(due.supplier_assessments_due));
  } finally {
    await owner.close();
  }
});
