// One error type for every failure the UI shows: HTTP errors, stream errors,
// network failures, answers that break their schema. `describe()` turns it into words
// and a next step. The server's codes are the schema's `ErrorCode` enum.

import type { ErrorCode } from './types';
import { fits } from './validate';

/** The server's codes, and the UI's own for what never reached it or came back wrong. */
export type Code = ErrorCode | 'network_error' | 'invalid_response';

export class ApiError extends Error {
  readonly status: number; // HTTP status; 0 for network failures and stream errors without one
  readonly code: Code;
  readonly requestId: string | null;
  readonly retryAfterS: number | null;

  constructor(
    status: number,
    code: Code,
    message: string,
    opts: { requestId?: string | null; retryAfterS?: number | null } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = opts.requestId ?? null;
    this.retryAfterS = opts.retryAfterS ?? null;
  }

  /**
   * From an error body (`{"error": {...}}`, also the WebSocket's `error` frame), a status
   * and an optional Retry-After header. Each field is taken only if it is what the
   * schema says (a code of its `ErrorCode` enum, text for the message): a proxy's page or
   * an unknown code counts as none, and the status then says what failed.
   */
  static fromBody(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
    const detail = body && typeof body === 'object' && 'error' in body ? body.error : null;
    const err: Record<string, unknown> = detail && typeof detail === 'object' ? { ...detail } : {};
    const code = fits('ErrorCode', err.code) ? err.code : codeForStatus(status);
    const message = typeof err.message === 'string' ? err.message : defaultMessage(status);
    const wait = parseRetryAfter(retryAfterHeader) ?? numberOrNull(err.retry_after_s) ?? waitInMessage(message);
    return new ApiError(status || statusForCode(code), code, message, {
      requestId: typeof err.request_id === 'string' ? err.request_id : null,
      retryAfterS: wait,
    });
  }

  /** An answer that is not what the schema says (`what` names the route or schema). */
  static invalidAnswer(what: string, problem: string): ApiError {
    return new ApiError(0, 'invalid_response', `The server's answer to ${what} was not understood (${problem}).`);
  }

  static network(message = 'Cannot reach the Vega server. Is `vega serve` running?'): ApiError {
    return new ApiError(0, 'network_error', message);
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function parseRetryAfter(header: string | null | undefined): number | null {
  if (!header) return null;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  return null;
}

/** "... retry in 42 s." — the WebSocket rate-limit error carries the wait only in its text. */
export function waitInMessage(message: string): number | null {
  const match = /retry in (\d+(?:\.\d+)?)\s*s/i.exec(message);
  return match ? Math.ceil(Number(match[1])) : null;
}

// The server's code for an error status, for a body without one (HTTP_CODES there).
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'bad_input',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'backend_error',
  503: 'backend_unavailable',
  504: 'backend_timeout',
};

function codeForStatus(status: number): ErrorCode {
  return STATUS_CODES[status] ?? 'error';
}

function statusForCode(code: Code): number {
  for (const [status, name] of Object.entries(STATUS_CODES)) if (name === code) return Number(status);
  return 0;
}

function defaultMessage(status: number): string {
  return status ? `The server answered ${status}.` : 'Something went wrong.';
}

export interface Described {
  title: string;
  hint: string;
  retryable: boolean;
}

/** Words for people: what happened and what to do. */
export function describe(error: unknown): Described {
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { title: 'Something went wrong', hint: message, retryable: true };
  }
  const { code, message } = error;
  switch (code) {
    case 'network_error':
      return { title: 'Cannot reach Vega', hint: message, retryable: true };
    case 'invalid_response':
      return { title: 'Vega answered something unexpected', hint: `${message} Is the page older than the server? Reload it.`, retryable: false };
    case 'unauthorized':
      return { title: 'Your key was not accepted', hint: 'Enter the API key again.', retryable: false };
    case 'rate_limited': {
      const wait = error.retryAfterS;
      return {
        title: 'Too many requests',
        hint: wait != null ? `Wait ${wait} s, then try again.` : message,
        retryable: true,
      };
    }
    case 'quota_exceeded':
      return { title: 'A quota is used up', hint: message, retryable: false };
    case 'csrf_failed':
      return { title: 'This page is out of date', hint: 'Reload the page, then try again.', retryable: false };
    case 'forbidden':
      return { title: 'Not allowed', hint: message, retryable: false };
    case 'payload_too_large':
      return { title: 'Too long', hint: `${message} Shorten it or split it into parts.`, retryable: false };
    case 'backend_unavailable':
      return { title: 'The model is not reachable', hint: message, retryable: true };
    case 'backend_timeout':
      return { title: 'The model stopped answering', hint: message, retryable: true };
    case 'backend_error':
      return { title: 'The model server failed', hint: message, retryable: true };
    case 'backend_rejected':
      return { title: 'The model server refused this request', hint: message, retryable: false };
    case 'embedder_unavailable':
      return { title: 'Document search is not available', hint: message, retryable: false };
    case 'embedding_mismatch':
      return { title: 'This collection needs reindexing', hint: message, retryable: false };
    case 'unsupported_media_type':
      return { title: 'Vega does not read this type of file', hint: message, retryable: false };
    case 'unreadable_document':
      return { title: 'Vega could not read this file', hint: message, retryable: false };
    case 'storage_error':
      return { title: 'The database was busy', hint: `${message} Try again.`, retryable: true };
    case 'not_found':
      return { title: 'Not found', hint: message, retryable: false };
    case 'bad_input':
      return { title: 'The server could not use that', hint: message, retryable: false };
    default:
      return { title: 'Something went wrong', hint: message, retryable: true };
  }
}
