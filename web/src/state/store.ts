// Conversations in the UI: one ChatState per conversation, turns streaming in the
// background while you look elsewhere, tokens applied at most once per frame.

import { useSyncExternalStore } from 'react';
import { api } from '../api/client';
import { ApiError } from '../api/errors';
import { streamTurn, type RunningTurn } from '../api/stream';
import type { TurnRequest } from '../api/types';
import { newId } from '../ids';
import { chatReducer, errorInfo, forgetMemoryId, initialChat, lastUserPrompt, type ChatAction, type ChatState } from './chat';
import type { ChatSettings } from './settings';

type Listener = () => void;

/** How a turn is asked for beyond its settings: `agent`, the model may call every enabled server tool. */
export interface TurnOptions {
  agent?: boolean;
}

export interface TurnEvents {
  started(conversationId: string, prompt: string): void;
  ended(conversationId: string): void;
}

export class ChatStore {
  private states = new Map<string, ChatState>();
  private listeners = new Set<Listener>();
  private turns = new Map<string, RunningTurn>();
  private buffered = new Map<string, string>();
  private epochs = new Map<string, number>(); // bumped by every turn: older loads are stale
  private frame: { kind: 'raf' | 'timeout'; handle: number } | null = null;
  events: TurnEvents | null = null;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get(id: string): ChatState {
    let state = this.states.get(id);
    if (!state) {
      state = initialChat(id);
      this.states.set(id, state);
    }
    return state;
  }

  has(id: string): boolean {
    return this.states.has(id);
  }

  dispatch(id: string, action: ChatAction): void {
    const before = this.get(id);
    const after = chatReducer(before, action);
    if (after === before) return;
    this.states.set(id, after);
    for (const listener of this.listeners) listener();
  }

  forget(id: string): void {
    this.stop(id);
    this.states.delete(id);
  }

  /** A memory was forgotten (`DELETE /memories/{id}`): it leaves every answer that shows
   * it, and stays hidden under stored answers (which keep what they were given). */
  forgetMemory(memoryId: string): void {
    forgetMemoryId(memoryId);
    for (const id of [...this.states.keys()]) this.dispatch(id, { type: 'forgetMemory', id: memoryId });
  }

  /** Load a conversation from the server (unless a turn is streaming into it).
   * `quiet`: refresh what is already shown, without a loading state. */
  async load(id: string, { quiet = false } = {}): Promise<void> {
    const state = this.get(id);
    if (state.streaming || state.loading) return;
    if (!quiet) this.dispatch(id, { type: 'loading' });
    const epoch = this.epochs.get(id) ?? 0;
    try {
      const conversation = await api.conversation(id);
      if ((this.epochs.get(id) ?? 0) !== epoch) return this.dispatch(id, { type: 'loadSkipped' });
      this.dispatch(id, { type: 'loaded', conversation });
    } catch (error) {
      if (!quiet) this.dispatch(id, { type: 'loadFailed', error: errorInfo(error) });
    }
  }

  /** Give the last answer the id the server stored it under (after a stop or an error). */
  private async adoptServerId(id: string): Promise<void> {
    const state = this.get(id);
    const last = state.messages[state.messages.length - 1];
    if (state.streaming || !last || last.role !== 'assistant' || last.id) return;
    try {
      const detail = await api.conversation(id);
      const stored = detail.messages[detail.messages.length - 1];
      if (stored?.role === 'assistant') this.dispatch(id, { type: 'adoptId', key: last.key, id: stored.id });
    } catch {
      // not stored (refused before the model was asked): nothing to rate
    }
  }

  send(id: string, prompt: string, settings: ChatSettings, options: TurnOptions = {}): void {
    const text = prompt.trim() ? prompt : '';
    if (!text || this.get(id).streaming) return;
    this.dispatch(id, { type: 'send', prompt: text, userKey: newId(), assistantKey: newId() });
    this.events?.started(id, text);
    this.run(id, text, settings, options);
  }

  regenerate(id: string, settings: ChatSettings, options: TurnOptions = {}): void {
    const state = this.get(id);
    const prompt = lastUserPrompt(state);
    if (!prompt || state.streaming) return;
    this.dispatch(id, { type: 'regenerate', assistantKey: newId() });
    // The server answers its stored last prompt again and supersedes the old answer,
    // so the history holds the question once.
    this.run(id, '', settings, options, true);
  }

  stop(id: string): void {
    const turn = this.turns.get(id);
    if (turn) turn.stop();
    else if (this.get(id).streaming) this.dispatch(id, { type: 'stop' });
  }

  isStreaming(id: string): boolean {
    return this.turns.has(id);
  }

  private run(id: string, prompt: string, settings: ChatSettings, options: TurnOptions, regenerate = false): void {
    this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
    const request: TurnRequest = { content: prompt, conversation_id: id };
    if (regenerate) request.regenerate = true;
    if (settings.collection) request.collection = settings.collection;
    if (settings.model) request.model = settings.model;
    if (settings.temperature !== null) request.temperature = settings.temperature;
    if (settings.topK !== null) request.top_k = settings.topK;
    if (settings.system.trim()) request.system = settings.system;
    if (options.agent) request.mode = 'agent';

    const finish = (action: ChatAction): void => {
      this.flush();
      this.turns.delete(id);
      this.dispatch(id, action);
      this.events?.ended(id);
      // A stopped or failed reply is stored without telling us its id: look it up,
      // so that feedback works on it too.
      if (action.type !== 'done') window.setTimeout(() => void this.adoptServerId(id), 700);
    };
    const turn = streamTurn(request, {
      onToken: (token) => this.buffer(id, token),
      onSources: (sources) => {
        this.flush();
        this.dispatch(id, { type: 'sources', sources });
      },
      onMemories: (memories) => {
        this.flush();
        this.dispatch(id, { type: 'memories', memories });
      },
      onToolCall: (call) => {
        this.flush();
        this.dispatch(id, { type: 'toolCall', call });
      },
      onToolResult: (result) => {
        this.flush();
        this.dispatch(id, { type: 'toolResult', result });
      },
      onDone: (meta) => finish({ type: 'done', meta }),
      onError: (error: ApiError) => finish({ type: 'error', error: errorInfo(error) }),
      onCancelled: () => finish({ type: 'stop' }),
    });
    this.turns.set(id, turn);
  }

  private buffer(id: string, token: string): void {
    this.buffered.set(id, (this.buffered.get(id) ?? '') + token);
    if (this.frame !== null) return;
    // Animation frames do not run in a hidden tab; a timer keeps the text coming there.
    this.frame =
      typeof requestAnimationFrame === 'function' && !document.hidden
        ? { kind: 'raf', handle: requestAnimationFrame(() => this.flush()) }
        : { kind: 'timeout', handle: window.setTimeout(() => this.flush(), 100) };
  }

  /** Apply buffered tokens now (once per frame while streaming, and before a turn ends). */
  flush(): void {
    if (this.frame !== null) {
      if (this.frame.kind === 'raf') cancelAnimationFrame(this.frame.handle);
      else clearTimeout(this.frame.handle);
      this.frame = null;
    }
    if (this.buffered.size === 0) return;
    const pending = [...this.buffered];
    this.buffered.clear();
    for (const [id, text] of pending) this.dispatch(id, { type: 'tokens', text });
  }
}

export const chatStore = new ChatStore();

export function useChat(id: string): ChatState {
  return useSyncExternalStore(chatStore.subscribe, () => chatStore.get(id));
}
