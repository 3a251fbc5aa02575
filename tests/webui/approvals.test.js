// Browser tests of approving on the demo ISMS (docs/demo.md), where R-12's
// acceptance waits for the board (Henrik Brandt and Claudia Weber, either
// of whom concludes it) and Mara Hansen requested it:
//
// - a creating form told that its id exists says the id is taken;
// - on a phone, the SoA approval shows one card per changed control and
//   nothing scrolls sideways; the Approve / Reject bar stays in reach on a
//   long request; after deciding, the focus moves to what waits next;
// - when one approver rejects, the other approver's tabs drop the count
//   from badge and title, say who decided and why, and keep the comment
//   that was being typed;
// - the requester's toast says who rejected and why and leads to the
//   request, and the notification centre lists it again (also in a new tab:
//   the server keeps it);
// - a toast announcing a request closes once the request is decided.
//
// The tests share one demo server and run in order; later ones build on
// what earlier ones decided. Screenshots go to ISMS_SCREENSHOT_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, ApiClient, signIn, shot, loadDemo, until, visible } from './harness.js';

const PREFIX = 'demo-';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

let skip = '';
let server;
let browser;
const api = {};     // user id → ApiClient
const open = [];    // browser contexts to close

async function client(user) {
  api[user] ||= await ApiClient.open(browser, server.url, user, PREFIX + user);
  return api[user];
}

async function signedIn(user, hash, context = {}) {
  const session = await signIn(browser, server.url, user, PREFIX + user, context);
  open.push(session.context);
  if (hash) await session.page.goto(`${server.url}/${hash}`);
  return session;
}

// Another tab of a signed-in browser context.
async function otherTab(context, hash) {
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.__errors = (page.__errors || []).concat(String(e)); });
  await page.goto(`${server.url}/${hash}`);
  await page.locator('.conn-status .dot-live').waitFor();
  return page;
}

// Resolves when `locator` has left the page, failing with a clear message.
async function gone(locator, what, timeout) {
  try {
    await locator.first().waitFor({ state: 'detached', timeout });
  } catch {
    assert.fail(`still there after ${timeout} ms: ${what}`);
  }
}

function future(days) {
  return new Date(Date.now() + days * 864e5).toISOString().slice(0, 10);
}

// The inbox of `user` as the server answers it.
async function inboxOf(user) {
  return (await (await client(user)).query('inbox')).data;
}

// The open approval of a subject, once its reaction has opened it.
async function openApproval(subject) {
  const mara = await client('mara.hansen');
  return until(async () => (await mara.query('approvals', { subject_stream: subject })).data.approvals.find((a) => a.state === 'open'),
    `an open approval of ${subject}`);
}

