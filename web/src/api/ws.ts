// One WebSocket to /ws for the whole tab: authenticated with the first message (keys
// mode) or by the session cookie the handshake carries (accounts mode), one turn at a
// time (the server's rule), reconnected on demand.

import { ApiError } from './errors';
import type { components } from './schema.gen';
import type { ChatHandlers } from './stream';
import type { ServerFrame, TurnRequest } from './types';
import { fits, problemAs } from './validate';

const CONNECT_TIMEOUT_MS = 4000;
const IDLE_WAIT_MS = 2000;

type ClientFrame = components['schemas']['WsClientFrame'];

interface Turn {
  handlers: ChatHandlers;
  resolve: () => void;
  reject: (error: unknown) => void;
  cancelled: boolean;
}

/** The socket could not be opened or authenticated: use SSE instead. */
export class SocketUnavailable extends Error {}

export class ChatSocket {
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private turn: Turn | null = null;
  private idleWaiters: (() => void)[] = [];
  private readonly wsUrl: string;
  private readonly getKey: () => string | null;

  constructor(getKey: () => string | null, wsUrl = defaultUrl()) {
    this.getKey = getKey;
    this.wsUrl = wsUrl;
  }

  get busy(): boolean {
    return this.turn !== null;
  }

  /**
   * Open and authenticate (idempotent). Rejects with SocketUnavailable or ApiError(401).
   * Without a key the session cookie signs the handshake in: the server accepts the
   * socket only for a live session, and says nothing more, so it is ready once open.
   */
  connect(): Promise<WebSocket> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    const key = this.getKey();
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      let settled = false;
      let socket: WebSocket;
      try {
        socket = new WebSocket(this.wsUrl);
      } catch {
        reject(new SocketUnavailable('WebSocket not available'));
        return;
      }
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          socket.close();
        } catch {
          /* already closed */
        }
        reject(error);
      };
      const timer = setTimeout(() => fail(new SocketUnavailable('WebSocket timed out')), CONNECT_TIMEOUT_MS);
      socket.onopen = () => {
        if (key !== null) {
          sendFrame(socket, { type: 'auth', api_key: key });
          return;
        }
        settled = true;
        clearTimeout(timer);
        this.socket = socket;
        resolve(socket);
      };
      socket.onerror = () => fail(new SocketUnavailable('WebSocket failed'));
      socket.onclose = (event) => {
        if (!settled) {
          fail(
            event.code === 4401
              ? new ApiError(401, 'unauthorized', 'The key was not accepted.')
              : new SocketUnavailable(`WebSocket closed (${event.code})`),
          );
        } else {
          this.closed();
        }
      };
      socket.onmessage = (event) => {
        const message = parse(event.data);
        if (!message) return;
        if ('invalid' in message) {
          // Not a frame of the schema: before auth_ok, this is no Vega socket to use.
          if (!settled) fail(new SocketUnavailable(`unexpected frame: ${message.invalid}`));
          else this.invalid(message.invalid);
          return;
        }
        if (!settled) {
          if (message.type === 'auth_ok') {
            settled = true;
            clearTimeout(timer);
            this.socket = socket;
            resolve(socket);
          } else if (message.type === 'error') {
            fail(ApiError.fromBody(message.error.code === 'unauthorized' ? 401 : 0, message));
          }
          return;
        }
        this.receive(message);
      };
    }).finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  /** Run one turn. Resolves when it ends (done, cancelled or error via handlers). */
  async send(turn: TurnRequest, handlers: ChatHandlers, stopped: () => boolean = () => false): Promise<void> {
    // Right after a Stop the server still winds the old turn down: wait for that.
    // A turn still running elsewhere (another conversation) is not waited for.
    if (this.turn?.cancelled) await this.whenIdle(IDLE_WAIT_MS);
    if (this.turn) throw new SocketUnavailable('busy');
    const socket = await this.connect();
    if (stopped()) return handlers.onCancelled(); // stopped while connecting: send nothing
    if (this.turn) throw new SocketUnavailable('busy');
    return new Promise<void>((resolve, reject) => {
      this.turn = { handlers, resolve, reject, cancelled: false };
      const message: components['schemas']['WsMessage'] = {
        type: 'message',
        content: turn.content,
        conversation_id: turn.conversation_id,
      };
      if (turn.collection) message.collection = turn.collection;
      if (turn.model) message.model = turn.model;
      if (turn.temperature !== undefined) message.temperature = turn.temperature;
      if (turn.top_k !== undefined && turn.collection) message.top_k = turn.top_k;
      if (turn.system) message.system = turn.system;
      if (turn.regenerate) message.regenerate = true;
      if (turn.edit) message.edit = turn.edit;
      if (turn.mode === 'agent') message.mode = 'agent';
      if (turn.tools?.length) message.tools = turn.tools;
      try {
        sendFrame(socket, message);
      } catch {
        this.finish();
        reject(new SocketUnavailable('send failed'));
      }
    });
  }

  /** Stop the running turn; the UI treats it as stopped at once. */
  cancel(): void {
    const turn = this.turn;
    if (!turn || turn.cancelled) return;
    turn.cancelled = true;
    try {
      if (this.socket) sendFrame(this.socket, { type: 'cancel' });
    } catch {
      /* the close handler ends the turn */
    }
    turn.handlers.onCancelled();
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }

  /** A frame that breaks the schema ends the running turn with that error. */
  private invalid(problem: string): void {
    const turn = this.turn;
    if (!turn) return;
    if (!turn.cancelled) turn.handlers.onError(ApiError.invalidAnswer('a WebSocket frame', problem));
    this.finish();
    turn.resolve();
  }

  private receive(message: ServerFrame): void {
    const turn = this.turn;
    if (!turn) return;
    const h = turn.handlers;
    switch (message.type) {
      case 'token':
        if (!turn.cancelled) h.onToken(message.token);
        break;
      case 'sources':
        if (!turn.cancelled) h.onSources(message.sources);
        break;
      case 'memories':
        if (!turn.cancelled) h.onMemories?.(message.memories);
        break;
      case 'tool_call':
        if (!turn.cancelled) h.onToolCall?.(message.call);
        break;
      case 'tool_result':
        if (!turn.cancelled) h.onToolResult?.(message.result);
        break;
      case 'response_end':
        if (!turn.cancelled) h.onDone(message.metadata);
        this.finish();
        turn.resolve();
        break;
      case 'cancelled':
        this.finish();
        turn.resolve();
        break;
      case 'error':
        if (!turn.cancelled) h.onError(ApiError.fromBody(0, message));
        this.finish();
        turn.resolve();
        break;
      default:
    }
  }

  private closed(): void {
    this.socket = null;
    const turn = this.turn;
    if (!turn) return;
    this.finish();
    if (turn.cancelled) turn.resolve();
    else turn.reject(ApiError.network('The connection to Vega was lost while the reply was streaming.'));
  }

  private finish(): void {
    this.turn = null;
    const waiters = this.idleWaiters.splice(0);
    for (const wake of waiters) wake();
  }

  private whenIdle(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function sendFrame(socket: WebSocket, frame: ClientFrame): void {
  socket.send(JSON.stringify(frame));
}

/**
 * A frame of the schema's `WsServerFrame`; `{invalid}` for JSON that is not one (what is
 * wrong with it); null for what is not JSON at all (skipped, as before).
 */
function parse(data: unknown): ServerFrame | { invalid: string } | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (fits('WsServerFrame', value)) return value;
  return { invalid: problemAs('WsServerFrame', value) ?? 'not a frame' };
}

function defaultUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/ws`;
}
