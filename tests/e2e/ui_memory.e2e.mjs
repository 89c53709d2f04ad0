// End-to-end test of the browser UI's memory: a real Chromium against a running
// `vega serve` (VEGA_MEMORY=true, VEGA_MEMORY_MIN_SIMILARITY=-1) in front of the fake LLM
// server (tests/fakes/llm_server.py). What is said in one conversation is recalled into a
// turn of another, and shown under its answer.
//
//   VEGA_URL=http://127.0.0.1:8000 VEGA_KEY=... FAKE_LLM_URL=http://127.0.0.1:11435 \
//   SCREENSHOT_DIR=tests/e2e/screenshots node tests/e2e/ui_memory.e2e.mjs
//
// VEGA_URL        the server (it serves the built UI at /), memory on
// VEGA_KEY        its API key
// FAKE_LLM_URL    the fake LLM server Vega talks to (Ollama protocol)
// SCREENSHOT_DIR  where to save screenshots (default tests/e2e/screenshots)
// CHROMIUM        the browser binary (default /usr/bin/chromium)
//
// Prints one JSON object on stdout; progress goes to stderr. Exits 1 with the step and
// reason on the first failure (plus failure.png). tests/e2e/test_ui_memory.py runs it.

import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDone, check, composer, fakeLLM, finish, lastAnswer, launch, log, send, stepper, watcher } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const VEGA_URL = (process.env.VEGA_URL ?? '').replace(/\/$/, '');
const VEGA_KEY = process.env.VEGA_KEY ?? '';
const FAKE_URL = (process.env.FAKE_LLM_URL ?? '').replace(/\/$/, '');
const SHOTS = resolve(process.env.SCREENSHOT_DIR ?? join(here, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

for (const [name, value] of Object.entries({ VEGA_URL, VEGA_KEY, FAKE_LLM_URL: FAKE_URL })) {
  if (!value) {
    console.error(`e2e: set ${name} (see the header of ${fileURLToPath(import.meta.url)})`);
    process.exit(2);
  }
}
mkdirSync(SHOTS, { recursive: true });
rmSync(join(SHOTS, 'failure.png'), { force: true });

const results = {};
const llm = fakeLLM(FAKE_URL);

const FACT = 'My sister Priya moved to Lisbon';
const QUESTION = 'Where does my sister live?';
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_FACT = `${HOSTILE} My cousin Tomas lives in Porto`;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', new URL(VEGA_URL).hostname]);
const seen = watcher(LOCAL_HOSTS);
const { dialogs, foreignRequests, pageErrors, watch } = seen;

const memories = `${lastAnswer} >> .memories`;
const memoriesToggle = `${lastAnswer} >> button.memories-toggle`;
const memoryItem = `${lastAnswer} >> .memory-item`;

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function api(path, init = {}) {
  const response = await fetch(`${VEGA_URL}${path}`, { ...init, headers: { 'X-API-Key': VEGA_KEY, ...(init.headers ?? {}) } });
  const text = await response.text();
  check(response.ok, `${init.method ?? 'GET'} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** GET /memories until one from `conversationId` is found (indexing runs in the background). */
async function indexed(q, conversationId, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    last = await api(`/memories?q=${encodeURIComponent(q)}&top_k=20`);
    const found = last.memories.filter((m) => m.conversation_id === conversationId);
    if (found.length > 0) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nothing from ${conversationId} was indexed for "${q}" in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

const conversationIdOf = (url) => decodeURIComponent(new URL(url).pathname.replace(/^\/c\//, ''));

async function newChat(page) {
  await page.click('button.new-chat');
  await page.waitForSelector('.empty h2');
}

/** Tell Vega something in a new conversation; its id once the answer is stored. */
async function tell(page, text, reply) {
  await newChat(page);
  await llm.script({ reply, token_delay_s: 0.01 });
  await send(page, text);
  await answerDone(page);
  await page.waitForURL(/\/c\/[^/]+$/);
  return conversationIdOf(page.url());
}

/** The memories shown under the last answer (opening the list if it is closed). */
async function shownMemories(page) {
  if ((await page.getAttribute(memoriesToggle, 'aria-expanded')) !== 'true') await page.click(memoriesToggle);
  await page.waitForSelector(memoryItem);
  return page.evaluate(() => {
    const answers = document.querySelectorAll('.message.assistant');
    const last = answers[answers.length - 1];
    return [...(last?.querySelectorAll('.memory-item') ?? [])].map((li) => ({
      id: li.getAttribute('data-memory-id'),
      title: li.querySelector('.memory-title')?.textContent ?? '',
      href: li.querySelector('a.memory-title')?.getAttribute('href') ?? null,
      date: li.querySelector('.memory-date')?.textContent ?? '',
      snippet: li.querySelector('.memory-snippet')?.textContent ?? '',
    }));
  });
}

/** Everything inside the last answer's memories block that would be live HTML. */
async function liveMarkup(page) {
  return page.evaluate(() => {
    const answers = document.querySelectorAll('.message.assistant');
    const block = answers[answers.length - 1]?.querySelector('.memories');
    if (!block) return { bad: ['no memories block'], text: '' };
    const bad = [];
    for (const el of block.querySelectorAll('*')) {
      for (const attr of el.attributes) if (attr.name.startsWith('on')) bad.push(`${el.tagName} ${attr.name}`);
    }
    for (const tag of ['img', 'script', 'iframe']) if (block.querySelector(tag)) bad.push(`<${tag}>`);
    return { bad, text: block.textContent ?? '' };
  });
}

function checkSummary(summary, conversations) {
  const expected = conversations === 1 ? 'Remembered from 1 earlier conversation' : `Remembered from ${conversations} earlier conversations`;
  check(summary === expected, `the memories line should say "${expected}", got "${summary}"`);
}

// --- steps ----------------------------------------------------------------------------

async function openApp(browser, { sseOnly = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript((key) => sessionStorage.setItem('vega.apiKey', key), VEGA_KEY);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watch(page);
  if (sseOnly) await page.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
  await page.goto(VEGA_URL + '/');
  await page.waitForSelector(composer);
  return { context, page };
}

async function tellTheFact(page) {
  const id = await tell(page, FACT, 'Noted: Priya lives in Lisbon now.');
  check((await page.locator(memories).count()) === 0, 'the first conversation recalls nothing');
  const found = await indexed('Priya', id);
  log(`indexed: ${found.length} memories of ${id}`);
  return { id, url: page.url() };
}

async function recallLive(page, first) {
  await newChat(page);
  // The answer waits a little, so the memories line can be seen while it streams.
  await llm.script({ reply: 'Your sister Priya lives in Lisbon.', first_token_delay_s: 1.5, token_delay_s: 0.03 });
  await send(page, QUESTION);
  await page.waitForSelector('.message.assistant.streaming button.memories-toggle');
  const live = (await page.textContent('.message.assistant.streaming button.memories-toggle')) ?? '';
  checkSummary(live, 1);
  results.memories_live = true;
  await shot(page, 'memory-01-streaming');
  await answerDone(page);
  const answer = (await page.textContent(`${lastAnswer} >> .markdown`)) ?? '';
  check(answer.includes('Lisbon'), `the answer should follow, got: ${answer}`);
  // The model was given what was remembered.
  const state = await llm.state();
  const chat = state.requests.filter((r) => r.path === '/api/chat').map((r) => JSON.stringify(r.body?.messages ?? []));
  check(chat.some((messages) => messages.includes('Priya moved to Lisbon')), 'the model should be given the remembered exchange');

  check((await page.getAttribute(memoriesToggle, 'aria-expanded')) === 'false', 'the memories line should start collapsed');
  const items = await shownMemories(page);
  check((await page.getAttribute(memoriesToggle, 'aria-expanded')) === 'true', 'the toggle should say it is open');
  check(items.length >= 1, 'at least one memory expected');
  const mine = items.filter((m) => m.title === FACT);
  check(mine.length === items.length, `every memory should be from "${FACT}", got ${JSON.stringify(items)}`);
  for (const m of items) {
    check(m.href === `/c/${encodeURIComponent(first.id)}`, `the title should link to the first conversation, got ${m.href}`);
    check(/\d/.test(m.date), `each memory should show its date, got "${m.date}"`);
    check(m.snippet.length > 0, 'each memory should show a snippet');
  }
  check(
    items.some((m) => m.snippet.includes('Priya moved to Lisbon')),
    `a snippet should show what was said, got ${JSON.stringify(items.map((m) => m.snippet))}`,
  );
  await shot(page, 'memory-02-open');
  return { url: page.url(), id: conversationIdOf(page.url()), count: items.length };
}

async function openTheConversation(page, first) {
  await page.evaluate(() => {
    window.__samePage = true;
  });
  await page.click(`${memoryItem} >> nth=0 >> a.memory-title`);
  await page.waitForURL(first.url);
  await page.waitForSelector(`.message.user:has-text("${FACT}")`);
  check((await page.evaluate(() => window.__samePage)) === true, 'the conversation should open in the app, without a page load');
  check(
    (await page.getAttribute(`a.conversation-link[href="${new URL(first.url).pathname}"]`, 'aria-current')) === 'page',
    'the sidebar should mark the opened conversation',
  );
  results.opened_by_link = true;
  await shot(page, 'memory-03-opened');
}

async function afterReload(page, second) {
  await page.goto(second.url);
  await page.waitForSelector(`.message.user:has-text("${QUESTION}")`);
  await page.waitForSelector(memoriesToggle);
  checkSummary((await page.textContent(memoriesToggle)) ?? '', 1);
  const items = await shownMemories(page);
  check(items.length === second.count, `the stored answer should show the same ${second.count} memories, got ${items.length}`);
  check(items.every((m) => m.title === FACT), `the stored memories should name the first conversation: ${JSON.stringify(items)}`);
  results.memories_after_reload = true;
  return items;
}

async function forgetOne(page, items) {
  const target = items[0];
  const before = (await api('/memories?q=Priya&top_k=50')).memories.map((m) => m.id);
  check(before.includes(target.id), `GET /memories should find ${target.id} before it is forgotten: ${before}`);
  const deleted = page.waitForResponse((r) => r.url().endsWith(`/memories/${encodeURIComponent(target.id)}`) && r.request().method() === 'DELETE');
  await page.click(`${lastAnswer} >> .memory-item[data-memory-id="${target.id}"] >> button.memory-forget`);
  check((await deleted).status() === 204, 'DELETE /memories/{id} should answer 204');
  await page.waitForSelector(`${lastAnswer} >> .memory-item[data-memory-id="${target.id}"]`, { state: 'detached' });
  if (items.length > 1) {
    check((await page.locator(memoryItem).count()) === items.length - 1, 'only the forgotten memory should go');
  } else {
    check((await page.locator(memories).count()) === 0, 'the line should go with the last memory');
  }
  const after = (await api('/memories?q=Priya&top_k=50')).memories.map((m) => m.id);
  check(!after.includes(target.id), `GET /memories should no longer return ${target.id}: ${after}`);
  results.forgotten = true;
  await shot(page, 'memory-04-forgotten');
}

async function hostile(page) {
  const id = await tell(page, HOSTILE_FACT, 'Noted.');
  await indexed('Tomas Porto', id);
  await newChat(page);
  await llm.script({ reply: 'Your cousin Tomas lives in Porto.', token_delay_s: 0.01 });
  await send(page, 'Where does my cousin live?');
  await answerDone(page);
  await page.waitForSelector(memoriesToggle);
  const inspect = async (where) => {
    const items = await shownMemories(page);
    const it = items.find((m) => m.title === HOSTILE_FACT);
    check(it, `${where}: the hostile conversation's title should show literally, got ${JSON.stringify(items.map((m) => m.title))}`);
    check(items.some((m) => m.snippet.includes(HOSTILE)), `${where}: the hostile text should show literally`);
    await page.waitForTimeout(800); // time for an onerror to fire, if anything were live
    const found = await liveMarkup(page);
    check(found.bad.length === 0, `${where}: memory text was rendered as HTML: ${found.bad.join(', ')}`);
    check(found.text.includes(HOSTILE), `${where}: the block should hold the hostile text as text`);
    check((await page.evaluate(() => window.__pwned)) === undefined, `${where}: window.__pwned was set`);
    check(dialogs.length === 0, `${where}: a dialog opened: ${dialogs.join('; ')}`);
  };
  await inspect('live');
  await shot(page, 'memory-05-hostile');
  await page.reload();
  await page.waitForSelector(memoriesToggle);
  await inspect('stored');
  results.hostile_inert = true;
}

/** The memories line over the SSE fallback (the WebSocket refused). */
async function overSSE(browser) {
  const { context, page } = await openApp(browser, { sseOnly: true });
  const streamed = page.waitForResponse((r) => r.url().endsWith('/chat/sse'));
  // (The server holds the response's start until the first token: the `memories` event
  // comes with it, so the line is checked once the answer is done.)
  await llm.script({ reply: 'In Lisbon.', token_delay_s: 0.02 });
  await send(page, 'And where is Priya these days?');
  const body = await (await streamed).text();
  check(/^event: memories$/m.test(body), `the SSE stream should carry a memories event: ${body.slice(0, 400)}`);
  check(body.indexOf('event: memories') < body.indexOf('event: token'), 'the memories event should come before the first token');
  await answerDone(page);
  await page.waitForSelector(memoriesToggle);
  const items = await shownMemories(page);
  check(items.length > 0 && items.every((m) => m.title), `memories expected over SSE: ${JSON.stringify(items)}`);
  results.memories_over_sse = true;
  await context.close();
}

// --- run ------------------------------------------------------------------------------

const browser = await launch(CHROMIUM);
let failed = null;
const runner = stepper();
try {
  const { step } = runner;
  const { context, page } = await openApp(browser);
  const first = await step('say something in one conversation, and wait until it is indexed', () => tellTheFact(page));
  const second = await step('ask in another: the memories line streams in, and opens', () => recallLive(page, first));
  await step("a memory's title opens its conversation", () => openTheConversation(page, first));
  const items = await step('the memories again after a reload', () => afterReload(page, second));
  await step('Forget one', () => forgetOne(page, items));
  await step('a hostile title and text stay text', () => hostile(page));
  await step('memories over the SSE fallback', () => overSSE(browser));
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
  await llm.reset();
}

finish(results, failed, runner.current, SHOTS);
console.error(`e2e passed; screenshots in ${SHOTS}`);
