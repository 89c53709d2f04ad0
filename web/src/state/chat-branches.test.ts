// The conversation tree in the chat reducer and the store: every message knows its
// versions (`siblings`), Edit replaces a question and what follows it by a new turn
// (a branch from the message before it), the server's ids and versions are taken in
// after a turn without losing what changed here, and the pager's switch shows the path
// the server answers with.

import { detail, stored } from '../api/fixtures';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Code } from '../api/errors';
import type { MessageOut } from '../api/types';
import { chatReducer, fromServer, initialChat, neighbourVersion, versionOf, type ChatAction, type ChatState } from './chat';
import { ChatStore } from './store';
import type { ChatSettings } from './settings';

function run(state: ChatState, ...actions: ChatAction[]): ChatState {
  return actions.reduce(chatReducer, state);
}



// q1 → a1 → q2 → a2, as the server stores it.
const q1 = stored({ id: 'q1', content: 'Which tram?', siblings: ['q1'] });
const a1 = stored({ id: 'a1', role: 'assistant', content: 'The 28.', parent_id: 'q1', siblings: ['a1'] });
const q2 = stored({ id: 'q2', content: 'How long?', parent_id: 'a1', siblings: ['q2'] });
const a2 = stored({ id: 'a2', role: 'assistant', content: 'An hour.', parent_id: 'q2', siblings: ['a2'] });
const loaded = (): ChatState => run(initialChat('c1'), { type: 'loaded', conversation: detail('c1', [q1, a1, q2, a2]) });
const refused = (code: Code) => ({ type: 'error' as const, error: { status: 429, code, message: 'slow down', retryAfterS: 5 } });

describe('versions of a message', () => {
  it('come from the server with the message it follows', () => {
    const message = fromServer(stored({ id: 'a3', role: 'assistant', parent_id: 'q1', siblings: ['a1', 'a3'] }))!;
    expect(message).toMatchObject({ parentId: 'q1', siblings: ['a1', 'a3'] });
    // A server without the tree: one version, no parent.
    const { parent_id: _p, siblings: _s, ...old } = stored({ id: 'x' });
    expect(fromServer(old as MessageOut)).toMatchObject({ parentId: null, siblings: [] });
  });

  it('number from 1 among the siblings; one version has no pager', () => {
    expect(versionOf({ id: 'b', siblings: ['a', 'b', 'c'] })).toEqual({ index: 1, count: 3 });
    expect(versionOf({ id: 'a', siblings: ['a'] })).toBeNull();
    expect(versionOf({ id: null, siblings: ['a', 'b'] })).toBeNull();
    expect(versionOf({ id: 'z', siblings: ['a', 'b'] })).toBeNull();
    expect(neighbourVersion({ id: 'b', siblings: ['a', 'b', 'c'] }, -1)).toBe('a');
    expect(neighbourVersion({ id: 'b', siblings: ['a', 'b', 'c'] }, 1)).toBe('c');
    expect(neighbourVersion({ id: 'a', siblings: ['a', 'b'] }, -1)).toBeNull();
    expect(neighbourVersion({ id: 'b', siblings: ['a', 'b'] }, 1)).toBeNull();
  });

  it('another branch loaded keeps the keys of the messages that stay', () => {
    const before = loaded();
    const q2b = stored({ id: 'q2b', content: 'How far?', parent_id: 'a1', siblings: ['q2', 'q2b'] });
    const a2b = stored({ id: 'a2b', role: 'assistant', content: 'Far.', parent_id: 'q2b', siblings: ['a2b'] });
    const after = run(before, { type: 'loaded', conversation: detail('c1', [q1, a1, q2b, a2b], [q2, a2]) });
    expect(after.messages.map((m) => [m.key, m.content])).toEqual([
      ['q1', 'Which tram?'],
      ['a1', 'The 28.'],
      ['q2b', 'How far?'],
      ['a2b', 'Far.'],
    ]);
    expect(after.messages[2].siblings).toEqual(['q2', 'q2b']);
  });
});