// Nothing on the page is wider than the screen, and no element of the
// screen scrolls sideways inside it.
async function assertNoSidewaysScroll(page, where) {
  const w = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
  assert.ok(w.scroll <= w.view, `${where} scrolls sideways (${w.scroll} > ${w.view})`);
  const boxes = await page.evaluate(() => [...document.querySelectorAll('main *')].filter((el) => {
    const ox = getComputedStyle(el).overflowX;
    return (ox === 'auto' || ox === 'scroll') && el.getClientRects().length && el.scrollWidth > el.clientWidth + 1;
  }).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (${el.scrollWidth} > ${el.clientWidth})`));
  assert.deepEqual(boxes, [], `${where}: boxes that scroll sideways`);
}

// The button is on screen and nothing covers it.
async function assertInReach(page, button, where) {
  const r = await button.evaluate((el) => {
    const b = el.getBoundingClientRect();
    const hit = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return { top: b.top, bottom: b.bottom, left: b.left, right: b.right, view: window.innerHeight, width: window.innerWidth, hit: !!hit && el.contains(hit) };
  });
  assert.ok(r.top >= 0 && r.bottom <= r.view && r.left >= 0 && r.right <= r.width,
    `${where}: the button is off screen (top ${r.top}, bottom ${r.bottom}, screen ${r.view})`);
  assert.ok(r.hit, `${where}: something covers the button`);
}

// The count the badge and the title show in a tab: null when none.
async function shownCount(page) {
  return page.evaluate(() => {
    const b = document.querySelector('.sidebar .badge');
    const m = /^\((\d+)\) /.exec(document.title);
    return { badge: b && !b.hidden ? b.textContent : null, title: m ? m[1] : null };
  });
}

before(async () => {
  const demo = await loadDemo(PREFIX);
  if (demo.skip) { skip = demo.skip; return; }
  server = await startServer({ data: demo.data });
  browser = await launchBrowser();
});

after(async () => {
  for (const c of open) await c.close().catch(() => {});
  for (const c of Object.values(api)) await c.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('identifying a risk under an id that exists says the id is taken', async (t) => {
  if (skip) return t.skip(skip);
  const mara = await client('mara.hansen');
  const before = (await mara.query('risk', { id: 'R-01' })).data;

  const { page } = await signedIn('mara.hansen', '#/risks');
  await page.getByRole('button', { name: '+ Identify a risk' }).click();
  const dialog = page.locator('dialog[open]');
  await dialog.getByRole('textbox', { name: 'Risk id' }).fill('R-01');
  await dialog.getByRole('combobox', { name: 'Risk owner' }).selectOption('jonas.richter');
  for (const [name, value] of [['Title', 'Ransomware on the file servers'], ['Category', 'cyber'],
    ['Threat', 'ransomware'], ['Vulnerability', 'unpatched SMB']]) await dialog.getByRole('textbox', { name, exact: true }).fill(value);
  // The asset from the inventory, by its id.
  await dialog.getByRole('checkbox', { name: /^A-2 · Transport management system/ }).check();
  await dialog.getByRole('button', { name: 'Identify risk' }).click();

  const alert = dialog.getByRole('alert');
  await visible(alert.getByText('The id R-01 is taken'), 'the id named as taken');
  const said = await alert.textContent();
  assert.match(said, /already a risk with this id/);
  assert.match(said, /Choose another id/);
  assert.doesNotMatch(said, /Someone else changed/);
  const idField = dialog.getByRole('textbox', { name: 'Risk id' });
  assert.equal(await idField.getAttribute('aria-invalid'), 'true', 'the id field is marked');
  assert.ok(await idField.evaluate((el) => el === document.activeElement), 'the cursor is in the id field');
  assert.equal(await dialog.isVisible(), true, 'the dialog stays open with what was typed');
  assert.equal(await dialog.getByRole('textbox', { name: 'Title', exact: true }).inputValue(), 'Ransomware on the file servers');
  const now = (await mara.query('risk', { id: 'R-01' })).data;
  assert.equal(now.version, before.version, 'nothing was written to R-01');
  assert.equal(now.title, before.title);
  await shot(page, '30-identify-id-taken', { fullPage: false });
  assert.deepEqual(page.__errors || [], []);
});

test('on a phone, the SoA approval shows one card per changed control and nothing scrolls sideways', async (t) => {
  if (skip) return t.skip(skip);
  const mara = await client('mara.hansen');
  await mara.command('soa.request_publication', 'soa-main', { comment: 'Implementation progress of the last months' });
  const approval = await openApproval('soa-main');

  // The controls that differ from the published SoA, as the server puts them.
  const item = (await inboxOf('henrik.brandt')).approvals.find((a) => a.id === approval.id);
  assert.ok(item, 'the SoA publication waits for the Managing Director');
  const published = new Map(item.previously_approved.map((e) => [e.control, e]));
  const changed = item.content.filter((e) => JSON.stringify(e) !== JSON.stringify(published.get(e.control)));
  assert.ok(changed.length >= 2, 'the demo SoA differs from the published one');

  const { page } = await signedIn('henrik.brandt', '#/inbox', PHONE);
  for (const [hash, scope, name] of [
    ['#/inbox', `article[data-approval="${approval.id}"]`, '31-phone-soa-approval-inbox'],
    [`#/approvals/${encodeURIComponent(approval.id)}`, 'main', '31-phone-soa-approval'],
  ]) {
    await page.goto(`${server.url}/${hash}`);
    const where = page.locator(scope);
    const cards = where.locator('.soa-card');
    await visible(cards, `the changed controls as cards on ${hash}`);
    assert.equal(await cards.count(), changed.length, 'one card per changed control');
    assert.equal(await where.locator('table.soa-diff').isVisible(), false, 'no table on a phone');
    for (const e of changed) {
      const card = where.locator(`.soa-card[data-control="${e.control}"]`);
      await visible(card, `the card of ${e.control}`);
      const p = published.get(e.control);
      const decision = card.locator('.soa-fact[data-fact="applicable"]');
      assert.match(await decision.textContent(), new RegExp(e.applicable ? 'applicable' : 'excluded'));
      if (p.applicable !== e.applicable) assert.match(await decision.textContent(), /→/, `${e.control}: the decision was → now`);
      if (p.status !== e.status && (e.applicable || p.applicable)) {
        const impl = await card.locator('.soa-fact[data-fact="status"]').textContent();
        assert.match(impl, /→/, `${e.control}: the implementation was → now`);
      }
      // The justification reads on the screen, not off it.
      const just = card.locator('.soa-fact[data-fact="justification"] dd');
      await just.scrollIntoViewIfNeeded();
      const box = await just.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${e.control}: the justification is on screen (${JSON.stringify(box)})`);
      assert.ok((await just.textContent()).includes(e.justification.slice(0, 40)), `${e.control}: the justification shown`);
    }
    await assertNoSidewaysScroll(page, hash);
    await page.evaluate(() => window.scrollTo(0, 0));
    await where.locator('.soa-cards').scrollIntoViewIfNeeded();
    await shot(page, name, { fullPage: false });
  }
  assert.deepEqual(page.__errors || [], []);
});

test('on a phone, the Approve and Reject buttons stay in reach on a long request', async (t) => {
  if (skip) return t.skip(skip);
  const approval = await openApproval('risk-R-12');
  const { page } = await signedIn('henrik.brandt', '#/inbox', PHONE);
  const card = page.locator(`article[data-approval="${approval.id}"]`);
  await visible(card, 'R-12 in the inbox');
  const height = await card.evaluate((el) => el.getBoundingClientRect().height);
  assert.ok(height > 844 * 1.2, `R-12's request is longer than the screen (${height} px)`);
  const approve = card.getByRole('button', { name: 'Approve' });
  const reject = card.getByRole('button', { name: 'Reject' });
  // Reading the request from its top, then from its middle.
  for (const at of [0, 0.5]) {
    await card.evaluate((el, f) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 60 + f * el.offsetHeight), at);
    await assertInReach(page, approve, `inbox, ${at * 100} % into the request`);
    await assertInReach(page, reject, `inbox, ${at * 100} % into the request`);
  }
  await card.evaluate((el) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 60));
  await shot(page, '32-phone-long-request-bar', { fullPage: false });

  await page.goto(`${server.url}/#/approvals/${encodeURIComponent(approval.id)}`);
  const ask = page.locator('.approval-decision .approval-ask');
  await visible(ask, 'what is asked, on the request page');
  for (const at of [0, 0.5]) {
    await ask.evaluate((el, f) => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 60 + f * el.offsetHeight), at);
    await assertInReach(page, page.getByRole('button', { name: 'Approve' }), `request page, ${at * 100} % into what is asked`);
  }
  assert.deepEqual(page.__errors || [], []);
});

