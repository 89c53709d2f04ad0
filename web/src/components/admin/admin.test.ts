import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import { signInError } from '../SignIn';
import { auditQuery, dayStart } from './AuditPanel';
import { parseMembers } from './GroupsPanel';

describe('parseMembers', () => {
  it('splits on commas and spaces, drops blanks and repeats', () => {
    expect(parseMembers(' alice, bob\ncarol  alice,,')).toEqual(['alice', 'bob', 'carol']);
    expect(parseMembers('  ')).toEqual([]);
  });
});

describe('audit filters', () => {
  it('sends only what is set; a day is its local start, "until" inclusive', () => {
    expect(auditQuery({ action: ' ', userId: '', outcome: '', since: '', until: '' }, 0)).toEqual({
      limit: 50, offset: 0, action: undefined, user_id: undefined, outcome: undefined, since: undefined, until: undefined,
    });
    const q = auditQuery({ action: 'auth.', userId: '3', outcome: 'refused', since: '2026-03-04', until: '2026-03-04' }, 100);
    expect(q).toMatchObject({ action: 'auth.', user_id: 3, outcome: 'refused', offset: 100 });
    expect(q.since).toBe(new Date(2026, 2, 4).toISOString());
    expect(q.until).toBe(new Date(2026, 2, 5).toISOString());
    expect(dayStart('not a day')).toBeUndefined();
  });
});

describe('signInError', () => {
  it('words 401 and 429 (with the wait) for people', () => {
    expect(signInError(new ApiError(401, 'unauthorized', 'x'))).toMatch(/wrong username or password/i);
    expect(signInError(new ApiError(429, 'rate_limited', 'x', { retryAfterS: 42 }))).toBe('Too many failed sign-ins. Try again in 42 s.');
  });
});
