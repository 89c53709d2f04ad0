// The Documents page takes a collection name as the server does: "données" is a name
// (the page once refused it, with an ASCII-only copy of the rule).

import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LibraryView } from './LibraryView';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const readiness = {
  status: 'ok',
  database: true,
  backend: { ok: true, ready: true, breaker: 'closed' },
  embedder: { loaded: false },
};

let requests: URL[] = [];
let container: HTMLDivElement;
let root: Root;

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  requests = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL) => {
      const url = new URL(String(input), 'http://vega.test');
      requests.push(url);
      if (url.pathname === '/readyz') return json(readiness);
      if (url.pathname === '/collections') return json([]);
      if (url.pathname === '/documents') return json([]);
      return json({ error: { code: 'not_found', message: 'nope', request_id: null } }, 404);
    }),
  );
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
});

async function settle(ms = 250): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, ms));
  });
}

/** Type into a React-controlled input as a person would. */
function type(input: HTMLInputElement, text: string): void {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  act(() => {
    setter?.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('LibraryView: the collection name', () => {
  it('accepts "données" and lists its documents', async () => {
    await act(async () => root.render(createElement(LibraryView, { onMenu: () => undefined, onAsk: () => undefined })));
    const input = container.querySelector<HTMLInputElement>('#collection')!;
    const help = container.querySelector('#collection-help')!;

    type(input, 'données');
    await settle();
    expect(input.getAttribute('aria-invalid')).toBeNull();
    expect(help.classList.contains('invalid')).toBe(false);
    expect(help.textContent).toBe('A new collection: it is created by the first upload.');
    const asked = requests.filter((url) => url.pathname === '/documents').map((url) => url.searchParams.get('collection'));
    expect(asked).toContain('données');
  });

  it('still refuses a name the server refuses', async () => {
    await act(async () => root.render(createElement(LibraryView, { onMenu: () => undefined, onAsk: () => undefined })));
    const input = container.querySelector<HTMLInputElement>('#collection')!;
    type(input, 'a/b');
    await settle();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(container.querySelector('#collection-help')!.classList.contains('invalid')).toBe(true);
    expect(requests.some((url) => url.searchParams.get('collection') === 'a/b')).toBe(false);
  });
});
