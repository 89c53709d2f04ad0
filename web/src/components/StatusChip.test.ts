// The sign-in page shows the chip before there is a key, and /readyz then answers with
// states only. After signing in, that answer must not stand for the key's: the chip
// once said "Model ready" instead of the model's name until the next poll.

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auth } from '../api/client';
import { StatusChip } from './StatusChip';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

const json = (body: unknown): Response => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });

const statesOnly = { status: 'ok', database: true, backend: { ok: true, ready: true, breaker: 'closed' }, embedder: { loaded: false } };
const withNames = {
  ...statesOnly,
  backend: { ...statesOnly.backend, name: 'ollama', model: 'llama3.2', detail: null },
  embedder: { loaded: false, name: 'all-MiniLM-L6-v2' },
};

let keysAsked: (string | null)[] = [];
let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  keysAsked = [];
  auth.set(null);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      const key = (init?.headers as Record<string, string> | undefined)?.['X-API-Key'] ?? null;
      keysAsked.push(key);
      return json(key ? withNames : statesOnly);
    }),
  );
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  auth.set(null);
  vi.unstubAllGlobals();
});

async function settle(ms = 50): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
  });
}

const label = (): string | null | undefined => container.querySelector('.status-chip')?.textContent;

describe('StatusChip', () => {
  it('asks again with the key after sign-in, and never shows the keyless answer as the key’s', async () => {
    await act(async () => root.render(createElement(StatusChip)));
    await settle();
    expect(label()).toBe('Model ready');

    act(() => root.unmount());
    auth.set('k1');
    root = createRoot(container);
    act(() => root.render(createElement(StatusChip)));
    // Before the keyed answer arrives, the chip is checking, not "Model ready".
    expect(label()).toBe('Checking…');
    await settle();
    expect(label()).toBe('llama3.2');
    expect(keysAsked).toEqual([null, 'k1']);
  });

  it('drops an answer that arrives after the key changed', async () => {
    let release: (() => void) | undefined;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
        const key = (init?.headers as Record<string, string> | undefined)?.['X-API-Key'] ?? null;
        keysAsked.push(key);
        if (!key) await new Promise<void>((resolve) => (release = resolve));
        return json(key ? withNames : statesOnly);
      }),
    );
    await act(async () => root.render(createElement(StatusChip)));
    expect(label()).toBe('Checking…');

    act(() => root.unmount());
    auth.set('k1');
    root = createRoot(container);
    await act(async () => root.render(createElement(StatusChip)));
    await settle();
    expect(label()).toBe('llama3.2');

    release?.();
    await settle();
    expect(label()).toBe('llama3.2');
    expect(keysAsked).toEqual([null, 'k1']);
  });
});
