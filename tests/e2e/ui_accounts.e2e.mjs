// End-to-end test of the browser UI in accounts mode (VEGA_AUTH=accounts): a real
// Chromium against `vega serve` with users made by the CLI, the fake LLM behind it and
// (optionally) a real OIDC provider. Run by tests/e2e/test_ui_accounts.py, or by hand:
//
//   VEGA_URL=... FAKE_LLM_URL=... ADMIN=ada:PASSWORD USER_ACCOUNT=bob:PASSWORD \
//   OIDC_NAME="Test SSO" OIDC_SUB=sub-olga OIDC_USERNAME=olga node tests/e2e/ui_accounts.e2e.mjs
//
// ADMIN           username:password of an admin the server already has
// USER_ACCOUNT    username:password of a user (not an admin) it has
// OIDC_NAME       the provider's name on the sign-in button (empty: no OIDC steps)
// OIDC_SUB        the subject to sign in as at the provider, whose preferred_username is
// OIDC_USERNAME   (the test sets that user at the provider first)
//
// Exits 1 with the step and the reason on the first failure (plus failure.png).

import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDone, check, composer, fakeLLM, finish, lastAnswer, launch, log, send, stepper, watcher } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VEGA_URL = (process.env.VEGA_URL ?? '').replace(/\/$/, '');
const FAKE_URL = (process.env.FAKE_LLM_URL ?? '').replace(/\/$/, '');
const [ADMIN, ADMIN_PASSWORD] = (process.env.ADMIN ?? '').split(/:(.*)/s);
const [USER, USER_PASSWORD] = (process.env.USER_ACCOUNT ?? '').split(/:(.*)/s);
const OIDC_NAME = process.env.OIDC_NAME ?? '';
const OIDC_SUB = process.env.OIDC_SUB ?? '';
const OIDC_USERNAME = process.env.OIDC_USERNAME ?? '';
const SHOTS = resolve(process.env.SCREENSHOT_DIR ?? join(here, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';

for (const [name, value] of Object.entries({ VEGA_URL, FAKE_LLM_URL: FAKE_URL, ADMIN: ADMIN_PASSWORD, USER_ACCOUNT: USER_PASSWORD })) {
  if (!value) {
    console.error(`e2e: set ${name} (see the header of ${fileURLToPath(import.meta.url)})`);
    process.exit(2);
  }
}
mkdirSync(SHOTS, { recursive: true });
rmSync(join(SHOTS, 'accounts-failure.png'), { force: true });

const llm = fakeLLM(FAKE_URL);
const seen = watcher(new Set(['127.0.0.1', 'localhost', '[::1]', '::1', new URL(VEGA_URL).hostname]));
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `accounts-${name}.png`) });
const results = {};

/** A request from Node with an API key (what a program does with a key made in the UI). */
async function withKey(key, path) {
  return (await fetch(VEGA_URL + path, { headers: { 'X-API-Key': key } })).status;
}

async function signInForm(page, username, password) {
  await page.fill('#signin-username', username);
  await page.fill('#signin-password', password);
  await page.click('form.gate-card button[type=submit]');
}

async function openAccountMenu(page) {
  await page.click('.account-button');
  await page.waitForSelector('.account-menu .menu-list');
}

// --- steps ------------------------------------------------------------------------------------

async function signInPage(page) {
  // Every request the page makes in accounts mode: none may carry a key.
  page.on('request', (request) => {
    if (request.headers()['x-api-key']) seen.pageErrors.push(`a request carried X-API-Key: ${request.url()}`);
  });
  await page.goto(VEGA_URL + '/');
  await page.waitForSelector('#signin-username');
  check(!(await page.isVisible('#api-key')), 'accounts mode should not show the key gate');
  if (OIDC_NAME) {
    const button = await page.textContent('a.oidc-button');
    check(button?.trim() === `Sign in with ${OIDC_NAME}`, `the OIDC button should name the provider, got ${button}`);
  }
  await shot(page, '01-signin');
}

