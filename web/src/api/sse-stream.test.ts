// streamSSE reads each event against the schema: `done` is the server's TurnOut.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiError } from './errors';
import { streamSSE } from './sse';
import type { Source, TurnMeta } from './types';

const turn: TurnMeta = {
  response: 'Hi',
  session_id: 'c1',
  message_id: 'm1',
  model: 'm',
  backend: 'ollama',
  sources: [],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  latency_ms: 3,
  finish_reason: 'stop',
};
const source: Source = { rank: 1, document_id: 'd', chunk_id: 1, title: 't', source_name: 't.md', location: null, start: 0, end: 2, score: 0.1, snippet: 'xy', url: null };

function events(...list: [string, unknown][]): string {
  return list.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');
}

async function run(body: string) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })));
  const seen = { tokens: [] as string[], sources: [] as Source[][], done: [] as TurnMeta[], errors: [] as ApiError[] };
  await streamSSE(
    { content: 'q', conversation_id: 'c1' },
    {
      onToken: (t) => seen.tokens.push(t),
      onSources: (s) => seen.sources.push(s),
      onDone: (m) => seen.done.push(m),
      onError: (e) => seen.errors.push(e),
      onCancelled: () => undefined,
    },
    new AbortController().signal,
  );
  return seen;
}

afterEach(() => vi.unstubAllGlobals());

describe('streamSSE', () => {
  it('passes on tokens, sources and the finished turn', async () => {
    const seen = await run(events(['sources', { sources: [source] }], ['token', { token: 'Hi' }], ['done', turn]));
    expect(seen).toEqual({ tokens: ['Hi'], sources: [[source]], done: [turn], errors: [] });
  });

  it('leaves out passages that are not sources, and fails a done event that is not a turn', async () => {
    const seen = await run(events(['sources', { sources: [source, { rank: 'two' }] }], ['done', { message_id: 'm1' }]));
    expect(seen.sources).toEqual([[source]]);
    expect(seen.done).toEqual([]);
    expect(seen.errors[0]).toMatchObject({ code: 'invalid_response' });
  });

  it('reads an error event with the schema’s code', async () => {
    const seen = await run(events(['error', { error: { code: 'backend_timeout', message: 'Too slow.', request_id: 'r' } }]));
    expect(seen.errors[0]).toMatchObject({ code: 'backend_timeout', message: 'Too slow.' });
  });
});
