// End-to-end test of the browser UI's agent mode: a real Chromium against a running
// `vega serve` in front of the fake LLM server (tests/fakes/llm_server.py), whose
// `POST /_control` script makes the model call server tools and then answer.
//
//   VEGA_URL=http://127.0.0.1:8000 VEGA_KEY=... FAKE_LLM_URL=http://127.0.0.1:11435 \
//   SCREENSHOT_DIR=tests/e2e/screenshots node tests/e2e/ui_tools.e2e.mjs
//
// VEGA_URL        the server (it serves the built UI at /); run it with
//                 VEGA_FETCH_ALLOW_HOSTS=127.0.0.1 so fetch_url may read its own page
// VEGA_KEY        its API key
// FAKE_LLM_URL    the fake LLM server Vega talks to (Ollama protocol)
// SCREENSHOT_DIR  where to save screenshots (default tests/e2e/screenshots)
// CHROMIUM        the browser binary (default /usr/bin/chromium)
//
// Prints one JSON object on stdout; progress goes to stderr. Exits 1 with the step and
// reason on the first failure (plus failure.png). tests/e2e/test_ui_tools.py runs it.

import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDone, check, composer, fakeLLM, finish, lastAnswer, launch, send, stepper, watcher } from './browser.mjs';

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
const RUN = Math.random().toString(36).slice(2, 8); // names unique to this run
const NOTES = `e2e-tools-${RUN}`;
const HOSTILE = `e2e-hostile-${RUN}`;
const llm = fakeLLM(FAKE_URL);

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1', new URL(VEGA_URL).hostname]);
const seen = watcher(LOCAL_HOSTS);
const { dialogs, foreignRequests, pageErrors, watch } = seen;

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

/** Script the next two model calls: tool calls first, then the answer. Every entry is for
 * /api/chat (embedding requests, which a search makes, must not take one). */
async function scriptAgent(toolCalls, reply, answerSettings = {}) {
  await llm.script({
    script: [
      { path: '/api/chat', tool_calls: toolCalls },
      { path: '/api/chat', reply, token_delay_s: 0.02, ...answerSettings },
    ],
  });
}

/** The /api/chat requests Vega made since the last script. */
async function modelRequests() {
  const state = await llm.state();
  return state.requests.filter((r) => r.path === '/api/chat').map((r) => r.body ?? {});
}

async function upload(collection, name, type, text) {
  const form = new FormData();
  form.append('collection', collection);
  form.append('file', new Blob([text], { type }), name);
  const response = await fetch(`${VEGA_URL}/upload`, { method: 'POST', headers: { 'X-API-Key': VEGA_KEY }, body: form });
  const answer = await response.text();
  check(response.status === 201 || response.status === 200, `uploading ${name} answered ${response.status}: ${answer}`);
  const body = JSON.parse(answer);
  check(body.status === 'ready', `${name} should be ready at once: ${JSON.stringify(body)}`);
}

const steps = (scope = lastAnswer) => `${scope} >> .agent-steps`;
const stepsToggle = (scope = lastAnswer) => `${steps(scope)} >> button.steps-toggle`;

async function newChat(page) {
  await page.click('button.new-chat');
  await page.waitForSelector('.empty h2');
}

