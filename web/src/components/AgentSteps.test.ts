// The tools an answer used: one collapsed line that opens to each step (name, arguments,
// status, time, result), errors and refusals marked, and model/tool text kept as text.

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToolStep } from '../state/chat';
import { AgentSteps, prettyJson, problemsOf, stepsSummary, ToolMessage, truncated } from './AgentSteps';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

const step = (over: Partial<ToolStep> = {}): ToolStep => ({
  id: 'call_1',
  step: 1,
  name: 'search_documents',
  arguments: '{"query":"glaciers"}',
  status: 'ok',
  result: '[1] Glaciers carve U-shaped valleys.',
  error: null,
  ms: 12,
  ...over,
});

let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const render = (steps: ToolStep[]): void => act(() => root.render(createElement(AgentSteps, { steps, id: 'a1' })));
const toggle = (): HTMLButtonElement => container.querySelector<HTMLButtonElement>('button.steps-toggle')!;
const click = (el: Element): void => act(() => (el as HTMLElement).click());

describe('AgentSteps', () => {
  it('renders nothing for an answer without tools', () => {
    render([]);
    expect(container.innerHTML).toBe('');
  });

  it('starts collapsed as one summary line, and opens to every step', () => {
    render([step(), step({ id: 'call_2', step: 2, name: 'fetch_url', arguments: '{"url":"https://example.org/"}', ms: 1500 })]);
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    expect(toggle().textContent).toContain('Used 2 tools');
    expect(toggle().textContent).toContain('search_documents, fetch_url');
    expect(container.querySelector('.step-list')).toBeNull();

    click(toggle());
    expect(toggle().getAttribute('aria-expanded')).toBe('true');
    const list = container.querySelector('.step-list')!;
    expect(toggle().getAttribute('aria-controls')).toBe(list.id);
    const items = [...list.querySelectorAll('.agent-step')];
    expect(items.map((li) => li.querySelector('.step-name')?.textContent)).toEqual(['search_documents', 'fetch_url']);
    expect(items[0].querySelector('.step-status')?.textContent).toBe('ok');
    expect(items[0].querySelector('.step-ms')?.textContent).toBe('12 ms');
    expect(items[1].querySelector('.step-ms')?.textContent).toBe('1.5 s');
    // arguments pretty-printed, in a code block
    expect(items[0].querySelector('.step-args code')?.textContent).toBe('{\n  "query": "glaciers"\n}');
    expect(items[0].querySelector('.step-result code')?.textContent).toBe('[1] Glaciers carve U-shaped valleys.');

    click(toggle());
    expect(container.querySelector('.step-list')).toBeNull();
  });

  it('shows a running step in the summary, then its result', () => {
    render([step({ status: 'running', result: null, ms: null })]);
    expect(toggle().textContent).toContain('search_documents · running…');
    expect(container.querySelector('.agent-steps.running .step-spinner')).not.toBeNull();
    render([step()]);
    expect(toggle().textContent).toContain('Used 1 tool');
    expect(container.querySelector('.step-spinner')).toBeNull();
  });

  it('marks failed and refused steps, in the summary and in the step', () => {
    render([
      step({ status: 'error', result: 'boom', error: 'TimeoutError: the tool took too long' }),
      step({ id: 'call_2', name: 'fetch_url', status: 'refused', result: 'Refused: a private address.', error: null }),
    ]);
    expect(container.querySelector('.steps-problem')?.textContent).toContain('1 failed, 1 refused');
    click(toggle());
    const [failed, refused] = [...container.querySelectorAll('.agent-step')];
    expect(failed.className).toContain('step-error');
    expect(failed.querySelector('.step-status')?.textContent).toBe('failed');
    expect([...failed.querySelectorAll('.step-label')].map((l) => l.textContent)).toEqual(['Arguments', 'Error']);
    expect(failed.querySelector('.step-result code')?.textContent).toBe('TimeoutError: the tool took too long');
    expect(refused.className).toContain('step-refused');
    expect(refused.querySelector('.step-status')?.textContent).toBe('refused');
    expect(refused.querySelector('.step-result code')?.textContent).toBe('Refused: a private address.');
  });

  it('cuts a long result, with "Show more"', () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    render([step({ result: long })]);
    click(toggle());
    const code = () => container.querySelector('.step-result code')!.textContent!;
    expect(code().split('\n')).toHaveLength(12);
    const more = container.querySelector<HTMLButtonElement>('.step-result .more-button')!;
    expect(more.getAttribute('aria-expanded')).toBe('false');
    click(more);
    expect(code()).toBe(long);
    expect(more.textContent).toBe('Show less');
  });

  it('keeps hostile arguments and results as text', () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    render([step({ arguments: JSON.stringify({ query: hostile }), result: hostile, name: '<b>x</b>' })]);
    click(toggle());
    expect(container.querySelector('img, script, b')).toBeNull();
    expect(container.querySelector('.step-result code')?.textContent).toBe(hostile);
    expect(container.querySelector('.step-args code')?.textContent).toContain(hostile);
    expect(container.querySelector('.step-name')?.textContent).toBe('<b>x</b>');
  });

  it("a client tool's call (OpenAI/Ollama clients) says so", () => {
    render([step({ status: 'called', result: null, ms: null })]);
    expect(toggle().textContent).toContain('Called search_documents');
    click(toggle());
    expect(container.querySelector('.step-status')?.textContent).toBe('sent to the client');
  });
});

describe('ToolMessage', () => {
  it('is a collapsed "Tool result (name)" block, its text as text', () => {
    act(() => root.render(createElement(ToolMessage, { name: 'lookup', content: '<img src=x onerror=alert(1)>', id: 't1' })));
    const button = toggle();
    expect(button.textContent).toBe('Tool result (lookup)');
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(container.querySelector('.bubble')).toBeNull();
    click(button);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('code')?.textContent).toBe('<img src=x onerror=alert(1)>');
  });
});

describe('helpers', () => {
  it('summarises, pretty-prints and truncates', () => {
    expect(stepsSummary([step(), step({ id: 'b', status: 'running', name: 'fetch_url' })])).toBe('fetch_url · running…');
    expect(problemsOf([step()])).toBeNull();
    expect(problemsOf([step({ status: 'stopped' })])).toBe('1 stopped');
    expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(prettyJson('{not json')).toBe('{not json');
    expect(prettyJson('plain text')).toBe('plain text');
    expect(truncated('short')).toBeNull();
    expect(truncated('x'.repeat(700))).toHaveLength(600);
  });
});
