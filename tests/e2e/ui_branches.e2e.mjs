// End-to-end test of the browser UI's conversation tree: a real Chromium against a running
// `vega serve` in front of the fake LLM server (tests/fakes/llm_server.py), whose model
// numbers its replies ("Reply 3 to: <the question>"). tests/e2e/test_ui_branches.py makes
// a conversation of two exchanges through the API (its first question, and so its first
// answer, carry a hostile `<img src=x onerror=...>`); this script regenerates, edits and
// pages between the versions, and checks what the view shows after each.
//
//   VEGA_URL=http://127.0.0.1:8000 VEGA_KEY=... CONVERSATION_ID=... FIRST=... SECOND=... \
//   EDITED_FIRST=... EDITED_SECOND=... SCREENSHOT_DIR=tests/e2e/screenshots \
//   node tests/e2e/ui_branches.e2e.mjs
//
// VEGA_URL          the server (it serves the built UI at /)
// VEGA_KEY          its API key
// CONVERSATION_ID   the conversation: FIRST, its answer, SECOND, its answer
// FIRST, SECOND     its two questions
// EDITED_FIRST      what the first question is edited to (over the WebSocket)
// EDITED_SECOND     what the second question is edited to (over the SSE fallback)
// SCREENSHOT_DIR    where to save screenshots (default tests/e2e/screenshots)
// CHROMIUM          the browser binary (default /usr/bin/chromium)
//
// Prints one JSON object on stdout (with the answers the edits and Regenerate got);
// progress goes to stderr. Exits 1 with the step and reason on the first failure (plus
// failure.png).

import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDone, check, composer, finish, lastAnswer, launch, stepper, watcher } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const VEGA_URL = (process.env.VEGA_URL ?? '').replace(/\/$/, '');
const VEGA_KEY = process.env.VEGA_KEY ?? '';
const CONVERSATION_ID = process.env.CONVERSATION_ID ?? '';
const FIRST = process.env.FIRST ?? '';
const SECOND = process.env.SECOND ?? '';
const EDITED_FIRST = process.env.EDITED_FIRST ?? '';
const EDITED_SECOND = process.env.EDITED_SECOND ?? '';
const SHOTS = resolve(process.env.SCREENSHOT_DIR ?? join(here, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

for (const [name, value] of Object.entries({ VEGA_URL, VEGA_KEY, CONVERSATION_ID, FIRST, SECOND, EDITED_FIRST, EDITED_SECOND })) {
  if (!value) {
    console.error(`e2e: set ${name} (see the header of ${fileURLToPath(import.meta.url)})`);
    process.exit(2);
  }
}
mkdirSync(SHOTS, { recursive: true });
rmSync(join(SHOTS, 'failure.png'), { force: true });

const results = {};
const CHAT_PATH = `/c/${encodeURIComponent(CONVERSATION_ID)}`;
const FIRST_ANSWER = `Reply 1 to: ${FIRST}`;
const SECOND_ANSWER = `Reply 2 to: ${SECOND}`;
const REPLY = /^Reply \d+ to: /;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', new URL(VEGA_URL).hostname]);
const seen = watcher(LOCAL_HOSTS);
const { dialogs, foreignRequests, pageErrors, watch } = seen;

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function api(path, init = {}) {
  const response = await fetch(`${VEGA_URL}${path}`, { ...init, headers: { 'X-API-Key': VEGA_KEY, ...(init.headers ?? {}) } });
  const text = await response.text();
  check(response.ok, `${init.method ?? 'GET'} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

const stored = () => api(`/conversations/${encodeURIComponent(CONVERSATION_ID)}`);

/** What the conversation view shows: each message's role, text, pager and Edit button. */
function shown(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.chat-column .message')].map((el) => {
      const user = el.classList.contains('user');
      return {
        role: user ? 'user' : el.classList.contains('assistant') ? 'assistant' : 'other',
        text: ((user ? el.querySelector('.bubble') : el.querySelector('.markdown'))?.textContent ?? '').trim(),
        version: el.querySelector('.version-count')?.textContent ?? null,
        edit: Boolean(el.querySelector('button[aria-label="Edit message"]')),
        streaming: el.classList.contains('streaming'),
      };
    }),
  );
}

/**
 * Wait until the view shows `expected`: one [role, text, version] per message (text a
 * string or a RegExp; version the pager's "2 / 2", or null for none). Returns the view.
 */
async function expectShown(page, expected, where, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  let view = [];
  const fits = () =>
    view.length === expected.length &&
    view.every((m, i) => {
      const [role, text, version] = expected[i];
      return m.role === role && !m.streaming && (text instanceof RegExp ? text.test(m.text) : m.text === text) && m.version === version;
    });
  for (;;) {
    view = await shown(page);
    if (fits()) return view;
    if (Date.now() > deadline) break;
    await page.waitForTimeout(100);
  }
  const want = expected.map(([role, text, version]) => [role, String(text), version]);
  const got = view.map((m) => [m.role, m.text, m.version, m.streaming ? 'streaming' : '']);
  check(false, `${where}: the view should show ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  return view;
}

/** The pager's button on the message at `index` of the view (`.message`, in order). */
const pagerButton = (index, label) => `.chat-column .message >> nth=${index} >> button[aria-label="${label}"]`;

/** Nothing that came from the model or the user is live HTML; window.__pwned never set. */
async function inert(page, where) {
  await page.waitForTimeout(500); // time for an onerror to fire, if anything were live
  const bad = await page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('.chat-column .message *')) {
      for (const attr of el.attributes) if (attr.name.startsWith('on')) found.push(`${el.tagName} ${attr.name}`);
    }
    for (const tag of ['img', 'script', 'iframe']) if (document.querySelector(`.chat-column .message ${tag}`)) found.push(`<${tag}>`);
    return found;
  });
  check(bad.length === 0, `${where}: content was rendered as HTML: ${bad.join(', ')}`);
  check((await page.evaluate(() => window.__pwned)) === undefined, `${where}: window.__pwned was set`);
  check(dialogs.length === 0, `${where}: a dialog opened: ${dialogs.join('; ')}`);
}

