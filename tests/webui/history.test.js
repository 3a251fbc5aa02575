// Browser tests of the event log on the Audit and history screen, on the demo
// ISMS (docs/demo.md): more than a year of history, of which the screen
// loads 100 events at a time. Filters and pages are the server's, over the
// whole log; the expectation comes from the NDJSON export of the same log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, ApiClient, signIn, shot, loadDemo } from './harness.js';

const AUDITOR = 'peter.graf';
let server;
let browser;
let skip = '';
let log = [];  // every event of the log, oldest first, from GET /api/events

// The log's own records (erasures, signed checkpoints) are not ISMS events:
// the event log lists ISMS events only.
const isRecord = (e) => e.stream === 'eventstore.erasures' || e.stream.startsWith('ledger.');
const dayOf = (e) => new Date(e.metadata.recorded_at_ms).toISOString().slice(0, 10);

before(async () => {
  const demo = await loadDemo('demo-');
  if (demo.skip) { skip = demo.skip; return; }
  server = await startServer({ data: demo.data });
  browser = await launchBrowser();
  const api = await ApiClient.open(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    for (let from = 1; ; ) {
      const r = await api.http('GET', `/api/events?from=${from}&limit=1000`);
      assert.equal(r.status, 200, r.body.slice(0, 200));
      const lines = r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      log.push(...lines);
      if (lines.length < 1000) break;
      from = lines[lines.length - 1].position + 1;
    }
  } finally {
    await api.close();
  }
  log = log.filter((e) => !isRecord(e));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function openLog(page, query = '') {
  await page.goto(`${server.url}/#/history${query}`);
  await page.locator('main h1').first().waitFor();
  const table = page.getByRole('table', { name: 'Event log' });
  await table.waitFor();
  return table;
}

async function positionsIn(table) {
  return (await table.locator('tbody td.id-cell').allTextContents()).map(Number);
}

test('a day long past shows every event of that day, filtered on the server', async (t) => {
  if (skip) { t.skip(skip); return; }
  // The oldest day whose events are all older than the 100 newest: the
  // screen's first page alone would not hold any of them.
  const newest = new Set(log.slice(-100).map((e) => e.position));
  const byDay = new Map();
  for (const e of log) byDay.set(dayOf(e), [...(byDay.get(dayOf(e)) || []), e.position]);
  const [day, positions] = [...byDay].find(([, ps]) => ps.every((p) => !newest.has(p)) && ps.length >= 3);
  assert.ok(day, 'the demo has a day of events older than the newest 100');

  const { context, page } = await signIn(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    const table = await openLog(page);
    await page.getByLabel('From', { exact: true }).fill(day);
    await page.getByLabel('From', { exact: true }).dispatchEvent('change');
    await page.getByLabel('To', { exact: true }).fill(day);
    await page.getByLabel('To', { exact: true }).dispatchEvent('change');
    await page.waitForFunction((want) => document.querySelectorAll('table[aria-label="Event log"] tbody tr').length === want,
      positions.length, { timeout: 10_000 }).catch(() => {});
    const shown = await positionsIn(table);
    assert.deepEqual(shown, [...positions].reverse(), `the events of ${day}, newest first`);
    for (const when of await table.locator('tbody time').evaluateAll((ts) => ts.map((x) => x.getAttribute('datetime')))) {
      assert.ok(when.startsWith(day), `${when} is on ${day}`);
    }
    await assert.doesNotReject(page.getByText(`${positions.length} event${positions.length === 1 ? '' : 's'} shown`).first().waitFor());
    await shot(page, 'history-event-log-one-day');
  } finally {
    await context.close();
  }
});

test('the event log pages back through the whole history without gaps or repeats', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { context, page } = await signIn(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    const table = await openLog(page);
    await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Event log"] tbody tr').length === 100);
    for (let pages = 2; pages <= 3; pages++) {
      await page.getByRole('button', { name: 'Show older events' }).click();
      await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Event log"] tbody tr').length === n, pages * 100);
    }
    const shown = await positionsIn(table);
    const expected = log.slice(-300).map((e) => e.position).reverse();
    assert.deepEqual(shown, expected, 'the 300 newest events, newest first, each once');
  } finally {
    await context.close();
  }
});

test('one stream\'s events on a range of days come from the server, not from the loaded page', async (t) => {
  if (skip) { t.skip(skip); return; }
  // A risk's stream with events spread over time, the oldest of them long
  // before the 100 newest events of the log.
  const counts = new Map();
  for (const e of log) if (e.stream.startsWith('risk-')) counts.set(e.stream, (counts.get(e.stream) || 0) + 1);
  const [stream] = [...counts].sort((a, b) => b[1] - a[1])[0];
  const events = log.filter((e) => e.stream === stream);
  const from = dayOf(events[0]);
  const to = dayOf(events[Math.floor(events.length / 2)]);
  const expected = events.filter((e) => dayOf(e) >= from && dayOf(e) <= to).map((e) => e.position).reverse();
  const { context, page } = await signIn(browser, server.url, AUDITOR, `demo-${AUDITOR}`);
  try {
    const table = await openLog(page, `?stream=${encodeURIComponent(stream)}&from=${from}&to=${to}`);
    await page.waitForFunction((n) => document.querySelectorAll('table[aria-label="Event log"] tbody tr').length === n, expected.length, { timeout: 10_000 })
      .catch(() => {});
    assert.deepEqual(await positionsIn(table), expected, `${stream} from ${from} to ${to}`);
  } finally {
    await context.close();
  }
});

// Runs last: it adds a thousand events to the demo's log. The comparison
// reads a period's events through the same paged query, so an ISMS manager
// (who may not read the event log export) sees the events of a period that
// holds more than one page of them.
test('the comparison lists every event of a long period for an ISMS manager', async (t) => {
  if (skip) { t.skip(skip); return; }
  const MANAGER = 'mara.hansen';
  // The demo's newest assessment: its risk is changed in any period from
  // that day to now.
  const assessed = log.filter((e) => e.type === 'risk.assessed.v1').at(-1);
  const id = assessed.stream.replace(/^risk-/, '');
  const api = await ApiClient.open(browser, server.url, MANAGER, `demo-${MANAGER}`);
  try {
    await api.command('risk.identify', 'risk-R-99', {
      title: 'Many reassessments', description: '', asset: 'file servers', threat: 'ransomware',
      vulnerability: 'unpatched SMB', owner: 'jonas.richter', category: 'Cyber',
    }, { expected_version: 0 });
    for (let i = 0; i < 1000; i++) {
      await api.command('risk.assess', 'risk-R-99', { likelihood: 1 + (i % 5), impact: 1 + ((i * 3) % 5), rationale: `round ${i}` });
    }
  } finally {
    await api.close();
  }
  const { context, page } = await signIn(browser, server.url, MANAGER, `demo-${MANAGER}`);
  try {
    // A date stands for the end of that day: the day before the assessment.
    const dayBefore = new Date(assessed.metadata.recorded_at_ms - 864e5).toISOString().slice(0, 10);
    await page.goto(`${server.url}/#/compare?from=${dayBefore}&to=now`);
    const card = page.locator(`section.cmp-register[data-register="risks"] article.cmp-entity[data-entity="${id}"]`);
    await card.waitFor({ timeout: 30_000 });
    assert.equal(await card.locator(`li.cmp-event[data-position="${assessed.position}"]`).count(), 1,
      `${id}'s assessment at position ${assessed.position}, 1,000 events before the end of the period, is listed on its card`);
  } finally {
    await context.close();
  }
});
