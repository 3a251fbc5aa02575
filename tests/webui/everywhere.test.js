// What holds on every screen of the web UI, checked on the demo ISMS
// (docs/demo.md): people are shown by name, dates in one format with their
// ISO value at hand, the register's figure and its list count the same
// risks, the connection chip never says "Live" about the past, hyphens have
// no gaps, the nonconformity board's counts stand apart from their labels,
// the risk table fits its box, and a lost connection comes back quickly and
// delivers what was submitted meanwhile.
//
// The tests share one server and run in order; the last two stop and
// restart it. Without a working `ismsd demo` they are skipped.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, ApiClient, signIn, shot, loadDemo, settle, PHONE, DESKTOP } from './harness.js';

const password = (user) => `demo-${user}`;

let skip = null;
let server;
let browser;
let api;            // the ISMS manager's API client
let ids;
let people;         // [{id, name}] of the demo's users
const open = [];

before(async () => {
  const demo = await loadDemo('demo-');
  if (demo.skip) { skip = demo.skip; return; }
  server = await startServer({ data: demo.data });
  browser = await launchBrowser();
  api = await ApiClient.open(browser, server.url, 'mara.hansen', password('mara.hansen'));
  people = (await api.query('users')).data.users.map((u) => ({ id: u.id, name: u.name }));
  const first = async (view, pick = () => true) => {
    const x = ((await api.query(view)).data[view] || []).find(pick);
    assert.ok(x, `the demo has an entry in ${view}`);
    return x.id;
  };
  ids = {
    risk: await first('risks', (r) => r.state === 'accepted'),
    nc: await first('nonconformities', (n) => (n.actions || []).length),
    document: await first('documents', (d) => d.published_version),
    review: await first('reviews', (r) => r.state !== 'scheduled'),
    approval: await first('approvals', (a) => a.state === 'open'),
    audit: await first('audits'),
  };
});

after(async () => {
  for (const c of open) await c.close().catch(() => {});
  if (api) await api.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function session(t, user, options = DESKTOP) {
  if (skip) { t.skip(skip); return null; }
  const s = await signIn(browser, server.url, user, password(user), options);
  open.push(s.context);
  return s;
}

async function show(page, hash) {
  await page.goto(`${server.url}/${hash}`);
  await settle(page);
}

// The visible text of main, node by node, leaving out what is not prose for
// people (code, form controls, charts): [{text, time: {text, datetime, title} | null}].
function visibleText(page) {
  return page.evaluate(() => {
    const out = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.data.trim() || el.closest('code, select, textarea, script, style, svg, .sr-only, [hidden]')) continue;
      if (!el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
      const t = el.closest('time');
      out.push({ text: n.data, time: t ? { text: t.textContent, datetime: t.getAttribute('datetime'), title: t.getAttribute('title') } : null });
    }
    return out;
  });
}

const SCREENS = () => ['#/inbox', '#/risks', `#/risks/${ids.risk}`, '#/objectives', '#/nonconformities', `#/nonconformities/${ids.nc}`,
  '#/documents', `#/documents/${ids.document}`, '#/reviews', `#/reviews/${ids.review}`, '#/audits', '#/incidents',
  '#/incidents/INC-4519', '#/suppliers', '#/suppliers/S-2', '#/assets',
  '#/assets/A-7', '#/soa', '#/scope',
  '#/history', `#/approvals/${ids.approval}`];

test('people are shown by their names, not by their user ids', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  // The demo's user ids are first.last: none of them is a word of prose.
  const named = people.filter((p) => p.id.includes('.') && p.name && p.name !== p.id);
  assert.ok(named.length >= 5, 'the demo has named users');
  const idRe = new RegExp(`(?<![\\w.-])(${named.map((p) => p.id.replace(/\./g, '\\.')).join('|')})(?![\\w-])`);
  const found = [];
  const check = async (page, where) => {
    for (const { text } of await visibleText(page)) {
      const m = idRe.exec(text);
      if (m) found.push(`${where}: "${m[1]}" in "${text.trim().slice(0, 100)}"`);
    }
  };
  for (const hash of SCREENS()) {
    await show(s.page, hash);
    await check(s.page, hash);
  }
  // The approval cards of the managing director, where requests are made by the ISMS manager.
  const md = await session(t, 'henrik.brandt');
  await show(md.page, '#/inbox');
  await md.page.locator('article.approval-card').first().waitFor();
  await check(md.page, 'henrik.brandt #/inbox');
  const requester = (await md.page.locator('article.approval-card .approval-meta b').first().textContent()).trim();
  assert.ok(people.some((p) => p.name === requester), `the requester shown by name ("${requester}")`);
  await shot(md.page, 'everywhere-inbox-names');
  assert.deepEqual(found, [], 'user ids shown where a person is meant');
});