describe('chat reducer: edit', () => {
  const edit = (key: string, prompt = 'How long on foot?'): ChatAction => ({ type: 'edit', key, prompt, userKey: 'u9', assistantKey: 'a9' });

  it('puts the new question in place of the edited one and drops what followed it', () => {
    const state = run(loaded(), { type: 'draft', text: 'half typed' }, edit('q2'));
    expect(state.streaming).toBe(true);
    expect(state.turnEdit).toBe(true);
    expect(state.draft).toBe('half typed'); // the composer is not the editor
    expect(state.messages.map((m) => [m.key, m.role, m.content, m.status])).toEqual([
      ['q1', 'user', 'Which tram?', 'ok'],
      ['a1', 'assistant', 'The 28.', 'ok'],
      ['u9', 'user', 'How long on foot?', 'ok'],
      ['a9', 'assistant', '', 'streaming'],
    ]);
    expect(state.messages[2]).toMatchObject({ id: null, parentId: 'a1' }); // the same place in the tree
  });

  it('the first question too: the conversation starts again from it', () => {
    const state = run(loaded(), edit('q1', 'Which bus?'));
    expect(state.messages.map((m) => m.content)).toEqual(['Which bus?', '']);
  });

  it('only a user message, only one that is shown, only between turns, only with text', () => {
    const state = loaded();
    expect(chatReducer(state, edit('a1'))).toBe(state);
    expect(chatReducer(state, edit('nope'))).toBe(state);
    expect(chatReducer(state, edit('q1', ''))).toBe(state);
    const streaming = run(state, { type: 'regenerate', assistantKey: 'r1' });
    expect(chatReducer(streaming, edit('q1'))).toBe(streaming);
  });

  it('streams and finishes like any turn', () => {
    const state = run(loaded(), edit('q2'), { type: 'tokens', text: 'Twenty minutes.' }, { type: 'done', meta: { message_id: 'a9s' } });
    expect(state.streaming).toBe(false);
    expect(state.messages[3]).toMatchObject({ id: 'a9s', content: 'Twenty minutes.', status: 'ok' });
  });

  it('refused before it was stored: the turn goes, and the edit text does not land in the composer', () => {
    const state = run(loaded(), edit('q2'), refused('rate_limited'));
    expect(state.streaming).toBe(false);
    expect(state.error).toMatchObject({ code: 'rate_limited' });
    expect(state.draft).toBe('');
    expect(state.turnEdit).toBe(false);
    // ... and the server's path, once read again, shows the old branch again.
    const back = run(state, { type: 'synced', conversation: detail('c1', [q1, a1, q2, a2]), replace: true });
    expect(back.messages.map((m) => m.content)).toEqual(['Which tram?', 'The 28.', 'How long?', 'An hour.']);
    expect(back.messages.map((m) => m.key)).toEqual(['q1', 'a1', 'q2', 'a2']);
  });

  it('a failed answer to an edit keeps the error on it, and the composer as it was', () => {
    const state = run(loaded(), edit('q2'), { type: 'error', error: { status: 503, code: 'backend_unavailable', message: 'down', retryAfterS: null } });
    expect(state.messages[3]).toMatchObject({ status: 'error' });
    expect(state.draft).toBe('');
  });
});