async function wrongPassword(page) {
  await signInForm(page, ADMIN, 'not-the-password');
  await page.waitForSelector('#signin-error');
  const error = await page.textContent('#signin-error');
  check(/wrong username or password/i.test(error ?? ''), `a wrong password should say so, got: ${error}`);
  check((await page.inputValue('#signin-password')) === '', 'the wrong password should be cleared');
  await shot(page, '02-signin-wrong');
}

async function signIn(page) {
  await signInForm(page, ADMIN, ADMIN_PASSWORD);
  await page.waitForSelector(composer);
  const name = await page.textContent('.account-button');
  check(name?.includes(ADMIN), `the top bar should name the user, got ${name}`);
  check(!(await page.isVisible('text=Forget key')), 'accounts mode has no "Forget key"');
  const stored = await page.evaluate(() => sessionStorage.getItem('vega.apiKey'));
  check(stored === null, 'no key should be stored in accounts mode');
  await page.waitForSelector('.status-chip.status-ok');
}

async function chat(page) {
  // The socket opened when the app did (before this step): that the SSE fallback was
  // never asked says the turn went over it.
  let sse = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/chat/sse')) sse++;
  });
  const reply = 'Signed in and streaming over the session cookie.';
  await llm.script({ reply, token_delay_s: 0.02 });
  await send(page, 'Does chatting work when signed in?');
  await answerDone(page);
  const text = await page.textContent(`${lastAnswer} >> .markdown`);
  check(text?.trim() === reply, `the answer differs: ${text}`);
  check(sse === 0, 'the turn did not go over the WebSocket (it fell back to SSE)');
  // The conversation is stored for this user: the page's own cookie reads it back.
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/c/')[1] ?? '');
  const stored = await page.request.get(`${VEGA_URL}/conversations/${encodeURIComponent(id)}`);
  check(stored.ok(), `the conversation was not stored: ${stored.status()}`);
  // Something that changes state goes with the CSRF token: a rename.
  await page.hover(`.conversation:has(a[href="/c/${encodeURIComponent(id)}"])`);
  await page.click(`.conversation:has(a[href="/c/${encodeURIComponent(id)}"]) >> button[title="Rename"]`);
  await page.fill('.conversation input.rename-input', 'Signed-in chat');
  await page.press('.conversation input.rename-input', 'Enter');
  await page.waitForSelector('.conversation-link:has-text("Signed-in chat")');
  const renamed = await (await page.request.get(`${VEGA_URL}/conversations/${encodeURIComponent(id)}`)).json();
  check(renamed.title === 'Signed-in chat', `the rename (a PATCH with the CSRF token) was not saved: ${renamed.title}`);
  await shot(page, '03-chat');
}

async function apiKeys(page) {
  await openAccountMenu(page);
  await page.click('.menu-item:has-text("API keys")');
  await page.waitForSelector('.dialog:has-text("API keys")');
  await page.fill('#new-key-name', 'e2e laptop');
  await page.click('.dialog button:has-text("Create")');
  await page.waitForSelector('.secret-once');
  const secret = await page.inputValue('.secret-value');
  check(secret.length > 20, `the new key's secret should show once, got ${secret}`);
  await page.waitForSelector('.key-list .row:has-text("e2e laptop")');
  await shot(page, '04-key-created');
  check((await withKey(secret, '/conversations?limit=1')) === 200, 'the new key does not work');
  // Shown once: gone when dismissed, and not in the list.
  await page.click('.secret-once button:has-text("I have stored it")');
  await page.waitForSelector('.secret-once', { state: 'detached' });
  check(!(await page.textContent('.dialog'))?.includes(secret), 'the secret is still on screen');
  await page.click('.key-list .row:has-text("e2e laptop") >> button:has-text("Revoke")');
  await page.waitForSelector('.key-list .row:has-text("e2e laptop") >> .badge:has-text("revoked")');
  let status = 200;
  for (let i = 0; i < 50 && status === 200; i++) {
    status = await withKey(secret, '/conversations?limit=1');
    if (status === 200) await new Promise((r) => setTimeout(r, 200));
  }
  check(status === 401, `the revoked key still works (${status})`);
  await shot(page, '05-key-revoked');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.dialog', { state: 'detached' });
}

