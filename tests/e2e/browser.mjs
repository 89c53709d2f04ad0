// What the browser end-to-end scripts share (ui.e2e.mjs, ui_accounts.e2e.mjs): Chromium
// through playwright-core, the fake LLM server's controls, a watch on every page for
// dialogs, errors and requests that leave the machine, and the chat steps' helpers.

import { join } from 'node:path';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

export const log = (...args) => console.error('[e2e]', ...args);

export class Failure extends Error {}
export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

export function launch(executablePath) {
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// --- the fake LLM (tests/fakes/llm_server.py): POST /_control scripts replies -----------

export function fakeLLM(url) {
  return {
    async script(settings) {
      const response = await fetch(`${url}/_control`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ reset: true, ...settings }),
      });
      check(response.ok, `the fake LLM's /_control refused ${JSON.stringify(settings).slice(0, 200)}: ${response.status}`);
      return response.json();
    },
    async state() {
      return (await fetch(`${url}/_control`)).json();
    },
    async reset() {
      await fetch(`${url}/_control`, { method: 'POST', body: JSON.stringify({ reset: true }) }).catch(() => {});
    },
  };
}

// --- watching pages -----------------------------------------------------------------------

/** Records dialogs, page errors and requests to hosts other than `localHosts`. */
export function watcher(localHosts) {
  const seen = { dialogs: [], foreignRequests: [], pageErrors: [], lastPage: null };
  seen.watch = (page) => {
    seen.lastPage = page;
    page.on('dialog', (dialog) => {
      seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => {});
    });
    page.on('request', (request) => {
      const url = request.url();
      if (/^(data|blob|about):/.test(url)) return;
      try {
        if (!localHosts.has(new URL(url).hostname)) seen.foreignRequests.push(url);
      } catch {
        seen.foreignRequests.push(url);
      }
    });
    page.on('pageerror', (error) => seen.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') log('console error:', message.text());
    });
  };
  return seen;
}

// --- chat -----------------------------------------------------------------------------------

export const composer = '.composer-input';
export const lastAnswer = '.message.assistant >> nth=-1';

export async function send(page, text) {
  await page.fill(composer, text);
  await page.press(composer, 'Enter');
}

/** Wait for the last answer to finish (its action bar shows). */
export async function answerDone(page, timeout = 30_000) {
  await page.waitForFunction(
    () => {
      const answers = document.querySelectorAll('.message.assistant');
      const last = answers[answers.length - 1];
      return last && !last.classList.contains('streaming');
    },
    null,
    { timeout },
  );
}

/** Run the steps in order, each logged; the first failure stops them (and is returned). */
export function stepper() {
  const state = { current: '' };
  state.step = async (name, fn) => {
    state.current = name;
    const started = Date.now();
    log(`${name}…`);
    const value = await fn();
    log(`${name}: ok (${Date.now() - started} ms)`);
    return value;
  };
  return state;
}

// The end of a run, alike for every script: the result line on stdout, and on failure
// the step it failed in and why, with exit code 1.
export function finish(results, failed, step, shots) {
  results.ok = failed === null;
  console.log(JSON.stringify(results));
  if (failed) {
    const reason = failed instanceof Failure ? failed.message : (failed.stack ?? String(failed));
    console.error(`e2e FAILED in "${step}": ${reason}`);
    console.error(`screenshots: ${shots}`);
    process.exit(1);
  }
}
