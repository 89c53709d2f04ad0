// Agent turns in the conversation reducer: steps as they stream, as they are stored, and
// the `tool` messages of conversations OpenAI or Ollama clients made.

import { describe, expect, it } from 'vitest';
import type { MessageOut } from '../api/types';
import { chatReducer, fromServer, initialChat, type ChatAction, type ChatState } from './chat';

function run(state: ChatState, ...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, state);
}

const send: ChatAction = { type: 'send', prompt: 'Q', userKey: 'u1', assistantKey: 'a1' };
const call = (id: string, name = 'search_documents'): ChatAction => ({
  type: 'toolCall',
  call: { step: 1, id, name, arguments: '{"query":"glaciers"}' },
});
const result = (id: string, status = 'ok', name = 'search_documents'): ChatAction => ({
  type: 'toolResult',
  result: { step: 1, id, name, status, result: `result of ${id}`, ms: 7, sources: [] },
});

const stored = (over: Partial<MessageOut>): MessageOut => ({
  id: 'm1',
  conversation_id: 'c1',
  role: 'assistant',
  content: 'Glaciers carve valleys [1].',
  created: '2026-01-01T00:00:00Z',
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

describe('agent steps while an answer streams', () => {
  it('adds each call as a running step, and its result updates it', () => {
    let state = run(initialChat('c1'), send, { type: 'tokens', text: 'Let me look. ' }, call('c-1'));
    expect(state.messages[1].steps).toMatchObject([{ id: 'c-1', name: 'search_documents', status: 'running', result: null, ms: null }]);
    state = run(state, result('c-1'), call('c-2', 'fetch_url'), result('c-2', 'refused', 'fetch_url'), { type: 'tokens', text: 'Answer.' });
    const answer = state.messages[1];
    expect(answer.steps.map((s) => [s.id, s.status, s.result, s.ms])).toEqual([
      ['c-1', 'ok', 'result of c-1', 7],
      ['c-2', 'refused', 'result of c-2', 7],
    ]);
    expect(answer.content).toBe('Let me look. Answer.');
  });

  it("makes a tool's sources citable at once", () => {
    const source = { rank: 1, document_id: 'd', chunk_id: 1, title: 'notes', source_name: 'notes.md', location: null, start: 0, end: 4, score: 0.03, snippet: 'text', url: null };
    const found: ChatAction = { type: 'toolResult', result: { step: 1, id: 'c-1', name: 'search_documents', status: 'ok', result: '[1] text', ms: 3, sources: [source, { rank: 'x' }] } };
    const state = run(initialChat('c1'), send, call('c-1'), found, found);
    expect(state.messages[1].sources).toEqual([source]);
  });

  it('a call seen twice is one step; a result without its call still shows', () => {
    const state = run(initialChat('c1'), send, call('c-1'), call('c-1'), result('c-9'));
    expect(state.messages[1].steps.map((s) => [s.id, s.status])).toEqual([
      ['c-1', 'running'],
      ['c-9', 'ok'],
    ]);
  });

  it('Stop leaves no step running', () => {
    const state = run(initialChat('c1'), send, call('c-1'), { type: 'stop' });
    expect(state.messages[1].steps[0].status).toBe('stopped');
  });

  it('an answer that ran tools is kept when the turn then fails', () => {
    const state = run(initialChat('c1'), send, call('c-1'), result('c-1'), {
      type: 'error',
      error: { status: 0, code: 'rate_limited', message: 'x', retryAfterS: null },
    });
    expect(state.messages).toHaveLength(2);
    expect(state.messages[1].status).toBe('error');
  });

  it('ignores tool events when nothing streams', () => {
    const state = initialChat('c1');
    expect(chatReducer(state, call('c-1'))).toBe(state);
    expect(chatReducer(state, result('c-1'))).toBe(state);
  });
});

describe('agent steps from a stored conversation', () => {
  it('reads `steps` under an answer', () => {
    const message = fromServer(
      stored({
        steps: [
          { step: 1, id: 'c-1', name: 'search_documents', arguments: '{"query":"glaciers"}', status: 'ok', result: '[1] ...', error: null, ms: 12 },
          { step: 2, id: 'c-2', name: 'fetch_url', arguments: '{}', status: 'error', result: '', error: 'boom', ms: 3 },
        ],
      }),
    );
    expect(message?.role).toBe('assistant');
    expect(message?.steps.map((s) => [s.name, s.status, s.error])).toEqual([
      ['search_documents', 'ok', null],
      ['fetch_url', 'error', 'boom'],
    ]);
  });

  it("reads an answer's calls of the client's tools, flat or OpenAI-shaped", () => {
    const message = fromServer(
      stored({
        content: '',
        tool_calls: [
          { id: 'x1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { id: 'x2', type: 'function', function: { name: 'get_time', arguments: { zone: 'UTC' } } },
          { id: 'x3' },
        ],
      }),
    );
    expect(message?.steps.map((s) => [s.id, s.name, s.arguments, s.status])).toEqual([
      ['x1', 'get_weather', '{"city":"Oslo"}', 'called'],
      ['x2', 'get_time', '{"zone":"UTC"}', 'called'],
    ]);
  });

  it('a `tool` message is a tool message, never a user bubble', () => {
    const message = fromServer(stored({ id: 't1', role: 'tool', content: '18 °C', tool_name: 'get_weather', tool_call_id: 'x1' }));
    expect(message).toMatchObject({ id: 't1', role: 'tool', content: '18 °C', toolName: 'get_weather', steps: [] });
  });

  it('answers from older servers (no steps) have none', () => {
    expect(fromServer(stored({}))?.steps).toEqual([]);
  });
});