async function settingsAndUsage(page) {
  await openAccountMenu(page);
  await page.click('.menu-item:has-text("Settings")');
  await page.waitForSelector('#pref-system');
  await page.fill('#pref-system', 'Answer like a pirate.');
  await page.selectOption('#pref-memory', 'off');
  await page.click('.dialog button:has-text("Save")');
  await page.waitForSelector('.dialog', { state: 'detached' });
  const stored = await (await page.request.get(`${VEGA_URL}/settings/me`)).json();
  check(stored.settings.system_prompt === 'Answer like a pirate.' && stored.settings.memory === false, `the settings were not saved on the server: ${JSON.stringify(stored)}`);
  // A new conversation leaves them unset: the server applies the user's defaults.
  await llm.script({ reply: 'Arr.' });
  await page.click('button.new-chat');
  await send(page, 'Who are you?');
  await answerDone(page);
  const body = (await llm.state()).requests.filter((r) => r.path === '/api/chat').pop()?.body;
  check(body?.messages?.[0]?.role === 'system' && body.messages[0].content.includes('pirate'), `the user's system prompt was not used: ${JSON.stringify(body?.messages?.[0])}`);

  await openAccountMenu(page);
  await page.click('.menu-item:has-text("Usage")');
  await page.waitForSelector('.dialog .meter');
  const meters = await page.$$eval('.dialog .meter', (els) => els.length);
  check(meters === 3, `the usage dialog should show 3 meters, got ${meters}`);
  await shot(page, '05b-usage');
  await page.keyboard.press('Escape');
}

/** A conversation's panel: "Default" is the user's own, and its values can become theirs. */
async function panelDefaults(page) {
  await page.click('.topbar button:has-text("Settings")');
  await page.waitForSelector('aside.settings #set-system');
  await page.waitForSelector('aside.settings #set-system[placeholder="Empty: your default system prompt"]');
  await page.uncheck('aside.settings .field:has(#set-temperature) input[type=checkbox]');
  await page.fill('#set-temperature', '1.3');
  await page.click('aside.settings button:has-text("Save as my defaults")');
  await page.waitForSelector('.toast:has-text("Saved as your defaults")');
  const stored = (await (await page.request.get(`${VEGA_URL}/settings/me`)).json()).settings;
  check(
    stored.temperature === 1.3 && stored.system_prompt === 'Answer like a pirate.' && stored.memory === false,
    `the panel's values should be the user's defaults, the rest kept: ${JSON.stringify(stored)}`,
  );
  await page.keyboard.press('Escape');
  await page.waitForSelector('aside.settings', { state: 'detached' });
}

// --- sharing: a collection with a user, a conversation with a link ---------------------------

const COLLECTION = 'bio101';
const NOTES =
  '# Field notes\n\nGlaciers carve U-shaped valleys as they move downhill under their own weight.\n\n' +
  'Honeybees communicate the direction of flowers with a waggle dance.\n';

/** The admin (a teacher) uploads notes into a collection and shares it with the user. */
async function shareCollection(page) {
  await page.click('a.nav-item[href="/library"]');
  await page.waitForSelector('.dropzone');
  await page.fill('#collection', COLLECTION);
  await page.setInputFiles('.dropzone input[type=file]', { name: 'bees.md', mimeType: 'text/markdown', buffer: Buffer.from(NOTES) });
  await page.waitForSelector('.upload.upload-ready', { timeout: 30_000 });
  await page.waitForSelector('.document-list .document:has-text("bees.md") .badge-ready');
  await page.click('.library-head button:has-text("Share")');
  await page.waitForSelector('.dialog:has-text("Share")');
  await page.selectOption('.dialog select[aria-label="Share with"]', 'user');
  await page.fill('#share-name', USER);
  await page.click('.dialog button[type=submit]:has-text("Share")');
  await page.waitForSelector(`.share-list .row:has-text("${USER}")`);
  const shares = await (await page.request.get(`${VEGA_URL}/collections/${COLLECTION}/shares`)).json();
  check(shares.some((s) => s.user === USER), `the share was not saved: ${JSON.stringify(shares)}`);
  await shot(page, '05c-collection-shared');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.dialog', { state: 'detached' });
}

