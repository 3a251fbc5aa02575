// Accessibility of the web UI: axe-core (a devDependency of these tests) runs
// on every screen of the demo ISMS (docs/demo.md), at desktop width (1440 px)
// and phone width (390 px), each screen seen by a user who may see it, and in
// the states that change what is on screen: a dialog open, the time control
// set, an approval just decided, the navigation drawer open on a phone. A
// violation of impact "serious" or "critical" fails the test; every one is
// printed with its rule, impact and the selectors of the elements.
//
// Without a working `ismsd demo` the tests are skipped.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, ApiClient, signIn, shot, loadDemo, settle, axe, PHONE, DESKTOP } from './harness.js';

const FAILING = new Set(['serious', 'critical']);
const password = (user) => `demo-${user}`;

let skip = null;
let server;
let browser;
let ids;

before(async () => {
  const demo = await loadDemo('demo-');
  if (demo.skip) { skip = demo.skip; return; }
  server = await startServer({ data: demo.data });
  browser = await launchBrowser();
  const api = await ApiClient.open(browser, server.url, 'mara.hansen', password('mara.hansen'));
  try {
    const first = async (view, key, pick = () => true) => {
      const list = (await api.query(view)).data[key] || [];
      const x = list.find(pick);
      assert.ok(x, `the demo has an entry in ${view}`);
      return x.id;
    };
    ids = {
      risk: await first('risks', 'risks', (r) => r.state !== 'retired' && r.treatment && r.treatment.option),
      nc: await first('nonconformities', 'nonconformities', (n) => (n.actions || []).length),
      document: await first('documents', 'documents', (d) => d.published_version && d.working_version !== d.published_version)
        .catch(() => first('documents', 'documents')),
      // A document whose text is shown as it is, not as a difference.
      plainDocument: await first('documents', 'documents', (d) => d.published_version && d.working_version === d.published_version)
        .catch(() => first('documents', 'documents')),
      review: await first('reviews', 'reviews'),
      approval: await first('approvals', 'approvals', (a) => a.state === 'open'),
      head: JSON.parse((await api.http('GET', '/healthz')).body).head.position,
      // Open approvals that wait for one named user: one is decided at each width.
      toDecide: (await api.query('approvals', { state: 'open' })).data.approvals
        .filter((a) => (a.policy.required_users || []).length && !(a.decisions || []).length)
        .map((a) => ({ approval: a.id, user: a.policy.required_users[0] })),
    };
    assert.ok(ids.toDecide.length >= 2, 'the demo has two approvals waiting for a named user');
  } finally {
    await api.close();
  }
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// Every screen, with the user who sees it.
function screens() {
  const enc = encodeURIComponent;
  // What changed over the last 100 days (the demo's history is longer).
  const compare = `#/compare?from=${new Date(Date.now() - 100 * 864e5).toISOString().slice(0, 10)}&to=now`;
  return [
    ['mara.hansen', ['#/inbox', '#/risks', `#/risks/${enc(ids.risk)}`, '#/soa', '#/objectives', '#/nonconformities',
      `#/nonconformities/${enc(ids.nc)}`, '#/documents', `#/documents/${enc(ids.document)}`, `#/documents/${enc(ids.plainDocument)}`, '#/reviews',
      `#/reviews/${enc(ids.review)}`, '#/audits', '#/incidents', '#/incidents/INC-4519', '#/suppliers', '#/suppliers/S-2', '#/assets', '#/assets/A-7', '#/scope', '#/history', compare,
      `#/approvals/${enc(ids.approval)}`, '#/account']],
    ['henrik.brandt', ['#/inbox', `#/approvals/${enc(ids.approval)}`]],
    ['peter.graf', ['#/history', compare]],
    ['admin', ['#/users']],
  ];
}

// One axe run; its failing violations are added to `found` under `where`.
async function check(page, where, found, all) {
  const violations = await axe(page);
  for (const v of violations) {
    all.push({ where, ...v });
    if (FAILING.has(v.impact)) found.push({ where, ...v });
  }
}

function report(title, list) {
  if (!list.length) return `${title}: none`;
  const byRule = new Map();
  for (const v of list) {
    const r = byRule.get(v.id) || { impact: v.impact, help: v.help, nodes: 0, lines: [] };
    r.nodes += v.targets.length;
    r.lines.push(`    ${v.where}: ${v.targets.slice(0, 6).join(' | ')}${v.targets.length > 6 ? ` (+${v.targets.length - 6} more)` : ''}`);
    byRule.set(v.id, r);
  }
  const out = [`${title}:`];
  for (const [id, r] of byRule) out.push(`  ${id} (${r.impact}) × ${r.nodes} — ${r.help}`, ...r.lines);
  return out.join('\n');
}

async function audit(t, width, contextOptions, decide) {
  if (skip) { t.skip(skip); return; }
  const found = [];
  const all = [];
  const tag = `${width}`;

  // Signed out: the sign-in screen, and its error.
  {
    const context = await browser.newContext(contextOptions);
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.locator('#signin-user').waitFor();
    await check(page, `${tag} sign-in`, found, all);
    await page.fill('#signin-user', 'mara.hansen');
    await page.fill('#signin-pass', 'not the password');
    await page.click('form button[type=submit]');
    await page.getByRole('alert').waitFor();
    await check(page, `${tag} sign-in error`, found, all);
    await context.close();
  }

  for (const [user, hashes] of screens()) {
    const { context, page } = await signIn(browser, server.url, user, password(user), contextOptions);
    try {
      for (const hash of hashes) {
        await page.goto(`${server.url}/${hash}`);
        await settle(page);
        await check(page, `${tag} ${user} ${hash}`, found, all);
      }
      if (user === 'mara.hansen') {
        // A dialog.
        await page.goto(`${server.url}/#/risks`);
        await settle(page);
        await page.getByRole('button', { name: '+ Identify a risk' }).click();
        await page.locator('dialog[open]').waitFor();
        await check(page, `${tag} ${user} #/risks, dialog "Identify a risk"`, found, all);
        await page.keyboard.press('Escape');
        // The time control set: the banner, disabled writing controls.
        await page.goto(`${server.url}/#/history`);
        await settle(page);
        await page.fill('#tc-pos', String(Math.max(1, ids.head - 60)));
        await page.getByRole('button', { name: 'Show this position' }).click();
        await page.locator('.banner-past').waitFor();
        await page.goto(`${server.url}/#/risks/${encodeURIComponent(ids.risk)}`);
        await settle(page);
        await check(page, `${tag} ${user} #/risks/${ids.risk} in the past`, found, all);
        await shot(page, `a11y-${width}-past`);
        await page.locator('.banner-past').getByRole('button', { name: 'Return to now' }).click();
        await page.locator('.banner-past').waitFor({ state: 'hidden' });
        // The navigation drawer on a phone.
        if (contextOptions.isMobile) {
          await page.locator('.menu-btn').tap();
          await page.waitForFunction(() => document.querySelector('.sidebar').getBoundingClientRect().left >= 0);
          await check(page, `${tag} ${user} navigation drawer`, found, all);
          await page.keyboard.press('Escape');
        }
      }
    } finally {
      await context.close();
    }
  }

  // An approval just decided stays on screen, marked decided.
  {
    const { approval, user } = ids.toDecide[decide];
    const { context, page } = await signIn(browser, server.url, user, password(user), contextOptions);
    try {
      await page.goto(`${server.url}/#/inbox`);
      await settle(page);
      const card = page.locator(`article[data-approval="${approval}"]`);
      await card.getByLabel(/Your comment/).fill('Agreed.');
      await card.getByRole('button', { name: 'Approve' }).click();
      await card.locator('.approval-done').waitFor();
      await page.evaluate(() => document.querySelectorAll('.toast').forEach((x) => x.remove()));
      await check(page, `${tag} ${user} #/inbox, ${approval} decided`, found, all);
      await shot(page, `a11y-${width}-inbox-decided`);
    } finally {
      await context.close();
    }
  }

  const nodes = (list) => list.reduce((n, v) => n + v.targets.length, 0);
  console.log(`axe-core at ${width}: ${nodes(all)} elements in violation (every impact), ${nodes(found)} serious or critical`);
  console.log(report(`every violation at ${width}`, all));
  assert.equal(found.length, 0, report(`serious or critical violations at ${width}`, found));
}

test('no serious or critical accessibility violation at desktop width (1440 px)', (t) => audit(t, 'desktop', DESKTOP, 0));

test('no serious or critical accessibility violation at phone width (390 px)', (t) => audit(t, 'phone', PHONE, 1));
