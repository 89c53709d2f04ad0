import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auth } from './api/client';
import { LINK_SPENT, linkToken, redeemLinkInAddress } from './signinLink';

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('linkToken', () => {
  it('reads #signin=TOKEN and nothing else', () => {
    expect(linkToken('#signin=abc-DEF_123')).toBe('abc-DEF_123');
    expect(linkToken('#other=1&signin=t')).toBe('t');
    expect(linkToken('')).toBeNull();
    expect(linkToken('#signin=')).toBeNull();
    expect(linkToken('#main')).toBeNull();
  });
});

describe('redeemLinkInAddress', () => {
  let answer: Response;
  let sent: { url: string; init: RequestInit }[];

  beforeEach(() => {
    sent = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string, init: RequestInit) => {
        sent.push({ url, init });
        return answer;
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    auth.set(null);
    window.history.replaceState(null, '', '/');
  });

  it('trades the token for the key, keeps it, and clears the fragment', async () => {
    window.history.replaceState(null, '', '/c/x#signin=tok1');
    answer = json({ key: 'vega-primary' });
    await expect(redeemLinkInAddress()).resolves.toBeNull();
    expect(sent[0].url).toBe('/auth/link');
    expect(sent[0].init.body).toBe('{"token":"tok1"}');
    expect(auth.key).toBe('vega-primary');
    expect(window.location.hash).toBe('');
    expect(window.location.pathname).toBe('/c/x');
  });

  it('says a spent link is spent, and still clears the fragment', async () => {
    window.history.replaceState(null, '', '/#signin=old');
    answer = json({ error: { code: 'not_found', message: 'spent', request_id: 'r' } }, 404);
    await expect(redeemLinkInAddress()).resolves.toBe(LINK_SPENT);
    expect(auth.key).toBeNull();
    expect(window.location.hash).toBe('');
  });

  it('does nothing without a link', async () => {
    window.history.replaceState(null, '', '/');
    await expect(redeemLinkInAddress()).resolves.toBeNull();
    expect(sent).toEqual([]);
  });
});
