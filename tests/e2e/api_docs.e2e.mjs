// The API documentation pages in a real Chromium: /docs (Swagger UI) and /redoc (ReDoc)
// of a running `vega serve` load and work under their Content-Security-Policy, with no
// violation reported, no request leaving Vega's origin, and no way to frame them.
//
//   VEGA_URL=http://127.0.0.1:8000 VEGA_KEY=... node tests/e2e/api_docs.e2e.mjs
//
// VEGA_URL   the server;  VEGA_KEY  its API key;  CHROMIUM  the browser (/usr/bin/chromium)
// SCREENSHOT_DIR  where to save screenshots (default tests/e2e/screenshots)
//
// Prints one JSON object on stdout; progress goes to stderr. Exits 1 on the first failure.

import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

const VEGA_URL = (process.env.VEGA_URL ?? '').replace(/\/$/, '');
const VEGA_KEY = process.env.VEGA_KEY ?? '';
const SHOTS = resolve(process.env.SCREENSHOT_DIR ?? join(here, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const log = (...args) => console.error('[e2e docs]', ...args);

class Failure extends Error {}
function check(condition, message) {
  if (!condition) throw new Failure(message);
}

if (!VEGA_URL || !VEGA_KEY) {
  console.error(`e2e: set VEGA_URL and VEGA_KEY (see the header of ${fileURLToPath(import.meta.url)})`);
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const ORIGIN = new URL(VEGA_URL).origin;

const foreign = [];
const violations = [];
const pageErrors = [];

/** A page that records CSP violations (the event and the console line), requests to
 * any other origin, and uncaught errors. */
async function watchedPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|CSP violation/i.test(text)) violations.push(`${page.url()}: ${text}`);
    else if (message.type() === 'error') log('console error:', text);
  });
  page.on('request', (request) => {
    const url = request.url();
    // blob: is ReDoc's search worker, built by its own script on this origin.
    if (/^(data|about):/.test(url)) return;
    const origin = url.startsWith('blob:') ? new URL(url.slice(5)).origin : new URL(url).origin;
    if (origin !== ORIGIN) foreign.push(url);
  });
  page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
  return page;
}

async function swaggerUi(context) {
  const page = await watchedPage(context);
  await page.goto(VEGA_URL + '/docs', { waitUntil: 'load' });
  await page.waitForSelector('.opblock');
  const operations = await page.locator('.opblock').count();
  check(operations >= 10, `Swagger UI shows ${operations} operations`);
  check(/Vega/.test(await page.textContent('.info .title')), 'Swagger UI shows no title');

  // Paste the key where people paste it, and call a keyed route with it.
  await page.click('.auth-wrapper .authorize');
  const keyInput = page.locator('.auth-container').filter({ hasText: 'X-API-Key' }).locator('input');
  await keyInput.fill(VEGA_KEY);
  await page.locator('.auth-container').filter({ hasText: 'X-API-Key' }).locator('button.authorize').click();
  await page.click('.dialog-ux button.close-modal');
  const history = page.locator('#operations-conversations-history_history_get');
  await history.locator('.opblock-summary').click();
  await history.locator('button.try-out__btn').click();
  await history.locator('button.execute').click();
  const status = history.locator('.live-responses-table tbody .response-col_status');
  await status.first().waitFor();
  const code = (await status.first().textContent()).trim();
  check(code.startsWith('200'), `GET /history from Swagger UI answered ${code}`);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  check(!stored.includes(VEGA_KEY), 'Swagger UI kept the key in localStorage');
  await page.screenshot({ path: join(SHOTS, 'docs-swagger-ui.png') });
  await page.close();
  return operations;
}

async function redoc(context) {
  const page = await watchedPage(context);
  await page.goto(VEGA_URL + '/redoc', { waitUntil: 'load' });
  await page.waitForSelector('[role=menuitem]');
  check(/Vega/.test(await page.textContent('h1')), 'ReDoc shows no title');
  // Its search runs in a worker (a blob: URL the CSP allows as a worker only).
  await page.locator('input[placeholder^="Search"]').pressSequentially('history', { delay: 30 });
  const found = page.locator('[data-role="search:results"] li[data-item-id$="history_history_get"]');
  await found.waitFor();
  const items = await page.locator('[role=menuitem]').count();
  await page.screenshot({ path: join(SHOTS, 'docs-redoc.png') });
  await page.close();
  return items;
}

/** A page of another origin cannot frame either page (clickjacking the Authorize box). */
async function notFramed(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const blocked = [];
  page.on('console', (message) => blocked.push(message.text()));
  await page.setContent(`<iframe src="${VEGA_URL}/docs"></iframe><iframe src="${VEGA_URL}/redoc"></iframe>`);
  await page.waitForTimeout(1500);
  for (const frame of page.frames().slice(1)) {
    const shown = await frame.$('.swagger-ui, [role=menuitem]').catch(() => null);
    check(shown === null, `another origin framed ${frame.url()}`);
  }
  check(blocked.some((text) => /frame-ancestors/.test(text)), `Chromium did not report the frame refusal: ${blocked.join(' | ')}`);
  await context.close();
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results = {};
let failed = null;
let current = '';
try {
  const step = async (name, fn) => {
    current = name;
    log(`${name}…`);
    const value = await fn();
    log(`${name}: ok`);
    return value;
  };
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  results.swagger_operations = await step('Swagger UI at /docs, key and a call', () => swaggerUi(context));
  results.redoc_menu_items = await step('ReDoc at /redoc, with search', () => redoc(context));
  await context.close();
  await step('neither page can be framed', () => notFramed(browser));
  current = 'final checks';
  check(violations.length === 0, `CSP violations: ${violations.join(' | ')}`);
  check(foreign.length === 0, `requests left Vega's origin: ${foreign.join(', ')}`);
  check(pageErrors.length === 0, `the page threw: ${pageErrors.join(' | ')}`);
} catch (error) {
  failed = error;
} finally {
  await browser.close().catch(() => {});
}
results.ok = failed === null;
console.log(JSON.stringify(results));
if (failed) {
  const reason = failed instanceof Failure ? failed.message : (failed.stack ?? String(failed));
  console.error(`e2e docs FAILED in "${current}": ${reason}`);
  process.exit(1);
}
console.error('e2e docs passed');
