// The memories under an answer: one collapsed line ("Remembered from 2 earlier
// conversations") that opens to each memory's conversation (a link the app's router
// opens), date and snippet, with Forget (DELETE /memories/{id}); titles and texts kept
// as text.

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Memory } from '../api/types';
import { resetForgottenMemories, type ChatMessage } from '../state/chat';
import { chatStore, useChat } from '../state/store';
import { formatDate } from '../time';
import { memoriesSummary, MemoryList, memorySnippet } from './MemoryList';
import { Message } from './Message';
import { Toasts } from './Toasts';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
  var __pwned: unknown;
}

const memory = (id: string, over: Partial<Memory> = {}): Memory => ({
  id,
  conversation_id: 'c0',
  conversation_title: 'Family news',
  message_ids: ['m0'],
  text: 'My sister Priya moved to Lisbon\nin March.',
  created: '2026-03-04T14:05:00Z',
  score: 0.03,
  ...over,
});

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let container: HTMLDivElement;
let root: Root;
let requests: { method: string; url: string }[];
let answer: () => Response;

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  requests = [];
  answer = () => new Response(null, { status: 204 });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push({ method: init?.method ?? 'GET', url: String(input) });
      return answer();
    }),
  );
  window.history.replaceState(null, '', '/c/c1');
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  resetForgottenMemories();
});

const render = (memories: Memory[]): void => act(() => root.render(createElement(MemoryList, { memories, id: 'a1' })));
const toggle = (): HTMLButtonElement => container.querySelector<HTMLButtonElement>('button.memories-toggle')!;
const click = (el: Element): void => act(() => (el as HTMLElement).click());
const items = (): HTMLElement[] => [...container.querySelectorAll<HTMLElement>('.memory-item')];

/** The answer of a conversation in the app's store, its memories rendered from there. */
function Harness({ id }: { id: string }) {
  const state = useChat(id);
  const message = state.messages[1];
  return createElement('div', null, message ? createElement(MemoryList, { memories: message.memories, id: message.key }) : null, createElement(Toasts));
}

function inStore(id: string, memories: Memory[]): void {
  chatStore.dispatch(id, { type: 'send', prompt: 'Where does my sister live?', userKey: `${id}-u`, assistantKey: `${id}-a` });
  chatStore.dispatch(id, { type: 'memories', memories });
  chatStore.dispatch(id, { type: 'done', meta: { message_id: `${id}-m` } });
  act(() => root.render(createElement(Harness, { id })));
}

/** Let the Forget request and what follows it run. */
async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