test('one approver rejects: the other approver\'s tabs update, say who and why, and keep the comment; the requester learns why', async (t) => {
  if (skip) return t.skip(skip);
  const approval = await openApproval('risk-R-12');
  const requester = approval.requested_by;
  const requestHash = `#/approvals/${encodeURIComponent(approval.id)}`;
  const reason = 'Not with nine critical vulnerabilities open: decommission the 2012 servers first, then ask again.';

  // Claudia has the request open in one tab and the inbox in another, and types in both.
  const claudia = await signedIn('claudia.weber', requestHash);
  const tabs = [claudia.page, await otherTab(claudia.context, '#/inbox')];
  const typed = ['I would accept it until the end of the quarter, with a monthly report on the old servers.', 'Agreed, if the EDR isolation is in place.'];
  await visible(tabs[0].getByRole('button', { name: 'Approve' }), 'the decide form on the request page');
  await tabs[0].getByLabel(/Your comment/).fill(typed[0]);
  const card = tabs[1].locator(`article[data-approval="${approval.id}"]`);
  await visible(card, 'the request in Claudia\'s inbox');
  await card.getByLabel(/Your comment/).fill(typed[1]);
  const waitingBefore = (await inboxOf('claudia.weber')).count;
  for (const p of tabs) {
    await until(async () => (await shownCount(p)).badge === String(waitingBefore), `the badge says ${waitingBefore} before`);
    assert.equal((await shownCount(p)).title, String(waitingBefore));
  }

  // The requester waits on a phone.
  const asker = await signedIn(requester, '#/risks', PHONE);

  // Henrik rejects on his phone.
  const henrik = await signedIn('henrik.brandt', requestHash, PHONE);
  await henrik.page.getByLabel(/Your comment/).fill(reason);
  await henrik.page.getByRole('button', { name: 'Reject' }).click();
  await visible(henrik.page.getByText('You rejected this.'), 'Henrik\'s confirmation');
  const decidedAt = Date.now();

  // Within 3 s every tab of Claudia's counts one less, in badge and title.
  const waitingAfter = (await inboxOf('claudia.weber')).count;
  assert.equal(waitingAfter, waitingBefore - 1);
  const expected = waitingAfter ? String(waitingAfter) : null;
  for (const p of tabs) {
    await until(async () => {
      const c = await shownCount(p);
      return c.badge === expected && c.title === expected;
    }, `badge and title of a tab of the second approver say ${expected ?? 'nothing'}`, Math.max(100, 3000 - (Date.now() - decidedAt)));
  }

  // Henrik's focus has moved on to the next request waiting for him.
  const next = (await inboxOf('henrik.brandt')).approvals[0];
  if (next) {
    await until(() => henrik.page.evaluate(() => document.activeElement && document.activeElement.classList.contains('next-link')), 'the focus on the next request');
    assert.equal(await henrik.page.evaluate(() => document.activeElement.textContent), next.summary);
    assert.equal(await henrik.page.evaluate(() => document.activeElement.getAttribute('href')), `#/approvals/${encodeURIComponent(next.id)}`);
  } else {
    await until(() => henrik.page.evaluate(() => document.activeElement && document.activeElement.classList.contains('all-done')), 'the focus on "nothing else waits"');
  }
  await shot(henrik.page, '33-phone-decided-next', { fullPage: false });

  // Both tabs say who decided and why, and keep what she typed.
  for (const [k, where] of [[0, tabs[0].locator('.approval-decision')], [1, card]]) {
    const outcome = where.locator('[data-outcome="rejected"]');
    await visible(outcome, `the outcome in tab ${k + 1}`);
    assert.match(await outcome.textContent(), /Rejected by Henrik Brandt/);
    assert.ok((await outcome.textContent()).includes(reason), `the reason in tab ${k + 1}`);
    const kept = where.getByRole('textbox', { name: 'Your comment — not sent' });
    await visible(kept, `the comment kept in tab ${k + 1}`);
    assert.equal(await kept.inputValue(), typed[k]);
    assert.equal(await kept.getAttribute('readonly'), '', 'kept to copy, not to send');
    await visible(where.getByRole('button', { name: 'Copy your comment' }), 'the copy button');
    assert.equal(await where.locator('[data-write^="approval."]').count(), 0, 'no decide control left');
  }
  for (const p of tabs) await p.evaluate(() => window.scrollTo(0, 0));
  await shot(tabs[0], '34-second-approver-request');
  await shot(tabs[1], '35-second-approver-inbox');

  // The requester's toast: who rejected, why, and a way to the request.
  const toast = asker.page.locator('.toast').filter({ hasText: 'Rejected by' });
  await visible(toast.getByText(reason), 'the reason in the requester\'s toast');
  assert.match(await toast.textContent(), /Rejected by Henrik Brandt/);
  await shot(asker.page, '36-phone-rejection-notification', { toasts: true, fullPage: false });
  await toast.getByRole('button', { name: 'Open request' }).click();
  await until(async () => (await asker.page.evaluate(() => location.hash)) === requestHash, 'the request opened from the toast');
  const outcome = asker.page.locator('[data-outcome="rejected"]');
  await visible(outcome, 'the outcome on the request page');
  assert.ok((await outcome.textContent()).includes(reason));
  assert.match(await outcome.textContent(), /Rejected by Henrik Brandt/);
  await shot(asker.page, '37-phone-decided-request', { fullPage: false });
  await assertNoSidewaysScroll(asker.page, 'the decided request');

  // The notification centre lists it again, with the reason.
  await asker.page.goto(`${server.url}/#/risks`);
  const bell = asker.page.getByRole('button', { name: /^Notifications/ });
  // Unread: what was sent to Mara during the demo's story and this rejection.
  assert.match(await bell.getAttribute('aria-label'), /\d+ new/);
  await bell.click();
  const panel = asker.page.getByRole('region', { name: 'Notifications' });
  const entry = panel.locator('.notice').filter({ hasText: 'Rejected by Henrik Brandt' }).first();
  await visible(entry.getByText(reason), 'the rejection with its reason in the centre');
  await shot(asker.page, '38-phone-notification-centre', { fullPage: false });
  await entry.getByRole('link').click();
  await until(async () => (await asker.page.evaluate(() => location.hash)) === requestHash, 'the request opened from the centre');
  assert.equal(await panel.isVisible(), false, 'the centre closes');

  // A new tab has received no push, but the server kept what was sent, and
  // the views still know the decision and its reason.
  const fresh = await otherTab(asker.context, '#/risks');
  await fresh.getByRole('button', { name: /^Notifications/ }).click();
  const again = fresh.getByRole('region', { name: 'Notifications' });
  await visible(again.locator('.notice').filter({ hasText: 'Rejected by Henrik Brandt' }).first(), 'the rejection kept by the server, in the new tab');
  const decided = again.locator(`.notice[data-approval="${approval.id}"]`);
  await visible(decided.getByText(reason), 'the rejection among the requester\'s decided requests');
  // And the second approver finds who decided before her.
  await tabs[1].getByRole('button', { name: /^Notifications/ }).click();
  await visible(tabs[1].locator(`.notices-panel .notice[data-approval="${approval.id}"]`).getByText(reason), 'the rejection among the requests for Claudia decided by someone else');

  for (const p of [...tabs, asker.page, henrik.page, fresh]) assert.deepEqual(p.__errors || [], []);
});

