import { describe, expect, it } from 'vitest';
import type { Code } from '../api/errors';
import type { ConversationDetail } from '../api/types';
import { chatReducer, initialChat, lastUserPrompt, type ChatAction, type ChatState, type ErrorInfo } from './chat';

function run(state: ChatState, ...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, state);
}

const start = (): ChatState => initialChat('c1');
const send = (prompt: string, n = 1): ChatAction => ({ type: 'send', prompt, userKey: `u${n}`, assistantKey: `a${n}` });
const err = (code: Code, status: number, retryAfterS: number | null = null): ErrorInfo => ({
  code,
  status,
  message: `${code} happened`,
  retryAfterS,
});

describe('chat reducer: sending and streaming', () => {
  it('adds the prompt and an empty streaming answer, and clears the input', () => {
    const state = run(start(), { type: 'draft', text: 'Hello?' }, send('Hello?'));
    expect(state.draft).toBe('');
    expect(state.streaming).toBe(true);
    expect(state.saved).toBe(true);
    expect(state.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Hello?', 'ok'],
      ['assistant', '', 'streaming'],
    ]);
  });

  it('appends tokens in order to the streaming answer', () => {
    const state = run(start(), send('Count'), { type: 'tokens', text: 'One' }, { type: 'tokens', text: ', two' }, { type: 'tokens', text: ', three.' });
    expect(state.messages[1].content).toBe('One, two, three.');
    expect(state.messages[0].content).toBe('Count');
  });

  it('ignores tokens when nothing streams', () => {
    const state = start();
    expect(chatReducer(state, { type: 'tokens', text: 'stray' })).toBe(state);
  });

  it('does not start a second turn while one streams', () => {
    const streaming = run(start(), send('one'));
    expect(chatReducer(streaming, send('two', 2))).toBe(streaming);
  });

  it('finishes with the server id, model, latency and sources', () => {
    const source = { rank: 1, document_id: 'd', chunk_id: 1, title: 'notes', source_name: 'notes.md', location: null, start: 0, end: 4, score: 0.03, snippet: 'text', url: null };
    const state = run(
      start(),
      send('Q'),
      { type: 'sources', sources: [source] },
      { type: 'tokens', text: 'A [1]' },
      { type: 'done', meta: { message_id: 'm9', model: 'llama3.2', latency_ms: 420, finish_reason: 'stop', sources: [] } },
    );
    expect(state.streaming).toBe(false);
    const answer = state.messages[1];
    expect(answer).toMatchObject({ id: 'm9', status: 'ok', model: 'llama3.2', latencyMs: 420, content: 'A [1]' });
    expect(answer.sources).toEqual([source]); // an empty list at the end does not wipe them
  });
});

describe('chat reducer: stop', () => {
  it('keeps what arrived and marks the answer stopped', () => {
    const state = run(start(), send('Long story'), { type: 'tokens', text: 'Once upon' }, { type: 'stop' });
    expect(state.streaming).toBe(false);
    expect(state.messages[1]).toMatchObject({ content: 'Once upon', status: 'cancelled' });
  });

  it('ignores tokens that arrive after the stop', () => {
    const state = run(start(), send('Long story'), { type: 'tokens', text: 'Once' }, { type: 'stop' }, { type: 'tokens', text: ' more' });
    expect(state.messages[1].content).toBe('Once');
  });
});

describe('chat reducer: errors keep the input', () => {
  it('puts the prompt back in the input when the model fails, and shows the error on the answer', () => {
    const state = run(start(), { type: 'draft', text: 'Why?' }, send('Why?'), { type: 'error', error: err('backend_unavailable', 503) });
    expect(state.streaming).toBe(false);
    expect(state.draft).toBe('Why?');
    expect(state.messages).toHaveLength(2); // the prompt is stored even when the model is down
    expect(state.messages[1]).toMatchObject({ status: 'error', error: { code: 'backend_unavailable' } });
  });

  it('does not overwrite what the user typed meanwhile', () => {
    const state = run(start(), send('First'), { type: 'draft', text: 'Next question' }, { type: 'error', error: err('backend_timeout', 504) });
    expect(state.draft).toBe('Next question');
  });

  it('takes a refused prompt (413, 429) back out of the conversation and into the input', () => {
    for (const error of [err('payload_too_large', 413), err('rate_limited', 429, 42)]) {
      const state = run(start(), send('Too much'), { type: 'error', error });
      expect(state.messages).toEqual([]);
      expect(state.draft).toBe('Too much');
      expect(state.error).toEqual(error);
    }
  });

  it('keeps earlier messages when a later prompt is refused', () => {
    const state = run(
      start(),
      send('one', 1),
      { type: 'tokens', text: 'ok' },
      { type: 'done', meta: { message_id: 'm1' } },
      send('two', 2),
      { type: 'error', error: err('rate_limited', 429, 3) },
    );
    expect(state.messages.map((m) => m.content)).toEqual(['one', 'ok']);
    expect(state.draft).toBe('two');
  });

  it('keeps partial text when the stream breaks mid-way', () => {
    const state = run(start(), send('Q'), { type: 'tokens', text: 'Half an' }, { type: 'error', error: err('backend_error', 502) });
    expect(state.messages[1]).toMatchObject({ content: 'Half an', status: 'error' });
  });

  it('clears the composer error on the next send', () => {
    const refused = run(start(), send('x'), { type: 'error', error: err('rate_limited', 429, 1) });
    expect(refused.error).not.toBeNull();
    expect(run(refused, send('x', 2)).error).toBeNull();
    expect(run(refused, { type: 'dismissError' }).error).toBeNull();
  });
});

