// The state of one conversation in the UI, as a pure reducer (tested in chat.test.ts).

import { ApiError, type Code } from '../api/errors';
import type { ConversationDetail, Memory, MessageOut, Source, StoredToolStep, Summary, ToolCall, ToolResult, TurnMeta } from '../api/types';
import { fits } from '../api/validate';

/** What the reducer reads of a finished turn (the server's TurnOut has it all). */
export type TurnEnd = Pick<TurnMeta, 'message_id'> & Partial<Pick<TurnMeta, 'model' | 'latency_ms' | 'finish_reason' | 'sources' | 'memories' | 'summary'>>;

export type MessageStatus = 'streaming' | 'ok' | 'error' | 'cancelled';

export interface ErrorInfo {
  status: number;
  code: Code;
  message: string;
  retryAfterS: number | null;
}

/**
 * One tool call of an answer: streamed (`tool_call`, then its `tool_result`) or stored
 * (`messages[].steps`). `status` is `running` until the result comes, then the server's
 * word (`ok`, `error`, `refused`); `stopped` when the turn ended first; `called` for a
 * call of the client's own tools (an OpenAI or Ollama client ran it, not Vega).
 */
export interface ToolStep {
  id: string;
  step: number;
  name: string;
  arguments: string; // JSON text, as the model wrote it
  status: string;
  result: string | null;
  error: string | null;
  ms: number | null;
}

export interface ChatMessage {
  key: string; // stable React key
  id: string | null; // the server's message id, once known
  /** `tool`: a tool's result in a conversation an OpenAI or Ollama client made. */
  role: 'user' | 'assistant' | 'tool';
  content: string;
  status: MessageStatus;
  error: ErrorInfo | null;
  sources: Source[];
  model: string | null;
  latencyMs: number | null;
  finishReason: string | null;
  rating: number | null;
  notes: string | null;
  /** The tools an answer used, in order. */
  steps: ToolStep[];
  /** A `tool` message: the tool whose result it is. */
  toolName: string | null;
  /** An answer: the earlier exchanges from the user's other conversations it was given. */
  memories: Memory[];
  /**
   * An answer: the summary of this conversation's earlier turns it was given in their
   * place (they did not fit its context window). It comes with the end of the answer.
   */
  summary: Summary | null;
  /** The message this one follows in the conversation tree (null: the first, or not yet known). */
  parentId: string | null;
  /**
   * The versions of this message (its id among them), oldest first: more than one when
   * the question was edited or the answer regenerated (the "‹ 2 / 3 ›" pager).
   */
  siblings: string[];
}

export interface ChatState {
  conversationId: string;
  /** Known to the server (loaded, or a turn was sent). */
  saved: boolean;
  loading: boolean;
  loadError: ErrorInfo | null;
  messages: ChatMessage[];
  streaming: boolean;
  draft: string;
  /** An error that belongs to the composer (the prompt was refused before it was stored). */
  error: ErrorInfo | null;
  /** The user message the running turn added (null for Regenerate, which reuses one). */
  turnUserKey: string | null;
  /** The running turn edits an earlier question (a new branch): a refused one leaves the input alone. */
  turnEdit: boolean;
}

export type ChatAction =
  | { type: 'loading' }
  | { type: 'loaded'; conversation: ConversationDetail }
  | { type: 'loadFailed'; error: ErrorInfo }
  | { type: 'loadSkipped' }
  | { type: 'draft'; text: string }
  | { type: 'send'; prompt: string; userKey: string; assistantKey: string }
  | { type: 'regenerate'; assistantKey: string }
  | { type: 'edit'; key: string; prompt: string; userKey: string; assistantKey: string }
  | { type: 'synced'; conversation: ConversationDetail; replace?: boolean }
  | { type: 'tokens'; text: string }
  | { type: 'sources'; sources: Source[] }
  | { type: 'memories'; memories: Memory[] }
  | { type: 'forgetMemory'; id: string }
  | { type: 'toolCall'; call: ToolCall }
  | { type: 'toolResult'; result: ToolResult }
  | { type: 'done'; meta: TurnEnd }
  | { type: 'stop' }
  | { type: 'error'; error: ErrorInfo }
  | { type: 'feedback'; key: string; rating?: number | null; notes?: string | null }
  | { type: 'adoptId'; key: string; id: string }
  | { type: 'dismissError' };

