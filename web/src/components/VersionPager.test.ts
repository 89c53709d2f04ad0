// The conversation tree in the conversation view: "‹ 2 / 3 ›" on a message with other
// versions (questions and answers alike), whose arrows show the neighbour's branch
// (`PUT /conversations/{id}/branch`); Edit on a question, between turns only, which
// opens an editor whose Save asks the new text as a new version. Neither on a shared
// (read-only) page. Other branches' hostile text stays text.

import { detail, stored } from '../api/fixtures';
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatMessage } from '../state/chat';
import { chatStore, useChat } from '../state/store';
import { Message } from './Message';
import { Toasts } from './Toasts';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
  var __pwned: unknown;
}

const HOSTILE = '<img src=x onerror="window.__pwned=1">';



const message = (over: Partial<ChatMessage>): ChatMessage => ({
  key: 'k1',
  id: 'm1',
  role: 'user',
  content: 'Which tram?',
  status: 'ok',
  error: null,
  sources: [],
  model: null,
  latencyMs: null,
  finishReason: null,
  rating: null,
  notes: null,
  steps: [],
  toolName: null,
  memories: [],
  summary: null,
  parentId: null,
  siblings: [],
  ...over,
});

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

let container: HTMLDivElement;
let root: Root;
let requests: { method: string; url: string; body: unknown }[];
let answer: () => Response;

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
  requests = [];
  answer = () => json({}, 500);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push({ method: init?.method ?? 'GET', url: String(input), body: init?.body ? JSON.parse(String(init.body)) : null });
      return answer();
    }),
  );
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  delete globalThis.__pwned;
});

const click = (el: Element | null): void => act(() => (el as HTMLElement).click());
const button = (label: string): HTMLButtonElement | null => container.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);
const counts = (): string[] => [...container.querySelectorAll('.version-count')].map((el) => el.textContent ?? '');

function renderOne(m: ChatMessage, extra: { busy?: boolean; readOnly?: boolean; onEdit?: (key: string, text: string) => void } = {}): void {
  act(() =>
    root.render(
      createElement(Message, {
        message: m,
        conversationId: 'c1',
        isLast: true,
        busy: extra.busy ?? false,
        onRegenerate: () => undefined,
        onCite: () => undefined,
        onEdit: extra.onEdit ?? (() => undefined),
        readOnly: extra.readOnly,
      }),
    ),
  );
}

/** A conversation of the app's store, every message of it rendered from there. */
function Harness({ id }: { id: string }) {
  const state = useChat(id);
  return createElement(
    'div',
    null,
    ...state.messages.map((m, i) =>
      createElement(Message, {
        key: m.key,
        message: m,
        conversationId: id,
        isLast: i === state.messages.length - 1,
        busy: state.streaming,
        onRegenerate: () => undefined,
        onCite: () => undefined,
        onEdit: () => undefined,
      }),
    ),
    createElement(Toasts),
  );
}

