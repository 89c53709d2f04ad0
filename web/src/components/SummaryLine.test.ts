// The summary under an answer: one collapsed line ("Earlier in this conversation: 10
// messages summarised") that opens to the span's dates and the summary, kept as text;
// under an answer that was given one, live (from the store's `done`) and stored; not on
// a shared (read-only) page.

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../api/types';
import type { ChatMessage } from '../state/chat';
import { chatStore, useChat } from '../state/store';
import { formatClock, formatDate, formatTime } from '../time';
import { Message } from './Message';
import { summaryLine, SummaryLine, summarySpan } from './SummaryLine';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
  var __pwned: unknown;
}

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

const summary = (over: Partial<Summary> = {}): Summary => ({
  text: 'The user planned a trip to Lisbon in March.\n\nThe assistant suggested the 28 tram.',
  first_created: '2026-03-04T14:05:00Z',
  last_created: '2026-03-06T09:30:00Z',
  messages: 10,
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
  delete globalThis.__pwned;
});

const render = (s: Summary): void => act(() => root.render(createElement(SummaryLine, { summary: s, id: 'a1' })));
const toggle = (): HTMLButtonElement => container.querySelector<HTMLButtonElement>('button.summary-toggle')!;
const click = (el: Element): void => act(() => (el as HTMLElement).click());

describe('SummaryLine', () => {
  it('starts collapsed as one line that counts the messages, and opens to the span and the text', () => {
    render(summary());
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    expect(toggle().textContent).toBe('Earlier in this conversation: 10 messages summarised');
    expect(container.querySelector('.summary-body')).toBeNull();

    click(toggle());
    expect(toggle().getAttribute('aria-expanded')).toBe('true');
    const body = container.querySelector('.summary-body')!;
    expect(toggle().getAttribute('aria-controls')).toBe(body.id);
    const from = body.querySelector('time.summary-from')!;
    const to = body.querySelector('time.summary-to')!;
    expect(from.textContent).toBe(formatDate('2026-03-04T14:05:00Z'));
    expect(from.getAttribute('datetime')).toBe('2026-03-04T14:05:00Z');
    expect(from.getAttribute('title')).toBe(formatTime('2026-03-04T14:05:00Z'));
    expect(to.textContent).toBe(formatDate('2026-03-06T09:30:00Z'));
    expect(body.querySelector('.summary-span')?.textContent).toBe(`${formatDate('2026-03-04T14:05:00Z')} – ${formatDate('2026-03-06T09:30:00Z')}`);
    // The text as it is, its line breaks kept (by CSS, not by markup).
    expect(body.querySelector('.summary-text')?.textContent).toBe(summary().text);
    expect(body.querySelector('.summary-text')?.children).toHaveLength(0);

    click(toggle());
    expect(container.querySelector('.summary-body')).toBeNull();
  });

  it('a span within one day shows its date once, and its times', () => {
    const s = summary({ first_created: '2026-03-04T10:05:00Z', last_created: '2026-03-04T10:40:00Z' });
    expect(summarySpan(s)).toEqual([formatTime('2026-03-04T10:05:00Z'), formatClock('2026-03-04T10:40:00Z')]);
    expect(formatClock('2026-03-04T10:40:00Z')).toMatch(/\d/);
    expect(formatClock('2026-03-04T10:40:00Z')).not.toContain('2026');
    render(s);
    click(toggle());
    expect(container.querySelector('.summary-from')?.textContent).toBe(formatTime('2026-03-04T10:05:00Z'));
    expect(container.querySelector('.summary-to')?.textContent).toBe(formatClock('2026-03-04T10:40:00Z'));
    expect(container.querySelector('.summary-to')?.getAttribute('title')).toBe(formatTime('2026-03-04T10:40:00Z'));
  });

  it('no span line for times it cannot read; the text all the same', () => {
    render(summary({ first_created: 'nope', last_created: '' }));
    click(toggle());
    expect(container.querySelector('.summary-span')).toBeNull();
    expect(container.querySelector('.summary-text')?.textContent).toBe(summary().text);
  });

  it('says "1 message" for one', () => {
    expect(summaryLine(summary({ messages: 1 }))).toBe('Earlier in this conversation: 1 message summarised');
    expect(summaryLine(summary({ messages: 40 }))).toBe('Earlier in this conversation: 40 messages summarised');
  });

  it('keeps a hostile summary as text', async () => {
    const text = `${HOSTILE} <script>window.__pwned=2</script> **bold** [link](javascript:alert(1))`;
    render(summary({ text }));
    click(toggle());
    await act(async () => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(container.querySelector('img, script, a, strong')).toBeNull();
    expect(container.querySelector('.summary-text')?.textContent).toBe(text);
    expect(globalThis.__pwned).toBeUndefined();
  });
});

describe('under an answer', () => {
  const answerWith = (s: Summary | null): ChatMessage => ({
    key: 'a1',
    id: 'm1',
    role: 'assistant',
    content: 'Take the 28.',
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
    memories: [],
    summary: s,
    parentId: null,
    siblings: [],
  });
  const renderMessage = (message: ChatMessage, readOnly = false): void =>
    act(() =>
      root.render(createElement(Message, { message, conversationId: 'c1', isLast: true, busy: false, onRegenerate: () => undefined, onCite: () => undefined, readOnly })),
    );

  it('shows the summary line under an answer given one, and none under one given none', () => {
    renderMessage(answerWith(summary()));
    expect(container.querySelector('.message.assistant .summary-toggle')?.textContent).toBe('Earlier in this conversation: 10 messages summarised');
    renderMessage(answerWith(null));
    expect(container.querySelector('.conversation-summary')).toBeNull();
  });

  it('not in a shared (read-only) conversation', () => {
    renderMessage(answerWith(summary()), true);
    expect(container.querySelector('.message.assistant')).not.toBeNull();
    expect(container.querySelector('.conversation-summary')).toBeNull();
  });

  /** The last answer of a conversation in the app's store. */
  function Harness({ id }: { id: string }) {
    const state = useChat(id);
    const message = state.messages[state.messages.length - 1];
    return message
      ? createElement(Message, { message, conversationId: id, isLast: true, busy: state.streaming, onRegenerate: () => undefined, onCite: () => undefined })
      : null;
  }

  it('appears when the answer finishes (`done`), not while it streams', () => {
    const id = 'summary-live';
    chatStore.dispatch(id, { type: 'send', prompt: 'Which tram?', userKey: `${id}-u`, assistantKey: `${id}-a` });
    chatStore.dispatch(id, { type: 'tokens', text: 'Take the 28.' });
    act(() => root.render(createElement(Harness, { id })));
    expect(container.querySelector('.message.assistant.streaming')).not.toBeNull();
    expect(container.querySelector('.conversation-summary')).toBeNull();
    act(() => chatStore.dispatch(id, { type: 'done', meta: { message_id: `${id}-m`, summary: summary({ text: HOSTILE }) } }));
    expect(container.querySelector('.message.assistant.streaming')).toBeNull();
    click(toggle());
    expect(container.querySelector('.summary-text')?.textContent).toBe(HOSTILE);
    expect(container.querySelector('img')).toBeNull();
  });
});
