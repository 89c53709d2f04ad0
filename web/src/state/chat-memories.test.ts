// Memory in the conversation reducer: the memories an answer was given, as they stream
// in (before the first token), as `done` confirms them, as the stored answer keeps them;
// and a forgotten one leaving every answer that shows it.

import { afterEach, describe, expect, it } from 'vitest';
import type { Memory, MessageOut } from '../api/types';
import { chatReducer, fromServer, initialChat, resetForgottenMemories, type ChatAction, type ChatState } from './chat';
import { ChatStore } from './store';

function run(state: ChatState, ...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, state);
}

const memory = (id: string, over: Partial<Memory> = {}): Memory => ({
  id,
  conversation_id: 'c0',
  conversation_title: 'Family news',
  message_ids: ['m0'],
  text: 'My sister Priya moved to Lisbon.',
  created: '2026-03-04T14:05:00Z',
  score: 0.03,
  ...over,
});

const send: ChatAction = { type: 'send', prompt: 'Where does my sister live?', userKey: 'u1', assistantKey: 'a1' };

const stored = (over: Partial<MessageOut>): MessageOut => ({
  id: 'm1',
  conversation_id: 'c1',
  role: 'assistant',
  content: 'In Lisbon.',
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

afterEach(() => resetForgottenMemories());

describe('memories while an answer streams', () => {
  it('puts them on the answer being written, before its first token', () => {
    const state = run(initialChat('c1'), send, { type: 'memories', memories: [memory('k1'), memory('k2')] });
    expect(state.messages[1].memories.map((m) => m.id)).toEqual(['k1', 'k2']);
    expect(state.messages[1].content).toBe('');
    expect(state.messages[0].memories).toEqual([]);
  });

  it('`done` keeps them, or brings them when the event was missed', () => {
    const meta = { message_id: 'm1', memories: [memory('k1')] };
    let state = run(initialChat('c1'), send, { type: 'memories', memories: [memory('k1')] }, { type: 'tokens', text: 'In Lisbon.' }, { type: 'done', meta: { message_id: 'm1' } });
    expect(state.messages[1].memories.map((m) => m.id)).toEqual(['k1']);
    state = run(initialChat('c1'), send, { type: 'done', meta });
    expect(state.messages[1].memories.map((m) => m.id)).toEqual(['k1']);
  });

  it('ignores memories when nothing streams', () => {
    const state = initialChat('c1');
    expect(chatReducer(state, { type: 'memories', memories: [memory('k1')] })).toBe(state);
  });

  it('an answer without memories has none', () => {
    const state = run(initialChat('c1'), send, { type: 'tokens', text: 'Hi' }, { type: 'done', meta: { message_id: 'm1' } });
    expect(state.messages[1].memories).toEqual([]);
  });
});

describe('memories of a stored answer', () => {
  it('reads `memories` under an answer', () => {
    const message = fromServer(stored({ memories: [memory('k1'), memory('k2', { conversation_id: 'c9' })] }));
    expect(message?.memories.map((m) => [m.id, m.conversation_id])).toEqual([
      ['k1', 'c0'],
      ['k2', 'c9'],
    ]);
  });

  it('answers from older servers (no memories) have none', () => {
    expect(fromServer(stored({}))?.memories).toEqual([]);
  });
});

describe('forgetting a memory', () => {
  it('takes it out of every answer that shows it', () => {
    let state = run(initialChat('c1'), send, { type: 'memories', memories: [memory('k1'), memory('k2')] }, { type: 'done', meta: { message_id: 'm1' } });
    state = run(state, { type: 'send', prompt: 'And my brother?', userKey: 'u2', assistantKey: 'a2' }, { type: 'memories', memories: [memory('k1')] }, { type: 'done', meta: { message_id: 'm2' } });
    state = chatReducer(state, { type: 'forgetMemory', id: 'k1' });
    expect(state.messages.map((m) => m.memories.map((x) => x.id))).toEqual([[], ['k2'], [], []]);
    expect(chatReducer(state, { type: 'forgetMemory', id: 'unknown' })).toBe(state);
  });

  it('the store forgets it in every conversation, and keeps it hidden when a stored answer comes back with it', () => {
    const store = new ChatStore();
    store.dispatch('c1', send);
    store.dispatch('c1', { type: 'memories', memories: [memory('k1'), memory('k2')] });
    store.dispatch('c2', { type: 'loaded', conversation: { id: 'c2', title: 't', created: '', updated: '', message_count: 1, messages: [stored({ memories: [memory('k1')] })] } });
    store.forgetMemory('k1');
    expect(store.get('c1').messages[1].memories.map((m) => m.id)).toEqual(['k2']);
    expect(store.get('c2').messages[0].memories).toEqual([]);
    // The stored answer still lists what it was given: reloading it does not bring it back.
    store.dispatch('c2', { type: 'loaded', conversation: { id: 'c2', title: 't', created: '', updated: '', message_count: 1, messages: [stored({ memories: [memory('k1'), memory('k3')] })] } });
    expect(store.get('c2').messages[0].memories.map((m) => m.id)).toEqual(['k3']);
  });
});
