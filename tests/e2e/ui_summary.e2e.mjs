// End-to-end test of the browser UI's conversation summaries: a real Chromium against a
// running `vega serve` (VEGA_MEMORY=true, VEGA_HISTORY_TURNS=1) in front of the fake LLM
// server (tests/fakes/llm_server.py), whose model writes summaries recognisably (with a
// hostile `<img src=x onerror=...>` in them). tests/e2e/test_ui_summary.py makes a long
// conversation through the API and waits until its earlier turns are summarised; this
// script opens it, sends one more message, and checks the summary line under the answers.
//
//   VEGA_URL=http://127.0.0.1:8000 VEGA_KEY=... FAKE_LLM_URL=http://127.0.0.1:11435 \
//   CONVERSATION_ID=... SUMMARY_MARK=... SUMMARY_MESSAGES=10 \
//   SCREENSHOT_DIR=tests/e2e/screenshots node tests/e2e/ui_summary.e2e.mjs
//
// VEGA_URL          the server (it serves the built UI at /), memory on, one recent turn
// VEGA_KEY          its API key
// FAKE_LLM_URL      the fake LLM server Vega talks to (Ollama protocol); only read here:
//                   its reply function (set by the Python test) must stay
// CONVERSATION_ID   a conversation whose earlier turns are summarised already
// SUMMARY_MARK      what the summary's text holds
// SUMMARY_MESSAGES  how many messages it stands for
// SCREENSHOT_DIR    where to save screenshots (default tests/e2e/screenshots)
// CHROMIUM          the browser binary (default /usr/bin/chromium)
//
// Prints one JSON object on stdout; progress goes to stderr. Exits 1 with the step and
// reason on the first failure (plus failure.png).

