import { describe, expect, it } from 'vitest';
import { parseRoute, pathOf } from './router';

describe('routes', () => {
  it('reads and writes a shared link (/s/<id>) like a conversation (/c/<id>)', () => {
    expect(parseRoute('/s/abc%20d')).toEqual({ page: 'shared', id: 'abc d' });
    expect(parseRoute('/c/x/')).toEqual({ page: 'chat', id: 'x' });
    expect(pathOf({ page: 'shared', id: 'a/b' })).toBe('/s/a%2Fb');
    expect(parseRoute('/s/%E0%A4%A')).toEqual({ page: 'new' }); // not decodable
    expect(parseRoute('/s/')).toEqual({ page: 'new' });
  });
});