test('dates are shown in one format, each with its ISO value in the tooltip', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  const FORMAT = /^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}(, \d{2}:\d{2})?$/;
  const DATE_LIKE = [
    /\b\d{4}-\d{2}-\d{2}\b/, /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/,
    /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) \d{1,2}, \d{4}\b/, /\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) \d{4}\b/,
    /\b\d+ (second|minute|hour|day|week|month|year)s? ago\b/, /\bin \d+ (second|minute|hour|day|week|month|year)s?\b/,
  ];
  const bad = [];
  let times = 0;
  for (const hash of SCREENS()) {
    await show(s.page, hash);
    for (const { text, time } of await visibleText(s.page)) {
      if (time) {
        times++;
        if (!FORMAT.test(time.text.trim())) bad.push(`${hash}: "${time.text}" is not written as "2 Mar 2026" or "2 Mar 2026, 14:05"`);
        if (!time.datetime || time.title !== time.datetime || !/^\d{4}-\d{2}-\d{2}/.test(time.title)) bad.push(`${hash}: "${time.text}" has no ISO tooltip (title ${time.title}, datetime ${time.datetime})`);
        continue;
      }
      for (const re of DATE_LIKE) {
        const m = re.exec(text);
        if (m) bad.push(`${hash}: "${m[0]}" outside a <time> element, in "${text.trim().slice(0, 90)}"`);
      }
    }
  }
  assert.ok(times > 50, `dates were found on the screens (${times})`);
  assert.deepEqual(bad, []);
});

test('the risk register\'s figure and its list count the same risks, and say which', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  const all = (await api.query('risks')).data.risks;
  const inRegister = all.filter((r) => r.state !== 'retired');
  const retired = all.length - inRegister.length;
  assert.ok(retired > 0, 'the demo has a retired risk');
  await show(s.page, '#/risks');
  const kpi = s.page.locator('.kpi').first();
  const count = s.page.locator('main p[aria-live]').filter({ hasText: /risk/ });
  assert.equal(Number(await kpi.locator('.kpi-value').textContent()), inRegister.length, 'the figure counts the risks in the register');
  assert.match(await kpi.locator('.kpi-label').textContent(), /in the register/i, 'the figure says what it counts');
  const line = await count.textContent();
  assert.match(line, new RegExp(`\\b${inRegister.length} risks in the register\\b`), `the list says the same number and what it counts: "${line}"`);
  assert.match(line, new RegExp(`${retired} retired risks? not listed`), `the list says the retired risks are left out: "${line}"`);
  assert.equal(await s.page.locator('tr[data-risk]').count(), inRegister.length, 'the list shows as many rows as it says');
  await shot(s.page, 'everywhere-risk-counts', { fullPage: false });
  // Asked for, the retired risks are listed, and the figure says so.
  await count.getByRole('button', { name: 'list the retired' }).click();
  await s.page.waitForFunction((n) => document.querySelectorAll('tr[data-risk]').length === n, retired);
  assert.equal(Number(await kpi.locator('.kpi-value').textContent()), retired);
  assert.match(await kpi.locator('.kpi-label').textContent(), /retired/i);
  assert.match(await count.textContent(), new RegExp(`\\b${retired} retired risks?\\b`));
});