describe('chat reducer: synced (the server after a turn)', () => {
  const edited = (): ChatState =>
    run(loaded(), { type: 'edit', key: 'q2', prompt: 'How long on foot?', userKey: 'u9', assistantKey: 'a9' }, { type: 'done', meta: { message_id: 'a9s' } });
  const q2b = stored({ id: 'q2b', content: 'How long on foot?', parent_id: 'a1', siblings: ['q2', 'q2b'] });
  const a2b = stored({ id: 'a2b', role: 'assistant', content: 'Twenty minutes.', parent_id: 'q2b', siblings: ['a9s'] });

  it('gives the new question its id and its versions ("2 / 2"), keeping the keys', () => {
    const state = run(edited(), { type: 'synced', conversation: detail('c1', [q1, a1, q2b, { ...a2b, id: 'a9s' }], [q2, a2]) });
    expect(state.messages.map((m) => m.key)).toEqual(['q1', 'a1', 'u9', 'a9']);
    expect(state.messages[2]).toMatchObject({ id: 'q2b', parentId: 'a1', siblings: ['q2', 'q2b'] });
    expect(versionOf(state.messages[2])).toEqual({ index: 1, count: 2 });
  });

  it('a regenerated answer: "2 / 2", the old one its first version', () => {
    let state = run(loaded(), { type: 'regenerate', assistantKey: 'r1' });
    expect(state.messages[3]).toMatchObject({ parentId: 'q2', status: 'streaming' });
    state = run(state, { type: 'tokens', text: 'Two hours.' }, { type: 'done', meta: { message_id: 'a3' } });
    const a3 = stored({ id: 'a3', role: 'assistant', content: 'Two hours.', parent_id: 'q2', siblings: ['a2', 'a3'] });
    state = run(state, { type: 'synced', conversation: detail('c1', [q1, a1, q2, a3], [{ ...a2, siblings: ['a2', 'a3'] }]) });
    expect(versionOf(state.messages[3])).toEqual({ index: 1, count: 2 });
    expect(neighbourVersion(state.messages[3], -1)).toBe('a2');
    expect(state.messages[3].key).toBe('r1');
  });

  it('keeps what changed here meanwhile (a rating given before the answer came)', () => {
    let state = run(initialChat('c1'), { type: 'send', prompt: 'Which tram?', userKey: 'u1', assistantKey: 'x1' }, { type: 'done', meta: { message_id: 'a1' } });
    state = run(state, { type: 'feedback', key: 'x1', rating: 1 });
    state = run(state, { type: 'synced', conversation: detail('c1', [q1, a1]) }); // read before the rating was stored
    expect(state.messages[1]).toMatchObject({ id: 'a1', rating: 1 });
    expect(state.messages[0]).toMatchObject({ id: 'q1', siblings: ['q1'] }); // Edit can use it now
  });

  it('a path that does not line up: what is shown stays, unless told to replace it', () => {
    const state = edited();
    const other = detail('c1', [q1, a1, q2, a2]);
    const kept = run(state, { type: 'synced', conversation: other });
    expect(kept.messages.map((m) => m.content)).toEqual(['Which tram?', 'The 28.', 'How long on foot?', '']);
    const shown = run(state, { type: 'synced', conversation: other, replace: true });
    expect(shown.messages.map((m) => m.content)).toEqual(['Which tram?', 'The 28.', 'How long?', 'An hour.']);
  });

  it('nothing new: the same state; while a turn streams: ignored', () => {
    const state = loaded();
    expect(chatReducer(state, { type: 'synced', conversation: detail('c1', [q1, a1, q2, a2]) })).toBe(state);
    const streaming = run(state, { type: 'send', prompt: 'And back?', userKey: 'u3', assistantKey: 'x3' });
    expect(chatReducer(streaming, { type: 'synced', conversation: detail('c1', [q1, a1]), replace: true })).toBe(streaming);
  });
});

// --- the store, against a stubbed fetch (the WebSocket unavailable: turns go over SSE) ---