/** The admin asks about the collection (an answer with sources) and shares that conversation. */
async function shareConversation(page) {
  await page.click('button:has-text("Ask about this collection")');
  await page.waitForSelector(`.context-chip:has-text("${COLLECTION}")`);
  await llm.script({ reply: 'Honeybees share where flowers are with a waggle dance [1].' });
  await send(page, 'How do honeybees share directions?');
  await answerDone(page);
  await page.waitForSelector(`${lastAnswer} >> button.cite[data-cite="1"]`);
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/c/')[1] ?? '');
  check(id, `the conversation should have its own address, got ${page.url()}`);

  await page.click('.topbar button:has-text("Share")');
  await page.waitForSelector('.dialog .share-link input');
  const link = await page.inputValue('.dialog .share-link input');
  check(new RegExp(`^${VEGA_URL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/s/[^/]+$`).test(link), `the link should be a page of this server, got ${link}`);
  await page.click('.dialog .share-link button:has-text("Copy")');
  await page.waitForSelector('.dialog .share-link button:has-text("Copied")');
  check((await page.evaluate(() => navigator.clipboard.readText())) === link, 'Copy did not put the link on the clipboard');
  // The same link each time: the dialog opened again shows it, not another.
  await page.click('.dialog button:has-text("Done")');
  await page.waitForSelector('.dialog', { state: 'detached' });
  await page.click('.topbar button:has-text("Share")');
  await page.waitForSelector('.dialog .share-link input');
  check((await page.inputValue('.dialog .share-link input')) === link, 'sharing again made another link');
  await shot(page, '05d-conversation-link');
  await page.click('.dialog button:has-text("Done")');
  await page.waitForSelector('.dialog', { state: 'detached' });
  return { id, link };
}

/** The user, in a browser of their own: the link asks them to sign in, then shows it read-only. */
async function openSharedLink(browser, link, conversationId) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  seen.watch(page);
  await page.goto(link);
  await signInForm(page, USER, USER_PASSWORD);
  await page.waitForSelector('.shared-banner');
  check(new URL(page.url()).pathname === new URL(link).pathname, `signing in should stay on the link, got ${page.url()}`);
  const banner = await page.textContent('.shared-banner');
  check(banner?.includes('Shared by its owner — read-only'), `the banner says: ${banner}`);
  const stored = (await (await page.request.get(`${VEGA_URL}/shared/${new URL(link).pathname.split('/s/')[1]}`)).json()).messages;
  await page.waitForFunction((n) => document.querySelectorAll('.message').length === n, stored.length);
  const text = await page.textContent(`${lastAnswer} >> .markdown`);
  check(text?.includes('waggle dance'), `the shared answer differs: ${text}`);
  // Read-only: no composer, no feedback or regenerate, and it is not the user's own.
  check(!(await page.isVisible(composer)), 'a shared conversation has no composer');
  check((await page.$$('.message-actions')).length === 0, 'a shared conversation offers feedback or regenerate');
  const own = await page.request.get(`${VEGA_URL}/conversations/${encodeURIComponent(conversationId)}`);
  check(own.status() === 404, `the owner's conversation itself should stay theirs (${own.status()})`);
  // Its sources and citations, as in the chat view (the original file is the owner's).
  await page.click(`${lastAnswer} >> .sources-toggle`);
  await page.waitForSelector(`${lastAnswer} >> .source-list`);
  await page.click(`${lastAnswer} >> button.cite[data-cite="1"]`);
  await page.waitForSelector('.popover.citation');
  const popover = await page.textContent('.popover.citation');
  check(/waggle dance/.test(popover ?? ''), `the citation should show the passage, got: ${popover}`);
  check(!(await page.isVisible('.popover.citation button:has-text("Download the original")')), 'a viewer cannot download the owner\'s file');
  await page.keyboard.press('Escape');
  await shot(page, '05e-shared-view');
  return { context, page };
}