/** The steps line under the last answer: collapsed, then opened to the one search. */
async function checkSearchStep(page) {
  check((await page.getAttribute(stepsToggle(), 'aria-expanded')) === 'false', 'the steps should start collapsed');
  check((await page.locator(`${lastAnswer} >> .step-list`).count()) === 0, 'a collapsed steps block shows no step');
  const summary = (await page.textContent(stepsToggle())) ?? '';
  check(summary.includes('Used 1 tool') && summary.includes('search_documents'), `the steps summary should say what was used, got: ${summary}`);
  await page.click(stepsToggle());
  check((await page.getAttribute(stepsToggle(), 'aria-expanded')) === 'true', 'the steps toggle should say it is open');
  const step = `${lastAnswer} >> .agent-step`;
  check((await page.locator(step).count()) === 1, 'one step expected');
  check((await page.textContent(`${step} >> .step-name`)) === 'search_documents', 'the step should name its tool');
  check((await page.textContent(`${step} >> .step-status`)) === 'ok', 'the step should say ok');
  const ms = (await page.textContent(`${step} >> .step-ms`)) ?? '';
  check(/^\d+(\.\d)? (ms|s)$/.test(ms), `the step should show its time, got: ${ms}`);
  const args = (await page.textContent(`${step} >> .step-args code`)) ?? '';
  check(args.includes('\n  "query": "glaciers"'), `the arguments should be pretty-printed JSON, got: ${args}`);
  check(JSON.parse(args).collection === NOTES, `the arguments should name the collection, got: ${args}`);
  const result = (await page.textContent(`${step} >> .step-result code`)) ?? '';
  check(result.includes('Glaciers carve U-shaped valleys'), `the result should be the passage found, got: ${result}`);
}

// --- steps ----------------------------------------------------------------------------

async function openApp(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript((key) => sessionStorage.setItem('vega.apiKey', key), VEGA_KEY);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watch(page);
  await page.goto(VEGA_URL + '/');
  await page.waitForSelector(composer);
  return { context, page };
}

async function turnAgentOn(page) {
  await page.waitForSelector('button.agent-toggle');
  check((await page.getAttribute('button.agent-toggle', 'aria-pressed')) === 'false', 'Agent mode should start off');
  await page.click('button.agent-toggle');
  check((await page.getAttribute('button.agent-toggle', 'aria-pressed')) === 'true', 'the toggle should say Agent mode is on');
  const kept = await page.evaluate(() => localStorage.getItem('vega.agent'));
  check(kept === 'on', `Agent mode should be kept in localStorage, got ${kept}`);
}

async function askWithTools(page) {
  await upload(NOTES, 'glaciers.md', 'text/markdown', '# Field notes\n\nGlaciers carve U-shaped valleys as they move downhill.\n');
  // The answer waits a little, so the steps line can be seen while the answer streams.
  await scriptAgent([{ name: 'search_documents', arguments: { query: 'glaciers', collection: NOTES } }], 'Glaciers carve U-shaped valleys [1].', {
    first_token_delay_s: 1.5,
    token_delay_s: 0.05,
  });
  const prompt = 'How do glaciers shape valleys?';
  await send(page, prompt);
  await page.waitForSelector('.message.assistant.streaming .agent-steps button.steps-toggle');
  const live = (await page.textContent('.message.assistant.streaming .agent-steps button.steps-toggle')) ?? '';
  check(/search_documents · running…|Used 1 tool/.test(live), `the steps line while streaming: ${live}`);
  results.steps_live = true;
  await shot(page, 'tools-01-streaming');
  await answerDone(page);
  const answer = (await page.textContent(`${lastAnswer} >> .markdown`)) ?? '';
  check(answer.includes('Glaciers carve U-shaped valleys'), `the answer should follow the steps, got: ${answer}`);
  await page.waitForSelector(`${lastAnswer} >> button.cite[data-cite="1"]`);
  // Agent mode went with the turn: the model was offered the server's tools, and read the result.
  const calls = await modelRequests();
  check(calls.length >= 2, `two model calls expected, got ${calls.length}`);
  const offered = (calls[0].tools ?? []).map((t) => t.function?.name);
  check(offered.includes('search_documents'), `the model should be offered search_documents, got ${JSON.stringify(offered)}`);
  check(
    (calls[1].messages ?? []).some((m) => m.role === 'tool' && String(m.content).includes('U-shaped')),
    'the second model call should carry the tool result',
  );
  await checkSearchStep(page);
  await shot(page, 'tools-02-steps-open');
  return { prompt, url: page.url() };
}

