// A conversation shared with a link, live: `GET /shared/{id}/events` streams each message
// as it is stored (`message`: a MessageOut), then `end` when the link is withdrawn or the
// viewer's session ends.
//
// Read with fetch rather than EventSource: fetch sends the key in keys mode (EventSource
// cannot send headers), tells a 404 from a lost connection (EventSource only says
// "error"), and does not reconnect by itself after `end` (EventSource would, forever).

import { fillPath, request } from './client';
import { ApiError } from './errors';
import { SSEParser, type SSEEvent } from './sse';
import type { MessageOut } from './types';
import { fits } from './validate';

export interface SharedEvents {
  onMessage: (message: MessageOut) => void;
}

/**
 * Follow the link's new messages until the server ends the stream. Resolves with the
 * `end` event's reason; rejects with an ApiError (404: withdrawn before the stream
 * started; 0: the connection was lost) or the AbortError of `signal`.
 */
export async function followShared(id: string, events: SharedEvents, signal: AbortSignal): Promise<string> {
  const response = await request(fillPath('/shared/{share_id}/events', { share_id: id }), { accept: 'text/event-stream', signal });
  if (!response.body) throw new ApiError(0, 'error', 'The server sent no stream.');
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser();
  let ended: string | null = null;
  const handle = (event: SSEEvent): void => {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      return; // a frame we cannot read: skip it rather than lose the stream
    }
    if (event.event === 'message' && fits('MessageOut', data)) events.onMessage(data);
    else if (event.event === 'end') {
      const reason = data && typeof data === 'object' && 'reason' in data ? (data as { reason: unknown }).reason : null;
      ended = typeof reason === 'string' ? reason : 'ended';
    }
  };
  try {
    while (ended === null) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) handle(event);
    }
  } catch (error) {
    if (signal.aborted) throw error;
    throw ApiError.network('The connection to Vega was lost.');
  } finally {
    void reader.cancel().catch(() => {});
  }
  if (ended === null) throw ApiError.network('The live view stopped before the server ended it.');
  return ended;
}
