// Evidence files on the demo ISMS, through the browser:
//
// - Jonas Richter, on his risk R-04, attaches a file as treatment evidence
//   from a phone: the upload is stored by its SHA-256, listed with its
//   owner and review day, and downloads as exactly the bytes he chose.
// - The SoA shows control 8.13's restore test as stale (its review day has
//   passed); Jonas's inbox lists the MFA export, due for review, and he
//   records the review; the evidence is then current until its new day.
// - Withdrawn evidence stays in the record with its reason; an external
//   auditor reads the list and downloads, and is offered no upload.
// - A file evidences one corrective action of a nonconformity.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { withDemo, signIn, ApiClient, until, visible, shot, settle, submitDialog, PHONE } from './harness.js';

let server;
let browser;
let skip = '';

withDemo((d) => ({ server, browser, skip } = d));

test('a risk owner attaches treatment evidence from a phone, and it downloads as uploaded', async (t) => {
  if (skip) { t.skip(skip); return; }
  const bytes = Buffer.from(`%PDF-1.4\n% Firewall rule review ${Date.now()}\n${'x'.repeat(300000)}\n%%EOF\n`);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const { context, page } = await signIn(browser, server.url, 'jonas.richter', 'demo-jonas.richter', PHONE);
  try {
    await page.goto(`${server.url}/#/risks/R-04`);
    await settle(page);
    const box = page.locator('[data-evidence="risk:R-04"]');
    await visible(box.locator('.evidence-item[data-evidence-id="EV-0002"]'), 'the MFA export already attached');
    await box.locator('[data-write="evidence.attach"]').click();
    const dialog = page.locator('dialog.dialog');
    await dialog.locator('input[type=file]').setInputFiles({ name: 'firewall-review.pdf', mimeType: 'application/pdf', buffer: bytes });
    await dialog.locator('[name=purpose]').fill('Firewall rules reviewed: no rule exposes the mail gateway');
    await dialog.locator('[name=review_by]').fill('2030-01-15');
    await submitDialog(page);
    const item = box.locator('.evidence-item', { hasText: 'firewall-review.pdf' });
    await visible(item, 'the new file in the list');
    assert.match(await item.textContent(), /Firewall rules reviewed/);
    assert.match(await item.textContent(), new RegExp(`sha256 ${digest.slice(0, 12)}`));
    await shot(page, 'evidence-risk-phone');
    // What the browser downloads is what was chosen, byte for byte.
    const href = await item.locator('a[download]').getAttribute('href');
    const got = await page.evaluate(async (url) => {
      const res = await fetch(url);
      const buf = await res.arrayBuffer();
      const hash = await crypto.subtle.digest('SHA-256', buf);
      return {
        status: res.status,
        disposition: res.headers.get('content-disposition'),
        hex: [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join(''),
      };
    }, href);
    assert.equal(got.status, 200);
    assert.equal(got.hex, digest);
    assert.match(got.disposition, /^attachment; filename="firewall-review.pdf"/);
  } finally {
    await context.close();
  }
});

test('stale evidence shows on the SoA, evidence due for review reaches its owner, and a review makes it current', async (t) => {
  if (skip) { t.skip(skip); return; }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    const stale = (await api.query('evidence', { subject_kind: 'control', subject_id: '8.13' })).data.evidence[0];
    assert.equal(stale.status, 'stale');
    const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
    try {
      await page.goto(`${server.url}/#/soa`);
      await settle(page);
      const control = page.locator('tr[data-control="8.13"] [data-control-evidence="8.13"]');
      await visible(control.locator('.chip', { hasText: '1 stale' }), 'the stale evidence of control 8.13');
      await control.locator('summary').click();
      await visible(control.locator('.evidence-item', { hasText: 'restore-test-protocol.txt' }), 'the restore test protocol');
      await shot(page, 'evidence-soa-stale');
    } finally {
      await context.close();
    }
    // The MFA export falls due for review within two weeks: Jonas sees it and reviews it.
    const { context: c2, page: p2 } = await signIn(browser, server.url, 'jonas.richter', 'demo-jonas.richter');
    try {
      const due = (await api.query('due')).data.evidence_review_due;
      assert.ok(due.some((x) => x.id === 'EV-0002' && x.owner === 'jonas.richter'), JSON.stringify(due));
      await p2.goto(`${server.url}/#/risks/R-04`);
      await settle(p2);
      const item = p2.locator('.evidence-item[data-evidence-id="EV-0002"]');
      await visible(item.locator('.chip', { hasText: 'review due' }), 'the review due');
      await item.locator('[data-write="evidence.review"]').click();
      await p2.locator('dialog.dialog [name=review_by]').fill('2031-06-30');
      await p2.locator('dialog.dialog [name=note]').fill('Export taken again; unchanged.');
      await submitDialog(p2);
      await until(async () => (await api.query('evidence', { subject_id: 'R-04' })).data.evidence
        .some((x) => x.evidence_id === 'EV-0002' && x.review_by === '2031-06-30' && !x.review_due), 'the review recorded');
    } finally {
      await c2.close();
    }
  } finally {
    await api.close();
  }
});

