// The Statement of Applicability printed, on the demo ISMS (docs/demo.md):
// the SoA screen's Print button opens the server's document
// (GET /api/print/soa.html) in a tab of its own; as paper it is A4, its
// stylesheet applies, its table fits the page width, and it names the
// position and the hash it was made from. The page is looked at as an image
// at A4 width with print media (a screenshot kept with the others) and
// printed to PDF by chromium.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, signIn, shot, loadDemo, settle, screenshotDir } from './harness.js';

const AUDITOR = 'peter.graf';
// A4 at CSS's 96 pixels per inch, and in PDF points.
const A4_PX = { width: 794, height: 1123 };
const A4_PT = [595.28, 841.89];
let server;
let browser;
let skip = '';

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

test('the SoA prints on A4 from the server, stamped with its position and hash', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    await page.goto(`${server.url}/#/soa`);
    await settle(page);
    const [printed] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Print' }).click()]);
    await printed.waitForLoadState('load');
    assert.match(printed.url(), /\/api\/print\/soa\.html$/);

    // What it was made from, as the server says it stands.
    const health = await (await printed.request.get(`${server.url}/healthz`)).json();
    const position = Number(await printed.locator('.stamp .position').textContent());
    assert.ok(position > 0 && position <= health.views_position, `position ${position}`);
    const hash = (await printed.locator('.stamp .hash').textContent()).trim();
    assert.match(hash, /^[0-9a-f]{64}$/);
    if (position === health.head.position) assert.equal(hash, health.head.hash);
    assert.equal(await printed.locator('tr.control').count(), 93, 'every Annex A control');
    assert.ok(await printed.locator('tr.control.applicable').count() > 0, 'the demo decided controls applicable');

    // As paper: A4 width, print media, the stylesheet applied, nothing wider than the page.
    await printed.setViewportSize(A4_PX);
    await printed.emulateMedia({ media: 'print' });
    await printed.evaluate(() => document.fonts && document.fonts.ready);
    const layout = await printed.evaluate(() => ({
      collapse: getComputedStyle(document.querySelector('table')).borderCollapse,
      headerGroup: getComputedStyle(document.querySelector('thead')).display,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      fontPt: parseFloat(getComputedStyle(document.body).fontSize) * 0.75,
    }));
    assert.equal(layout.collapse, 'collapse', 'print.css applies');
    assert.equal(layout.headerGroup, 'table-header-group', 'the table header repeats on every page');
    assert.ok(layout.overflow <= 0, `the document is ${layout.overflow}px wider than A4`);
    assert.ok(layout.fontPt >= 8 && layout.fontPt <= 11, `body text of ${layout.fontPt}pt`);
    await shot(printed, '20-soa-printed-a4');

    // Printed to PDF by chromium: A4 pages, several of them.
    const pdf = await printed.pdf({ preferCSSPageSize: true, printBackground: true });
    const text = pdf.toString('latin1');
    assert.ok(text.startsWith('%PDF-'), 'a PDF');
    const pages = text.match(/\/Type\s*\/Page(?!s)/g) || [];
    assert.ok(pages.length >= 3, `93 controls on ${pages.length} page(s)`);
    const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.ok(boxes.length >= 1, 'pages with a MediaBox');
    for (const [w, h] of boxes) {
      assert.ok(Math.abs(w - A4_PT[0]) < 1 && Math.abs(h - A4_PT[1]) < 1, `a page of ${w} × ${h} pt is not A4`);
    }
    fs.writeFileSync(path.join(screenshotDir(), '20-soa-printed.pdf'), pdf);
  } finally {
    await context.close();
  }
});