export function initialChat(conversationId: string, saved = false): ChatState {
  return {
    conversationId,
    saved,
    loading: false,
    loadError: null,
    messages: [],
    streaming: false,
    draft: '',
    error: null,
    turnUserKey: null,
    turnEdit: false,
  };
}

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof ApiError) {
    return { status: error.status, code: error.code, message: error.message, retryAfterS: error.retryAfterS };
  }
  return { status: 0, code: 'error', message: error instanceof Error ? error.message : String(error), retryAfterS: null };
}

/** Errors where the server refused the prompt before storing it. */
const REFUSED: ReadonlySet<Code> = new Set<Code>(['payload_too_large', 'rate_limited', 'bad_input', 'unauthorized', 'not_found', 'conflict']);

export function refusedBeforeStoring(error: ErrorInfo): boolean {
  return REFUSED.has(error.code);
}

function assistantMessage(key: string): ChatMessage {
  return {
    key,
    id: null,
    role: 'assistant',
    content: '',
    status: 'streaming',
    error: null,
    sources: [],
    model: null,
    latencyMs: null,
    finishReason: null,
    rating: null,
    notes: null,
    steps: [],
    toolName: null,
    memories: [],
    summary: null,
    parentId: null,
    siblings: [],
  };
}

function storedStep(step: StoredToolStep): ToolStep {
  return {
    id: step.id,
    step: step.step,
    name: step.name,
    arguments: step.arguments,
    status: step.status,
    result: step.result,
    error: step.error,
    ms: step.ms,
  };
}

/** An answer's calls of the client's tools (`[{id, name, arguments}]`), as steps. */
function clientCalls(calls: MessageOut['tool_calls']): ToolStep[] {
  if (!Array.isArray(calls)) return [];
  return calls.flatMap((call, i): ToolStep[] => {
    if (!call || typeof call !== 'object') return [];
    // OpenAI's shape nests name and arguments under `function`; Vega's is flat.
    const fn = call.function && typeof call.function === 'object' ? (call.function as Record<string, unknown>) : call;
    const name = typeof fn.name === 'string' ? fn.name : '';
    if (!name) return [];
    const args = fn.arguments;
    return [
      {
        id: typeof call.id === 'string' ? call.id : `call-${i}`,
        step: 1,
        name,
        arguments: typeof args === 'string' ? args : args === undefined ? '' : JSON.stringify(args),
        status: 'called',
        result: null,
        error: null,
        ms: null,
      },
    ];
  });
}

export function fromServer(message: MessageOut): ChatMessage | null {
  if (message.role === 'tool') {
    return {
      ...assistantMessage(message.id),
      id: message.id,
      role: 'tool',
      content: message.content,
      status: 'ok',
      toolName: message.tool_name ?? null,
      parentId: message.parent_id ?? null,
      siblings: message.siblings ?? [],
    };
  }
  if (message.role !== 'user' && message.role !== 'assistant') return null;
  const failed = message.status === 'error';
  let error: ErrorInfo | null = null;
  if (failed) {
    // Stored as "code: message"; the code is one of the schema's.
    const text = message.error ?? 'The reply failed.';
    const colon = text.indexOf(': ');
    const prefix = colon > 0 ? text.slice(0, colon) : null;
    const code = fits('ErrorCode', prefix) ? prefix : 'error';
    error = { status: 0, code, message: colon > 0 && code !== 'error' ? text.slice(colon + 2) : text, retryAfterS: null };
  }
  return {
    key: message.id,
    id: message.id,
    role: message.role,
    content: message.content,
    status: failed ? 'error' : message.status === 'cancelled' ? 'cancelled' : 'ok',
    error,
    sources: message.sources ?? [],
    model: message.model,
    latencyMs: message.latency_ms,
    finishReason: null,
    rating: message.rating,
    notes: message.notes,
    steps: [...(message.steps ?? []).map(storedStep), ...clientCalls(message.tool_calls)],
    toolName: null,
    memories: withoutForgotten(message.memories ?? []),
    summary: message.role === 'assistant' ? (message.summary ?? null) : null,
    parentId: message.parent_id ?? null,
    siblings: message.siblings ?? [],
  };
}