describe('chat reducer: regenerate', () => {
  const answered = (): ChatState =>
    run(start(), send('Tell me a joke'), { type: 'tokens', text: 'Why did…' }, { type: 'done', meta: { message_id: 'm1' } });

  it('replaces the last answer with a new streaming one for the same prompt', () => {
    const before = answered();
    expect(lastUserPrompt(before)).toBe('Tell me a joke');
    const state = run(before, { type: 'regenerate', assistantKey: 'a2' });
    expect(state.streaming).toBe(true);
    expect(state.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ['user', 'Tell me a joke', 'ok'],
      ['assistant', '', 'streaming'],
    ]);
    expect(state.messages[1].key).toBe('a2');
    const done = run(state, { type: 'tokens', text: 'Another one' }, { type: 'done', meta: { message_id: 'm2' } });
    expect(done.messages[1]).toMatchObject({ id: 'm2', content: 'Another one', status: 'ok' });
  });

  it('retries a failed answer', () => {
    const failed = run(start(), send('Q'), { type: 'error', error: err('backend_unavailable', 503) });
    const state = run(failed, { type: 'regenerate', assistantKey: 'a2' });
    expect(state.messages[1]).toMatchObject({ status: 'streaming', error: null, content: '' });
  });

  it('does nothing without a prompt, or while streaming', () => {
    const empty = start();
    expect(chatReducer(empty, { type: 'regenerate', assistantKey: 'x' })).toBe(empty);
    const streaming = run(start(), send('Q'));
    expect(chatReducer(streaming, { type: 'regenerate', assistantKey: 'x' })).toBe(streaming);
  });

  it('keeps the prompt in the conversation when a regenerate is refused', () => {
    const state = run(answered(), { type: 'regenerate', assistantKey: 'a2' }, { type: 'error', error: err('rate_limited', 429, 5) });
    expect(state.messages.map((m) => m.role)).toEqual(['user']);
    expect(state.draft).toBe('');
    expect(state.error?.code).toBe('rate_limited');
  });
});

describe('chat reducer: loading and feedback', () => {
  const detail: ConversationDetail = {
    id: 'c1',
    title: 'hi',
    created: '2026-01-01T00:00:00Z',
    updated: '2026-01-01T00:00:00Z',
    message_count: 2,
    messages: [
      { id: 'u', conversation_id: 'c1', role: 'user', content: 'hi', created: '', model: null, backend: null, status: 'ok', error: null, latency_ms: null, prompt_tokens: null, completion_tokens: null, rating: null, notes: null, source: 'api', tags: [], reviewed: false },
      { id: 'a', conversation_id: 'c1', role: 'assistant', content: '', created: '', model: 'm', backend: 'ollama', status: 'error', error: 'backend_unavailable: Cannot reach ollama', latency_ms: 3, prompt_tokens: null, completion_tokens: null, rating: 1, notes: 'meh', source: 'api', tags: [], reviewed: false, sources: [] },
    ],
  };

  it('loads messages from the server, with stored errors', () => {
    const state = run(start(), { type: 'loading' }, { type: 'loaded', conversation: detail });
    expect(state.loading).toBe(false);
    expect(state.messages).toHaveLength(2);
    expect(state.messages[1]).toMatchObject({ status: 'error', error: { code: 'backend_unavailable', message: 'Cannot reach ollama' }, rating: 1, notes: 'meh' });
  });

  it('does not replace a live stream with an older copy from the server', () => {
    const streaming = run(start(), send('new'), { type: 'tokens', text: 'partial' });
    const state = chatReducer(streaming, { type: 'loaded', conversation: detail });
    expect(state.messages[1].content).toBe('partial');
  });

  it('records feedback on a message', () => {
    const state = run(start(), { type: 'loaded', conversation: detail }, { type: 'feedback', key: 'a', rating: -1, notes: 'wrong' });
    expect(state.messages[1]).toMatchObject({ rating: -1, notes: 'wrong' });
  });
});
