// Information security incidents on the demo ISMS, through the browser:
//
// - Lena Wagner, a contributor on a phone, reports a lost USB stick from her
//   inbox in the simplest form of the product (a few words, what happened);
//   she lands on the incident, waiting for triage.
// - Mara Hansen, ISMS manager, finds it at once in her notification centre
//   and in her inbox ("waiting for triage"), and triages it: an incident,
//   high, handled by Mehmet Yilmaz, touching risk R-15.
// - Mehmet Yilmaz finds it in his inbox, records containment, evidence and
//   the resolution on the incident's page; the risk's owner was told to
//   reassess R-15.
// - Mara closes it with the lessons learned and raises a nonconformity: the
//   page links to it, and the nonconformity names the incident. The register
//   as it stood before the triage still shows it reported (time travel).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDemo, signIn, ApiClient, until, visible, shot, settle, PHONE, submitDialog } from './harness.js';

let server;
let browser;
let skip = '';

withDemo((d) => ({ server, browser, skip } = d));

test('an incident reported on a phone reaches the ISMS manager, its handler and the lessons learned', async (t) => {
  if (skip) { t.skip(skip); return; }
  let id = '';
  let reportedAt = 0;

  // Reported by a contributor on a phone, from the inbox.
  {
    const { context, page } = await signIn(browser, server.url, 'lena.wagner', 'demo-lena.wagner', PHONE);
    try {
      await settle(page);
      await page.locator('main [data-write="incident.report"]').click();
      const dialog = page.locator('dialog.dialog');
      await visible(dialog, 'the report form');
      // The simplest form: two required fields; nothing else must be filled.
      assert.equal(await dialog.locator('[required]').count(), 2);
      await dialog.locator('[name=title]').fill('USB stick with the driver roster lost');
      await dialog.locator('[name=description]').fill('The stick fell out of my bag at the depot canteen; it holds the roster with drivers\u2019 phone numbers.');
      await shot(page, 'incident-report-phone', { fullPage: false });
      await submitDialog(page);
      await page.waitForFunction(() => /^#\/incidents\/INC-\d{4}-\d+$/.test(location.hash), null, { timeout: 15_000 });
      id = decodeURIComponent((await page.evaluate(() => location.hash)).split('/').pop());
      await visible(page.locator('main h1', { hasText: 'USB stick with the driver roster lost' }), 'the reported incident');
      await visible(page.locator('main', { hasText: 'Waiting for an ISMS manager to triage it.' }), 'waiting for triage');
      // A contributor does not triage or close.
      assert.equal(await page.locator('[data-write="incident.triage"]').count(), 0);
      assert.equal(await page.locator('[data-write="incident.close"]').count(), 0);
      assert.deepEqual(page.__errors || [], []);
    } finally {
      await context.close();
    }
  }
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
  try {
    reportedAt = (await api.query('incident', { id })).data.position;

    // The ISMS manager: told at once, in the centre and the inbox; triages it.
    {
      const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
      try {
        await page.click('.top-notices');
        await visible(page.locator('#notices-panel .notice', { hasText: 'Incident reported: USB stick' }), 'the report in the notification centre');
        await page.keyboard.press('Escape');
        await page.goto(`${server.url}/#/inbox`);
        await settle(page);
        const waiting = page.locator(`[data-incident="${id}"]`);
        await visible(waiting, 'the incident in the inbox');
        assert.match(await waiting.textContent(), /waiting for triage/);
        await waiting.locator('a').click();
        await settle(page);
        await page.locator('[data-write="incident.triage"]').click();
        const dialog = page.locator('dialog.dialog');
        await dialog.locator('[name=classification]').selectOption('incident');
        await dialog.locator('[name=severity]').selectOption('high');
        await dialog.locator('[name=handler]').selectOption('mehmet.yilmaz');
        await dialog.locator('[name=category]').fill('lost device');
        await dialog.locator('[name=related_risks]').fill('R-15');
        await submitDialog(page);
        await visible(page.locator('main .chip', { hasText: 'High' }), 'the severity chosen');
        await visible(page.locator('main a[href="#/risks/R-15"]'), 'the risk it touches');
      } finally {
        await context.close();
      }
    }

    // The handler: in his inbox; contains, keeps evidence, resolves.
    {
      const { context, page } = await signIn(browser, server.url, 'mehmet.yilmaz', 'demo-mehmet.yilmaz');
      try {
        await settle(page);
        const mine = page.locator(`[data-incident="${id}"]`);
        await visible(mine, 'the incident he handles in his inbox');
        assert.match(await mine.textContent(), /You handle it/);
        await page.goto(`${server.url}/#/incidents/${encodeURIComponent(id)}`);
        await settle(page);
        const steps = [
          ['incident.record_containment', 'Roster passwords reset; drivers told to expect no calls from unknown numbers.'],
          ['incident.record_evidence', 'Canteen CCTV request and the lost-property report, ticket SD-92001.'],
          ['incident.resolve', 'The stick was found and handed in; it was encrypted.'],
        ];
        for (const [type, text] of steps) {
          await page.locator(`[data-write="${type}"]`).click();
          await page.locator('dialog.dialog [name=description]').fill(text);
          await submitDialog(page);
          await visible(page.locator('main', { hasText: text }), `${type} on the page`);
        }
        // Closing is the ISMS manager's.
        assert.equal(await page.locator('[data-write="incident.close"]').count(), 0);
      } finally {
        await context.close();
      }
    }
    // The owner of the risk it touches was told to reassess it.
    const r15 = (await api.query('risk', { id: 'R-15' })).data;
    const owner = await ApiClient.open(browser, server.url, r15.owner, `demo-${r15.owner}`);
    try {
      const centre = JSON.parse((await owner.http('GET', '/api/notifications')).body);
      const told = centre.notifications.find((n) => n.kind === 'incident_concerns_risk' && n.subject_stream === `incident-${id}`);
      assert.ok(told, `${r15.owner} was told: ${JSON.stringify(centre.notifications.slice(0, 3))}`);
      assert.match(told.title, /reassess/);
    } finally {
      await owner.close();
    }

    // Closed with the lessons learned, raising a nonconformity.
    {
      const { context, page } = await signIn(browser, server.url, 'mara.hansen', 'demo-mara.hansen');
      try {
        await page.goto(`${server.url}/#/incidents/${encodeURIComponent(id)}`);
        await settle(page);
        await page.locator('[data-write="incident.close"]').click();
        const dialog = page.locator('dialog.dialog');
        await dialog.locator('[name=lessons]').fill('Rosters go on encrypted sticks only; the roster moves to the TMS.');
        await dialog.locator('[name=raise_nonconformity]').check();
        await dialog.locator('[name=nc_reference]').fill('A.7.10');
        await dialog.locator('[name=nc_severity]').selectOption('minor');
        // The lessons also show a risk: identified by the server once it closes.
        await dialog.locator('[name=identify_risk]').check();
        await dialog.locator('[name=risk_title]').fill('Rosters on unencrypted removable media');
        await dialog.locator('[name=risk_asset]').fill('Driver rosters');
        await dialog.locator('[name=risk_threat]').fill('Loss of removable media');
        await dialog.locator('[name=risk_vulnerability]').fill('No encryption enforced for USB sticks');
        await dialog.locator('[name=risk_category]').fill('People');
        await dialog.locator('[name=risk_owner]').selectOption('lars.meyer');
        await submitDialog(page);
        await visible(page.locator(`main a[href="#/risks/${encodeURIComponent(id)}-R"]`), 'the link to the risk identified', 15_000);
        const link = page.locator(`main a[href="#/nonconformities/${encodeURIComponent(id)}-NC"]`);
        await visible(link, 'the link to the nonconformity raised', 15_000);
        await shot(page, 'incident-closed');
        await link.click();
        await visible(page.locator('main', { hasText: `Incident ${id}, lessons learned` }), 'the nonconformity names the incident', 15_000);
      } finally {
        await context.close();
      }
    }
    const nc = (await api.query('nonconformity', { id: `${id}-NC` })).data;
    assert.equal(nc.source, 'incident');
    assert.equal(nc.incident_id, id);
    const risk = (await api.query('risk', { id: `${id}-R` })).data;
    assert.equal(risk.owner, 'lars.meyer');
    assert.equal(risk.title, 'Rosters on unencrypted removable media');
    assert.match(risk.description, new RegExp(`incident ${id}`));

    // The register as it stood right after the report.
    const before = (await api.query('incidents', { state: 'reported' }, { as_of: { position: reportedAt } })).data;
    assert.ok(before.incidents.some((i) => i.id === id), 'reported at that position');
    const now = (await api.query('incidents', { state: 'closed' })).data;
    assert.ok(now.incidents.some((i) => i.id === id && i.nc_id === `${id}-NC`), 'closed now');
  } finally {
    await api.close();
  }
});

test('the register lists the demo incidents and exports them as CSV', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, 'tobias.lange', 'demo-tobias.lange');
  try {
    await page.goto(`${server.url}/#/incidents`);
    await settle(page);
    for (const id of ['INC-4471', 'INC-4502', 'INC-4511', 'INC-4519', 'INC-4525'])
      await visible(page.locator(`tr[data-incident="${id}"]`), `${id} in the register`);
    assert.match(await page.locator('tr[data-incident="INC-4511"]').textContent(), /an event, not an incident/);
    await shot(page, 'incidents');
    const csv = await page.evaluate(async () => {
      const bytes = new Uint8Array(await (await fetch('/api/registers/incidents.csv')).arrayBuffer());
      return Array.from(bytes.slice(0, 3)).join(',') + '|' + new TextDecoder().decode(bytes.slice(3));
    });
    // A byte order mark for spreadsheet programs, then the position.
    assert.match(csv, /^239,187,191\|# position \d+\nid,state,title,/);
    assert.match(csv, /INC-4502,closed,Laptop left on the train to Bremen/);
  } finally {
    await context.close();
  }
});