function shownMessages(conversation: ConversationDetail): ChatMessage[] {
  return conversation.messages.map(fromServer).filter((m): m is ChatMessage => m !== null);
}

/**
 * The server's active path in place of what is shown. A message that stays where it was
 * (same id, or the same place and role while its id was not known yet) keeps its React
 * key, so switching branches or a refresh after a turn redraws only what changed.
 */
function replaced(current: ChatMessage[], next: ChatMessage[]): ChatMessage[] {
  return next.map((message, i) => {
    const before = current[i];
    const same = before && (before.id === message.id || (before.id === null && before.role === message.role));
    return same && before.key !== message.key ? { ...message, key: before.key } : message;
  });
}

/** Which version of its message this is: `{index, count}` (index from 0), or null for a message with one. */
export function versionOf(message: Pick<ChatMessage, 'id' | 'siblings'>): { index: number; count: number } | null {
  if (!message.id || message.siblings.length < 2) return null;
  const index = message.siblings.indexOf(message.id);
  return index < 0 ? null : { index, count: message.siblings.length };
}

/** The id of the version before (-1) or after (+1) this one, or null at either end. */
export function neighbourVersion(message: Pick<ChatMessage, 'id' | 'siblings'>, step: -1 | 1): string | null {
  const version = versionOf(message);
  if (!version) return null;
  return message.siblings[version.index + step] ?? null;
}

// Memories forgotten in this tab (`DELETE /memories/{id}`). A stored answer keeps what it
// was given, forgotten or not: these stay hidden under it while the page lives.
const forgotten = new Set<string>();

export function forgetMemoryId(id: string): void {
  forgotten.add(id);
}

function withoutForgotten(memories: Memory[]): Memory[] {
  return forgotten.size === 0 ? memories : memories.filter((m) => !forgotten.has(m.id));
}

/** For tests: forget what was forgotten. */
export function resetForgottenMemories(): void {
  forgotten.clear();
}

/** Index of the assistant message being streamed, or -1. */
function streamingIndex(messages: ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === 'assistant' && messages[i].status === 'streaming') return i;
  }
  return -1;
}

function updateAt(messages: ChatMessage[], index: number, change: Partial<ChatMessage>): ChatMessage[] {
  const next = messages.slice();
  next[index] = { ...messages[index], ...change };
  return next;
}

/** Steps still running when a turn ends without their results. */
function stopSteps(steps: ToolStep[]): ToolStep[] {
  return steps.some((s) => s.status === 'running') ? steps.map((s) => (s.status === 'running' ? { ...s, status: 'stopped' } : s)) : steps;
}