test('withdrawn evidence keeps its reason, and the external auditor reads and downloads but uploads nothing', async (t) => {
  if (skip) { t.skip(skip); return; }
  {
    const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
    try {
      await page.goto(`${server.url}/#/incidents/INC-4471`);
      await settle(page);
      const item = page.locator('.evidence-item[data-evidence-id="EV-0003"]');
      await visible(item, 'the mail gateway extract on the incident');
      await item.locator('[data-write="evidence.withdraw"]').click();
      await page.locator('dialog.dialog [name=reason]').fill('Replaced by the full export from the provider');
      await submitDialog(page);
      await visible(item.locator('.chip', { hasText: 'Withdrawn' }), 'withdrawn');
      await visible(item.getByText('Replaced by the full export from the provider'), 'the reason');
    } finally {
      await context.close();
    }
  }
  const { context, page } = await signIn(browser, server.url, 'peter.graf', 'demo-peter.graf');
  try {
    await page.goto(`${server.url}/#/incidents/INC-4502`);
    await settle(page);
    const item = page.locator('.evidence-item[data-evidence-id="EV-0005"]');
    await visible(item, 'the remote wipe confirmation');
    assert.equal(await page.locator('[data-write="evidence.attach"]').count(), 0, 'no upload for an external auditor');
    const status = await page.evaluate(async () => (await fetch('/api/evidence-files/EV-0005')).status);
    assert.equal(status, 200);
  } finally {
    await context.close();
  }
});

// Evidence for one part of a subject: the account report on corrective
// action A2 of IA-1-F1 says so, and a new file goes to action A1 through the
// dialog's choice of action.
test('a file evidences one corrective action of a nonconformity', async (t) => {
  if (skip) { t.skip(skip); return; }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  const { context, page } = await signIn(browser, server.url, 'jonas.richter', 'demo-jonas.richter');
  try {
    await page.goto(`${server.url}/#/nonconformities/IA-1-F1`);
    await settle(page);
    const box = page.locator('[data-evidence="nonconformity:IA-1-F1"]');
    await visible(box.locator('.evidence-item[data-evidence-id="EV-0006"] [data-part="A2"]', { hasText: 'For action A2' }), 'the report on action A2');
    await box.locator('[data-write="evidence.attach"]').click();
    const dialog = page.locator('dialog.dialog');
    const which = dialog.getByLabel('For which corrective action');
    assert.deepEqual(await which.locator('option').evaluateAll((o) => o.map((x) => x.value)), ['', 'A1', 'A2']);
    await which.selectOption('A1');
    await dialog.locator('input[type=file]').setInputFiles({ name: 'agency-staff-register.csv', mimeType: 'text/csv', buffer: Buffer.from('worker,end_date\nA. Agent,2027-03-31\n') });
    await dialog.locator('[name=purpose]').fill('Agency staff registered with end dates');
    await submitDialog(page);
    await visible(box.locator('.evidence-item', { hasText: 'agency-staff-register.csv' }).locator('[data-part="A1"]'), 'the new file on action A1');
    const onA1 = (await api.query('evidence', { subject_kind: 'nonconformity', subject_id: 'IA-1-F1', part: 'A1' })).data.evidence;
    assert.deepEqual(onA1.map((x) => x.name), ['agency-staff-register.csv']);
    await shot(page, 'evidence-nc-action');
  } finally {
    await context.close();
    await api.close();
  }
});
