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

  /**
   * After a turn: the stored ids and versions of what is shown (a question's id, which
   * Edit needs, is told nobody, nor a stopped or failed answer's, which feedback needs;
   * a regenerated answer or an edited question has siblings now). `replace`: show the
   * server's path if it does not line up with ours.
   */
  private async sync(id: string, replace = false): Promise<void> {
    if (this.get(id).streaming) return;
    const epoch = this.epochs.get(id) ?? 0;
    try {
      const conversation = await api.conversation(id);
      if ((this.epochs.get(id) ?? 0) !== epoch) return; // a turn or a branch switch since
      this.dispatch(id, { type: 'synced', conversation, replace });
    } catch {
      // not there (yet): what is shown stays
    }
  }

  /**
   * Show another version of a message (the pager's arrows): the server makes the branch
   * through it active, down to its latest message, and answers with that path. Rejects
   * with the ApiError (the caller says so); nothing changes then.
   */
  async showBranch(id: string, messageId: string): Promise<void> {
    if (this.get(id).streaming) return;
    const epoch = (this.epochs.get(id) ?? 0) + 1;
    this.epochs.set(id, epoch); // loads already under way are older than this
    const conversation = await api.showBranch(id, messageId);
    if ((this.epochs.get(id) ?? 0) !== epoch || this.get(id).streaming) return;
    this.dispatch(id, { type: 'loaded', conversation });
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
    // The server answers its stored last prompt again, so the history holds the question
    // once; the old answer stays, a version of the new one (the pager reaches it).
    this.run(id, '', settings, options, { regenerate: true });
  }

  /**
   * Ask an earlier question again in other words (the user message with React key `key`):
   * the server branches off before it and answers the new text as a normal turn; the
   * question it replaces stays, a version of the new one.
   */
  edit(id: string, key: string, prompt: string, settings: ChatSettings, options: TurnOptions = {}): void {
    const state = this.get(id);
    const text = prompt.trim() ? prompt : '';
    const edited = state.messages.find((m) => m.key === key);
    if (!text || state.streaming || !edited?.id || edited.role !== 'user') return;
    this.dispatch(id, { type: 'edit', key, prompt: text, userKey: newId(), assistantKey: newId() });
    this.events?.started(id, text);
    this.run(id, text, settings, options, { edit: edited.id });
  }

  stop(id: string): void {
    const turn = this.turns.get(id);
    if (turn) turn.stop();
    else if (this.get(id).streaming) this.dispatch(id, { type: 'stop' });
  }

  isStreaming(id: string): boolean {
    return this.turns.has(id);
  }

  private run(
    id: string,
    prompt: string,
    settings: ChatSettings,
    options: TurnOptions,
    { regenerate = false, edit }: { regenerate?: boolean; edit?: string } = {},
  ): void {
    this.epochs.set(id, (this.epochs.get(id) ?? 0) + 1);
    const request: TurnRequest = { content: prompt, conversation_id: id };
    if (regenerate) request.regenerate = true;
    if (edit) request.edit = edit;
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
      if (action.type === 'done') void this.sync(id);
      // A stopped or failed reply is stored a moment later: then look it up. An edit
      // shows the stored path, whatever part of it the server kept.
      else window.setTimeout(() => void this.sync(id, Boolean(edit)), 700);
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
