import { describe, expect, it } from 'vitest';
import { chatBody, SSEParser, type SSEEvent } from './sse';

/** Feed `text` to a fresh parser cut at the given offsets. */
function parseInPieces(text: string, cuts: number[]): SSEEvent[] {
  const parser = new SSEParser();
  const events: SSEEvent[] = [];
  let start = 0;
  for (const cut of [...cuts, text.length]) {
    events.push(...parser.feed(text.slice(start, cut)));
    start = cut;
  }
  events.push(...parser.end());
  return events;
}

const STREAM =
  'event: sources\ndata: {"sources": []}\n\n' +
  'event: token\ndata: {"token": "Hel"}\n\n' +
  'event: token\ndata: {"token": "lo, wörld ✓"}\n\n' +
  'event: done\ndata: {"message_id": "m1", "session_id": "s1"}\n\n';

const EXPECTED: SSEEvent[] = [
  { event: 'sources', data: '{"sources": []}' },
  { event: 'token', data: '{"token": "Hel"}' },
  { event: 'token', data: '{"token": "lo, wörld ✓"}' },
  { event: 'done', data: '{"message_id": "m1", "session_id": "s1"}' },
];

describe('SSEParser', () => {
  it('parses whole events', () => {
    expect(parseInPieces(STREAM, [])).toEqual(EXPECTED);
  });

  it('gives the same events wherever the chunks are split', () => {
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(parseInPieces(STREAM, [cut])).toEqual(EXPECTED);
    }
    // and one character at a time
    expect(parseInPieces(STREAM, Array.from({ length: STREAM.length }, (_, i) => i))).toEqual(EXPECTED);
  });

  it('accepts CRLF and CR line endings, also split between chunks', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    const cr = STREAM.replace(/\n/g, '\r');
    for (const text of [crlf, cr]) {
      expect(parseInPieces(text, [])).toEqual(EXPECTED);
      for (let cut = 1; cut < text.length; cut++) expect(parseInPieces(text, [cut])).toEqual(EXPECTED);
    }
  });

  it('joins multi-line data with newlines', () => {
    const events = parseInPieces('event: token\ndata: line one\ndata: line two\ndata\ndata:  indented\n\n', []);
    expect(events).toEqual([{ event: 'token', data: 'line one\nline two\n\n indented' }]);
  });

  it('ignores comments and unknown fields, and drops one leading space only', () => {
    const text = ': keep-alive\n\n:another comment\nretry: 3000\nfoo: bar\nevent:token\ndata:{"token":"a"}\n\n';
    expect(parseInPieces(text, [5, 17])).toEqual([{ event: 'token', data: '{"token":"a"}' }]);
  });

  it('defaults the event name to "message" and keeps the id', () => {
    expect(parseInPieces('id: 7\ndata: x\n\n', [])).toEqual([{ event: 'message', data: 'x', id: '7' }]);
  });

  it('does not dispatch an event without data, or an unterminated one', () => {
    expect(parseInPieces('event: token\n\n', [])).toEqual([]);
    expect(parseInPieces('event: token\ndata: half', [])).toEqual([]);
  });

  it('strips a byte order mark at the start', () => {
    expect(parseInPieces('\ufeffdata: x\n\n', [])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('does not treat an event name from a previous event as sticky', () => {
    expect(parseInPieces('event: token\ndata: a\n\ndata: b\n\n', [])).toEqual([
      { event: 'token', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });
});

describe('chatBody', () => {
  it('maps a turn to the POST /chat body, leaving defaults out', () => {
    expect(chatBody({ content: 'hi', conversation_id: 'c1' })).toEqual({ prompt: 'hi', session_id: 'c1' });
    expect(
      chatBody({ content: 'q', conversation_id: 'c1', collection: 'docs', top_k: 3, temperature: 0, model: 'm', system: 'be brief' }),
    ).toEqual({ prompt: 'q', session_id: 'c1', collection: 'docs', top_k: 3, temperature: 0, model: 'm', system: 'be brief' });
    // top_k only means something with a collection
    expect(chatBody({ content: 'q', conversation_id: 'c1', top_k: 3 })).toEqual({ prompt: 'q', session_id: 'c1' });
  });

  it('carries an edit (the question it replaces) and a regenerate', () => {
    expect(chatBody({ content: 'new words', conversation_id: 'c1', edit: 'm7' })).toEqual({ prompt: 'new words', session_id: 'c1', edit: 'm7' });
    expect(chatBody({ content: '', conversation_id: 'c1', regenerate: true })).toEqual({ prompt: '', session_id: 'c1', regenerate: true });
    expect(chatBody({ content: 'q', conversation_id: 'c1', edit: null })).toEqual({ prompt: 'q', session_id: 'c1' });
  });
});