/** The owner writes on; the viewer's page shows it within a few seconds, without a reload. */
async function sharedLive(owner, viewer) {
  const reply = 'Bees also use scent marks.';
  await llm.script({ reply });
  const started = Date.now();
  await send(owner, 'What else do bees use?');
  await answerDone(owner);
  await viewer.waitForSelector('.message.user:has-text("What else do bees use?")', { timeout: 8000 });
  await viewer.waitForSelector(`.message.assistant:has-text("${reply}")`, { timeout: 8000 });
  results.shared_live_ms = Date.now() - started;
  check(!(await viewer.isVisible(composer)), 'the live page grew a composer');
  await shot(viewer, '05f-shared-live');
}

/** The owner stops sharing: the viewer's page says so (and shows the conversation no more). */
async function stopSharing(owner, viewer, link) {
  await owner.click('.topbar button:has-text("Share")');
  await owner.waitForSelector('.dialog .share-link input');
  await owner.click('.dialog button:has-text("Stop sharing")');
  await owner.waitForSelector('.dialog', { state: 'detached' });
  await viewer.waitForSelector('text=This conversation is no longer shared', { timeout: 8000 });
  check((await viewer.$$('.message')).length === 0, 'the withdrawn conversation is still on screen');
  const again = await viewer.request.get(`${VEGA_URL}/shared/${new URL(link).pathname.split('/s/')[1]}`);
  check(again.status() === 404, `a withdrawn link still answers (${again.status()})`);
  await shot(viewer, '05g-shared-gone');
}

/** The user sees the shared collection as OWNER/NAME, read-only, and asks about it. */
async function sharedCollection(page) {
  const shared = `${ADMIN}/${COLLECTION}`;
  await page.click('a.nav-item[href="/library"]');
  await page.waitForSelector('#collection');
  await page.fill('#collection', shared);
  await page.waitForSelector(`#collection-help:has-text("Shared with you by ${ADMIN}")`);
  // Its counts, not its files (those stay the owner's), and nothing that changes it.
  const summary = await page.textContent('.shared-collection');
  check(/1 document, \d+ passages?, shared\s+read-only by/.test(summary ?? ''), `the shared collection's summary: ${summary}`);
  check(!(await page.isVisible('.dropzone')), 'a shared collection offers an upload');
  check((await page.$$('.library .document button[title="Delete"]')).length === 0, 'a shared collection offers a delete');
  check(!(await page.isVisible('.library-head button:has-text("Share")')), 'a shared collection can be shared on');
  await shot(page, '05h-shared-collection');
  await page.click('button:has-text("Ask about this collection")');
  await page.waitForSelector(`.context-chip:has-text("${shared}")`);
  await llm.script({ reply: 'They dance: the waggle dance points at the flowers [1].' });
  await send(page, 'How do bees point at flowers?');
  await answerDone(page);
  await page.waitForSelector(`${lastAnswer} >> button.cite[data-cite="1"]`);
  const toggle = await page.textContent(`${lastAnswer} >> .sources-toggle`);
  check(/\d+ sources?/.test(toggle ?? ''), `no sources under the answer: ${toggle}`);
  await page.click(`${lastAnswer} >> button.cite[data-cite="1"]`);
  const popover = await page.textContent('.popover.citation');
  check(popover?.includes('bees'), `the citation should name the teacher's document, got: ${popover}`);
  await shot(page, '05i-shared-collection-answer');
}

