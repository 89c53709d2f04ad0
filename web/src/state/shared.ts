// A conversation someone shared with a link (`/s/<id>`), read-only and live: loaded with
// `GET /shared/{id}`, then followed with its event stream. The reducer is pure (tested in
// shared.test.ts); `useSharedConversation` runs the loop.

import { useEffect, useReducer } from 'react';
import { api } from '../api/client';
import { ApiError, describe } from '../api/errors';
import { followShared } from '../api/shared';
import type { ConversationDetail, MessageOut } from '../api/types';
import { fromServer, type ChatMessage } from './chat';

export interface SharedState {
  /** loading: before the first answer; live: shown and followed; gone: withdrawn (or never was). */
  phase: 'loading' | 'live' | 'gone';
  title: string;
  messages: ChatMessage[];
  /** Why the live view is interrupted (it tries again by itself), else null. */
  problem: string | null;
}

export type SharedAction =
  | { type: 'loaded'; conversation: ConversationDetail }
  | { type: 'message'; message: MessageOut }
  | { type: 'interrupted'; problem: string }
  | { type: 'gone' };

export const initialShared: SharedState = { phase: 'loading', title: '', messages: [], problem: null };

function shown(messages: MessageOut[]): ChatMessage[] {
  return messages.map(fromServer).filter((m): m is ChatMessage => m !== null);
}

export function sharedReducer(state: SharedState, action: SharedAction): SharedState {
  switch (action.type) {
    case 'loaded':
      // The server's whole list: what a reconnect missed is in it.
      return { phase: 'live', title: action.conversation.title, messages: shown(action.conversation.messages), problem: null };
    case 'message': {
      if (state.phase === 'gone' || state.messages.some((m) => m.id === action.message.id)) return state;
      return { ...state, messages: state.messages.concat(shown([action.message])) };
    }
    case 'interrupted':
      return { ...state, problem: action.problem };
    case 'gone':
      // Withdrawn: what was shown goes too, as a reload would show nothing.
      return { phase: 'gone', title: '', messages: [], problem: null };
    default:
      return state;
  }
}

const RETRY_MS = [1000, 2000, 5000, 10_000, 30_000];

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Load, follow, and load again whenever the stream stops. An `end` event is taken as
 * "look again" rather than read for its words: the reload says what happened (404: the
 * link is withdrawn; 401: the session ended, and the app shows the sign-in page; 200:
 * still shared, so follow on).
 */
async function follow(id: string, dispatch: (action: SharedAction) => void, signal: AbortSignal): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      dispatch({ type: 'loaded', conversation: await api.sharedConversation(id, signal) });
      await followShared(id, { onMessage: (message) => dispatch({ type: 'message', message }) }, signal);
      failures = 0;
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status === 404) return dispatch({ type: 'gone' });
      if (error instanceof ApiError && error.status === 401) return; // the sign-in page takes over
      dispatch({ type: 'interrupted', problem: describe(error).hint });
      failures += 1;
    }
    await pause(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)], signal);
  }
}

export function useSharedConversation(id: string): SharedState {
  const [state, dispatch] = useReducer(sharedReducer, initialShared);
  useEffect(() => {
    const stop = new AbortController();
    void follow(id, dispatch, stop.signal);
    return () => stop.abort();
  }, [id]);
  return state;
}
