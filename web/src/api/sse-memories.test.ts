// Memory over SSE: the `memories` event (earlier exchanges from the user's other
// conversations) comes before the first token, after `sources`; each entry is checked
// against the schema's MemoryOut, and `done` carries them too.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { streamSSE } from './sse';
import type { Memory, TurnMeta } from './types';

const memory: Memory = {
  id: 'mem1',
  conversation_id: 'c0',
  conversation_title: 'Family news',
  message_ids: ['m0'],
  text: 'My sister Priya moved to Lisbon.',
  created: '2026-03-04T14:05:00Z',
  score: 0.031,
};
const source = { rank: 1, document_id: 'd', chunk_id: 1, title: 'notes', source_name: 'notes.md', location: null, start: 0, end: 4, score: 0.5, snippet: 'x', url: null };
const turn: TurnMeta = {
  response: 'In Lisbon.',
  session_id: 'c1',
  message_id: 'm1',
  model: 'm',
  backend: 'ollama',
  sources: [],
  memories: [memory],
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

async function run(): Promise<{ seen: string[]; memories: Memory[][]; done: TurnMeta[] }> {
  const seen: string[] = [];
  const memories: Memory[][] = [];
  const done: TurnMeta[] = [];
  await streamSSE(
    { content: 'Where does my sister live?', conversation_id: 'c1' },
    {
      onToken: (t) => seen.push(`token ${t}`),
      onSources: (s) => seen.push(`sources ${s.length}`),
      onMemories: (m) => {
        seen.push(`memories ${m.map((x) => x.id).join(',')}`);
        memories.push(m);
      },
      onDone: (meta) => {
        seen.push('done');
        done.push(meta);
      },
      onError: (e) => seen.push(`error ${e.code}`),
      onCancelled: () => undefined,
    },
    new AbortController().signal,
  );
  return { seen, memories, done };
}

afterEach(() => vi.unstubAllGlobals());

describe('memories over SSE', () => {
  it('passes the memories on before the first token, after the sources', async () => {
    serve(events(['sources', { sources: [source] }], ['memories', { memories: [memory] }], ['token', { token: 'In Lisbon.' }], ['done', turn]));
    const { seen, memories, done } = await run();
    expect(seen).toEqual(['sources 1', 'memories mem1', 'token In Lisbon.', 'done']);
    expect(memories[0]).toEqual([memory]);
    expect(done[0].memories).toEqual([memory]);
  });

  it('leaves out memories that are not the schema’s, not the stream', async () => {
    serve(
      events(
        ['memories', { memories: [memory, { id: 'bad', text: 3 }, 'nope', { ...memory, id: 'mem2', created: 7 }] }],
        ['memories', { memories: 'not a list' }],
        ['token', { token: 'Hi' }],
        ['done', { ...turn, memories: [] }],
      ),
    );
    const { seen, memories } = await run();
    expect(memories).toEqual([[memory], []]);
    expect(seen.slice(-2)).toEqual(['token Hi', 'done']);
  });

  it('keeps hostile titles and texts as they are (the UI renders them as text)', async () => {
    const hostile = { ...memory, conversation_title: '<img src=x onerror="window.__pwned=1">', text: '<script>alert(1)</script>' };
    serve(events(['memories', { memories: [hostile] }], ['done', turn]));
    const { memories } = await run();
    expect(memories[0][0].conversation_title).toBe('<img src=x onerror="window.__pwned=1">');
    expect(memories[0][0].text).toBe('<script>alert(1)</script>');
  });

  it('a turn from a server without memory (no `memories` in `done`) is fine', async () => {
    const { memories: _, ...older } = turn;
    serve(events(['token', { token: 'Hi' }], ['done', older]));
    const { seen, memories } = await run();
    expect(memories).toEqual([]);
    expect(seen).toEqual(['token Hi', 'done']);
  });
});
