// The documents people hand to others, printed on the demo ISMS
// (docs/demo.md): the Statement of Applicability, the risk treatment plan,
// the minutes of management review MR-1 and a nonconformity report. Each
// screen's Print button opens the server's document (GET /api/print/…) in a
// tab of its own; as paper it is A4, its stylesheet applies, its tables fit
// the page width, and it names the position and the hash it was made from.
// Each page is looked at as an image at A4 width with print media (a
// screenshot kept with the others) and printed to PDF by chromium.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withDemo, signIn, shot, settle, screenshotDir } from './harness.js';

const AUDITOR = 'peter.graf';
// A4 at CSS's 96 pixels per inch, and in PDF points.
const A4_PX = { width: 794, height: 1123 };
const A4_PT = [595.28, 841.89];
let server;
let browser;
let skip = '';

withDemo((d) => ({ server, browser, skip } = d));

// The printed page as paper: A4 width, print media, print.css applied,
// nothing wider than the page, body text of a readable size; a screenshot
// named `name`, and the PDF chromium prints of it (A4 pages), returned.
async function asPaper(printed, name) {
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
  await shot(printed, name);
  const pdf = await printed.pdf({ preferCSSPageSize: true, printBackground: true });
  const text = pdf.toString('latin1');
  assert.ok(text.startsWith('%PDF-'), 'a PDF');
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.ok(boxes.length >= 1, 'pages with a MediaBox');
  for (const [w, h] of boxes) {
    assert.ok(Math.abs(w - A4_PT[0]) < 1 && Math.abs(h - A4_PT[1]) < 1, `a page of ${w} × ${h} pt is not A4`);
  }
  fs.writeFileSync(path.join(screenshotDir(), `${name}.pdf`), pdf);
  return pdf;
}

// Opens the document behind the Print button of `page` (named `label`).
async function printFrom(context, page, label) {
  const [printed] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: label }).click()]);
  await printed.waitForLoadState('load');
  return printed;
}

// The stamp: a position the views include, and the hash of the event there.
async function assertStamped(printed) {
  const health = await (await printed.request.get(`${server.url}/healthz`)).json();
  const position = Number(await printed.locator('.stamp .position').textContent());
  assert.ok(position > 0 && position <= health.views_position, `position ${position}`);
  const hash = (await printed.locator('.stamp .hash').textContent()).trim();
  assert.match(hash, /^[0-9a-f]{64}$/);
  if (position === health.head.position) assert.equal(hash, health.head.hash);
}

test('the SoA prints on A4 from the server, stamped with its position and hash', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    await page.goto(`${server.url}/#/soa`);
    await settle(page);
    const printed = await printFrom(context, page, 'Print');
    assert.match(printed.url(), /\/api\/print\/soa\.html$/);
    await assertStamped(printed);
    assert.equal(await printed.locator('tr.control').count(), 93, 'every Annex A control');
    assert.ok(await printed.locator('tr.control.applicable').count() > 0, 'the demo decided controls applicable');

    const pdf = await asPaper(printed, '20-soa-printed-a4');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) || [];
    assert.ok(pages.length >= 3, `93 controls on ${pages.length} page(s)`);
  } finally {
    await context.close();
  }
});

test('the risk treatment plan, review minutes and a nonconformity report print on A4', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    await page.goto(`${server.url}/#/risks`);
    await settle(page);
    const plan = await printFrom(context, page, 'Print the treatment plan');
    assert.match(plan.url(), /\/api\/print\/risk-treatment-plan\.html$/);
    await assertStamped(plan);
    const risks = await plan.locator('tr.risk').count();
    assert.ok(risks >= 15, `${risks} risks in the plan`);
    assert.ok(await plan.locator('tr.risk', { hasText: 'R-12' }).count() === 1, 'R-12 is in the plan');
    await asPaper(plan, '21-risk-treatment-plan-a4');

    await page.goto(`${server.url}/#/reviews/MR-1`);
    await settle(page);
    const minutes = await printFrom(context, page, 'Print the minutes');
    assert.match(minutes.url(), /\/api\/print\/review-MR-1\.html$/);
    await assertStamped(minutes);
    assert.match(await minutes.locator('h1').textContent(), /Management review MR-1: minutes/);
    assert.match(await minutes.locator('.stamp').textContent(), /approved by/, 'who approved the minutes');
    assert.ok(await minutes.locator('section', { hasText: 'Decisions (9.3.3)' }).locator('tbody tr').count() > 0, 'its decisions');
    await asPaper(minutes, '22-review-minutes-a4');

    await page.goto(`${server.url}/#/nonconformities/IA-1-F1`);
    await settle(page);
    const report = await printFrom(context, page, 'Print the report');
    assert.match(report.url(), /\/api\/print\/nonconformity-IA-1-F1\.html$/);
    await assertStamped(report);
    assert.ok(await report.locator('tr.step').count() >= 6, 'the steps of 10.2');
    await asPaper(report, '23-nonconformity-report-a4');
  } finally {
    await context.close();
  }
});
