import { describe, expect, it } from 'vitest';
import { componentSchemas, responseSchemas } from './schema.gen';
import { checked, checkedAnswer, fits, InvalidAnswer, problem, problemAs } from './validate';

const source = { rank: 1, document_id: 'd1', chunk_id: 3, title: 'notes', source_name: 'notes.md', location: null, start: 0, end: 9, score: 0.03, snippet: 'some text', url: null };
const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const turn = { response: 'Hi [1]', session_id: 'c1', message_id: 'm1', model: 'llama3.2', backend: 'ollama', sources: [source], usage, latency_ms: 12, finish_reason: 'stop' };

describe('the schemas come from the document', () => {
  it('has the native answers and the WebSocket frames, not the compatible routes', () => {
    expect(responseSchemas['GET /conversations']?.['200']).toEqual({ items: { $ref: '#/components/schemas/ConversationOut' }, type: 'array' });
    expect(componentSchemas.WsServerFrame).toBeDefined();
    expect(componentSchemas.ErrorCode).toMatchObject({ type: 'string' });
    expect(Object.keys(responseSchemas).some((route) => route.includes(' /v1/') || route.includes(' /api/'))).toBe(false);
  });
});

describe('problem', () => {
  it('accepts what the schema describes, with fields it does not name', () => {
    expect(problemAs('TurnOut', turn)).toBeNull();
    expect(problemAs('TurnOut', { ...turn, added_later: true })).toBeNull();
    expect(fits('SourceOut', { ...source, document_id: null, title: null })).toBe(true);
  });

  it('names the field that is wrong', () => {
    expect(problemAs('TurnOut', { ...turn, latency_ms: '12' })).toBe('latency_ms: integer expected, got string');
    expect(problemAs('TurnOut', { ...turn, sources: [{ ...source, rank: 1.5 }] })).toBe('sources.0.rank: integer expected, got number');
    const { usage: _, ...noUsage } = turn;
    expect(problemAs('TurnOut', noUsage)).toBe('usage: missing');
    expect(problemAs('TurnOut', null)).toMatch(/^the answer: object expected, got null/);
  });

  it('checks enums, and picks a union member by its tag', () => {
    expect(fits('ErrorCode', 'rate_limited')).toBe(true);
    expect(fits('ErrorCode', 'no_such_code')).toBe(false);
    expect(fits('WsServerFrame', { type: 'token', conversation_id: 'c1', token: 'Hi' })).toBe(true);
    // The tag chooses the member, so the problem is that member's, not the first one's.
    expect(problemAs('WsServerFrame', { type: 'token', conversation_id: 'c1' })).toBe('token: missing');
    expect(problemAs('WsServerFrame', { type: 'response_end', conversation_id: 'c1', metadata: { ...turn, usage: null } })).toBe(
      'metadata.usage: object expected, got null',
    );
    expect(fits('WsServerFrame', { type: 'surprise' })).toBe(false);
  });

  it('treats true and {} as anything', () => {
    expect(problem(true, Symbol.iterator)).toBeNull();
    expect(problem({}, [1, 'a'])).toBeNull();
  });
});

describe('checked answers', () => {
  it('returns a valid answer as it is, typed', () => {
    const answer = checked('UsageOut', usage);
    expect(answer.total_tokens).toBe(5);
    const list = checkedAnswer<unknown[]>('GET /conversations', 200, [{ id: 'c1', title: 't', created: 'x', updated: 'x', message_count: 0 }]);
    expect(list).toHaveLength(1);
  });

  it('throws InvalidAnswer naming the route and the field', () => {
    expect(() => checkedAnswer('GET /conversations', 200, [{ id: 'c1' }])).toThrow(InvalidAnswer);
    expect(() => checkedAnswer('GET /conversations', 200, { conversations: [] })).toThrow('GET /conversations: the answer: array expected, got object');
  });

  it('uses any success the route declares for a status the document does not list', () => {
    expect(() => checkedAnswer('GET /jobs/{job_id}', 299, { id: 'j' })).toThrow(/created: missing|kind: missing/);
  });
});
