// A chat turn, streamed: over the WebSocket when it connects, else over SSE.

import { auth } from './client';
import { ApiError } from './errors';
import { streamSSE } from './sse';
import type { Memory, Source, ToolCall, ToolResult, TurnMeta, TurnRequest } from './types';
import { ChatSocket, SocketUnavailable } from './ws';

export interface ChatHandlers {
  onToken(token: string): void;
  onSources(sources: Source[]): void;
  /** Earlier exchanges from the user's other conversations the answer is given (before its first token). */
  onMemories?(memories: Memory[]): void;
  /** An agent turn: the model called a server tool (it runs now). */
  onToolCall?(call: ToolCall): void;
  /** ... and what that tool gave back. */
  onToolResult?(result: ToolResult): void;
  onDone(meta: TurnMeta): void;
  onError(error: ApiError): void;
  onCancelled(): void;
}

export interface RunningTurn {
  /** Stop generating (WS cancel, or abort the SSE fetch). */
  stop(): void;
  /** Settles when the turn is over; failures are reported through onError. */
  done: Promise<void>;
  transport: () => 'ws' | 'sse';
}

const WS_RETRY_MS = 30_000;

let socket: ChatSocket | null = null;
let socketDownUntil = 0;

function chatSocket(): ChatSocket | null {
  if (typeof WebSocket === 'undefined' || Date.now() < socketDownUntil) return null;
  socket ??= new ChatSocket(() => auth.key);
  return socket;
}

/** Open the socket early so the first message does not wait for it. */
export function warmUp(): void {
  chatSocket()
    ?.connect()
    .catch(() => {
      socketDownUntil = Date.now() + WS_RETRY_MS;
    });
}

export function resetTransport(): void {
  socket?.close();
  socket = null;
  socketDownUntil = 0;
}

export function streamTurn(turn: TurnRequest, handlers: ChatHandlers): RunningTurn {
  let transport: 'ws' | 'sse' = 'ws';
  let stopped = false;
  let abort: AbortController | null = null;
  let settled = false;
  // Once the UI has been told the turn ended, later events are ignored.
  const once: ChatHandlers = {
    onToken: (t) => !settled && handlers.onToken(t),
    onSources: (s) => !settled && handlers.onSources(s),
    onMemories: (m) => !settled && handlers.onMemories?.(m),
    onToolCall: (c) => !settled && handlers.onToolCall?.(c),
    onToolResult: (r) => !settled && handlers.onToolResult?.(r),
    onDone: (m) => !settled && ((settled = true), handlers.onDone(m)),
    onError: (e) => {
      if (settled) return;
      settled = true;
      handlers.onError(e);
      if (e.status === 401) auth.expired(); // the key was revoked while we chatted
    },
    onCancelled: () => !settled && ((settled = true), handlers.onCancelled()),
  };
  const ws = chatSocket();

  const viaSSE = async (): Promise<void> => {
    transport = 'sse';
    abort = new AbortController();
    if (stopped) return once.onCancelled();
    await streamSSE(turn, once, abort.signal);
  };

  const run = async (): Promise<void> => {
    try {
      if (ws) {
        try {
          await ws.send(turn, once, () => stopped);
          return;
        } catch (error) {
          if (!(error instanceof SocketUnavailable)) throw error;
          if (error.message !== 'busy') socketDownUntil = Date.now() + WS_RETRY_MS;
        }
      }
      await viaSSE();
    } catch (error) {
      if (stopped) once.onCancelled();
      else once.onError(error instanceof ApiError ? error : ApiError.network());
    } finally {
      if (!settled) once.onError(new ApiError(0, 'backend_error', 'The reply ended without a result.'));
    }
  };

  const done = run();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (transport === 'ws' && ws?.busy) ws.cancel();
      abort?.abort();
      once.onCancelled();
    },
    done,
    transport: () => transport,
  };
}
