// Test harness for the browser tests: a real ismsd on 127.0.0.1 port 0 with a
// fresh data directory, Debian's chromium driven by playwright-core, and an
// API client that speaks the WebSocket protocol from inside a page of the
// server's own origin (the server refuses foreign origins, and this needs no
// WebSocket library in node).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ADMIN_PASSWORD = 'admin-password-for-tests-only';
export const PASSWORD = 'correct horse battery staple';

export const CHROMIUM = process.env.ISMS_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (ctest sets it; see tests/webui/CMakeLists.txt)`);
  return v;
}

// Starts ismsd and resolves once it prints its address. Without options:
// a fresh data directory and port 0. {data, port} restart on what a
// previous server left (to test reconnecting clients); `args`: further
// settings as flags (["--oidc_issuer", "http://…", …]).
export async function startServer({ data = null, port = 0, args = [] } = {}) {
  const binary = required('ISMSD');
  const webui = required('ISMS_WEBUI_DIR');
  data ||= fs.mkdtempSync(path.join(os.tmpdir(), 'isms-webui-test-'));
  const backups = path.join(data, 'backups');
  const child = spawn(binary, ['serve', '--data', data, '--address', '127.0.0.1', '--port', String(port), '--webui', webui,
    '--backup_dir', backups, ...args], {
    env: { ...process.env, ISMS_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; if (log.length > 200_000) log = log.slice(-100_000); });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const fail = (why) => reject(new Error(`ismsd did not start: ${why}\n${out}\n${log.slice(-4000)}`));
    child.on('exit', (code) => fail(`exited with ${code}`));
    child.on('error', (e) => fail(e.message));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ISMS Ledger is running at (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1].replace(/\/$/, ''));
    });
  });
  return {
    url,
    data,
    backups,
    log: () => log,
    port: () => Number(new URL(url).port),
    // Stops the server (SIGTERM: it drains and exits); removes the data
    // directory and the keys ismsd keeps beside it unless keepData.
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        // A server that does not stop within 30 s fails the test with its
        // log, instead of hanging the suite until ctest's timeout.
        let timer;
        const late = new Promise((r) => { timer = setTimeout(() => r('late'), 30_000); });
        const outcome = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (outcome === 'late') {
          child.kill('SIGKILL');
          await exited;
          throw new Error(`ismsd did not stop within 30 s of SIGTERM; its log ends:\n${log.slice(-6000)}`);
        }
      }
      if (!keepData) {
        fs.rmSync(data, { recursive: true, force: true });
        fs.rmSync(`${path.resolve(data)}-signing.key`, { force: true });
        fs.rmSync(`${path.resolve(data)}-second-factor.key`, { force: true });
        fs.rmSync(`${path.resolve(data)}-evidence`, { recursive: true, force: true });
      }
    },
  };
}

export async function launchBrowser() {
  // launch() gives every run a fresh, temporary user-data-dir of its own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// A signed-in protocol client living in a page of the server's origin.
export class ApiClient {
  static async open(browser, url, username, password) {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A page of the server's origin that allows connections to it: the web
    // UI's shell (every other answer's Content-Security-Policy forbids them),
    // with the application's own scripts kept from running.
    await page.route('**/*.js', (route) => route.abort());
    await page.goto(`${url}/__api_client__`);
    const api = new ApiClient(context, page);
    const r = await page.evaluate(async ([u, p]) => {
      const res = await fetch('/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) });
      return { status: res.status, body: await res.text() };
    }, [username, password]);
    if (r.status !== 200) throw new Error(`sign-in of ${username} failed: ${r.status} ${r.body}`);
    await page.evaluate(() => new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://${location.host}/api/ws`);
      const pending = new Map();
      let next = 1;
      window.__api = {
        send(msg) {
          const id = String(next++);
          // A reply that never comes fails the test after 30 s, naming the
          // request, instead of hanging the suite.
          return new Promise((res, rej) => {
            const timer = setTimeout(() => { pending.delete(id); rej(new Error(`no reply within 30 s to ${JSON.stringify(msg).slice(0, 200)} (socket state ${ws.readyState})`)); }, 30_000);
            pending.set(id, (m) => { clearTimeout(timer); res(m); });
            ws.send(JSON.stringify({ id, ...msg }));
          });
        },
      };
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.id && pending.has(String(m.id))) { pending.get(String(m.id))(m); pending.delete(String(m.id)); }
      };
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('WebSocket refused'));
    }));
    return api;
  }

  constructor(context, page) {
    this.context = context;
    this.page = page;
  }

  // One request; a `rate_limited` answer (the server refused it unread:
  // limits.requests_per_second in docs/operations.md) is sent again after a
  // pause, as a well-behaved client slows down.
  async raw(msg) {
    for (let attempt = 0; ; attempt++) {
      const r = await this.page.evaluate((m) => window.__api.send(m), msg);
      if (r.ok || !r.error || r.error.code !== 'rate_limited' || attempt >= 50) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  // A command that must succeed; returns {position, version}.
  async command(type, stream, data = {}, extra = {}) {
    const r = await this.raw({ op: 'command', type, stream, data, ...extra });
    if (!r.ok) throw new Error(`${type} on ${stream} failed: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  async query(view, params = {}, extra = {}) {
    const r = await this.raw({ op: 'query', view, params, ...extra });
    if (!r.ok) throw new Error(`query ${view} failed: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  async http(method, p, body) {
    return this.page.evaluate(async ([m, u, b]) => {
      const res = await fetch(u, { method: m, headers: b ? { 'Content-Type': 'application/json' } : {}, body: b ? JSON.stringify(b) : undefined });
      return { status: res.status, body: await res.text() };
    }, [method, p, body]);
  }

  async close() {
    await this.context.close();
  }
}

// A browser context signed in through the sign-in screen, on a given route.
export async function signIn(browser, url, username, password = PASSWORD, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.__errors = (page.__errors || []).concat(String(e)); });
  await page.goto(`${url}/`);
  await page.fill('#signin-user', username);
  await page.fill('#signin-pass', password);
  await page.click('form button[type=submit]');
  await page.locator('.topbar').waitFor();
  await page.locator('.conn-status .dot-live').waitFor();
  return { context, page };
}

// The viewports of the phone and desktop checks.
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1440, height: 900 } };