async function adminGroupsAndQuotas(page) {
  await page.click('.tab:has-text("Groups")');
  await page.fill('#new-group-name', 'class-a');
  await page.click('button:has-text("Create group")');
  const group = '.group-row[data-group="class-a"]';
  await page.waitForSelector(group);
  await page.fill(`${group} textarea`, `${USER}, ${ADMIN}`);
  await page.click(`${group} >> button:has-text("Save members")`);
  await page.waitForSelector('.toast:has-text("Saved the members of class-a")');
  const groups = await (await page.request.get(`${VEGA_URL}/admin/groups`)).json();
  const members = groups.find((g) => g.name === 'class-a')?.members ?? [];
  check(members.includes(USER) && members.includes(ADMIN), `the members were not saved: ${JSON.stringify(groups)}`);

  await page.click('.tab:has-text("Usage and quotas")');
  const row = `.usage-row[data-username="${USER}"]`;
  await page.waitForSelector(row);
  await page.fill(`${row} input[aria-label^="Tokens per day"]`, '5000');
  await page.click(`${row} >> button:has-text("Save quotas")`);
  await page.waitForSelector(`.toast:has-text("Saved the quotas of ${USER}")`);
  await shot(page, '06b-admin-usage');
}

async function adminUsers(page) {
  await openAccountMenu(page);
  await page.click('.menu-item:has-text("Admin")');
  await page.waitForSelector('.user-list');
  check(new URL(page.url()).pathname === '/admin', `the admin page should be /admin, got ${page.url()}`);
  for (const name of [ADMIN, USER]) await page.waitForSelector(`.user-row[data-username="${name}"]`);

  // A user whose display name is markup: shown as text, never run.
  const mallory = `mallory-${Math.random().toString(36).slice(2, 7)}`;
  await page.fill('#new-user-name', mallory);
  await page.fill('.admin-card input[maxlength="200"]', HOSTILE);
  await page.fill('#new-user-password', 'correct horse battery');
  await page.click('.admin-card button[type=submit]');
  await page.waitForSelector(`.user-row[data-username="${mallory}"]`);
  const row = await page.evaluate((name) => {
    const el = document.querySelector(`.user-row[data-username="${name}"]`);
    return { text: el?.textContent ?? '', markup: el?.querySelectorAll('img, script').length ?? -1 };
  }, mallory);
  check(row.text.includes(HOSTILE) && row.markup === 0, `a display name was not shown as text: ${JSON.stringify(row)}`);

  // Disable the user: they can no longer sign in (and the page says so, as it would for any refusal).
  const bob = `.user-row[data-username="${USER}"]`;
  await page.click(`${bob} >> button:has-text("Disable")`);
  await page.waitForSelector(`${bob} >> .badge:has-text("disabled")`);
  const login = await fetch(`${VEGA_URL}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: USER, password: USER_PASSWORD }),
  });
  check(login.status === 401, `a disabled user signed in (${login.status})`);
  // The last admin cannot be demoted: the server refuses (409) and the page says why.
  await page.selectOption(`.user-row[data-username="${ADMIN}"] select`, 'user');
  await page.waitForSelector('.toast-error');
  check((await page.inputValue(`.user-row[data-username="${ADMIN}"] select`)) === 'admin', 'the refused role change shows as done');
  await shot(page, '06-admin-users');
  return mallory;
}

async function adminAudit(page) {
  await page.click('.tab:has-text("Audit trail")');
  await page.waitForSelector('.audit-table tbody tr');
  const actions = await page.$$eval('.audit-table tbody tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent));
  for (const action of ['auth.login', 'key.create', 'key.revoke', 'user.create', 'user.update']) {
    check(actions.includes(action), `the audit trail lacks ${action}: ${actions.join(', ')}`);
  }
  const pager = await page.textContent('.pager');
  check(/of \d+/.test(pager ?? ''), `no paging line: ${pager}`);
  // Filters: refused sign-ins only (the wrong password at the start is one).
  await page.selectOption('#audit-outcome', 'refused');
  await page.fill('#audit-action', 'auth.');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('.audit-table tbody tr')];
    return rows.length > 0 && rows.every((r) => r.children[4].textContent === 'refused' && r.children[2].textContent.startsWith('auth.'));
  });
  const details = await page.evaluate(() => document.querySelectorAll('.audit-table img, .audit-table script').length);
  check(details === 0, 'markup from the audit trail was rendered');
  await shot(page, '07-admin-audit');
}

async function signOut(page) {
  await openAccountMenu(page);
  await page.click('.menu-item:has-text("Sign out")');
  await page.waitForSelector('#signin-username');
  const me = await page.request.get(`${VEGA_URL}/auth/me`);
  check(me.status() === 401, `the session still works after signing out (${me.status()})`);
  await shot(page, '08-signed-out');
  // A disabled user gets the same words as a wrong password.
  await signInForm(page, USER, USER_PASSWORD);
  await page.waitForSelector('#signin-error');
}

async function oidc(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The provider's page may ask a CDN for its stylesheet: nothing leaves the machine.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  // Not seen.watch: the provider's page is no part of Vega (its requests are its own).
  seen.lastPage = page;
  page.on('pageerror', (error) => seen.pageErrors.push(error.message));
  await page.goto(VEGA_URL + '/library');
  await page.click(`a.oidc-button:has-text("${OIDC_NAME}")`);
  await page.waitForSelector('input[name=sub]');
  await shot(page, '09-oidc-provider');
  await page.fill('input[name=sub]', OIDC_SUB);
  await page.click('button:has-text("Authorize")');
  await page.waitForSelector('.dropzone'); // back where the sign-in started, signed in
  check(new URL(page.url()).origin === VEGA_URL && new URL(page.url()).pathname === '/library', `OIDC should return to /library, got ${page.url()}`);
  const name = await page.textContent('.account-button');
  check(name?.includes(OIDC_USERNAME), `the top bar should name the OIDC user ${OIDC_USERNAME}, got ${name}`);
  check(!(await page.isVisible('a.nav-item[href="/admin"]')), 'a new OIDC user is no admin');
  await shot(page, '10-oidc-signed-in');
  await context.close();
}

// --- run ------------------------------------------------------------------------------------------

const browser = await launch(CHROMIUM);
let failed = null;
const steps = stepper();
try {
  const { step } = steps;
  // The clipboard, for the share link's Copy button.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  seen.watch(page);
  await step('the sign-in page', () => signInPage(page));
  await step('a wrong password', () => wrongPassword(page));
  await step('signing in', () => signIn(page));
  await step('chatting on the session', () => chat(page));
  await step('API keys: create, shown once, revoke', () => apiKeys(page));
  await step('settings on the server, and usage', () => settingsAndUsage(page));
  await step("the conversation panel and the user's defaults", () => panelDefaults(page));
  await step('sharing a collection with a user', () => shareCollection(page));
  const { id, link } = await step('sharing a conversation with a link', () => shareConversation(page));
  const viewer = await step('the link, opened by another user', () => openSharedLink(browser, link, id));
  await step('the link, live', () => sharedLive(page, viewer.page));
  await step('stop sharing', () => stopSharing(page, viewer.page, link));
  await step('a collection shared with the user', () => sharedCollection(viewer.page));
  await viewer.context.close();
  seen.lastPage = page;
  await step('admin: users', () => adminUsers(page));
  await step('admin: groups and quotas', () => adminGroupsAndQuotas(page));
  await step('admin: the audit trail', () => adminAudit(page));
  await step('sign out', () => signOut(page));
  await context.close();
  if (OIDC_NAME) await step('sign in with OIDC', () => oidc(browser));
  steps.current = 'final checks';
  check(seen.dialogs.length === 0, `a dialog opened: ${seen.dialogs.join('; ')}`);
  check(seen.foreignRequests.length === 0, `requests left the machine: ${seen.foreignRequests.join(', ')}`);
  check(seen.pageErrors.length === 0, `the page threw: ${seen.pageErrors.join('; ')}`);
} catch (error) {
  failed = error;
  await seen.lastPage?.screenshot({ path: join(SHOTS, 'accounts-failure.png') }).catch(() => {});
} finally {
  await browser.close().catch(() => {});
  await llm.reset();
}

finish(results, failed, steps.current, SHOTS);
log(`accounts e2e passed; screenshots in ${SHOTS}`);
