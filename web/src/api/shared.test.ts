// followShared reads the live view's event stream: MessageOut events, then `end`.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { auth } from './client';
import { ApiError } from './errors';
import { followShared } from './shared';
import type { MessageOut } from './types';

const stored: MessageOut = {
  id: 'm9',
  conversation_id: 'c1',
  role: 'assistant',
  content: 'new',
  created: '2026-01-01T00:00:00Z',
  model: 'm',
  backend: 'ollama',
  status: 'ok',
  error: null,
  latency_ms: 5,
  prompt_tokens: 1,
  completion_tokens: 1,
  rating: null,
  notes: null,
  reviewed: false,
  source: 'chat',
  sources: [],
  tags: [],
};

function stream(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'Content-Type': status === 200 ? 'text/event-stream' : 'application/json' } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  auth.key = null;
});

describe('followShared', () => {
  it('hands over each valid message, skips the rest, and resolves with the end reason', async () => {
    auth.key = 'k1';
    const fetch = vi.fn(async () =>
      stream(
        `: keep-alive\n\nevent: message\ndata: ${JSON.stringify(stored)}\n\n` +
          `event: message\ndata: {"id": "half"}\n\n` +
          `event: end\ndata: {"reason": "no longer shared"}\n\n`,
      ),
    );
    vi.stubGlobal('fetch', fetch);
    const seen: MessageOut[] = [];
    const reason = await followShared('s 1', { onMessage: (m) => seen.push(m) }, new AbortController().signal);
    expect(reason).toBe('no longer shared');
    expect(seen.map((m) => m.id)).toEqual(['m9']);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/shared/s%201/events');
    // keys mode: the key goes as a header, which EventSource could not send
    expect(init.headers).toMatchObject({ 'X-API-Key': 'k1', Accept: 'text/event-stream' });
  });

  it('a withdrawn link is a 404 ApiError; a stream cut short is a network error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => stream(JSON.stringify({ error: { code: 'not_found', message: 'No such link' } }), 404)));
    await expect(followShared('s1', { onMessage: () => undefined }, new AbortController().signal)).rejects.toMatchObject({ status: 404 });

    vi.stubGlobal('fetch', vi.fn(async () => stream(`event: message\ndata: ${JSON.stringify(stored)}\n\n`)));
    const cut = followShared('s1', { onMessage: () => undefined }, new AbortController().signal);
    await expect(cut).rejects.toBeInstanceOf(ApiError);
    await expect(cut).rejects.toMatchObject({ code: 'network_error' });
  });
});