/** Edit the user message at `index` of the view to `text`, with the editor's Save. */
async function editQuestion(page, index, text) {
  const question = `.chat-column .message >> nth=${index}`;
  await page.click(`${question} >> button[aria-label="Edit message"]`);
  const field = '.message.user.editing textarea';
  await page.waitForSelector(field);
  await page.fill(field, text);
  await page.click('.message.user.editing button[type=submit]:has-text("Save")');
}

// --- steps ----------------------------------------------------------------------------

async function openApp(browser, { sseOnly = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript((key) => sessionStorage.setItem('vega.apiKey', key), VEGA_KEY);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watch(page);
  // Which turns went over the WebSocket, and with what: its `message` frames.
  const frames = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', ({ payload }) => {
      try {
        const frame = JSON.parse(String(payload));
        if (frame.type === 'message') frames.push(frame);
      } catch {
        /* not JSON */
      }
    }),
  );
  if (sseOnly) await page.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
  await page.goto(VEGA_URL + CHAT_PATH);
  await page.waitForSelector(composer);
  return { context, page, frames };
}

async function stored2(page) {
  const view = await expectShown(
    page,
    [
      ['user', FIRST, null],
      ['assistant', FIRST_ANSWER, null],
      ['user', SECOND, null],
      ['assistant', SECOND_ANSWER, null],
    ],
    'the stored conversation',
  );
  check(view.filter((m) => m.edit).length === 2, `both questions should have Edit: ${JSON.stringify(view)}`);
  await shot(page, 'branches-01-stored');
}

