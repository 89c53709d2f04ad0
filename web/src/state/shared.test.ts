import { describe, expect, it } from 'vitest';
import type { ConversationDetail, MessageOut } from '../api/types';
import { initialShared, sharedReducer } from './shared';

const message = (id: string, role = 'assistant', content = `text ${id}`): MessageOut => ({
  id,
  conversation_id: 'c1',
  role,
  content,
  created: '2026-01-01T00:00:00Z',
  model: null,
  backend: null,
  status: 'ok',
  error: null,
  latency_ms: null,
  prompt_tokens: null,
  completion_tokens: null,
  rating: null,
  notes: null,
  reviewed: false,
  source: 'chat',
  sources: [],
  tags: [],
});

const detail = (messages: MessageOut[]): ConversationDetail => ({
  id: 'c1',
  title: 'Shared',
  created: '2026-01-01T00:00:00Z',
  updated: '2026-01-01T00:00:00Z',
  message_count: messages.length,
  messages,
});

describe('a shared conversation', () => {
  it('shows what it loaded, then appends each new message once', () => {
    let state = sharedReducer(initialShared, { type: 'loaded', conversation: detail([message('m1', 'user'), message('m2')]) });
    expect(state.phase).toBe('live');
    expect(state.title).toBe('Shared');
    state = sharedReducer(state, { type: 'message', message: message('m3', 'user') });
    const again = sharedReducer(state, { type: 'message', message: message('m3', 'user') });
    expect(again).toBe(state);
    expect(state.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('leaves out roles the chat view does not show', () => {
    const state = sharedReducer(initialShared, { type: 'message', message: message('s1', 'system') });
    expect(state.messages).toEqual([]);
  });

  it("shows a tool's result (an OpenAI or Ollama client's conversation) as a tool message", () => {
    const state = sharedReducer(initialShared, { type: 'message', message: { ...message('t1', 'tool'), tool_name: 'lookup' } });
    expect(state.messages).toMatchObject([{ id: 't1', role: 'tool', toolName: 'lookup' }]);
  });

  it('a reload replaces the list (what a lost connection missed is in it) and clears the problem', () => {
    let state = sharedReducer(initialShared, { type: 'loaded', conversation: detail([message('m1')]) });
    state = sharedReducer(state, { type: 'interrupted', problem: 'Cannot reach the server.' });
    expect(state.problem).toBe('Cannot reach the server.');
    state = sharedReducer(state, { type: 'loaded', conversation: detail([message('m1'), message('m2')]) });
    expect(state.problem).toBeNull();
    expect(state.messages).toHaveLength(2);
  });

  it('withdrawn: nothing of it stays on screen, and late messages are ignored', () => {
    let state = sharedReducer(initialShared, { type: 'loaded', conversation: detail([message('m1')]) });
    state = sharedReducer(state, { type: 'gone' });
    expect(state).toMatchObject({ phase: 'gone', title: '', messages: [] });
    expect(sharedReducer(state, { type: 'message', message: message('m2') })).toBe(state);
  });
});