test('after the last decision the focus rests on a clear "nothing left" note', async (t) => {
  if (skip) return t.skip(skip);
  const { page } = await signedIn('henrik.brandt', '#/inbox', PHONE);
  const waiting = (await inboxOf('henrik.brandt')).approvals;
  assert.ok(waiting.length >= 1, 'something waits for the Managing Director');
  for (const [k, item] of waiting.entries()) {
    const card = page.locator(`article[data-approval="${item.id}"]`);
    await visible(card, `the request ${item.id}`);
    await card.getByLabel(/Your comment/).fill('Agreed.');
    await card.getByRole('button', { name: 'Approve' }).click();
    await visible(card.getByText('You approved this.'), 'the confirmation');
    const focus = k + 1 < waiting.length
      ? `article[data-approval="${waiting[k + 1].id}"] .approval-title`
      : '.all-done';
    await until(() => page.evaluate((sel) => document.activeElement === document.querySelector(sel), focus), `the focus on ${focus}`);
  }
  assert.match(await page.locator('.all-done').textContent(), /Nothing else waits for your approval/);
  await until(async () => (await shownCount(page)).badge === null, 'no count left on the badge');
  await shot(page, '39-phone-nothing-left', { fullPage: false });
  assert.deepEqual(page.__errors || [], []);
});

