// Browser tests of "Compare two points" (#/compare) on the demo ISMS
// (docs/demo.md), whose story spans fourteen months: two days are chosen in
// the form, and the screen must show the changes the story made between
// them — was → now, per register — each linked to the events that made it,
// on a wide screen and on a phone, and the address must bring back the same
// comparison. What is expected is read from the server (the views as of the
// two points, the activity feed, the event log), not written into the test;
// the story only says where to look (the yearly review of R-04 lowered its
// likelihood, R-19 was identified, O-1 was achieved, SoA 7.2 was implemented,
// NC-1 was raised — all between day -100 and day -40).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, ApiClient, signIn, shot, loadDemo, visible as visibleWithin } from './harness.js';

// The comparison of a long period takes a moment to draw.
const visible = (locator, what, timeout = 15_000) => visibleWithin(locator, what, timeout);

const PREFIX = 'demo-';
const AUDITOR = 'peter.graf';       // external auditor: reads the event log and checkpoints
const MANAGER = 'mara.hansen';      // ISMS manager: the activity feed only
const WIDE = { viewport: { width: 1440, height: 900 } };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

let skip = '';
let server;
let browser;
let mara;
let peter;
const open = [];

// The story's facts, read from the server once.
let F;

before(async () => {
  const demo = await loadDemo(PREFIX);
  if (demo.skip) { skip = demo.skip; return; }
  server = await startServer({ data: demo.data });
  browser = await launchBrowser();
  mara = await ApiClient.open(browser, server.url, MANAGER, PREFIX + MANAGER);
  peter = await ApiClient.open(browser, server.url, AUDITOR, PREFIX + AUDITOR);
  F = await facts();
});

after(async () => {
  for (const c of open) await c.close().catch(() => {});
  for (const c of [mara, peter]) if (c) await c.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.stop();
});

// The day `n` days from the server's today ("YYYY-MM-DD", UTC).
function dayFrom(today, n) {
  return new Date(Date.parse(`${today}T12:00:00Z`) + n * 864e5).toISOString().slice(0, 10);
}

