// ChatSocket takes only frames of the schema's WsServerFrame; one that breaks it ends
// the turn with an error that says so, instead of leaving the reply hanging.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiError } from './errors';
import type { ChatHandlers } from './stream';
import type { TurnMeta } from './types';
import { ChatSocket } from './ws';

class FakeSocket {
  static OPEN = 1;
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: unknown[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = FakeSocket.OPEN;
      this.onopen?.();
    });
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.readyState = 3;
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const turn: TurnMeta = {
  response: 'Hello',
  session_id: 'c1',
  message_id: 'm1',
  model: 'llama3.2',
  backend: 'ollama',
  sources: [],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  latency_ms: 5,
  finish_reason: 'stop',
};

function recorder(): ChatHandlers & { tokens: string[]; done: TurnMeta[]; errors: ApiError[] } {
  const seen = { tokens: [] as string[], done: [] as TurnMeta[], errors: [] as ApiError[] };
  return {
    ...seen,
    onToken: (token) => seen.tokens.push(token),
    onSources: () => undefined,
    onDone: (meta) => seen.done.push(meta),
    onError: (error) => seen.errors.push(error),
    onCancelled: () => undefined,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function connected(): Promise<{ socket: ChatSocket; fake: FakeSocket }> {
  const socket = new ChatSocket(() => 'k1', 'ws://vega.test/ws');
  const opening = socket.connect();
  await tick();
  const fake = FakeSocket.last!;
  fake.receive({ type: 'auth_ok', key: 'primary' });
  await opening;
  return { socket, fake };
}

beforeEach(() => vi.stubGlobal('WebSocket', FakeSocket));
afterEach(() => vi.unstubAllGlobals());

describe('ChatSocket', () => {
  it('authenticates, then sends a message frame and streams the reply', async () => {
    const { socket, fake } = await connected();
    expect(fake.sent[0]).toEqual({ type: 'auth', api_key: 'k1' });
    const seen = recorder();
    const running = socket.send({ content: 'Hi', conversation_id: 'c1', collection: 'données' }, seen);
    await tick();
    expect(fake.sent[1]).toEqual({ type: 'message', content: 'Hi', conversation_id: 'c1', collection: 'données' });
    fake.receive({ type: 'token', conversation_id: 'c1', token: 'Hello' });
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: turn });
    await running;
    expect(seen.tokens).toEqual(['Hello']);
    expect(seen.done).toEqual([turn]);
    expect(seen.errors).toEqual([]);
  });

  it('sends an edit: the id of the question the content replaces', async () => {
    const { socket, fake } = await connected();
    const running = socket.send({ content: 'In other words', conversation_id: 'c1', edit: 'm7' }, recorder());
    await tick();
    expect(fake.sent[1]).toEqual({ type: 'message', content: 'In other words', conversation_id: 'c1', edit: 'm7' });
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: turn });
    await running;
  });

  it('ends the turn with invalid_response on a frame that breaks the schema', async () => {
    const { socket, fake } = await connected();
    const seen = recorder();
    const running = socket.send({ content: 'Hi', conversation_id: 'c1' }, seen);
    await tick();
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: { ...turn, latency_ms: 'soon' } });
    await running;
    expect(seen.done).toEqual([]);
    expect(seen.errors).toHaveLength(1);
    expect(seen.errors[0]).toMatchObject({ code: 'invalid_response' });
    expect(seen.errors[0].message).toContain('metadata.latency_ms');
    expect(socket.busy).toBe(false);
  });

  it('reads an error frame with the schema’s code', async () => {
    const { socket, fake } = await connected();
    const seen = recorder();
    const running = socket.send({ content: 'Hi', conversation_id: 'c1' }, seen);
    await tick();
    fake.receive({ type: 'error', conversation_id: 'c1', error: { code: 'backend_unavailable', message: 'Cannot reach ollama', request_id: 'r1' } });
    await running;
    expect(seen.errors[0]).toMatchObject({ code: 'backend_unavailable', message: 'Cannot reach ollama', requestId: 'r1' });
  });

  it('sends agent mode, and passes on tool_call and tool_result frames', async () => {
    const { socket, fake } = await connected();
    const steps: string[] = [];
    const seen = { ...recorder(), onToolCall: (c: { name: string }) => steps.push(`call ${c.name}`), onToolResult: (r: { status: string }) => steps.push(`result ${r.status}`) };
    const running = socket.send({ content: 'Hi', conversation_id: 'c1', mode: 'agent' }, seen);
    await tick();
    expect(fake.sent[1]).toEqual({ type: 'message', content: 'Hi', conversation_id: 'c1', mode: 'agent' });
    fake.receive({ type: 'tool_call', conversation_id: 'c1', call: { step: 1, id: 'k', name: 'search_documents', arguments: '{}' } });
    fake.receive({ type: 'tool_result', conversation_id: 'c1', result: { step: 1, id: 'k', name: 'search_documents', status: 'ok', result: 'r', ms: 3, sources: [] } });
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: turn });
    await running;
    expect(steps).toEqual(['call search_documents', 'result ok']);
    expect(seen.errors).toEqual([]);
  });

  it('passes on a memories frame before the tokens, and the memories in response_end', async () => {
    const { socket, fake } = await connected();
    const memory = {
      id: 'mem1',
      conversation_id: 'c0',
      conversation_title: '<img src=x onerror="window.__pwned=1">',
      message_ids: ['m0'],
      text: 'My sister Priya moved to Lisbon.',
      created: '2026-03-04T14:05:00Z',
      score: 0.03,
    };
    const seen = recorder();
    const order: string[] = [];
    const running = socket.send({ content: 'Where does my sister live?', conversation_id: 'c1' }, {
      ...seen,
      onMemories: (memories) => order.push(`memories ${memories.map((m) => `${m.id}:${m.conversation_title}`).join(',')}`),
      onToken: (token) => order.push(`token ${token}`),
    });
    await tick();
    fake.receive({ type: 'memories', conversation_id: 'c1', memories: [memory] });
    fake.receive({ type: 'token', conversation_id: 'c1', token: 'Lisbon' });
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: { ...turn, memories: [memory] } });
    await running;
    expect(order).toEqual(['memories mem1:<img src=x onerror="window.__pwned=1">', 'token Lisbon']);
    expect(seen.done[0].memories).toEqual([memory]);
    expect(seen.errors).toEqual([]);
  });

  it('a memories frame that breaks the schema ends the turn with invalid_response', async () => {
    const { socket, fake } = await connected();
    const seen = recorder();
    const running = socket.send({ content: 'Hi', conversation_id: 'c1' }, { ...seen, onMemories: () => seen.tokens.push('memories!') });
    await tick();
    fake.receive({ type: 'memories', conversation_id: 'c1', memories: [{ id: 'mem1', text: 3 }] });
    await running;
    expect(seen.tokens).toEqual([]);
    expect(seen.errors[0]).toMatchObject({ code: 'invalid_response' });
  });

  it('sends no auth frame when the session cookie signs the socket in (no key)', async () => {
    const socket = new ChatSocket(() => null, 'ws://vega.test/ws');
    await socket.connect();
    const fake = FakeSocket.last!;
    expect(fake.sent).toEqual([]);
    const seen = recorder();
    const running = socket.send({ content: 'Hi', conversation_id: 'c1' }, seen);
    await tick();
    expect(fake.sent).toEqual([{ type: 'message', content: 'Hi', conversation_id: 'c1' }]);
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: turn });
    await running;
    expect(seen.done).toEqual([turn]);
  });
});
