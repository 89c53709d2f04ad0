import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, auth } from './client';
import { ApiError } from './errors';

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

const conversation = { id: 'c 1', title: 'hi', created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z', message_count: 2 };

let answer: Response;
let calls: { url: string; init: RequestInit }[];

beforeEach(() => {
  calls = [];
  auth.key = 'k1';
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return answer;
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  auth.key = null;
});

describe('api: typed calls, checked answers', () => {
  it('fills the path, sends the query and the key, and returns a valid answer', async () => {
    answer = json({ ...conversation, messages: [] });
    const detail = await api.conversation('c 1');
    expect(detail.messages).toEqual([]);
    expect(calls[0].url).toBe('/conversations/c%201');
    expect(calls[0].init.headers).toMatchObject({ 'X-API-Key': 'k1' });

    answer = json([conversation]);
    await api.conversations({ q: 'hi' });
    expect(calls[1].url).toBe('/conversations?limit=50&q=hi');
  });

  it('sends the body as JSON', async () => {
    answer = json(conversation);
    await api.renameConversation('c1', 'New title');
    expect(calls[0].init).toMatchObject({ method: 'PATCH', body: '{"title":"New title"}' });
  });

  it('refuses an answer that breaks the schema, naming the field', async () => {
    answer = json([{ ...conversation, message_count: '2' }]);
    const failure = await api.conversations().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ code: 'invalid_response' });
    expect((failure as ApiError).message).toContain('GET /conversations');
    expect((failure as ApiError).message).toContain('0.message_count: integer expected, got string');
  });

  it('takes 204 as no answer', async () => {
    answer = new Response(null, { status: 204 });
    await expect(api.deleteConversation('c1')).resolves.toBeUndefined();
  });

  it('turns error bodies into ApiError, with the schema’s code', async () => {
    answer = json({ error: { code: 'not_found', message: 'No conversation c1.', request_id: 'r1' } }, 404);
    await expect(api.conversation('c1')).rejects.toMatchObject({ status: 404, code: 'not_found', requestId: 'r1' });
    // A code the schema does not list is not taken: the status says what failed.
    answer = json({ error: { code: 'made_up', message: 'Hm.', request_id: null } }, 503);
    await expect(api.models()).rejects.toMatchObject({ status: 503, code: 'backend_unavailable', message: 'Hm.' });
  });
});

describe('api.readiness', () => {
  const ready = { status: 'unavailable', database: true, backend: { ok: false, ready: true, breaker: 'open' }, embedder: { loaded: false } };

  it('returns the states, also with 503', async () => {
    answer = json(ready, 503);
    await expect(api.readiness()).resolves.toEqual(ready);
  });

  it('fails on what is not a readiness answer', async () => {
    answer = new Response('<html>Bad gateway</html>', { status: 503 });
    await expect(api.readiness()).rejects.toMatchObject({ status: 503, code: 'backend_unavailable' });
    answer = json({ status: 'ok' });
    await expect(api.readiness()).rejects.toMatchObject({ code: 'invalid_response' });
  });
});

describe('accounts mode: the session cookie and its CSRF token', () => {
  const user = {
    id: 1, username: 'ada', email: null, display_name: '', role: 'admin', disabled: false,
    created: '2026-01-01T00:00:00Z', last_login: null, has_password: true, oidc: false,
  };

  beforeEach(() => {
    auth.key = null;
    auth.csrf = 'tok';
  });
  afterEach(() => {
    auth.csrf = null;
  });

  it('sends no key, the cookie (same-origin), and the CSRF token only when something changes', async () => {
    answer = json([conversation]);
    await api.conversations();
    expect(calls[0].init.headers).not.toHaveProperty('X-API-Key');
    expect(calls[0].init.headers).not.toHaveProperty('X-CSRF-Token');
    expect(calls[0].init.credentials).toBe('same-origin');
    answer = json(conversation);
    await api.renameConversation('c1', 'New');
    expect(calls[1].init.headers).toMatchObject({ 'X-CSRF-Token': 'tok' });
  });

  it('takes a wrong password as an answer, not as the end of the session', async () => {
    let expired = 0;
    const listener = (): void => {
      expired++;
    };
    auth.onUnauthorized.add(listener);
    answer = json({ error: { code: 'unauthorized', message: 'Wrong username or password.', request_id: 'r' } }, 401);
    await expect(api.login('ada', 'nope')).rejects.toMatchObject({ status: 401 });
    expect(expired).toBe(0);
    expect(auth.csrf).toBe('tok');
    // elsewhere, 401 ends the session
    answer = json({ error: { code: 'unauthorized', message: 'Sign in.', request_id: 'r' } }, 401);
    await expect(api.conversations()).rejects.toMatchObject({ status: 401 });
    expect(expired).toBe(1);
    expect(auth.csrf).toBeNull();
    auth.onUnauthorized.delete(listener);
  });

  it('checks a sign-in answer against its schema', async () => {
    answer = json({ user, csrf_token: 'new' });
    await expect(api.login('ada', 'pw')).resolves.toMatchObject({ csrf_token: 'new' });
    answer = json({ user: { ...user, role: 'owner' }, csrf_token: 'new' });
    await expect(api.login('ada', 'pw')).rejects.toMatchObject({ code: 'invalid_response' });
  });
});
