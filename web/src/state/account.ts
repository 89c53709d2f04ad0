// Who is signed in (accounts mode): how this server signs people in (GET /auth/config)
// and who this tab is (GET /auth/me, or the sign-in's answer). The session itself is the
// HttpOnly cookie; what the page keeps is the CSRF token (in `auth`) and the user.

import { useSyncExternalStore } from 'react';
import { api, auth } from '../api/client';
import { ApiError } from '../api/errors';
import type { AuthConfig, Me, User } from '../api/types';

export interface AccountState {
  config: AuthConfig;
  me: Me | null;
}

const KEYS_MODE: AuthConfig = { mode: 'keys', oidc: null };

let state: AccountState = { config: KEYS_MODE, me: null };
const listeners = new Set<() => void>();

function set(change: Partial<AccountState>): void {
  state = { ...state, ...change };
  for (const listener of listeners) listener();
}

export const account = {
  get: (): AccountState => state,

  /** How to sign in here. A server without the route (older) uses keys. */
  async configure(): Promise<AuthConfig> {
    let config = KEYS_MODE;
    try {
      config = await api.authConfig();
    } catch (error) {
      // Unreachable or older: the key gate, which says so when it cannot reach the server.
      if (!(error instanceof ApiError)) throw error;
    }
    auth.mode = config.mode;
    // Accounts mode sends no key at all: the cookie signs requests in (and a key sent
    // along would win over it).
    if (config.mode === 'accounts') auth.set(null);
    set({ config });
    return config;
  },

  /** Who the session cookie signs in; null when it signs in nobody (no cookie, expired). */
  async refresh(): Promise<Me | null> {
    try {
      const me = await api.me();
      if (me.via !== 'session') return null; // a key: not this page's way in accounts mode
      this.signedIn(me);
      return me;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },

  /** Username and password; rejects with the ApiError (401 wrong, 429 too many tries). */
  async login(username: string, password: string): Promise<Me> {
    const { user, csrf_token } = await api.login(username, password);
    const me: Me = { via: 'session', name: user.username, admin: user.role === 'admin', user, csrf_token };
    this.signedIn(me);
    return me;
  },

  /** End the session on the server (the cookie is cleared by its answer). */
  async logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      this.signedOut();
    }
  },

  /** Sign out, then start from a fresh page: nothing of this user stays in memory. */
  async signOut(): Promise<void> {
    try {
      await this.logout();
    } catch {
      // the session or the server is gone: either way this tab is signed out
    }
    window.location.assign('/');
  },

  signedIn(me: Me): void {
    auth.csrf = me.csrf_token;
    set({ me });
  },

  signedOut(): void {
    auth.csrf = null;
    set({ me: null });
  },

  /** The signed-in user's record changed (an admin edited their own name). */
  updateUser(user: User): void {
    if (state.me?.user?.id === user.id) set({ me: { ...state.me, user, admin: user.role === 'admin' } });
  },
};

export function useAccount(): AccountState {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => state,
  );
}

/** How a person is named on screen: their display name, else their username. */
export function nameOf(user: Pick<User, 'display_name' | 'username'>): string {
  return user.display_name.trim() || user.username;
}
