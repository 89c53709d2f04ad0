// An agent turn over SSE: `tool_call` and `tool_result` events between the tokens, checked
// against the schema (ToolCallOut, ToolResultOut); `mode` and `tools` go with the turn.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { chatBody, streamSSE } from './sse';
import type { ToolCall, ToolResult, TurnMeta } from './types';

const turn: TurnMeta = {
  response: 'Glaciers carve valleys [1].',
  session_id: 'c1',
  message_id: 'm1',
  model: 'm',
  backend: 'ollama',
  sources: [],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  latency_ms: 3,
  finish_reason: 'stop',
};
const call: ToolCall = { step: 1, id: 'call_1', name: 'search_documents', arguments: '{"query": "glaciers"}' };
const result: ToolResult = { step: 1, id: 'call_1', name: 'search_documents', status: 'ok', result: '[1] Glaciers...', ms: 9, sources: [] };

function events(...list: [string, unknown][]): string {
  return list.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');
}

afterEach(() => vi.unstubAllGlobals());

describe('an agent turn over SSE', () => {
  it('passes on tool calls and results in order with the tokens; leaves out ones that are not the schema’s', async () => {
    let body: unknown = null;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init: RequestInit) => {
        body = JSON.parse(String(init.body));
        const stream = events(
          ['token', { token: 'Let me look. ' }],
          ['tool_call', call],
          ['tool_call', { step: 'one', id: 'bad' }],
          ['tool_result', result],
          ['tool_result', { id: 'bad', status: 'ok' }],
          ['token', { token: 'Glaciers carve valleys [1].' }],
          ['done', turn],
        );
        return new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
      }),
    );
    const seen: string[] = [];
    await streamSSE(
      { content: 'q', conversation_id: 'c1', mode: 'agent' },
      {
        onToken: (t) => seen.push(`token ${t}`),
        onSources: () => undefined,
        onToolCall: (c) => seen.push(`call ${c.name} ${c.arguments}`),
        onToolResult: (r) => seen.push(`result ${r.id} ${r.status} ${r.ms}`),
        onDone: () => seen.push('done'),
        onError: (e) => seen.push(`error ${e.code}`),
        onCancelled: () => undefined,
      },
      new AbortController().signal,
    );
    expect(seen).toEqual([
      'token Let me look. ',
      'call search_documents {"query": "glaciers"}',
      'result call_1 ok 9',
      'token Glaciers carve valleys [1].',
      'done',
    ]);
    expect(body).toMatchObject({ prompt: 'q', mode: 'agent' });
  });

  it('sends mode and tools only when asked', () => {
    expect(chatBody({ content: 'q', conversation_id: 'c1' })).toEqual({ prompt: 'q', session_id: 'c1' });
    expect(chatBody({ content: 'q', conversation_id: 'c1', mode: 'agent', tools: ['search_documents'] })).toMatchObject({
      mode: 'agent',
      tools: ['search_documents'],
    });
  });
});
