// Web sources (a `url`) are links only for http(s) addresses; a source is named by its
// title, else its page's host.

import { describe, expect, it } from 'vitest';
import type { Source } from './api/types';
import { sourceTitle, webHref } from './sources';

const web = (url: string | null, title: string | null = null): Source => ({
  rank: 1,
  document_id: null,
  chunk_id: null,
  title,
  source_name: 'web',
  location: null,
  start: null,
  end: null,
  score: 0,
  snippet: 'x',
  url,
});

describe('web sources', () => {
  it('links http(s) addresses only', () => {
    expect(webHref('https://example.org/a?b=1')).toBe('https://example.org/a?b=1');
    expect(webHref('http://example.org')).toBe('http://example.org/');
    for (const bad of ['javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'mailto:a@b.c', '/relative', 'ftp://x.org/', '', null, undefined]) {
      expect(webHref(bad)).toBeNull();
    }
  });

  it('names a source by its title, else its host', () => {
    expect(sourceTitle(web('https://example.org/page', 'A page'))).toBe('A page');
    expect(sourceTitle(web('https://example.org/page'))).toBe('example.org');
    expect(sourceTitle(web('javascript:alert(1)'))).toBe('Web page');
    expect(sourceTitle(web(null))).toBe('Deleted document');
  });
});
