// The sidebar's list: newest first, searchable by title, with optimistic changes.

import { useSyncExternalStore } from 'react';
import { api } from '../api/client';
import type { Conversation } from '../api/types';
import { errorInfo, type ErrorInfo } from './chat';

const PAGE = 50;

export interface ConversationsState {
  items: Conversation[];
  query: string;
  loading: boolean;
  error: ErrorInfo | null;
  hasMore: boolean;
}

let state: ConversationsState = { items: [], query: '', loading: false, error: null, hasMore: false };
const listeners = new Set<() => void>();
let generation = 0;

function set(change: Partial<ConversationsState>): void {
  state = { ...state, ...change };
  for (const listener of listeners) listener();
}

export function titleOf(prompt: string): string {
  const line = prompt.trim().split('\n', 1)[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function matches(conversation: Conversation, query: string): boolean {
  return !query || conversation.title.toLowerCase().includes(query.toLowerCase());
}

function byUpdated(a: Conversation, b: Conversation): number {
  return b.updated.localeCompare(a.updated);
}

export const conversations = {
  /** (Re)load the first page for the current query. */
  async refresh(): Promise<void> {
    const mine = ++generation;
    const query = state.query;
    set({ loading: true, error: null });
    try {
      const page = await api.conversations({ q: query || undefined, limit: PAGE });
      if (mine !== generation) return;
      // Servers without ?q= return everything: filter here too.
      set({ items: page.filter((c) => matches(c, query)), loading: false, hasMore: page.length === PAGE });
    } catch (error) {
      if (mine !== generation) return;
      set({ loading: false, error: errorInfo(error) });
    }
  },

  async loadMore(): Promise<void> {
    const mine = generation;
    const query = state.query;
    set({ loading: true });
    try {
      const page = await api.conversations({ q: query || undefined, limit: PAGE, offset: state.items.length });
      if (mine !== generation) return;
      const known = new Set(state.items.map((c) => c.id));
      const more = page.filter((c) => !known.has(c.id) && matches(c, query));
      set({ items: [...state.items, ...more], loading: false, hasMore: page.length === PAGE });
    } catch (error) {
      set({ loading: false, error: errorInfo(error) });
    }
  },

  search(query: string): void {
    set({ query });
    void this.refresh();
  },

  /** A turn started: show the conversation at the top right away. */
  touch(id: string, firstPrompt: string): void {
    const now = new Date().toISOString();
    const existing = state.items.find((c) => c.id === id);
    const item: Conversation = existing
      ? { ...existing, updated: now }
      : { id, title: titleOf(firstPrompt), created: now, updated: now, message_count: 0 };
    if (!matches(item, state.query)) return;
    set({ items: [item, ...state.items.filter((c) => c.id !== id)] });
  },

  upsert(conversation: Conversation): void {
    if (!matches(conversation, state.query)) return;
    const items = [conversation, ...state.items.filter((c) => c.id !== conversation.id)].sort(byUpdated);
    set({ items });
  },

  remove(id: string): Conversation | undefined {
    const removed = state.items.find((c) => c.id === id);
    set({ items: state.items.filter((c) => c.id !== id) });
    return removed;
  },

  rename(id: string, title: string): void {
    set({ items: state.items.map((c) => (c.id === id ? { ...c, title } : c)) });
  },

  get(id: string): Conversation | undefined {
    return state.items.find((c) => c.id === id);
  },

  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export function useConversations(): ConversationsState {
  return useSyncExternalStore(conversations.subscribe, () => state);
}