import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDone, check, composer, fakeLLM, finish, lastAnswer, launch, send, stepper, watcher } from './browser.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const VEGA_URL = (process.env.VEGA_URL ?? '').replace(/\/$/, '');
const VEGA_KEY = process.env.VEGA_KEY ?? '';
const FAKE_URL = (process.env.FAKE_LLM_URL ?? '').replace(/\/$/, '');
const CONVERSATION_ID = process.env.CONVERSATION_ID ?? '';
const MARK = process.env.SUMMARY_MARK ?? '';
const MESSAGES = Number(process.env.SUMMARY_MESSAGES ?? '0');
const SHOTS = resolve(process.env.SCREENSHOT_DIR ?? join(here, 'screenshots'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

for (const [name, value] of Object.entries({ VEGA_URL, VEGA_KEY, FAKE_LLM_URL: FAKE_URL, CONVERSATION_ID, SUMMARY_MARK: MARK })) {
  if (!value) {
    console.error(`e2e: set ${name} (see the header of ${fileURLToPath(import.meta.url)})`);
    process.exit(2);
  }
}
mkdirSync(SHOTS, { recursive: true });
rmSync(join(SHOTS, 'failure.png'), { force: true });

const results = {};
const llm = fakeLLM(FAKE_URL); // read only: scripting it would reset the reply function
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const LINE = `Earlier in this conversation: ${MESSAGES} messages summarised`;
const CHAT_PATH = `/c/${encodeURIComponent(CONVERSATION_ID)}`;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', new URL(VEGA_URL).hostname]);
const seen = watcher(LOCAL_HOSTS);
const { dialogs, foreignRequests, pageErrors, watch } = seen;

const summaryToggle = `${lastAnswer} >> button.summary-toggle`;

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function api(path, init = {}) {
  const response = await fetch(`${VEGA_URL}${path}`, { ...init, headers: { 'X-API-Key': VEGA_KEY, ...(init.headers ?? {}) } });
  const text = await response.text();
  check(response.ok, `${init.method ?? 'GET'} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** The last answer's summary block: its line, and (opening it if closed) span and text. */
async function shownSummary(page) {
  await page.waitForSelector(summaryToggle);
  const line = (await page.textContent(summaryToggle)) ?? '';
  const wasOpen = (await page.getAttribute(summaryToggle, 'aria-expanded')) === 'true';
  if (!wasOpen) await page.click(summaryToggle);
  await page.waitForSelector(`${lastAnswer} >> .summary-body`);
  const inside = await page.evaluate(() => {
    const answers = document.querySelectorAll('.message.assistant');
    const block = answers[answers.length - 1]?.querySelector('.conversation-summary');
    return {
      expanded: block?.querySelector('button.summary-toggle')?.getAttribute('aria-expanded') ?? null,
      from: block?.querySelector('.summary-from')?.textContent ?? '',
      fromIso: block?.querySelector('.summary-from')?.getAttribute('datetime') ?? '',
      to: block?.querySelector('.summary-to')?.textContent ?? '',
      toIso: block?.querySelector('.summary-to')?.getAttribute('datetime') ?? '',
      text: block?.querySelector('.summary-text')?.textContent ?? '',
    };
  });
  return { line, wasOpen, ...inside };
}

/** Everything inside the last answer's summary block that would be live HTML. */
async function liveMarkup(page) {
  return page.evaluate(() => {
    const answers = document.querySelectorAll('.message.assistant');
    const block = answers[answers.length - 1]?.querySelector('.conversation-summary');
    if (!block) return { bad: ['no summary block'], text: '' };
    const bad = [];
    for (const el of block.querySelectorAll('*')) {
      for (const attr of el.attributes) if (attr.name.startsWith('on')) bad.push(`${el.tagName} ${attr.name}`);
    }
    for (const tag of ['img', 'script', 'iframe', 'a']) if (block.querySelector(tag)) bad.push(`<${tag}>`);
    return { bad, text: block.textContent ?? '' };
  });
}

async function checkSummary(page, where, stored) {
  const s = await shownSummary(page);
  check(s.line === LINE, `${where}: the line should say "${LINE}", got "${s.line}"`);
  check(!s.wasOpen, `${where}: the line should start collapsed`);
  check(s.expanded === 'true', `${where}: the toggle should say it is open`);
  check(s.text.includes(MARK), `${where}: the summary's text should show, got "${s.text.slice(0, 200)}"`);
  check(s.text.includes(HOSTILE), `${where}: the hostile part should show literally, got "${s.text.slice(0, 300)}"`);
  check(/\d/.test(s.from) && /\d/.test(s.to), `${where}: the span's dates should show, got "${s.from}" – "${s.to}"`);
  check(
    s.fromIso === stored.first_created && s.toIso === stored.last_created,
    `${where}: the span should be the summary's (${stored.first_created} – ${stored.last_created}), got ${s.fromIso} – ${s.toIso}`,
  );
  await page.waitForTimeout(500); // time for an onerror to fire, if anything were live
  const found = await liveMarkup(page);
  check(found.bad.length === 0, `${where}: the summary was rendered as HTML: ${found.bad.join(', ')}`);
  check((await page.evaluate(() => window.__pwned)) === undefined, `${where}: window.__pwned was set`);
  check(dialogs.length === 0, `${where}: a dialog opened: ${dialogs.join('; ')}`);
  return s;
}

/** The conversation as stored: its answers' summaries. */
async function storedAnswers() {
  const conversation = await api(`/conversations/${encodeURIComponent(CONVERSATION_ID)}`);
  return conversation.messages.filter((m) => m.role === 'assistant');
}

// --- steps ----------------------------------------------------------------------------

async function openApp(browser, { sseOnly = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript((key) => sessionStorage.setItem('vega.apiKey', key), VEGA_KEY);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watch(page);
  if (sseOnly) await page.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
  await page.goto(VEGA_URL + CHAT_PATH);
  await page.waitForSelector(composer);
  return { context, page };
}

async function storedLine(page) {
  const answers = await storedAnswers();
  const last = answers[answers.length - 1];
  check(last.summary, `the last stored answer should have a summary: ${JSON.stringify(last).slice(0, 400)}`);
  await page.waitForSelector('.message.user:has-text("Topic 7")');
  // Only the answer that was given one shows it.
  const lines = await page.locator('.message.assistant .conversation-summary').count();
  const given = answers.filter((a) => a.summary).length;
  check(lines === given, `${given} stored answers were given a summary, ${lines} show one`);
  await checkSummary(page, 'stored', last.summary);
  results.summary_stored = true;
  await shot(page, 'summary-01-stored');
}

async function live(page) {
  const before = (await llm.state()).requests.length;
  await send(page, 'Topic 8: the tram museum.');
  // (The reply may be over before a wait for its streaming state begins: wait for the answer.)
  await page.waitForFunction(() => document.querySelectorAll('.message.assistant').length === 8);
  await answerDone(page);
  await page.waitForSelector(`${lastAnswer} >> .markdown:has-text("Noted: Topic 8")`);
  // The model was given the summary in place of the earlier turns.
  const asked = (await llm.state()).requests.slice(before).filter((r) => r.path === '/api/chat');
  const turn = asked.find((r) => JSON.stringify(r.body?.messages ?? []).includes('Topic 8'));
  check(turn, 'the new turn should reach the model');
  check(JSON.stringify(turn.body.messages).includes(MARK), 'the model should be given the summary');
  const answers = await storedAnswers();
  const last = answers[answers.length - 1];
  check(last.summary, `the new answer should be stored with its summary: ${JSON.stringify(last).slice(0, 400)}`);
  results.summary_live = true;
  await shot(page, 'summary-02-live');
  await checkSummary(page, 'live', last.summary);
  results.summary_opened = true;
  results.hostile_inert = true;
  await shot(page, 'summary-03-open');
  return last.summary;
}

async function afterReload(page, stored) {
  await page.reload();
  await page.waitForSelector('.message.user:has-text("Topic 8")');
  await checkSummary(page, 'after a reload', stored);
  results.summary_after_reload = true;
}

/** The summary line over the SSE fallback (the WebSocket refused). */
async function overSSE(browser) {
  const { context, page } = await openApp(browser, { sseOnly: true });
  await page.waitForSelector('.message.user:has-text("Topic 8")');
  const streamed = page.waitForResponse((r) => r.url().endsWith('/chat/sse'));
  await send(page, 'Topic 9: the ferry.');
  const body = await (await streamed).text();
  const done = body.split(/\r?\n\r?\n/).find((event) => /^event: done$/m.test(event)) ?? '';
  check(done.includes(MARK), `the SSE done event should carry the summary: ${done.slice(0, 400)}`);
  await answerDone(page);
  await page.waitForSelector(`${lastAnswer} >> .markdown:has-text("Noted: Topic 9")`);
  const answers = await storedAnswers();
  await checkSummary(page, 'over SSE', answers[answers.length - 1].summary);
  results.summary_over_sse = true;
  await context.close();
}

/** The conversation's read-only link: the messages, not the summary (the owner's). */
async function sharedPage(page) {
  const link = await api(`/conversations/${encodeURIComponent(CONVERSATION_ID)}/share`, { method: 'POST' });
  const stored = await api(`/conversations/${encodeURIComponent(CONVERSATION_ID)}`);
  await page.goto(VEGA_URL + link.url);
  await page.waitForSelector('.shared-banner:has-text("read-only")');
  await page.waitForFunction((n) => document.querySelectorAll('.message').length === n, stored.messages.length);
  check((await page.locator('.conversation-summary').count()) === 0, 'a shared page should show no summary line');
  check((await page.evaluate(() => window.__pwned)) === undefined, 'shared page: window.__pwned was set');
  results.not_on_shared_page = true;
  await shot(page, 'summary-04-shared');
  const withdrawn = await fetch(`${VEGA_URL}/conversations/${encodeURIComponent(CONVERSATION_ID)}/share`, { method: 'DELETE', headers: { 'X-API-Key': VEGA_KEY } });
  check(withdrawn.status === 204, `withdrawing the link answered ${withdrawn.status}`);
}

// --- run ------------------------------------------------------------------------------

const browser = await launch(CHROMIUM);
let failed = null;
const runner = stepper();
try {
  const { step } = runner;
  const { context, page } = await openApp(browser);
  await step('the stored answer given a summary shows the line', () => storedLine(page));
  const stored = await step('one more message: the line under its answer when it finishes', () => live(page));
  await step('the line again after a reload', () => afterReload(page, stored));
  await step('the line over the SSE fallback', () => overSSE(browser));
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