/** The prompt Regenerate would send again, or null. */
export function lastUserPrompt(state: ChatState): string | null {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    if (state.messages[i].role === 'user') return state.messages[i].content;
  }
  return null;
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'loading':
      return { ...state, loading: true, loadError: null };

    case 'loaded': {
      if (state.streaming) return { ...state, loading: false }; // the live turn is fresher
      const messages = replaced(state.messages, shownMessages(action.conversation));
      return { ...state, saved: true, loading: false, loadError: null, messages };
    }

    case 'synced': {
      // After a turn: the server's ids and versions for what is shown (the user message's
      // id is told nobody; a regenerated answer or an edited question now has siblings).
      // Only those are taken while the path lines up, so what changed here since (a
      // rating, a note, an error's details) stays. `replace`: it does not line up, show
      // the server's (an edit the server refused leaves the old branch active).
      if (state.streaming) return state;
      const server = shownMessages(action.conversation);
      let lined = server.length === state.messages.length;
      const messages = state.messages.map((message, i) => {
        const stored = server[i];
        if (!stored || stored.role !== message.role || (message.id !== null && message.id !== stored.id)) {
          lined = false;
          return message;
        }
        if (message.id === stored.id && message.parentId === stored.parentId && sameIds(message.siblings, stored.siblings)) return message;
        return { ...message, id: stored.id, parentId: stored.parentId, siblings: stored.siblings };
      });
      if (!lined && action.replace) return { ...state, saved: true, messages: replaced(state.messages, server) };
      return messages.every((m, i) => m === state.messages[i]) ? state : { ...state, messages };
    }

    case 'loadFailed':
      return { ...state, loading: false, loadError: action.error };

    case 'loadSkipped':
      return state.loading ? { ...state, loading: false } : state;

    case 'draft':
      return { ...state, draft: action.text };

    case 'send': {
      if (state.streaming) return state;
      const user: ChatMessage = { ...assistantMessage(action.userKey), role: 'user', content: action.prompt, status: 'ok' };
      return {
        ...state,
        saved: true,
        streaming: true,
        draft: '',
        error: null,
        turnUserKey: action.userKey,
        turnEdit: false,
        messages: [...state.messages, user, assistantMessage(action.assistantKey)],
      };
    }

    case 'edit': {
      // The edited question and what follows it leave the view; the new one takes its place.
      if (state.streaming || !action.prompt) return state;
      const index = state.messages.findIndex((m) => m.key === action.key);
      if (index < 0 || state.messages[index].role !== 'user') return state;
      const edited = state.messages[index];
      const user: ChatMessage = {
        ...assistantMessage(action.userKey),
        role: 'user',
        content: action.prompt,
        status: 'ok',
        parentId: edited.parentId,
      };
      return {
        ...state,
        streaming: true,
        error: null,
        turnUserKey: action.userKey,
        turnEdit: true,
        messages: [...state.messages.slice(0, index), user, assistantMessage(action.assistantKey)],
      };
    }

    case 'regenerate': {
      if (state.streaming) return state;
      let lastUser = -1;
      for (let i = state.messages.length - 1; i >= 0; i--) {
        if (state.messages[i].role === 'user') {
          lastUser = i;
          break;
        }
      }
      if (lastUser < 0) return state;
      return {
        ...state,
        streaming: true,
        error: null,
        turnUserKey: null,
        turnEdit: false,
        messages: [...state.messages.slice(0, lastUser + 1), { ...assistantMessage(action.assistantKey), parentId: state.messages[lastUser].id }],
      };
    }

    case 'tokens': {
      const index = streamingIndex(state.messages);
      if (index < 0 || !action.text) return state;
      return { ...state, messages: updateAt(state.messages, index, { content: state.messages[index].content + action.text }) };
    }

    case 'sources': {
      const index = streamingIndex(state.messages);
      if (index < 0) return state;
      return { ...state, messages: updateAt(state.messages, index, { sources: action.sources }) };
    }

    case 'memories': {
      const index = streamingIndex(state.messages);
      if (index < 0) return state;
      return { ...state, messages: updateAt(state.messages, index, { memories: withoutForgotten(action.memories) }) };
    }

    case 'forgetMemory': {
      if (!state.messages.some((m) => m.memories.some((memory) => memory.id === action.id))) return state;
      const messages = state.messages.map((m) =>
        m.memories.some((memory) => memory.id === action.id) ? { ...m, memories: m.memories.filter((memory) => memory.id !== action.id) } : m,
      );
      return { ...state, messages };
    }

    case 'toolCall': {
      const index = streamingIndex(state.messages);
      if (index < 0) return state;
      const { call } = action;
      const steps = state.messages[index].steps;
      if (steps.some((s) => s.id === call.id)) return state;
      const step: ToolStep = { id: call.id, step: call.step, name: call.name, arguments: call.arguments, status: 'running', result: null, error: null, ms: null };
      return { ...state, messages: updateAt(state.messages, index, { steps: [...steps, step] }) };
    }

    case 'toolResult': {
      const index = streamingIndex(state.messages);
      if (index < 0) return state;
      const { result } = action;
      const steps = state.messages[index].steps;
      const at = steps.findIndex((s) => s.id === result.id);
      const answered = { status: result.status, result: result.result, ms: result.ms };
      const next =
        at >= 0
          ? steps.map((s, i) => (i === at ? { ...s, ...answered } : s))
          : [...steps, { id: result.id, step: result.step, name: result.name, arguments: '', error: null, ...answered }];
      // What the tool found is citable at once (numbered by the server); `done` has them all.
      const current = state.messages[index].sources;
      const found = (result.sources ?? []).filter((source): source is Source => fits('SourceOut', source) && !current.some((c) => c.rank === source.rank));
      const sources = found.length ? [...current, ...found].sort((a, b) => a.rank - b.rank) : current;
      return { ...state, messages: updateAt(state.messages, index, { steps: next, sources }) };
    }

    case 'done': {
      const index = streamingIndex(state.messages);
      if (index < 0) return { ...state, streaming: false };
      const current = state.messages[index];
      const { meta } = action;
      return {
        ...state,
        streaming: false,
        messages: updateAt(state.messages, index, {
          id: meta.message_id ?? null,
          status: 'ok',
          model: meta.model ?? null,
          latencyMs: meta.latency_ms ?? null,
          finishReason: meta.finish_reason ?? null,
          sources: meta.sources && meta.sources.length ? meta.sources : current.sources,
          memories: meta.memories && meta.memories.length ? withoutForgotten(meta.memories) : current.memories,
          summary: meta.summary ?? current.summary,
        }),
      };
    }

    case 'stop': {
      const index = streamingIndex(state.messages);
      if (index < 0) return { ...state, streaming: false };
      const steps = stopSteps(state.messages[index].steps);
      return { ...state, streaming: false, messages: updateAt(state.messages, index, { status: 'cancelled', steps }) };
    }

    case 'error': {
      const index = streamingIndex(state.messages);
      let messages = state.messages;
      let prompt: string | null = null;
      if (index >= 0) {
        const user = index > 0 && messages[index - 1].role === 'user' ? index - 1 : -1;
        prompt = user >= 0 ? messages[user].content : null;
        if (refusedBeforeStoring(action.error) && !messages[index].content && messages[index].steps.length === 0) {
          // Nothing was stored: take the turn back out and put the prompt back in the input.
          const added = user >= 0 && messages[user].key === state.turnUserKey;
          messages = messages.slice(0, added ? user : index).concat(messages.slice(index + 1));
          return {
            ...state,
            streaming: false,
            messages,
            error: action.error,
            turnUserKey: null,
            turnEdit: false,
            // An edit's text is not the composer's: the store shows the stored branch again.
            draft: state.draft || (added && !state.turnEdit ? prompt : '') || '',
          };
        }
        messages = updateAt(messages, index, { status: 'error', error: action.error, steps: stopSteps(messages[index].steps) });
      }
      return {
        ...state,
        streaming: false,
        messages,
        error: index >= 0 ? null : action.error,
        turnUserKey: null,
        turnEdit: false,
        draft: state.draft || (state.turnUserKey && !state.turnEdit ? prompt : '') || '',
      };
    }

    case 'feedback': {
      const index = state.messages.findIndex((m) => m.key === action.key);
      if (index < 0) return state;
      const change: Partial<ChatMessage> = {};
      if (action.rating !== undefined) change.rating = action.rating;
      if (action.notes !== undefined) change.notes = action.notes;
      return { ...state, messages: updateAt(state.messages, index, change) };
    }

    case 'adoptId': {
      const index = state.messages.findIndex((m) => m.key === action.key);
      if (index < 0 || state.messages[index].id) return state;
      return { ...state, messages: updateAt(state.messages, index, { id: action.id }) };
    }

    case 'dismissError':
      return { ...state, error: null };

    default:
      return state;
  }
}

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