async function regenerate(page) {
  // While it streams (watched on every frame): no Edit, and the pager's arrows are off.
  await page.evaluate(() => {
    const seen = { streaming: 0, edit: 0, pagerOn: 0, stop: false };
    window.__whileStreaming = seen;
    const tick = () => {
      if (document.querySelector('.message.assistant.streaming')) {
        seen.streaming++;
        if (document.querySelector('button[aria-label="Edit message"]')) seen.edit++;
        if (document.querySelector('.version-pager button:not([disabled])')) seen.pagerOn++;
      }
      if (!seen.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.click(`${lastAnswer} >> button[aria-label="Regenerate answer"]`);
  await answerDone(page);
  const view = await expectShown(
    page,
    [
      ['user', FIRST, null],
      ['assistant', FIRST_ANSWER, null],
      ['user', SECOND, null],
      ['assistant', REPLY, '2 / 2'],
    ],
    'after Regenerate',
  );
  const watched = await page.evaluate(() => {
    window.__whileStreaming.stop = true;
    return window.__whileStreaming;
  });
  check(watched.streaming > 0, 'the new answer should stream');
  check(watched.edit === 0 && watched.pagerOn === 0, `no Edit, no pager while a reply streams: ${JSON.stringify(watched)}`);
  const answer = view[3].text;
  check(answer !== SECOND_ANSWER && answer.endsWith(`to: ${SECOND}`), `Regenerate should give a new answer, got "${answer}"`);
  check(await page.isDisabled(pagerButton(3, 'Next version')), 'the newest version should have no next');
  results.regenerated = true;
  results.regenerated_answer = answer;
  await shot(page, 'branches-02-regenerated');
  return answer;
}

async function previousAnswer(page, regenerated) {
  const put = page.waitForResponse((r) => r.url().endsWith('/branch') && r.request().method() === 'PUT');
  await page.click(pagerButton(3, 'Previous version'));
  const response = await put;
  check(response.status() === 200, `PUT …/branch answered ${response.status()}`);
  await expectShown(
    page,
    [
      ['user', FIRST, null],
      ['assistant', FIRST_ANSWER, null],
      ['user', SECOND, null],
      ['assistant', SECOND_ANSWER, '1 / 2'],
    ],
    'the previous version of the answer',
  );
  const conversation = await stored();
  check(conversation.messages.at(-1).content === SECOND_ANSWER, 'the server should show the first answer now');
  check(
    conversation.branches.some((m) => m.content === regenerated),
    `the regenerated answer should be in branches: ${JSON.stringify(conversation.branches.map((m) => m.content))}`,
  );
  // And forth again, then back: the arrows walk the versions.
  await page.click(pagerButton(3, 'Next version'));
  await expectShown(page, [['user', FIRST, null], ['assistant', FIRST_ANSWER, null], ['user', SECOND, null], ['assistant', regenerated, '2 / 2']], 'next version');
  await page.click(pagerButton(3, 'Previous version'));
  await expectShown(page, [['user', FIRST, null], ['assistant', FIRST_ANSWER, null], ['user', SECOND, null], ['assistant', SECOND_ANSWER, '1 / 2']], 'back again');
  results.previous_answer = true;
  await shot(page, 'branches-03-previous-answer');
}

async function editOverWS(page, frames) {
  const before = frames.length;
  await editQuestion(page, 0, EDITED_FIRST);
  // The view: the new question and its answer streaming in, the old branch gone from it.
  await page.waitForSelector(`.message.user .bubble:has-text("${EDITED_FIRST}")`);
  const view = await expectShown(page, [['user', EDITED_FIRST, '2 / 2'], ['assistant', REPLY, null]], 'after the edit (WebSocket)');
  const answer = view[1].text;
  check(answer.endsWith(`to: ${EDITED_FIRST}`), `the edited question should be answered, got "${answer}"`);
  const sent = frames.slice(before);
  check(sent.length === 1, `one message frame should go over the WebSocket, saw ${JSON.stringify(sent)}`);
  const conversation = await stored();
  const original = [...conversation.messages, ...conversation.branches].find((m) => m.content === FIRST);
  check(sent[0].edit === original?.id && sent[0].content === EDITED_FIRST, `the frame should edit the first question: ${JSON.stringify(sent[0])}`);
  check(view[0].edit, 'the new question can be edited too');
  results.edited_over_ws = true;
  results.ws_answer = answer;
  await shot(page, 'branches-04-edited');
}

async function oldBranch(page, regenerated) {
  await page.click(pagerButton(0, 'Previous version'));
  // The old branch, down to its latest continuation (the regenerated answer is the newest).
  await expectShown(
    page,
    [
      ['user', FIRST, '1 / 2'],
      ['assistant', FIRST_ANSWER, null],
      ['user', SECOND, null],
      ['assistant', regenerated, '2 / 2'],
    ],
    'the old branch again',
  );
  await page.click(pagerButton(3, 'Previous version'));
  await expectShown(
    page,
    [
      ['user', FIRST, '1 / 2'],
      ['assistant', FIRST_ANSWER, null],
      ['user', SECOND, null],
      ['assistant', SECOND_ANSWER, '1 / 2'],
    ],
    'the old branch, its first answer',
  );
  results.old_branch_again = true;
  // The hostile text of that branch (in the question and in the answer that repeats it) is text.
  const text = await page.textContent('.chat-column .message >> nth=1 >> .markdown');
  check(text?.includes('<img src=x onerror="window.__pwned=1">'), `the hostile part should show literally: ${text}`);
  await inert(page, 'the old branch');
  results.hostile_inert = true;
  await shot(page, 'branches-05-old-branch');
}

async function afterReload(page) {
  await page.reload();
  await page.waitForSelector(composer);
  await expectShown(
    page,
    [
      ['user', FIRST, '1 / 2'],
      ['assistant', FIRST_ANSWER, null],
      ['user', SECOND, null],
      ['assistant', SECOND_ANSWER, '1 / 2'],
    ],
    'after a reload',
  );
  await inert(page, 'after a reload');
  results.branch_after_reload = true;
}

/** Edit the second question with the WebSocket refused: over SSE, with `edit` in the body. */
async function editOverSSE(browser) {
  const { context, page, frames } = await openApp(browser, { sseOnly: true });
  await expectShown(page, [['user', FIRST, '1 / 2'], ['assistant', FIRST_ANSWER, null], ['user', SECOND, null], ['assistant', SECOND_ANSWER, '1 / 2']], 'over SSE, before');
  const posted = page.waitForRequest((r) => r.url().endsWith('/chat/sse') && r.method() === 'POST');
  await editQuestion(page, 2, EDITED_SECOND);
  const body = JSON.parse((await posted).postData() ?? '{}');
  const conversation = await stored();
  const second = [...conversation.messages, ...conversation.branches].find((m) => m.content === SECOND);
  check(body.edit === second?.id && body.prompt === EDITED_SECOND && body.session_id === CONVERSATION_ID, `the SSE body should edit the second question: ${JSON.stringify(body)}`);
  const view = await expectShown(
    page,
    [
      ['user', FIRST, '1 / 2'],
      ['assistant', FIRST_ANSWER, null],
      ['user', EDITED_SECOND, '2 / 2'],
      ['assistant', REPLY, null],
    ],
    'after the edit (SSE)',
  );
  check(view[3].text.endsWith(`to: ${EDITED_SECOND}`), `the edited question should be answered, got "${view[3].text}"`);
  check(frames.length === 0, `nothing should go over the WebSocket: ${JSON.stringify(frames)}`);
  // Its pager reaches the question it replaced, with the answers below it.
  await page.click(pagerButton(2, 'Previous version'));
  await expectShown(page, [['user', FIRST, '1 / 2'], ['assistant', FIRST_ANSWER, null], ['user', SECOND, '1 / 2'], ['assistant', REPLY, '2 / 2']], 'over SSE, the replaced question');
  await page.click(pagerButton(2, 'Next version'));
  await expectShown(page, [['user', FIRST, '1 / 2'], ['assistant', FIRST_ANSWER, null], ['user', EDITED_SECOND, '2 / 2'], ['assistant', view[3].text, null]], 'over SSE, back');
  await inert(page, 'over SSE');
  results.edited_over_sse = true;
  results.sse_answer = view[3].text;
  await shot(page, 'branches-06-edited-over-sse');
  await context.close();
}

/** The conversation's read-only link: its active path, without Edit or a pager. */
async function sharedPage(page) {
  const link = await api(`/conversations/${encodeURIComponent(CONVERSATION_ID)}/share`, { method: 'POST' });
  const conversation = await stored();
  await page.goto(VEGA_URL + link.url);
  await page.waitForSelector('.shared-banner:has-text("read-only")');
  await page.waitForFunction((n) => document.querySelectorAll('.message').length === n, conversation.messages.length);
  check((await page.locator('button[aria-label="Edit message"]').count()) === 0, 'a shared page should have no Edit button');
  check((await page.locator('.version-pager').count()) === 0, 'a shared page should have no version pager');
  await inert(page, 'shared page');
  results.not_on_shared_page = true;
  await shot(page, 'branches-07-shared');
  const withdrawn = await fetch(`${VEGA_URL}/conversations/${encodeURIComponent(CONVERSATION_ID)}/share`, { method: 'DELETE', headers: { 'X-API-Key': VEGA_KEY } });
  check(withdrawn.status === 204, `withdrawing the link answered ${withdrawn.status}`);
}

// --- run ------------------------------------------------------------------------------

const browser = await launch(CHROMIUM);
let failed = null;
const runner = stepper();
try {
  const { step } = runner;
  const { context, page, frames } = await openApp(browser);
  await step('the stored conversation, no pager', () => stored2(page));
  const regenerated = await step('regenerate: "2 / 2" on the answer', () => regenerate(page));
  await step('the previous version of the answer', () => previousAnswer(page, regenerated));
  await step('edit the first question (WebSocket)', () => editOverWS(page, frames));
  await step('back to the old branch, its text inert', () => oldBranch(page, regenerated));
  await step('the chosen branch after a reload', () => afterReload(page));
  await step('edit over the SSE fallback', () => editOverSSE(browser));
  await step('not on the shared (read-only) page', () => sharedPage(page));
  runner.current = 'final checks';
  check(dialogs.length === 0, `a dialog opened: ${dialogs.join('; ')}`);
  check(foreignRequests.length === 0, `requests left the machine: ${foreignRequests.join(', ')}`);
  check(pageErrors.length === 0, `the page threw: ${pageErrors.join('; ')}`);
  await context.close();
} catch (error) {
  failed = error;
  await seen.lastPage?.screenshot({ path: join(SHOTS, 'failure.png') }).catch(() => {});
} finally {
  await browser.close().catch(() => {});
}

finish(results, failed, runner.current, SHOTS);
console.error(`e2e passed; screenshots in ${SHOTS}`);
