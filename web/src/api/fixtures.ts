// Stored messages and conversations as the server answers them, for the tests (not
// imported by the app, so never bundled).

import type { ConversationDetail, MessageOut } from './types';

/** A stored message: a user's question unless `over` says otherwise. */
export const stored = (over: Partial<MessageOut>): MessageOut => ({
  id: 'm1',
  conversation_id: 'c1',
  role: 'user',
  content: 'Q',
  created: '2026-03-05T00:00:00Z',
  model: null,
  backend: null,
  status: 'ok',
  error: null,
  latency_ms: null,
  prompt_tokens: null,
  completion_tokens: null,
  rating: null,
  notes: null,
  reviewed: false,
  source: 'chat',
  sources: [],
  tags: [],
  parent_id: null,
  siblings: [],
  ...over,
});

/** `GET /conversations/{id}`: the active path and the other branches. */
export const detail = (id: string, messages: MessageOut[], branches: MessageOut[] = []): ConversationDetail => ({
  id,
  title: 'Trams',
  created: '2026-03-05T00:00:00Z',
  updated: '2026-03-05T00:00:00Z',
  message_count: messages.length,
  messages,
  branches,
});