// "treatment_planned" → "Treatment planned", as the UI words a state the
// session's vocabulary does not label.
function humanize(s) {
  const t = String(s).replace(/[_.]+/g, ' ').trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const rating = (r) => `${r.likelihood} × ${r.impact} = ${r.score} (${r.level})`;

async function facts() {
  const today = (await mara.query('risks')).data.today;
  const from = dayFrom(today, -100);
  const to = dayFrom(today, -40);
  // A day is the last event at or before its end (UTC).
  const pos = async (day) => (await mara.query('activity', { limit: 1 }, { as_of: { time: `${day}T23:59:59.999Z` } })).position;
  const fromPos = await pos(from);
  const toPos = await pos(to);
  assert.ok(fromPos > 0 && toPos > fromPos, `positions ${fromPos} and ${toPos}`);
  // The rule itself, checked on the feed: the event at the position is of
  // that day or before, the next one after it.
  const feed = (await mara.query('activity', { limit: 1000 })).data.events;
  const at = (p) => feed.find((e) => e.position === p);
  assert.ok(at(fromPos) && at(fromPos).at <= `${from}T23:59:59.999Z` && at(fromPos + 1).at > `${from}T23:59:59.999Z`, 'the position of the first day');
  assert.ok(at(toPos) && at(toPos).at <= `${to}T23:59:59.999Z` && at(toPos + 1).at > `${to}T23:59:59.999Z`, 'the position of the second day');
  const inPeriod = (e) => e.position > fromPos && e.position <= toPos;

  const riskThen = (await mara.query('risk', { id: 'R-04' }, { as_of: { position: fromPos } })).data;
  const riskNow = (await mara.query('risk', { id: 'R-04' }, { as_of: { position: toPos } })).data;
  assert.notEqual(rating(riskThen.inherent), rating(riskNow.inherent), 'the yearly review changed R-04\'s inherent rating');
  const assessed = riskNow.history.find((e) => e.type === 'risk.assessed.v1' && inPeriod(e));
  assert.ok(assessed, 'R-04 was reassessed in the period');
  // Every event of R-04 and of the approvals of its acceptance in the period.
  const r04Events = feed.filter((e) => inPeriod(e) && (e.stream === 'risk-R-04' || e.stream.startsWith('approval-risk-R-04.v'))).map((e) => e.position).sort((a, b) => a - b);
  assert.ok(r04Events.some((p) => feed.find((e) => e.position === p).stream.startsWith('approval-')), 'the approval of R-04\'s acceptance is among its events');

  const objective = async (p) => (await mara.query('objectives', {}, { as_of: { position: p } })).data.objectives.find((o) => o.id === 'O-1');
  const session = JSON.parse((await mara.http('GET', '/api/session')).body);
  const objectiveLabel = (s) => session.vocabulary.objectives.find((x) => x.state === s).label;
  const o1 = { was: objectiveLabel((await objective(fromPos)).state), now: objectiveLabel((await objective(toPos)).state) };
  assert.notEqual(o1.was, o1.now);

  const control = async (p) => (await mara.query('soa', {}, { as_of: { position: p } })).data.themes.flatMap((t) => t.controls).find((c) => c.id === '7.2');
  const c72Then = await control(fromPos);
  const c72Now = await control(toPos);
  assert.notEqual(c72Then.implementation_status, c72Now.implementation_status);
  // From the log (auditors): the events on the SoA about 7.2.
  const log = await peter.http('GET', `/api/events?from=${fromPos + 1}&limit=${toPos - fromPos}`);
  assert.equal(log.status, 200);
  const lines = log.body.trim().split('\n').map((l) => JSON.parse(l));
  const c72Events = lines.filter((e) => e.stream === 'soa-main' && e.data.control_id === '7.2').map((e) => e.position);
  assert.ok(c72Events.length >= 1);

  const risks = async (p) => (await mara.query('risks', {}, { as_of: { position: p } })).data.risks.map((r) => r.id);
  const ncs = async (p) => (await mara.query('nonconformities', {}, { as_of: { position: p } })).data.nonconformities.map((n) => n.id);
  assert.ok(!(await risks(fromPos)).includes('R-19') && (await risks(toPos)).includes('R-19'), 'R-19 identified in the period');
  assert.ok(!(await ncs(fromPos)).includes('NC-1') && (await ncs(toPos)).includes('NC-1'), 'NC-1 raised in the period');

  return {
    today, from, to, fromPos, toPos,
    r04: { was: rating(riskThen.inherent), now: rating(riskNow.inherent), assessed, events: r04Events },
    o1,
    c72: { was: humanize(c72Then.implementation_status), now: humanize(c72Now.implementation_status), events: c72Events, lastChange: c72Now.last_change.position },
  };
}

async function session(user, context) {
  const s = await signIn(browser, server.url, user, PREFIX + user, context);
  open.push(s.context);
  return s;
}

const text = async (locator) => (await locator.first().innerText()).replace(/\s+/g, ' ').trim();
const register = (page, view) => page.locator(`section.cmp-register[data-register="${view}"]`);
const card = (page, view, id) => register(page, view).locator(`article.cmp-entity[data-entity="${id}"]`);

// Chooses two days in the form and compares.
async function compareDays(page, from, to) {
  await page.locator('#cmp-from-date').check();
  await page.locator('#cmp-from-day').fill(from);
  await page.locator('#cmp-to-date').check();
  await page.locator('#cmp-to-day').fill(to);
  await page.locator('[data-testid="compare-run"]').click();
  await visible(register(page, 'risks'), 'the risk register\'s changes');
}

// What the comparison must show of the story's period; `withLog`: the
// viewer reads the event log (each SoA event is then placed on its control).
async function assertPeriod(page, { withLog }) {
  await visible(page.locator('[data-testid="cmp-from"]').getByText(`Position ${F.fromPos}`, { exact: true }), 'the first day\'s position');
  await visible(page.locator('[data-testid="cmp-to"]').getByText(`Position ${F.toPos}`, { exact: true }), 'the second day\'s position');
  assert.match(await text(page.locator('[data-testid="compare-events"]')), new RegExp(`^${F.toPos - F.fromPos} events recorded in between`));

  // its inherent rating, was → now, and the events that did it.
  const r04 = card(page, 'risks', 'R-04');
  await visible(r04, 'the card of R-04');
  assert.equal(await r04.getAttribute('data-kind'), 'changed');
  const inherent = r04.locator('.cmp-row[data-field="inherent"]');
  assert.equal(await text(inherent.locator('.cmp-was .cmp-value')), F.r04.was);
  assert.equal(await text(inherent.locator('.cmp-now .cmp-value')), F.r04.now);
  const listed = (await r04.locator('li.cmp-event').evaluateAll((els) => els.map((e) => Number(e.dataset.position)))).sort((a, b) => a - b);
  assert.deepEqual(listed, F.r04.events, 'the events of R-04 and of its approval in the period');
  const link = r04.locator(`li.cmp-event[data-position="${F.r04.assessed.position}"] a.cmp-event-pos`);
  const href = new URLSearchParams((await link.getAttribute('href')).replace(/^#\/history\?/, ''));
  const day = F.r04.assessed.at.slice(0, 10);
  assert.deepEqual(Object.fromEntries(href), { stream: 'risk-R-04', type: 'risk.assessed.v1', from: day, to: day });
  assert.match(await r04.locator(`li.cmp-event[data-position="${F.r04.assessed.position}"]`).textContent(), /Assessed/);

  // R-19 and NC-1 came into being in the period.
  assert.equal(await card(page, 'risks', 'R-19').getAttribute('data-kind'), 'added');
  assert.equal(await card(page, 'nonconformities', 'NC-1').getAttribute('data-kind'), 'added');

  // O-1 was achieved.
  const o1 = card(page, 'objectives', 'O-1').locator('.cmp-row[data-field="state"]');
  assert.equal(await text(o1.locator('.cmp-was .cmp-value')), F.o1.was);
  assert.equal(await text(o1.locator('.cmp-now .cmp-value')), F.o1.now);

  // SoA 7.2: implemented, with the event that recorded it.
  const c72 = card(page, 'soa', '7.2');
  const status = c72.locator('.cmp-row[data-field="implementation_status"]');
  assert.equal(await text(status.locator('.cmp-was .cmp-value')), F.c72.was);
  assert.equal(await text(status.locator('.cmp-now .cmp-value')), F.c72.now);
  const c72Listed = (await c72.locator('li.cmp-event').evaluateAll((els) => els.map((e) => Number(e.dataset.position)))).sort((a, b) => a - b);
  assert.deepEqual(c72Listed, withLog ? F.c72.events : [F.c72.lastChange], 'the SoA events about 7.2');
}

test('two days compared on a wide screen: the changes of the period with was → now and their events; the address brings it back', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { page } = await session(AUDITOR, WIDE);
  // Reachable from the Audit and history screen.
  await page.goto(`${server.url}/#/history`);
  await page.locator('.timecontrol [data-testid="compare-link"]').click();
  await visible(page.locator('main h1').getByText('Compare two points'), 'the comparison screen');
  assert.equal(await page.locator('.sidebar [data-nav="#/compare"]').getAttribute('aria-current'), 'page', 'the navigation marks the screen');

  await compareDays(page, F.from, F.to);
  assert.equal(new URL(page.url()).hash, `#/compare?from=${F.from}&to=${F.to}`);
  await assertPeriod(page, { withLog: true });
  const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(w.scroll <= w.view, `the screen scrolls sideways (${w.scroll} > ${w.view})`);
  await shot(page, 'compare-1440');
  await card(page, 'risks', 'R-04').scrollIntoViewIfNeeded();
  await shot(page, 'compare-1440-r04', { fullPage: false });

  // The same address, loaded afresh, makes the same comparison.
  await page.reload();
  await visible(register(page, 'risks'), 'the comparison after a reload');
  await assertPeriod(page, { withLog: true });
  const other = await session(AUDITOR, WIDE);
  await other.page.goto(`${server.url}/#/compare?from=${F.from}&to=${F.to}`);
  await visible(register(other.page, 'risks'), 'the comparison from the bookmarked address');
  await assertPeriod(other.page, { withLog: true });

  // The link of an event opens the event log on that event.
  await card(page, 'risks', 'R-04').locator(`li.cmp-event[data-position="${F.r04.assessed.position}"] a.cmp-event-pos`).click();
  await visible(page.locator('main h1').getByText('Audit and history'), 'the event log');
  const logRow = page.locator('table[aria-label="Event log"] tbody tr').filter({ has: page.locator('td.id-cell', { hasText: new RegExp(`^${F.r04.assessed.position}$`) }) });
  await visible(logRow, `event ${F.r04.assessed.position} in the event log`);
  assert.equal(await page.locator('table[aria-label="Event log"] tbody tr').count(), 1, 'the link shows that one event');
  assert.deepEqual(page.__errors || [], []);
  assert.deepEqual(other.page.__errors || [], []);
});

test('the same comparison on a phone: cards, no sideways scrolling, was and now labelled', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { page } = await session(AUDITOR, PHONE);
  await page.goto(`${server.url}/#/compare`);
  await visible(page.locator('main h1').getByText('Compare two points'), 'the comparison screen');
  await compareDays(page, F.from, F.to);
  assert.equal(new URL(page.url()).hash, `#/compare?from=${F.from}&to=${F.to}`);
  await assertPeriod(page, { withLog: true });
  const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(w.scroll <= w.view, `the screen scrolls sideways on a phone (${w.scroll} > ${w.view})`);
  assert.equal(await page.locator('main table').count(), 0, 'no table on the comparison');
  // On a phone "Was" and "Now" are written out above each value.
  const inherent = card(page, 'risks', 'R-04').locator('.cmp-row[data-field="inherent"]');
  await visible(inherent.locator('.cmp-was .cmp-tag').getByText('Was'), 'the "Was" label');
  await visible(inherent.locator('.cmp-now .cmp-tag').getByText('Now'), 'the "Now" label');
  const box = await card(page, 'risks', 'R-04').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, 'the card fits the phone\'s width');
  // Below the changes, the events are folded; they open with a tap.
  const assessed = card(page, 'risks', 'R-04').locator(`li.cmp-event[data-position="${F.r04.assessed.position}"]`);
  assert.equal(await assessed.isVisible(), false, 'the events of a card are folded on a phone');
  await card(page, 'risks', 'R-04').locator('summary.cmp-events-title').click();
  await visible(assessed.locator('a.cmp-event-pos'), 'the link of the assessment once the events are open');
  await shot(page, 'compare-390');
  await card(page, 'risks', 'R-04').scrollIntoViewIfNeeded();
  await shot(page, 'compare-390-r04', { fullPage: false });
  assert.deepEqual(page.__errors || [], []);
});