test('the connection chip does not say "Live" while looking at the past', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  const chip = s.page.locator('.conn-status');
  assert.match(await chip.textContent(), /Live/);
  await show(s.page, '#/history');
  const head = JSON.parse((await api.http('GET', '/healthz')).body).head.position;
  await s.page.fill('#tc-pos', String(head - 40));
  await s.page.getByRole('button', { name: 'Show this position' }).click();
  await s.page.locator('.banner-past').waitFor();
  await s.page.waitForFunction(() => !/Live/.test(document.querySelector('.conn-status').textContent), null, { timeout: 5000 })
    .catch(async () => assert.fail(`the chip says "${await chip.textContent()}" in the past`));
  assert.match(await chip.textContent(), new RegExp(`Past: position ${head - 40}`));
  assert.equal(await chip.locator('.dot-live').count(), 0, 'no live dot in the past');
  await shot(s.page, 'everywhere-past-chip', { fullPage: false });
  // On a phone, where the chip shows only its dot, the words stay for screen readers.
  await s.page.setViewportSize(PHONE.viewport);
  // The drawer slides away when the window narrows; wait until it is out of sight.
  await s.page.waitForFunction(() => document.querySelector('.sidebar').getBoundingClientRect().right <= 0);
  assert.match(await chip.evaluate((el) => el.innerText), /Past/, 'the chip\'s words are rendered (out of sight), not removed');
  await shot(s.page, 'everywhere-past-chip-phone', { fullPage: false });
  await s.page.setViewportSize(DESKTOP.viewport);
  await s.page.locator('.banner-past').getByRole('button', { name: 'Return to now' }).click();
  await chip.locator('.dot-live').waitFor();
  assert.match(await chip.textContent(), /Live/);
});

test('hyphens render without gaps ("risk-R-12", not "risk - R - 12")', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  await show(s.page, '#/history');
  const link = s.page.locator('main td a').filter({ hasText: /^risk-R-/ }).first();
  await link.waitFor();
  const m = await link.evaluate((el) => {
    const text = el.firstChild;
    const i = text.data.indexOf('-');
    const r = document.createRange();
    r.setStart(text, i);
    r.setEnd(text, i + 1);
    const cs = getComputedStyle(el);
    return { text: text.data, hyphen: r.getBoundingClientRect().width, size: parseFloat(cs.fontSize), font: cs.fontFamily, inter: document.fonts.check(`${cs.fontSize} Inter`) };
  });
  assert.ok(m.inter && /^"?Inter/.test(m.font), `the text is set in Inter (${m.font})`);
  // Inter's hyphen is 0.46 em; the tabular one (the 'tnum' feature) is a figure's width, 0.65 em.
  assert.ok(m.hyphen / m.size < 0.55, `the hyphen of "${m.text}" is ${(m.hyphen / m.size).toFixed(2)} em wide`);
});

test('the nonconformity board keeps each column\'s count apart from its label', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  for (const options of [DESKTOP, PHONE]) {
    await s.page.setViewportSize(options.viewport);
    await show(s.page, '#/nonconformities');
    const heads = s.page.locator('.board-col h2');
    assert.ok(await heads.count() >= 5, 'the board has its columns');
    for (const head of await heads.all()) {
      const text = await head.textContent();
      assert.doesNotMatch(text, /[A-Za-z]\d/, `a count glued to its label: "${text}"`);
      const gap = await head.evaluate((el) => {
        const [label, count] = el.children;
        const a = label.getBoundingClientRect();
        const b = count.getBoundingClientRect();
        return b.top >= a.bottom ? Infinity : b.left - a.right;
      });
      assert.ok(gap >= 4, `the count of "${text}" is ${gap} px from its label`);
    }
    await shot(s.page, `everywhere-nc-board-${options.viewport.width}`, { fullPage: false });
  }
});

test('the board\'s columns and the states\' tones are the ones the server gives', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  // The session reply's vocabulary, with every step of 10.2 renamed and
  // every corrective action's state turned to the "bad" tone: the board and
  // the chips follow what the server says, with no list of their own.
  let steps = [];
  await s.page.route('**/api/session', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const response = await route.fetch();
    const body = await response.json();
    for (const st of body.vocabulary.nonconformities) st.stage = `Step: ${st.stage}`;
    for (const st of body.vocabulary.corrective_actions) st.tone = 'bad';
    steps = [...new Set(body.vocabulary.nonconformities.map((st) => st.stage))];
    await route.fulfill({ response, json: body });
  });
  try {
    // A fresh load of the app, which asks for the session.
    await show(s.page, '#/nonconformities');
    await s.page.reload();
    await settle(s.page);
    assert.ok(steps.length >= 5, 'the session reply groups the states into steps');
    const titles = await s.page.locator('.board-col h2 > span:first-child').allTextContents();
    assert.deepEqual(titles, steps);
    await show(s.page, `#/nonconformities/${encodeURIComponent(ids.nc)}`);
    const chips = s.page.locator('td[data-label="Status"] .chip');
    assert.ok(await chips.count() > 0, 'the nonconformity lists its actions');
    for (const c of await chips.all()) assert.match(await c.getAttribute('class'), /\btone-bad\b/);
  } finally {
    await s.page.unrouteAll({ behavior: 'ignoreErrors' });
  }
});

