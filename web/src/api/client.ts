// The HTTP client: every request carries the key (keys mode) or the session's cookie and
// CSRF token (accounts mode); every failure is an ApiError.

import { ApiError } from './errors';
import type { paths } from './schema.gen';
import type { AuditQuery, ChatPreferences, Quotas, Readiness, ShareIn, UserIn, UserPatch } from './types';
import { checked, checkedAnswer, fits, InvalidAnswer } from './validate';

const KEY_STORAGE = 'vega.apiKey';

type Listener = () => void;

export type AuthMode = 'keys' | 'accounts';

/**
 * Who this tab is. Keys mode: the API key (sessionStorage: gone when the tab closes).
 * Accounts mode: no key at all; the HttpOnly session cookie signs requests in (the page
 * never sees it), and `csrf`, from sign-in or `GET /auth/me`, goes with every request
 * that changes something.
 */
export const auth = {
  key: readKey(),
  mode: 'keys' as AuthMode,
  csrf: null as string | null,
  onUnauthorized: new Set<Listener>(),

  /** What answers depend on (readiness tells names only to a signed-in caller). */
  identity(): string | null {
    return this.key ?? (this.csrf ? `session:${this.csrf}` : null);
  },

  set(key: string | null): void {
    this.key = key;
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // storage disabled: the key lives as long as the page
    }
  },

  /** A request was refused with 401: forget the key (or the session) and tell the app. */
  expired(): void {
    this.set(null);
    this.csrf = null;
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

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The headers that sign a request in: the key, or for a session the CSRF token (unsafe methods). */
export function authHeaders(method = 'GET', key = auth.key): Record<string, string> {
  if (key) return { 'X-API-Key': key };
  if (auth.csrf && !SAFE_METHODS.has(method.toUpperCase())) return { 'X-CSRF-Token': auth.csrf };
  return {};
}

interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
  key?: string; // check a key without storing it
  accept?: string;
  signingIn?: boolean; // a 401 answers the sign-in itself (wrong password): it ends no session
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
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', ...authHeaders(method, opts.key ?? auth.key) };
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let response: Response;
  try {
    // same-origin: the session cookie goes along (accounts mode), never to another site
    response = await fetch(url(path, opts.query), { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw ApiError.network();
  }
  if (!response.ok) {
    const failure = await errorFrom(response);
    if (failure.status === 401 && !opts.key && !opts.signingIn) auth.expired();
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

// --- typed calls: the route, its parameters, body and answer, all from the schema ------

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Path = keyof paths;
type Operation<P extends Path, M extends Method> = Exclude<paths[P][M], undefined>;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
/** The JSON answer of an operation, for any success status it declares. */
export type Answer<O> = O extends { responses: infer R } ? JsonOf<R[keyof R & (200 | 201 | 202 | 204)]> : never;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? Q : never;
type PathParamsOf<O> = O extends { parameters: { path: infer P } } ? P : never;
type BodyOf<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;

interface CallOptions<O> {
  path?: PathParamsOf<O>;
  query?: QueryOf<O>;
  body?: BodyOf<O>;
  signal?: AbortSignal;
  key?: string; // check a key without storing it
  signingIn?: boolean;
}

/** `/conversations/{conversation_id}` with its parameters filled in. */
export function fillPath(template: string, params: object | undefined): string {
  const values = (params ?? {}) as Record<string, unknown>;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(values[name])));
}

/**
 * Call a route of the API: the path is the document's (`/conversations/{conversation_id}`),
 * the answer is checked against the schema the document declares for it (validate.ts).
 */
export async function call<P extends Path, M extends Method>(
  method: M,
  path: P,
  opts: CallOptions<Operation<P, M>> = {},
): Promise<Answer<Operation<P, M>>> {
  const response = await request(fillPath(path, opts.path as object | undefined), {
    method: method.toUpperCase(),
    query: opts.query as RequestOptions['query'],
    body: opts.body,
    signal: opts.signal,
    key: opts.key,
    signingIn: opts.signingIn,
  });
  if (response.status === 204) return undefined as Answer<Operation<P, M>>;
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw ApiError.invalidAnswer(`${method.toUpperCase()} ${path}`, 'not JSON');
  }
  return answer(() => checkedAnswer<Answer<Operation<P, M>>>(`${method.toUpperCase()} ${path}`, response.status, body));
}

/** Run a check of an answer; a failed one is an ApiError like any other failure. */
export function answer<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidAnswer) throw ApiError.invalidAnswer(error.what, error.problem);
    throw error;
  }
}

// --- routes ------------------------------------------------------------------

