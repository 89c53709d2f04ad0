import { describe, expect, it } from 'vitest';
import { ApiError, describe as describeError, parseRetryAfter, waitInMessage } from './errors';

describe('ApiError.fromBody', () => {
  it('reads the error body and the Retry-After header', () => {
    const error = ApiError.fromBody(
      429,
      { error: { code: 'rate_limited', message: 'Rate limit of 120 per 1 minute exceeded; retry in 42 s.', request_id: 'r1', retry_after_s: 40 } },
      '42',
    );
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', requestId: 'r1', retryAfterS: 42 });
  });

  it('falls back to retry_after_s, then to the wait in the message (WebSocket errors)', () => {
    expect(ApiError.fromBody(429, { error: { code: 'rate_limited', message: 'slow down', retry_after_s: 7 } }).retryAfterS).toBe(7);
    const ws = ApiError.fromBody(0, { type: 'error', error: { code: 'rate_limited', message: 'Rate limit exceeded; retry in 13 s.' } });
    expect(ws).toMatchObject({ status: 429, retryAfterS: 13 });
  });

  it('copes with a body that is not ours', () => {
    expect(ApiError.fromBody(503, null)).toMatchObject({ status: 503, code: 'backend_unavailable' });
    expect(ApiError.fromBody(413, '<html>')).toMatchObject({ code: 'payload_too_large' });
  });
});

describe('error words', () => {
  it('says what to do', () => {
    expect(describeError(new ApiError(429, 'rate_limited', 'x', { retryAfterS: 5 })).hint).toBe('Wait 5 s, then try again.');
    expect(describeError(new ApiError(413, 'payload_too_large', 'The prompt is over 32000 characters.')).title).toBe('Too long');
    expect(describeError(new ApiError(503, 'backend_unavailable', 'Cannot reach ollama')).retryable).toBe(true);
  });

  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThanOrEqual(9);
    expect(waitInMessage('retry in 2.5 s')).toBe(3);
  });
});