async function stepsAfterReload(page, asked) {
  await page.reload();
  await page.waitForSelector(`.message.user:has-text("${asked.prompt}")`);
  await page.waitForSelector(steps());
  check((await page.getAttribute('button.agent-toggle', 'aria-pressed')) === 'true', 'Agent mode should stay on after a reload');
  await checkSearchStep(page);
  // and when the conversation is opened again from the sidebar
  await newChat(page);
  await page.click(`a.conversation-link[href="${new URL(asked.url).pathname}"]`);
  await page.waitForSelector(`.message.user:has-text("${asked.prompt}")`);
  await page.waitForSelector(stepsToggle());
  await checkSearchStep(page);
  results.steps_after_reload = true;
  await shot(page, 'tools-03-reloaded');
}

/** Everything inside the last answer's steps block that would be live HTML. */
async function liveMarkup(page) {
  return page.evaluate(() => {
    const answers = document.querySelectorAll('.message.assistant');
    const block = answers[answers.length - 1]?.querySelector('.agent-steps');
    if (!block) return { bad: ['no steps block'], text: '' };
    const bad = [];
    for (const el of block.querySelectorAll('*')) {
      for (const attr of el.attributes) if (attr.name.startsWith('on')) bad.push(`${el.tagName} ${attr.name}`);
    }
    for (const tag of ['img', 'script', 'iframe', 'b']) if (block.querySelector(tag)) bad.push(`<${tag}>`);
    return { bad, text: block.textContent ?? '' };
  });
}

async function hostileSteps(page) {
  await upload(HOSTILE, 'hostile.txt', 'text/plain', 'Beware: <img src=x onerror=alert(1)> glaciers <script>alert(2)</script> melt.\n');
  await newChat(page);
  await scriptAgent(
    [
      { name: 'search_documents', arguments: { query: '<img src=x onerror=alert(3)> glaciers', collection: HOSTILE } },
      { name: 'search_documents', arguments: '{"query": <img src=x onerror=alert(4)>' }, // not JSON: refused
    ],
    'Careful with that page [1].',
  );
  await send(page, 'What does the hostile note say?');
  await answerDone(page);
  const summary = (await page.textContent(stepsToggle())) ?? '';
  check(summary.includes('Used 2 tools'), `two steps expected, got: ${summary}`);
  check(((await page.textContent(`${steps()} >> .steps-problem`)) ?? '').includes('1 refused'), 'the refused call should show in the summary');
  await page.click(stepsToggle());
  // "Show more" everywhere, so all the text is on the page
  for (const more of await page.locator(`${steps()} >> button.more-button[aria-expanded="false"]`).all()) await more.click();
  await page.waitForTimeout(800); // time for an onerror to fire, if anything were live
  let found = await liveMarkup(page);
  check(found.bad.length === 0, `tool text was rendered as HTML: ${found.bad.join(', ')}`);
  check(found.text.includes('<img src=x onerror=alert(3)> glaciers'), 'hostile arguments should show as text');
  check(found.text.includes('<img src=x onerror=alert(1)>'), `a hostile result should show as text, got: ${found.text.slice(0, 400)}`);
  check(found.text.includes('{"query": <img src=x onerror=alert(4)>'), 'arguments that are not JSON should show as written');
  const refused = `${lastAnswer} >> .agent-step.step-refused`;
  check((await page.locator(refused).count()) === 1, 'the call with broken arguments should be marked refused');
  check((await page.textContent(`${refused} >> .step-status`)) === 'refused', 'the refused step should say so');
  check(dialogs.length === 0, `a dialog opened: ${dialogs.join('; ')}`);
  await shot(page, 'tools-04-hostile');
  // the stored copy too
  await page.reload();
  await page.waitForSelector(stepsToggle());
  await page.click(stepsToggle());
  for (const more of await page.locator(`${steps()} >> button.more-button[aria-expanded="false"]`).all()) await more.click();
  await page.waitForTimeout(500);
  found = await liveMarkup(page);
  check(found.bad.length === 0, `stored tool text was rendered as HTML: ${found.bad.join(', ')}`);
  check(found.text.includes('<img src=x onerror=alert(1)>'), 'the stored hostile result should show as text');
  check(dialogs.length === 0, `a dialog opened: ${dialogs.join('; ')}`);
}