describe('MemoryList', () => {
  it('renders nothing for an answer without memories', () => {
    render([]);
    expect(container.innerHTML).toBe('');
  });

  it('starts collapsed as one line that counts conversations, and opens to each memory', () => {
    render([memory('k1'), memory('k2', { text: 'and her flat is near the river' }), memory('k3', { conversation_id: 'c9', conversation_title: '', created: '2026-01-02T08:00:00Z' })]);
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    expect(toggle().textContent).toBe('Remembered from 2 earlier conversations');
    expect(container.querySelector('.memory-list')).toBeNull();

    click(toggle());
    expect(toggle().getAttribute('aria-expanded')).toBe('true');
    const list = container.querySelector('.memory-list')!;
    expect(toggle().getAttribute('aria-controls')).toBe(list.id);
    expect(items().map((li) => li.querySelector('.memory-title')?.textContent)).toEqual(['Family news', 'Family news', 'Untitled']);
    expect(items()[0].querySelector('.memory-date')?.textContent).toBe(formatDate('2026-03-04T14:05:00Z'));
    expect(items()[0].querySelector('.memory-date')?.getAttribute('datetime')).toBe('2026-03-04T14:05:00Z');
    expect(items()[2].querySelector('.memory-date')?.textContent).toBe(formatDate('2026-01-02T08:00:00Z'));
    expect(items()[0].querySelector('.memory-snippet')?.textContent).toBe('My sister Priya moved to Lisbon in March.');
    expect(items()[0].querySelector('a.memory-title')?.getAttribute('href')).toBe('/c/c0');
    expect(items()[2].querySelector('a.memory-title')?.getAttribute('href')).toBe('/c/c9');

    click(toggle());
    expect(container.querySelector('.memory-list')).toBeNull();
  });

  it('says "1 earlier conversation" for one', () => {
    render([memory('k1'), memory('k2')]);
    expect(toggle().textContent).toBe('Remembered from 1 earlier conversation');
  });

  it("opens the memory's conversation with the app's router", () => {
    render([memory('k1', { conversation_id: 'conv 0/x' })]);
    click(toggle());
    const link = container.querySelector<HTMLAnchorElement>('a.memory-title')!;
    expect(link.getAttribute('href')).toBe('/c/conv%200%2Fx');
    const clicks: MouseEvent[] = [];
    link.addEventListener('click', (e) => clicks.push(e));
    click(link);
    expect(window.location.pathname).toBe('/c/conv%200%2Fx');
    expect(clicks[0].defaultPrevented).toBe(true); // the router's move, no page load
    expect(requests).toEqual([]);
  });

  it('keeps a hostile title and text as text', () => {
    const hostile = '<img src=x onerror="window.__pwned=1">';
    render([memory('k1', { conversation_title: hostile, text: `${hostile} <script>window.__pwned=2</script>` })]);
    click(toggle());
    expect(container.querySelector('img, script')).toBeNull();
    expect(container.querySelector('.memory-title')?.textContent).toBe(hostile);
    expect(container.querySelector('.memory-snippet')?.textContent).toBe(`${hostile} <script>window.__pwned=2</script>`);
    expect(globalThis.__pwned).toBeUndefined();
  });

  it('Forget deletes the memory and takes it off the answer', async () => {
    inStore('forget-ok', [memory('k1'), memory('k2', { conversation_id: 'c9', conversation_title: 'Trips' })]);
    click(toggle());
    const forget = items()[0].querySelector<HTMLButtonElement>('button.memory-forget')!;
    expect(forget.textContent).toBe('Forget');
    expect(forget.getAttribute('aria-label')).toBe('Forget this memory from “Family news”');
    click(forget);
    await settle();
    expect(requests).toEqual([{ method: 'DELETE', url: '/memories/k1' }]);
    expect(items().map((li) => li.querySelector('.memory-title')?.textContent)).toEqual(['Trips']);
    expect(toggle().textContent).toBe('Remembered from 1 earlier conversation');
    expect(chatStore.get('forget-ok').messages[1].memories.map((m) => m.id)).toEqual(['k2']);
  });

  it('the last one forgotten, the line goes', async () => {
    inStore('forget-last', [memory('k1')]);
    click(toggle());
    click(items()[0].querySelector('button.memory-forget')!);
    await settle();
    expect(container.querySelector('.memories')).toBeNull();
  });

  it('a memory the server no longer has (404) is gone all the same', async () => {
    answer = () => json({ error: { code: 'not_found', message: "No memory 'k1'.", request_id: null } }, 404);
    inStore('forget-404', [memory('k1')]);
    click(toggle());
    click(items()[0].querySelector('button.memory-forget')!);
    await settle();
    expect(container.querySelector('.memories')).toBeNull();
    expect(container.querySelector('.toast-error')).toBeNull();
  });

  it('a failed Forget keeps the memory and says so in a toast', async () => {
    answer = () => json({ error: { code: 'internal_error', message: 'boom', request_id: null } }, 500);
    inStore('forget-fails', [memory('k1')]);
    click(toggle());
    click(items()[0].querySelector('button.memory-forget')!);
    await settle();
    expect(items()).toHaveLength(1);
    const button = items()[0].querySelector<HTMLButtonElement>('button.memory-forget')!;
    expect(button.disabled).toBe(false);
    expect(button.textContent).toBe('Forget');
    expect(container.querySelector('.toast-error .toast-text')?.textContent).toMatch(/^Could not forget it: /);
  });
});

describe('under an answer', () => {
  const answerWith = (memories: Memory[]): ChatMessage => ({
    key: 'a1',
    id: 'm1',
    role: 'assistant',
    content: 'In Lisbon.',
    status: 'ok',
    error: null,
    sources: [],
    model: 'm',
    latencyMs: 10,
    finishReason: 'stop',
    rating: null,
    notes: null,
    steps: [],
    toolName: null,
    memories,
    summary: null,
    parentId: null,
    siblings: [],
  });
  const renderMessage = (message: ChatMessage, readOnly = false): void =>
    act(() =>
      root.render(createElement(Message, { message, conversationId: 'c1', isLast: true, busy: false, onRegenerate: () => undefined, onCite: () => undefined, readOnly })),
    );

  it('shows the memories line under the answer', () => {
    renderMessage(answerWith([memory('k1')]));
    expect(container.querySelector('.message.assistant .memories-toggle')?.textContent).toBe('Remembered from 1 earlier conversation');
    renderMessage(answerWith([]));
    expect(container.querySelector('.memories')).toBeNull();
  });

  it('not in a shared (read-only) conversation: they are the owner’s other conversations', () => {
    renderMessage(answerWith([memory('k1')]), true);
    expect(container.querySelector('.message.assistant')).not.toBeNull();
    expect(container.querySelector('.memories')).toBeNull();
  });
});

describe('helpers', () => {
  it('summarises and cuts', () => {
    expect(memoriesSummary([memory('a'), memory('b', { conversation_id: 'x' })])).toBe('Remembered from 2 earlier conversations');
    expect(memorySnippet('  a\n\n b  ')).toBe('a b');
    const long = memorySnippet('word '.repeat(100));
    expect(long.length).toBeLessThanOrEqual(160);
    expect(long.endsWith('…')).toBe(true);
  });
});