test('a toast announcing a request closes once the request is decided, by someone else or by the user', async (t) => {
  if (skip) return t.skip(skip);
  const mara = await client('mara.hansen');
  const henrik = await client('henrik.brandt');
  const claudia = await signedIn('claudia.weber', '#/risks');
  const inboxTab = await otherTab(claudia.context, '#/inbox');

  async function requestObjective(id) {
    await mara.command('objective.propose', `objective-${id}`, {
      objective_id: id, statement: `Close every critical finding within 30 days (${id})`, measure: 'share of critical findings closed within 30 days',
      target_value: 95, unit: '%', owner: 'jonas.richter', due_date: future(180), resources: 'two days a month', evaluation: 'quarterly report',
    });
    await mara.command('objective.request_approval', `objective-${id}`, {});
    return openApproval(`objective-${id}`);
  }
  const announced = (page, approval) => page.locator('.toast').filter({ hasText: `Approval requested: ${approval.summary}` });

  // Decided by someone else: the toasts in both of Claudia's tabs close.
  const first = await requestObjective('O-90');
  await Promise.all([claudia.page, inboxTab].map((p) => visible(announced(p, first), 'the toast announcing the request')));
  const shownAt = Date.now();
  await henrik.command('approval.approve', `approval-${first.id}`, { comment: 'A sensible target.' });
  for (const p of [claudia.page, inboxTab]) await gone(announced(p, first), 'the toast of a request someone else decided', 4000);
  assert.ok(Date.now() - shownAt < 9000, 'closed because it was decided, not because it timed out');

  // Decided by the user in one tab: the toast closes there and in the other.
  const second = await requestObjective('O-91');
  await Promise.all([claudia.page, inboxTab].map((p) => visible(announced(p, second), 'the toast announcing the second request')));
  const card = inboxTab.locator(`article[data-approval="${second.id}"]`);
  await visible(card, 'the second request in the inbox');
  const decidingAt = Date.now();
  await card.getByRole('button', { name: 'Approve' }).click();
  await visible(card.getByText('You approved this.'), 'the confirmation');
  for (const p of [inboxTab, claudia.page]) await gone(announced(p, second), 'the toast of a request the user decided', 4000);
  assert.ok(Date.now() - decidingAt < 9000, 'closed because it was decided, not because it timed out');
  assert.deepEqual(claudia.page.__errors || [], []);
  assert.deepEqual(inboxTab.__errors || [], []);
});
