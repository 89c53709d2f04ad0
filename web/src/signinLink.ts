// The one-time sign-in link `vega serve` prints in keys mode on this machine:
// http://127.0.0.1:8000/#signin=TOKEN. The token is in the fragment (never sent to a
// server, never in a log); the page trades it once for the key (POST /auth/link) and
// keeps the key as if it had been typed into the key gate.

import { api, auth } from './api/client';
import { ApiError, describe } from './api/errors';

export const LINK_SPENT = 'This sign-in link was already used or has expired. Enter the key instead.';

/** The token of a `#signin=TOKEN` fragment; null for any other fragment. */
export function linkToken(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('signin');
  return token ? token : null;
}

/**
 * Trade the link in the address bar, if there is one, for the key. The fragment is
 * removed first, whatever the answer: a link works once, and it should not stay in the
 * history or be bookmarked. Returns null when signed in (or there was no link), else
 * what the key gate should say.
 */
export async function redeemLinkInAddress(): Promise<string | null> {
  const token = linkToken(window.location.hash);
  if (token === null) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  try {
    const { key } = await api.redeemLink(token);
    auth.set(key);
    return null;
  } catch (error) {
    if (error instanceof ApiError && [400, 404, 422].includes(error.status)) return LINK_SPENT;
    const d = describe(error);
    return `${d.title}. ${d.hint}`;
  }
}