export const api = {
  /** Check a key: 200 → fine, 401 → ApiError('unauthorized'). */
  checkKey: (key: string) => call('get', '/conversations', { key, query: { limit: 1 } }),

  readiness: async (): Promise<Readiness> => {
    // Public, but only states without a key (names, model and detail come with one);
    // 503 still has the body (the database is down).
    let response: Response;
    try {
      response = await fetch('/readyz', { headers: { Accept: 'application/json', ...authHeaders() }, credentials: 'same-origin' });
    } catch {
      throw ApiError.network();
    }
    if (response.status === 401 && auth.identity()) auth.expired();
    const body: unknown = await response.json().catch(() => null);
    // 503: not ready (the database is down, the model unreachable), still with the states.
    if (response.status === 503 && fits('Readiness', body)) return body;
    if (response.status === 200) return answer(() => checked('Readiness', body));
    throw ApiError.fromBody(response.status, body);
  },

  models: () => call('get', '/models'),
  /** The server tools a turn may use (Agent mode uses every one). */
  tools: () => call('get', '/tools'),

  conversations: (opts: { q?: string; limit?: number; offset?: number } = {}) =>
    call('get', '/conversations', { query: { limit: opts.limit ?? 50, offset: opts.offset, q: opts.q } }),
  conversation: (id: string, signal?: AbortSignal) =>
    call('get', '/conversations/{conversation_id}', { path: { conversation_id: id }, signal }),
  /** Make the branch through `messageId` the one shown (down to its latest message): the conversation as it is then. */
  showBranch: (id: string, messageId: string) =>
    call('put', '/conversations/{conversation_id}/branch', { path: { conversation_id: id }, body: { message_id: messageId } }),
  renameConversation: (id: string, title: string) =>
    call('patch', '/conversations/{conversation_id}', { path: { conversation_id: id }, body: { title } }),
  deleteConversation: (id: string) => call('delete', '/conversations/{conversation_id}', { path: { conversation_id: id } }),
  restoreConversation: (id: string) =>
    call('post', '/conversations/{conversation_id}/restore', { path: { conversation_id: id } }),
  exportConversation: (id: string, format: 'json' | 'markdown') =>
    request(fillPath('/conversations/{conversation_id}/export', { conversation_id: id }), {
      query: { format: format === 'markdown' ? 'markdown' : undefined },
      accept: format === 'markdown' ? 'text/markdown, application/json;q=0.5' : 'application/json',
    }),

  feedback: (messageId: string, body: { rating?: 1 | -1; notes?: string }) =>
    call('post', '/messages/{message_id}/feedback', { path: { message_id: messageId }, body }),

  /** The caller's earlier exchanges best matching `q` (`pending`: not yet indexed). */
  memories: (q: string, topK?: number) => call('get', '/memories', { query: { q, top_k: topK } }),
  /** Forget one memory: never recalled, nor indexed again. */
  forgetMemory: (id: string) => call('delete', '/memories/{memory_id}', { path: { memory_id: id } }),

  collections: () => call('get', '/collections'),
  documents: (collection?: string) => call('get', '/documents', { query: { collection, limit: 1000 } }),
  deleteDocument: (id: string) => call('delete', '/documents/{document_id}', { path: { document_id: id } }),
  documentOriginal: (id: string) =>
    request(fillPath('/documents/{document_id}/original', { document_id: id }), { accept: '*/*' }),
  job: (id: string) => call('get', '/jobs/{job_id}', { path: { job_id: id } }),

  // --- accounts mode: signing in, the signed-in user's own keys, and admin ---------------

  /** Keys mode on this machine: the one-time link's token for the key (signinLink.ts). */
  redeemLink: (token: string) => call('post', '/auth/link', { body: { token }, signingIn: true }),

  /** Public: keys or accounts, and the OIDC provider's name when it is set. */
  authConfig: () => call('get', '/auth/config'),
  /** 401 is a wrong password (or no such user, or a disabled one): not an expiry. */
  login: (username: string, password: string) =>
    call('post', '/auth/login', { body: { username, password }, signingIn: true }),
  logout: () => call('post', '/auth/logout'),
  /** Who is signed in; 401 when nobody is (which is no expiry either). */
  me: () => call('get', '/auth/me', { signingIn: true }),

  keys: () => call('get', '/keys'),
  createKey: (name: string) => call('post', '/keys', { body: { name } }),
  revokeKey: (id: number) => call('delete', '/keys/{key_id}', { path: { key_id: id } }),

  preferences: () => call('get', '/settings/me'),
  savePreferences: (settings: ChatPreferences) => call('put', '/settings/me', { body: settings }),
  usage: () => call('get', '/usage/me'),

  users: () => call('get', '/admin/users'),
  createUser: (body: UserIn) => call('post', '/admin/users', { body }),
  changeUser: (id: number, body: UserPatch) => call('patch', '/admin/users/{user_id}', { path: { user_id: id }, body }),
  audit: (query: AuditQuery) => call('get', '/admin/audit', { query }),
  everyonesUsage: () => call('get', '/admin/usage'),
  setQuotas: (id: number, quotas: Quotas) => call('patch', '/admin/users/{user_id}', { path: { user_id: id }, body: { quotas } }),
  groups: () => call('get', '/admin/groups'),
  createGroup: (name: string) => call('post', '/admin/groups', { body: { name } }),
  deleteGroup: (id: number) => call('delete', '/admin/groups/{group_id}', { path: { group_id: id } }),
  setMembers: (id: number, users: string[]) =>
    call('put', '/admin/groups/{group_id}/members', { path: { group_id: id }, body: { users } }),

  shares: (collection: string) => call('get', '/collections/{name}/shares', { path: { name: collection } }),
  share: (collection: string, body: ShareIn) => call('post', '/collections/{name}/shares', { path: { name: collection }, body }),
  unshare: (collection: string, id: number) =>
    call('delete', '/collections/{name}/shares/{share_id}', { path: { name: collection, share_id: id } }),
  shareConversation: (id: string) => call('post', '/conversations/{conversation_id}/share', { path: { conversation_id: id } }),
  unshareConversation: (id: string) => call('delete', '/conversations/{conversation_id}/share', { path: { conversation_id: id } }),
  sharedConversation: (id: string, signal?: AbortSignal) => call('get', '/shared/{share_id}', { path: { share_id: id }, signal }),
};