// Resolves once the screen in `page` has drawn: its heading is there, nothing
// in main is still loading, and the fonts are in.
export async function settle(page, timeout = 15_000) {
  await page.locator('main h1').first().waitFor({ timeout });
  await page.waitForFunction(() => !document.querySelector('main .state-loading'), null, { timeout });
  await page.evaluate(() => document.fonts && document.fonts.ready);
}

// Runs axe-core (the tests' devDependency) on the page as it is now and
// resolves to its violations: [{id, impact, help, targets: [selector…]}].
// The script goes in through the DevTools protocol, so the page's
// Content-Security-Policy stays as the server sends it.
let axeSource = null;
export async function axe(page, options = {}) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    axeSource ||= fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(axeSource);
  }
  return page.evaluate(async (opts) => {
    const r = await window.axe.run(document, { resultTypes: ['violations'], ...opts });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, options);
}

export function screenshotDir() {
  const dir = process.env.ISMS_SCREENSHOT_DIR || path.join(os.tmpdir(), 'webui-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// A screenshot; toasts are removed first unless they are what the picture shows.
export async function shot(page, name, { toasts = false, ...options } = {}) {
  await page.evaluate(() => document.fonts && document.fonts.ready);
  if (!toasts) await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.screenshot({ path: path.join(screenshotDir(), `${name}.png`), fullPage: true, ...options });
}

// Loads the demo ISMS (`ismsd demo`, docs/demo.md) into a fresh directory.
// Resolves to the directory, or to {skip: reason} when this ismsd has no
// demo or it did not load.
export async function loadDemo(passwordPrefix) {
  const binary = required('ISMSD');
  const help = await run(binary, ['--help']);
  if (!/\bdemo\b/.test(help.out)) return { skip: 'this ismsd has no demo subcommand' };
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'isms-webui-demo-'));
  fs.rmSync(data, { recursive: true, force: true });  // the demo loads into an empty or new directory
  const r = await run(binary, ['demo', '--data', data, '--password-prefix', passwordPrefix]);
  if (r.code !== 0) {
    fs.rmSync(data, { recursive: true, force: true });
    fs.rmSync(`${data}-evidence`, { recursive: true, force: true });
    return { skip: `ismsd demo failed (exit ${r.code}, signal ${r.signal}): ${r.out.slice(-300)}` };
  }
  return { data };
}

function run(binary, args) {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => resolve({ code: -1, signal: null, out: String(e) }));
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

// Polls a condition (reactions such as "approval complete → risk accepted"
// run just after the command's reply) until it holds, failing with `what`.
// The demo ISMS on a server of its own, with a browser, for one test file:
// before its tests `ready({server, browser, skip})` receives them (`skip`
// says why there is no demo, else ''); after them both are closed.
export function withDemo(ready, passwordPrefix = 'demo-') {
  let server = null;
  let browser = null;
  before(async () => {
    const demo = await loadDemo(passwordPrefix);
    if (demo.skip) { ready({ server, browser, skip: demo.skip }); return; }
    server = await startServer({ data: demo.data });
    browser = await launchBrowser();
    ready({ server, browser, skip: '' });
  });
  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });
}

export async function until(check, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) assert.fail(`not reached within ${timeout} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Submits the open dialog's form and waits until the dialog is gone (the
// command succeeded; a refusal keeps it open and the wait fails).
export async function submitDialog(page) {
  const dialog = page.locator('dialog.dialog');
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached', timeout: 15_000 });
}

// Resolves when `locator` is visible, failing with a clear message.
export async function visible(locator, what, timeout = 10_000) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    assert.fail(`not visible within ${timeout} ms: ${what}`);
  }
}