async function webSourceLink(page) {
  await newChat(page);
  const pageUrl = `${VEGA_URL}/`;
  await scriptAgent([{ name: 'fetch_url', arguments: { url: pageUrl } }], 'That page is Vega [1].');
  await send(page, 'What is on that page?');
  await answerDone(page);
  await page.waitForSelector(`${lastAnswer} >> button.cite[data-cite="1"]`);
  await page.click(`${lastAnswer} >> .sources-toggle`);
  const link = `${lastAnswer} >> a.source-link`;
  await page.waitForSelector(link);
  const a = page.locator(link).first();
  const attrs = { href: await a.getAttribute('href'), target: await a.getAttribute('target'), rel: await a.getAttribute('rel'), text: await a.textContent() };
  check(attrs.href === pageUrl, `the web source should link to the page, got ${attrs.href}`);
  check(attrs.target === '_blank', `a web source opens in a new tab, got target=${attrs.target}`);
  check(/\bnoopener\b/.test(attrs.rel ?? '') && /\bnoreferrer\b/.test(attrs.rel ?? ''), `rel should be noopener noreferrer, got ${attrs.rel}`);
  check((attrs.text ?? '').includes('Vega'), `the link should name the page, got ${attrs.text}`);
  // the citation's popover offers the page too
  await page.click(`${lastAnswer} >> button.cite[data-cite="1"]`);
  await page.waitForSelector('.popover.citation a:has-text("Open the page")');
  check((await page.getAttribute('.popover.citation a:has-text("Open the page")', 'href')) === pageUrl, 'the popover should link to the page');
  check((await page.getAttribute('.popover.citation a:has-text("Open the page")', 'rel')) === 'noopener noreferrer', 'the popover link rel');
  await shot(page, 'tools-05-web-source');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.popover.citation', { state: 'detached' });
}

async function agentOff(page) {
  await newChat(page);
  await page.click('button.agent-toggle');
  check((await page.getAttribute('button.agent-toggle', 'aria-pressed')) === 'false', 'the toggle should say Agent mode is off');
  check((await page.evaluate(() => localStorage.getItem('vega.agent'))) === null, 'Agent mode off should be kept');
  await llm.script({ reply: 'Just text.', token_delay_s: 0.01 });
  await send(page, 'No tools this time.');
  await answerDone(page);
  check((await page.locator(steps()).count()) === 0, 'an answer without tools has no steps block');
  const calls = await modelRequests();
  check(calls.length === 1 && !(calls[0].tools ?? []).length, `no tools should be offered with Agent mode off: ${JSON.stringify(calls[0]?.tools)}`);
}

/** The same steps over the SSE fallback (the WebSocket refused). */
async function stepsOverSSE(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript((key) => {
    sessionStorage.setItem('vega.apiKey', key);
    localStorage.setItem('vega.agent', 'on');
  }, VEGA_KEY);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watch(page);
  await page.routeWebSocket(/\/ws$/, (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
  let sse = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/chat/sse')) sse++;
  });
  await page.goto(VEGA_URL + '/');
  await page.waitForSelector('button.agent-toggle[aria-pressed="true"]');
  await scriptAgent([{ name: 'search_documents', arguments: { query: 'glaciers', collection: NOTES } }], 'Glaciers carve U-shaped valleys [1].');
  await send(page, 'And over SSE?');
  await answerDone(page);
  check(sse > 0, 'no request went to /chat/sse');
  await checkSearchStep(page);
  await context.close();
}

// --- run ------------------------------------------------------------------------------

const browser = await launch(CHROMIUM);
let failed = null;
const runner = stepper();
try {
  const { step } = runner;
  const { context, page } = await openApp(browser);
  await step('turn Agent mode on', () => turnAgentOn(page));
  const asked = await step('ask: steps stream in, collapsed, then open', () => askWithTools(page));
  await step('the steps again after a reload and reopening', () => stepsAfterReload(page, asked));
  await step('hostile arguments and results stay text', () => hostileSteps(page));
  await step('a web page among the sources is a link', () => webSourceLink(page));
  await step('Agent mode off', () => agentOff(page));
  await step('steps over the SSE fallback', () => stepsOverSSE(browser));
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