test('the risk table fits its box at 1440 px', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  await show(s.page, '#/risks');
  const wrap = s.page.locator('.table-wrap').filter({ has: s.page.locator('tr[data-risk]') });
  const fit = await wrap.evaluate((el) => {
    const last = el.querySelector('thead th:last-child').getBoundingClientRect();
    return { scroll: el.scrollWidth, client: el.clientWidth, lastRight: last.right, boxRight: el.getBoundingClientRect().right, lastText: el.querySelector('thead th:last-child').textContent };
  });
  assert.ok(fit.scroll <= fit.client, `the table scrolls sideways in its box (${fit.scroll} > ${fit.client})`);
  assert.ok(fit.lastRight <= fit.boxRight + 0.5, `the "${fit.lastText}" column is clipped (${fit.lastRight} > ${fit.boxRight})`);
  await wrap.scrollIntoViewIfNeeded();
  await shot(s.page, 'everywhere-risk-table-1440', { fullPage: false });
});

// Stops the server (keeping its data), runs `during`, and starts it again on
// the same port; the API client signs in again.
async function restart(during) {
  const { data } = server;
  const port = server.port();
  await api.close();
  await server.stop({ keepData: true });
  await during();
  server = await startServer({ data, port });
  api = await ApiClient.open(browser, server.url, 'mara.hansen', password('mara.hansen'));
}

test('a lost connection is retried at least every 3 s, so the page is back within about 3 s of the server', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  await show(s.page, '#/risks');
  let longest = 0;
  let backAfter = 0;
  await restart(async () => {
    await s.page.locator('.banner-conn').waitFor();
    // The retry delay doubles from 0.5 s and is capped: after 12 s of
    // failures, the countdown of the banner still never shows more than 3 s.
    const end = Date.now() + 12_000;
    while (Date.now() < end) {
      const text = await s.page.locator('.banner-conn').textContent();
      const m = /Reconnecting in (\d+) s/.exec(text);
      if (m) longest = Math.max(longest, Number(m[1]));
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  const back = Date.now();
  await s.page.locator('.conn-status .dot-live').waitFor({ timeout: 20_000 });
  backAfter = Date.now() - back;
  assert.ok(longest > 0, 'the banner counted down to the next attempt');
  assert.ok(longest <= 3, `the next attempt was ${longest} s away`);
  assert.ok(backAfter <= 3500, `live again ${backAfter} ms after the server was back`);
  await s.page.locator('.banner-conn').waitFor({ state: 'hidden' });
});

test('a form submitted while offline says it will be sent when the connection is back, and is sent', async (t) => {
  const s = await session(t, 'mara.hansen');
  if (!s) return;
  await show(s.page, '#/nonconformities');
  const before = (await api.query('nonconformities')).data.nonconformities.map((n) => n.id);
  const dialog = s.page.locator('dialog[open]');
  await s.page.getByRole('button', { name: '+ Raise a nonconformity' }).click();
  const id = await dialog.getByRole('textbox', { name: 'Id' }).inputValue();
  assert.ok(!before.includes(id), `${id} is a new id`);
  await dialog.getByRole('textbox', { name: 'Clause or control' }).fill('A.5.15');
  await dialog.getByRole('textbox', { name: 'What is wrong' }).fill('Leavers kept their VPN access for two weeks');
  let note = '';
  await restart(async () => {
    await s.page.locator('.conn-status .dot-down').waitFor();
    await dialog.getByRole('button', { name: 'Raise' }).click();
    const wait = dialog.getByRole('status').filter({ hasText: /connection/ });
    await wait.waitFor({ timeout: 10_000 }).catch(() => {});
    note = await wait.count() ? await wait.textContent() : '';
    await shot(s.page, 'everywhere-offline-form', { fullPage: false, toasts: true });
  });
  assert.match(note, /will be sent when the connection is back/);
  // Once the connection is back the form goes out: the new nonconformity opens.
  await s.page.waitForFunction((x) => location.hash === `#/nonconformities/${x}`, id, { timeout: 20_000 });
  await settle(s.page);
  await s.page.locator('.page-head').getByText('Leavers kept their VPN access for two weeks').waitFor();
  const nc = (await api.query('nonconformity', { id })).data;
  assert.equal(nc.description, 'Leavers kept their VPN access for two weeks');
  assert.equal(nc.version, 1, 'written once: one event on its stream');
});