test('the ISMS manager, who reads no event log, sees the same changes with the events of the feed', async (t) => {
  if (skip) { t.skip(skip); return; }
  const { page } = await session(MANAGER, WIDE);
  await page.goto(`${server.url}/#/compare?from=${F.from}&to=${F.to}`);
  await visible(register(page, 'risks'), 'the comparison');
  await assertPeriod(page, { withLog: false });
  assert.equal(await page.locator('#cmp-from-checkpoint').locator('option').count(), 0, 'no checkpoints for a manager');
  assert.deepEqual(page.__errors || [], []);
});

test('since a signed checkpoint: what was recorded after it, and nothing else', async (t) => {
  if (skip) { t.skip(skip); return; }
  const signed = await peter.http('POST', '/api/checkpoints');
  assert.equal(signed.status, 200, signed.body);
  const checkpoint = JSON.parse(signed.body);
  const r = await mara.command('risk.identify', 'risk-R-30', {
    title: 'Route planner exports leave the EU', description: '', asset: 'Route planning data', threat: 'Transfer without safeguards',
    vulnerability: 'Vendor default region', owner: 'jonas.richter', category: 'Legal',
  });
  const { page } = await session(AUDITOR, WIDE);
  await page.goto(`${server.url}/#/compare`);
  const preset = page.locator('[data-testid="since-checkpoint"]');
  await visible(preset, 'the quick choice of the newest checkpoint');
  await preset.click();
  await visible(register(page, 'risks'), 'the changes since the checkpoint');
  assert.equal(new URL(page.url()).hash, `#/compare?from=checkpoint-${checkpoint.position}&to=now`);
  await visible(page.locator('[data-testid="cmp-from"]').getByText(`Position ${checkpoint.position}`, { exact: true }), 'the checkpoint\'s position');
  await visible(page.locator('[data-testid="cmp-to"]').getByText(`Position ${r.position}`, { exact: true }), 'now');
  const added = register(page, 'risks').locator('article.cmp-entity');
  assert.deepEqual(await added.evaluateAll((els) => els.map((e) => [e.dataset.entity, e.dataset.kind])), [['R-30', 'added']]);
  assert.equal(await page.locator('section.cmp-register').count(), 1, 'only the risk register changed');
  assert.deepEqual(await card(page, 'risks', 'R-30').locator('li.cmp-event').evaluateAll((els) => els.map((e) => Number(e.dataset.position))), [r.position]);
  await shot(page, 'compare-checkpoint', { fullPage: false });
  assert.deepEqual(page.__errors || [], []);
});