const settings: ChatSettings = { collection: '', model: '', temperature: null, topK: null, system: '' };

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const sse = (...events: [string, unknown][]): Response =>
  new Response(events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`).join(''), {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream' },
  });

const turnOut = (messageId: string, response: string) => ({
  response,
  session_id: 'c1',
  message_id: messageId,
  model: 'llama3.2',
  backend: 'ollama',
  sources: [],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  latency_ms: 5,
  finish_reason: 'stop',
});

let seen: Seen[];
let answer: (request: Seen) => Response;

beforeEach(() => {
  seen = [];
  answer = () => json({}, 500);
  vi.stubGlobal('WebSocket', undefined);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = { method: init?.method ?? 'GET', url: String(input), body: init?.body ? JSON.parse(String(init.body)) : null };
      seen.push(request);
      return answer(request);
    }),
  );
});

afterEach(() => vi.unstubAllGlobals());

const settle = async (store: ChatStore, id: string): Promise<void> => {
  await vi.waitFor(() => expect(store.get(id).streaming).toBe(false));
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('ChatStore: branches', () => {
  it('the pager: PUT /conversations/{id}/branch with the version, then that path is shown', async () => {
    const store = new ChatStore();
    store.dispatch('c1', { type: 'loaded', conversation: detail('c1', [q1, a1, q2, a2]) });
    const a3 = stored({ id: 'a3', role: 'assistant', content: 'Two hours.', parent_id: 'q2', siblings: ['a2', 'a3'] });
    answer = () => json(detail('c1', [q1, a1, q2, a3], [a2]));
    await store.showBranch('c1', 'a3');
    expect(seen).toEqual([{ method: 'PUT', url: '/conversations/c1/branch', body: { message_id: 'a3' } }]);
    expect(store.get('c1').messages.map((m) => m.content)).toEqual(['Which tram?', 'The 28.', 'How long?', 'Two hours.']);
  });

  it('an unknown version: the ApiError (404) to the caller, the view unchanged', async () => {
    const store = new ChatStore();
    store.dispatch('c1', { type: 'loaded', conversation: detail('c1', [q1, a1]) });
    const before = store.get('c1');
    answer = () => json({ error: { code: 'not_found', message: 'No message', request_id: 'r' } }, 404);
    await expect(store.showBranch('c1', 'zz')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(store.get('c1')).toBe(before);
  });

  it('Edit sends the turn with `edit`, streams the answer, then reads the versions', async () => {
    const store = new ChatStore();
    store.dispatch('c1', { type: 'loaded', conversation: detail('c1', [q1, a1, q2, a2]) });
    const q2b = stored({ id: 'q2b', content: 'How long on foot?', parent_id: 'a1', siblings: ['q2', 'q2b'] });
    const a2b = stored({ id: 'a2b', role: 'assistant', content: 'Twenty minutes.', parent_id: 'q2b', siblings: ['a2b'] });
    answer = (request) =>
      request.url === '/chat/sse'
        ? sse(['token', { token: 'Twenty minutes.' }], ['done', turnOut('a2b', 'Twenty minutes.')])
        : json(detail('c1', [q1, a1, q2b, a2b], [q2, a2]));
    store.edit('c1', 'q2', 'How long on foot?', settings);
    expect(store.get('c1').messages.map((m) => m.content)).toEqual(['Which tram?', 'The 28.', 'How long on foot?', '']);
    await settle(store, 'c1');
    expect(seen[0]).toEqual({ method: 'POST', url: '/chat/sse', body: { prompt: 'How long on foot?', session_id: 'c1', edit: 'q2' } });
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/conversations/c1' });
    const messages = store.get('c1').messages;
    expect(messages.map((m) => m.content)).toEqual(['Which tram?', 'The 28.', 'How long on foot?', 'Twenty minutes.']);
    expect(versionOf(messages[2])).toEqual({ index: 1, count: 2 });
    expect(messages[3].id).toBe('a2b');
  });

  it('Edit needs the stored question (its id), and text', () => {
    const store = new ChatStore();
    store.dispatch('c1', { type: 'send', prompt: 'Fresh', userKey: 'u1', assistantKey: 'x1' });
    store.dispatch('c1', { type: 'done', meta: { message_id: 'x1s' } });
    store.edit('c1', 'u1', 'Fresher', settings); // its id is not known yet
    store.edit('c1', 'x1', 'Not a question', settings);
    expect(store.get('c1').streaming).toBe(false);
    store.dispatch('c1', { type: 'loaded', conversation: detail('c1', [q1, a1]) });
    store.edit('c1', 'q1', '   ', settings);
    expect(store.get('c1').streaming).toBe(false);
    expect(seen).toEqual([]);
  });
});
