// The HTTP client: every request carries the key; every failure is an ApiError.

import { ApiError } from './errors';
import type {
  Collection,
  Conversation,
  ConversationDetail,
  DocumentOut,
  Job,
  MessageOut,
  ModelList,
  Readiness,
} from './types';

const KEY_STORAGE = 'vega.apiKey';

type Listener = () => void;

/** The API key for this tab (sessionStorage: gone when the tab closes). */
export const auth = {
  key: readKey(),
  onUnauthorized: new Set<Listener>(),

  set(key: string | null): void {
    this.key = key;
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // storage disabled: the key lives as long as the page
    }
  },

  /** A request was refused with 401: forget the key and tell the app. */
  expired(): void {
    this.set(null);
    for (const listener of this.onUnauthorized) listener();
  },
};

function readKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function authHeaders(key = auth.key): Record<string, string> {
  return key ? { 'X-API-Key': key } : {};
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
  key?: string; // check a key without storing it
  accept?: string;
}

export function url(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Raw fetch with the key; throws ApiError for non-2xx answers and network failures. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...authHeaders(opts.key ?? auth.key) };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let response: Response;
  try {
    response = await fetch(url(path, opts.query), { method: opts.method ?? 'GET', headers, body, signal: opts.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw ApiError.network();
  }
  if (!response.ok) {
    const failure = await errorFrom(response);
    if (failure.status === 401 && !opts.key) auth.expired();
    throw failure;
  }
  return response;
}

export async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  return ApiError.fromBody(response.status, body, response.headers.get('Retry-After'));
}

async function json<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const response = await request(path, opts);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

// --- routes ------------------------------------------------------------------

export const api = {
  /** Check a key: 200 → fine, 401 → ApiError('unauthorized'). */
  checkKey: (key: string) => json<Conversation[]>('/conversations', { key, query: { limit: 1 } }),

  readiness: async (): Promise<Readiness> => {
    // Public, but only states without a key (names, model and detail come with one);
    // 503 still has the body (the database is down).
    let response: Response;
    try {
      response = await fetch('/readyz', { headers: { Accept: 'application/json', ...authHeaders() } });
    } catch {
      throw ApiError.network();
    }
    if (response.status === 401 && auth.key) auth.expired();
    const body = (await response.json().catch(() => null)) as Readiness | null;
    if (body && typeof body === 'object' && 'backend' in body) return body;
    throw ApiError.fromBody(response.status, body);
  },

  models: () => json<ModelList>('/models'),

  conversations: (opts: { q?: string; limit?: number; offset?: number } = {}) =>
    json<Conversation[]>('/conversations', { query: { limit: opts.limit ?? 50, offset: opts.offset, q: opts.q } }),
  conversation: (id: string, signal?: AbortSignal) =>
    json<ConversationDetail>(`/conversations/${encodeURIComponent(id)}`, { signal }),
  renameConversation: (id: string, title: string) =>
    json<Conversation>(`/conversations/${encodeURIComponent(id)}`, { method: 'PATCH', body: { title } }),
  deleteConversation: (id: string) => json<void>(`/conversations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  restoreConversation: (id: string) =>
    json<Conversation>(`/conversations/${encodeURIComponent(id)}/restore`, { method: 'POST' }),
  exportConversation: (id: string, format: 'json' | 'markdown') =>
    request(`/conversations/${encodeURIComponent(id)}/export`, {
      query: { format: format === 'markdown' ? 'markdown' : undefined },
      accept: format === 'markdown' ? 'text/markdown, application/json;q=0.5' : 'application/json',
    }),

  feedback: (messageId: string, body: { rating?: 1 | -1; notes?: string }) =>
    json<MessageOut>(`/messages/${encodeURIComponent(messageId)}/feedback`, { method: 'POST', body }),

  collections: () => json<Collection[]>('/collections'),
  documents: (collection?: string) =>
    json<DocumentOut[]>('/documents', { query: { collection, limit: 1000 } }),
  deleteDocument: (id: string) => json<void>(`/documents/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  job: (id: string) => json<Job>(`/jobs/${encodeURIComponent(id)}`),
};