test('from a day before the first event everything counts as added; an address that names no point says so', async (t) => {
  if (skip) { t.skip(skip); return; }
  const first = (await mara.query('activity', { limit: 1 }, { as_of: { position: 1 } })).data.events[0];
  const before = dayFrom(first.at.slice(0, 10), -1);
  const risks = (await mara.query('risks')).data.risks.map((r) => r.id).sort();
  const scope = (await mara.query('scope')).data.effective;
  const { page } = await session(MANAGER, WIDE);
  await page.goto(`${server.url}/#/compare?from=${before}&to=now`);
  await visible(register(page, 'risks'), 'the comparison from before the first event');
  await visible(page.locator('[data-testid="cmp-from"]').getByText('Before the first event'), 'the first point before any event');
  assert.equal(await page.locator('main .state-error').count(), 0, 'an error on the comparison');
  const added = await register(page, 'risks').locator('article.cmp-entity').evaluateAll((els) => els.map((e) => [e.dataset.entity, e.dataset.kind]));
  assert.deepEqual(added.map(([id]) => id).sort(), risks, 'every risk of the register');
  assert.ok(added.every(([, kind]) => kind === 'added'), 'every risk added');
  // The scope approved since: its issues and interested parties one by one, its statement field by field.
  const items = await register(page, 'scope').locator('article.cmp-entity[data-kind="added"]').evaluateAll((els) => els.map((e) => e.dataset.entity).sort());
  assert.deepEqual(items, [...scope.issues.map((i) => i.id), ...scope.interested_parties.map((p) => p.id)].sort());
  await visible(register(page, 'scope').locator('.cmp-row[data-field="effective/statement/boundaries"]'), 'the scope statement\'s boundaries');
  // The events of issue I-5 (the manager reads no log: the screen has them
  // from the scope's history) are those the log says are about it, and the
  // approvals after it that put the context in force.
  const log = await peter.http('GET', '/api/events?from=1&limit=10000');
  const lines = log.body.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.stream === 'scope-main');
  const firstOfI5 = lines.find((e) => e.data.issue_id === 'I-5').position;
  const expected = lines.filter((e) => e.data.issue_id === 'I-5' || (e.type === 'scope.approved.v1' && e.position > firstOfI5)).map((e) => e.position);
  const i5 = register(page, 'scope').locator('article.cmp-entity[data-entity="I-5"]');
  assert.deepEqual(await i5.locator('li.cmp-event').evaluateAll((els) => els.map((e) => Number(e.dataset.position))), expected);
  await i5.scrollIntoViewIfNeeded();
  await shot(page, 'compare-from-start-scope', { fullPage: false });

  await page.goto(`${server.url}/#/compare?from=last-audit&to=now`);
  await visible(page.getByRole('alert').getByText('The address names a point that is not'), 'the note on a malformed address');
  assert.equal(await page.locator('section.cmp-register').count(), 0);
  assert.deepEqual(page.__errors || [], []);
});