describe('the version pager', () => {
  it('shows "2 / 3" on a question and on an answer with other versions, and nothing with one', () => {
    renderOne(message({ id: 'b', siblings: ['a', 'b', 'c'] }));
    expect(counts()).toEqual(['2 / 3']);
    expect(button('Previous version')?.disabled).toBe(false);
    expect(button('Next version')?.disabled).toBe(false);

    renderOne(message({ role: 'assistant', id: 'b', siblings: ['a', 'b'], content: 'The 28.' }));
    expect(counts()).toEqual(['2 / 2']);
    expect(button('Previous version')?.disabled).toBe(false);
    expect(button('Next version')?.disabled).toBe(true); // the last one

    renderOne(message({ id: 'a', siblings: ['a'] }));
    expect(container.querySelector('.version-pager')).toBeNull();
  });

  it('is off while a turn runs, and absent from a shared page', () => {
    renderOne(message({ id: 'b', siblings: ['a', 'b'] }), { busy: true });
    expect(button('Previous version')?.disabled).toBe(true);
    renderOne(message({ id: 'b', siblings: ['a', 'b'] }), { readOnly: true });
    expect(container.querySelector('.version-pager')).toBeNull();
    renderOne(message({ role: 'assistant', id: 'b', siblings: ['a', 'b'], content: 'x' }), { readOnly: true });
    expect(container.querySelector('.version-pager')).toBeNull();
  });

  it('‹ asks the server for the earlier version and shows its branch, whose text stays text', async () => {
    const id = 'pager-c';
    const q = stored({ id: 'q1', conversation_id: id, content: 'Which tram?', siblings: ['q1'] });
    const a1 = stored({ id: 'a1', conversation_id: id, role: 'assistant', content: `Old answer ${HOSTILE}`, parent_id: 'q1', siblings: ['a1', 'a2'] });
    const a2 = stored({ id: 'a2', conversation_id: id, role: 'assistant', content: 'New answer', parent_id: 'q1', siblings: ['a1', 'a2'] });
    chatStore.dispatch(id, { type: 'loaded', conversation: detail(id, [q, a2], [a1]) });
    act(() => root.render(createElement(Harness, { id })));
    expect(counts()).toEqual(['2 / 2']);

    answer = () => json(detail(id, [q, a1], [a2]));
    await act(async () => button('Previous version')!.click());
    await vi.waitFor(() => expect(counts()).toEqual(['1 / 2']));
    expect(requests).toEqual([{ method: 'PUT', url: `/conversations/${id}/branch`, body: { message_id: 'a1' } }]);
    const shown = container.querySelector('.message.assistant .markdown')!;
    expect(shown.textContent).toContain(`Old answer ${HOSTILE}`);
    expect(container.querySelector('.message.assistant img')).toBeNull();
    expect(globalThis.__pwned).toBeUndefined();
    expect(button('Previous version')?.disabled).toBe(true);
  });

  it('says so when the server refuses, and the view stays', async () => {
    const id = 'pager-refused';
    const q = stored({ id: 'q1', conversation_id: id, siblings: ['q0', 'q1'] });
    chatStore.dispatch(id, { type: 'loaded', conversation: detail(id, [q]) });
    act(() => root.render(createElement(Harness, { id })));
    answer = () => json({ error: { code: 'not_found', message: 'No such message', request_id: 'r1' } }, 404);
    await act(async () => button('Previous version')!.click());
    await vi.waitFor(() => expect(container.querySelector('.toast-error .toast-text')?.textContent).toMatch(/^Could not show that version: /));
    expect(counts()).toEqual(['2 / 2']);
  });
});

describe('Edit on a question', () => {
  it('opens an editor with the text; Save hands the new text over; Cancel leaves it be', () => {
    const edits: [string, string][] = [];
    renderOne(message({ key: 'k7', id: 'm7', content: 'Which tram?' }), { onEdit: (key, text) => edits.push([key, text]) });
    click(button('Edit message'));
    const field = container.querySelector<HTMLTextAreaElement>('.edit-editor textarea')!;
    expect(field.value).toBe('Which tram?');
    click(container.querySelector('.edit-editor button.ghost')); // Cancel
    expect(container.querySelector('.edit-editor')).toBeNull();
    expect(container.querySelector('.bubble')?.textContent).toBe('Which tram?');

    click(button('Edit message'));
    const again = container.querySelector<HTMLTextAreaElement>('.edit-editor textarea')!;
    act(() => {
      // React tracks the value: set it the way a user's typing does.
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!.call(again, 'Which bus?');
      again.dispatchEvent(new Event('input', { bubbles: true }));
    });
    click(container.querySelector('.edit-editor button[type=submit]'));
    expect(edits).toEqual([['k7', 'Which bus?']]);
  });

  it('not on answers, not while a reply streams, not before the question is stored, not on a shared page', () => {
    renderOne(message({ role: 'assistant', content: 'The 28.' }));
    expect(button('Edit message')).toBeNull();
    renderOne(message({}), { busy: true });
    expect(button('Edit message')).toBeNull();
    renderOne(message({ id: null }));
    expect(button('Edit message')).toBeNull();
    renderOne(message({ siblings: ['m0', 'm1'] }), { readOnly: true });
    expect(button('Edit message')).toBeNull();
    expect(container.querySelector('.message-actions')).toBeNull();
  });
});
