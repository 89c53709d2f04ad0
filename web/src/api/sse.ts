// Server-Sent Events over fetch (POST /chat/sse), with a parser that follows the
// WHATWG event-stream rules: lines end in CRLF, LF or CR (also split across
// chunks), `:` starts a comment, several `data:` lines join with "\n", a blank
// line dispatches, and one space after the colon is dropped.

import { errorFrom, authHeaders } from './client';
import { ApiError } from './errors';
import type { components } from './schema.gen';
import type { ChatHandlers } from './stream';
import type { TurnRequest } from './types';
import { fits, problemAs } from './validate';

export interface SSEEvent {
  event: string;
  data: string;
  id?: string;
}

export class SSEParser {
  private buffer = '';
  private pendingCR = false; // the last chunk ended in "\r": a following "\n" belongs to it
  private started = false;
  private eventName = '';
  private data: string[] = [];
  private hasData = false;
  private lastId: string | undefined;

  /** Feed decoded text; returns the events completed by it. */
  feed(chunk: string): SSEEvent[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
    }
    this.buffer += chunk;
    const events: SSEEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      const line = this.buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < this.buffer.length) {
          if (this.buffer.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCR = true;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** End of stream: an event without its blank line is dropped (per the spec). */
  end(): SSEEvent[] {
    this.buffer = '';
    this.reset();
    return [];
  }

  private line(line: string): SSEEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default: // "retry" and unknown fields: nothing to do for a one-shot stream
    }
    return null;
  }

  private dispatch(): SSEEvent | null {
    if (!this.hasData) {
      this.reset();
      return null;
    }
    const event: SSEEvent = { event: this.eventName || 'message', data: this.data.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.reset();
    return event;
  }

  private reset(): void {
    this.eventName = '';
    this.data = [];
    this.hasData = false;
  }
}

/** The POST /chat body for a turn. */
export function chatBody(turn: TurnRequest): components['schemas']['ChatIn'] {
  const body: components['schemas']['ChatIn'] = { prompt: turn.content, session_id: turn.conversation_id };
  if (turn.collection) body.collection = turn.collection;
  if (turn.model) body.model = turn.model;
  if (turn.temperature !== undefined) body.temperature = turn.temperature;
  if (turn.top_k !== undefined && turn.collection) body.top_k = turn.top_k;
  if (turn.system) body.system = turn.system;
  if (turn.regenerate) body.regenerate = true;
  if (turn.edit) body.edit = turn.edit;
  if (turn.mode === 'agent') body.mode = 'agent';
  if (turn.tools?.length) body.tools = turn.tools;
  return body;
}

/** Stream one turn over SSE. Resolves when the stream ends; abort the signal to stop. */
export async function streamSSE(turn: TurnRequest, handlers: ChatHandlers, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch('/chat/sse', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...authHeaders('POST') },
      body: JSON.stringify(chatBody(turn)),
      signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if (signal.aborted) return handlers.onCancelled();
    throw error instanceof ApiError ? error : ApiError.network();
  }
  if (!response.ok) throw await errorFrom(response);
  if (!response.body) throw new ApiError(0, 'error', 'The server sent no stream.');

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser();
  let finished = false;
  const handle = (event: SSEEvent): void => {
    let data: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(event.data);
      if (!parsed || typeof parsed !== 'object') return;
      data = parsed as Record<string, unknown>;
    } catch {
      return; // a frame we cannot read: skip it rather than lose the stream
    }
    switch (event.event) {
      case 'token':
        if (typeof data.token === 'string') handlers.onToken(data.token);
        break;
      case 'sources': {
        const sources = Array.isArray(data.sources) ? data.sources : [];
        // Passages that are not the schema's SourceOut are left out, not the stream.
        handlers.onSources(sources.filter((source) => fits('SourceOut', source)));
        break;
      }
      case 'memories': {
        const memories = Array.isArray(data.memories) ? data.memories : [];
        // Memories that are not the schema's MemoryOut are left out, not the stream.
        handlers.onMemories?.(memories.filter((memory) => fits('MemoryOut', memory)));
        break;
      }
      case 'tool_call':
        // Steps that are not the schema's are left out, not the stream.
        if (fits('ToolCallOut', data)) handlers.onToolCall?.(data);
        break;
      case 'tool_result':
        if (fits('ToolResultOut', data)) handlers.onToolResult?.(data);
        break;
      case 'done': {
        // The event is the finished turn, rendered as POST /chat answers it (TurnOut).
        finished = true;
        if (fits('TurnOut', data)) handlers.onDone(data);
        else handlers.onError(ApiError.invalidAnswer('the `done` event', problemAs('TurnOut', data) ?? ''));
        break;
      }
      case 'error':
        finished = true;
        handlers.onError(ApiError.fromBody(0, data));
        break;
      default:
    }
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) handle(event);
    }
    for (const event of parser.feed(decoder.decode())) handle(event);
  } catch (error) {
    if (signal.aborted) return handlers.onCancelled();
    throw ApiError.network('The connection to Vega was lost while the reply was streaming.');
  }
  if (!finished) {
    if (signal.aborted) return handlers.onCancelled();
    throw new ApiError(0, 'backend_error', 'The reply ended before it was complete.');
  }
}
