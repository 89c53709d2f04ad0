// The summary of a conversation's earlier turns comes with the end of the answer, on
// every edge: the SSE `done` event and the WebSocket `response_end` metadata (both the
// server's TurnOut, checked against the schema), and streamTurn passes it on whichever
// transport it used. There is no event of its own.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiError } from './errors';
import { streamSSE } from './sse';
import { resetTransport, streamTurn, type ChatHandlers } from './stream';
import type { Summary, TurnMeta } from './types';
import { ChatSocket } from './ws';

const HOSTILE = '<img src=x onerror="window.__pwned=1">';

const summary: Summary = {
  text: `The user planned a trip to Lisbon in March.\n\nThe assistant suggested trams. ${HOSTILE}`,
  first_created: '2026-03-04T14:05:00Z',
  last_created: '2026-03-04T14:40:00Z',
  messages: 10,
};
const turn: TurnMeta = {
  response: 'Take the 28.',
  session_id: 'c1',
  message_id: 'm1',
  model: 'm',
  backend: 'ollama',
  sources: [],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  latency_ms: 3,
  finish_reason: 'stop',
};

function events(...list: [string, unknown][]): string {
  return list.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');
}

function serve(stream: string): void {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })),
  );
}

function recorder(): ChatHandlers & { seen: string[]; done: TurnMeta[]; errors: ApiError[] } {
  const seen: string[] = [];
  const done: TurnMeta[] = [];
  const errors: ApiError[] = [];
  return {
    seen,
    done,
    errors,
    onToken: (t) => seen.push(`token ${t}`),
    onSources: () => seen.push('sources'),
    onMemories: () => seen.push('memories'),
    onDone: (meta) => {
      seen.push('done');
      done.push(meta);
    },
    onError: (e) => {
      seen.push(`error ${e.code}`);
      errors.push(e);
    },
    onCancelled: () => seen.push('cancelled'),
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('the summary over SSE', () => {
  async function run(): Promise<ReturnType<typeof recorder>> {
    const handlers = recorder();
    await streamSSE({ content: 'Which tram?', conversation_id: 'c1' }, handlers, new AbortController().signal);
    return handlers;
  }

  it('comes in the `done` event, as it was sent (hostile text too: the UI renders it as text)', async () => {
    serve(events(['token', { token: 'Take the 28.' }], ['done', { ...turn, summary }]));
    const { seen, done } = await run();
    expect(seen).toEqual(['token Take the 28.', 'done']);
    expect(done[0].summary).toEqual(summary);
    expect(done[0].summary?.text).toContain(HOSTILE);
  });

  it('is null, or missing (an older server), when the answer was given none', async () => {
    serve(events(['done', { ...turn, summary: null }]));
    expect((await run()).done[0].summary).toBeNull();
    serve(events(['done', turn]));
    const { done, errors } = await run();
    expect(done[0].summary).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('a summary that is not the schema’s SummaryOut fails the `done` event, naming it', async () => {
    serve(events(['done', { ...turn, summary: { text: 'x', messages: 'ten' } }]));
    const { done, errors } = await run();
    expect(done).toEqual([]);
    expect(errors[0]).toMatchObject({ code: 'invalid_response' });
    expect(errors[0].message).toContain('summary');
  });
});

class FakeSocket {
  static OPEN = 1;
  static last: FakeSocket | null = null;
  readyState = 0;
  sent: Record<string, unknown>[] = [];
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
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.readyState = 3;
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('the summary over the WebSocket', () => {
  beforeEach(() => vi.stubGlobal('WebSocket', FakeSocket));

  async function connected(): Promise<{ socket: ChatSocket; fake: FakeSocket }> {
    const socket = new ChatSocket(() => 'k1', 'ws://vega.test/ws');
    const opening = socket.connect();
    await tick();
    const fake = FakeSocket.last!;
    fake.receive({ type: 'auth_ok', key: 'primary' });
    await opening;
    return { socket, fake };
  }

  it('comes in the `response_end` metadata', async () => {
    const { socket, fake } = await connected();
    const handlers = recorder();
    const running = socket.send({ content: 'Which tram?', conversation_id: 'c1' }, handlers);
    await tick();
    fake.receive({ type: 'token', conversation_id: 'c1', token: 'Take the 28.' });
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: { ...turn, summary } });
    await running;
    expect(handlers.seen).toEqual(['token Take the 28.', 'done']);
    expect(handlers.done[0].summary).toEqual(summary);
  });

  it('a `response_end` without one (null or missing) is fine', async () => {
    const { socket, fake } = await connected();
    for (const metadata of [{ ...turn, summary: null }, turn]) {
      const handlers = recorder();
      const running = socket.send({ content: 'Hi', conversation_id: 'c1' }, handlers);
      await tick();
      fake.receive({ type: 'response_end', conversation_id: 'c1', metadata });
      await running;
      expect(handlers.errors).toEqual([]);
      expect(handlers.done[0].summary ?? null).toBeNull();
    }
  });

  it('a summary that breaks the schema ends the turn with invalid_response', async () => {
    const { socket, fake } = await connected();
    const handlers = recorder();
    const running = socket.send({ content: 'Hi', conversation_id: 'c1' }, handlers);
    await tick();
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: { ...turn, summary: { text: 3 } } });
    await running;
    expect(handlers.done).toEqual([]);
    expect(handlers.errors[0]).toMatchObject({ code: 'invalid_response' });
  });
});

describe('streamTurn passes the summary on', () => {
  afterEach(() => resetTransport());

  it('from the WebSocket', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    resetTransport();
    const handlers = recorder();
    const running = streamTurn({ content: 'Which tram?', conversation_id: 'c1' }, handlers);
    for (let i = 0; i < 5 && !FakeSocket.last?.sent.some((f) => f.type === 'message'); i++) {
      await tick();
      const fake = FakeSocket.last;
      if (fake && fake.sent.some((f) => f.type === 'auth')) fake.receive({ type: 'auth_ok', key: 'primary' });
    }
    const fake = FakeSocket.last!;
    expect(fake.sent.some((f) => f.type === 'message')).toBe(true);
    fake.receive({ type: 'response_end', conversation_id: 'c1', metadata: { ...turn, summary } });
    await running.done;
    expect(running.transport()).toBe('ws');
    expect(handlers.seen).toEqual(['done']);
    expect(handlers.done[0].summary).toEqual(summary);
  });

  it('from the SSE fallback', async () => {
    vi.stubGlobal('WebSocket', undefined);
    resetTransport();
    serve(events(['token', { token: 'Take the 28.' }], ['done', { ...turn, summary }]));
    const handlers = recorder();
    const running = streamTurn({ content: 'Which tram?', conversation_id: 'c1' }, handlers);
    await running.done;
    expect(running.transport()).toBe('sse');
    expect(handlers.seen).toEqual(['token Take the 28.', 'done']);
    expect(handlers.done[0].summary).toEqual(summary);
  });
});
