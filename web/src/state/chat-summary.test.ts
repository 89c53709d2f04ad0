// The summary of earlier turns in the conversation reducer: `done` puts it on the answer
// that was being written (it has no event of its own), a stored answer keeps it, and an
// answer without one has none.

import { describe, expect, it } from 'vitest';
import type { MessageOut, Summary } from '../api/types';
import { chatReducer, fromServer, initialChat, type ChatAction, type ChatState } from './chat';
import { ChatStore } from './store';

function run(state: ChatState, ...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, state);
}

const summary: Summary = {
  text: 'The user planned a trip to Lisbon in March.',
  first_created: '2026-03-04T14:05:00Z',
  last_created: '2026-03-04T14:40:00Z',
  messages: 10,
};

const send = (n: number): ChatAction => ({ type: 'send', prompt: `Question ${n}`, userKey: `u${n}`, assistantKey: `a${n}` });

const stored = (over: Partial<MessageOut>): MessageOut => ({
  id: 'm1',
  conversation_id: 'c1',
  role: 'assistant',
  content: 'Take the 28.',
  created: '2026-03-05T00:00:00Z',
  model: 'llama3.2',
  backend: 'ollama',
  status: 'ok',
  error: null,
  latency_ms: 10,
  prompt_tokens: null,
  completion_tokens: null,
  rating: null,
  notes: null,
  reviewed: false,
  source: 'chat',
  sources: [],
  tags: [],
  ...over,
});

describe('the summary of a live answer', () => {
  it('has none while it streams: it comes with `done`', () => {
    let state = run(initialChat('c1'), send(1), { type: 'tokens', text: 'Take' });
    expect(state.messages[1].summary).toBeNull();
    state = run(state, { type: 'tokens', text: ' the 28.' }, { type: 'done', meta: { message_id: 'm1', summary } });
    expect(state.messages[1]).toMatchObject({ id: 'm1', status: 'ok', content: 'Take the 28.', summary });
    expect(state.messages[0].summary).toBeNull(); // the prompt has none
  });

  it('an answer given none (null, or a server that does not say) has none', () => {
    let state = run(initialChat('c1'), send(1), { type: 'done', meta: { message_id: 'm1', summary: null } });
    expect(state.messages[1].summary).toBeNull();
    state = run(state, send(2), { type: 'done', meta: { message_id: 'm2' } });
    expect(state.messages[3].summary).toBeNull();
  });

  it('goes on the answer being written only, earlier answers keep theirs', () => {
    const later: Summary = { ...summary, text: 'More.', messages: 20 };
    let state = run(initialChat('c1'), send(1), { type: 'done', meta: { message_id: 'm1', summary } });
    state = run(state, send(2), { type: 'done', meta: { message_id: 'm2', summary: later } });
    expect(state.messages.map((m) => m.summary?.messages ?? null)).toEqual([null, 10, null, 20]);
  });

  it('a stopped or failed answer has none (no `done`)', () => {
    let state = run(initialChat('c1'), send(1), { type: 'tokens', text: 'Take' }, { type: 'stop' });
    expect(state.messages[1].summary).toBeNull();
    state = run(state, send(2), { type: 'tokens', text: 'x' }, { type: 'error', error: { status: 0, code: 'backend_error', message: 'boom', retryAfterS: null } });
    expect(state.messages[3].summary).toBeNull();
  });
});

describe('the summary of a stored answer', () => {
  it('reads `summary` under an answer', () => {
    expect(fromServer(stored({ summary }))?.summary).toEqual(summary);
  });

  it('answers given none, or from older servers, have none; nor does a prompt', () => {
    expect(fromServer(stored({ summary: null }))?.summary).toBeNull();
    expect(fromServer(stored({}))?.summary).toBeNull();
    expect(fromServer(stored({ role: 'user', summary }))?.summary).toBeNull();
  });

  it('is there again when the conversation is loaded (after a reload)', () => {
    const store = new ChatStore();
    const messages = [stored({ id: 'u1', role: 'user', content: 'Which tram?' }), stored({ id: 'm1', summary })];
    store.dispatch('c1', { type: 'loaded', conversation: { id: 'c1', title: 't', created: '', updated: '', message_count: 2, messages } });
    expect(store.get('c1').messages.map((m) => m.summary)).toEqual([null, summary]);
  });
});
