// Sources as the UI shows them: a document's passage, or a web page (a `url`, from web
// tools and research), which is a link only when its address is http(s).

import type { Source } from './api/types';
import { hostOf, safeHref } from './markdown';

/** A web source's address when it is an http(s) URL (anything else is not a link). */
export function webHref(url: string | null | undefined): string | null {
  const href = safeHref(url);
  if (!href || !/^https?:\/\//i.test(href)) return null;
  try {
    const parsed = new URL(href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A source's name: its document's title, else its page's host. */
export function sourceTitle(source: Source): string {
  if (source.title) return source.title;
  const href = webHref(source.url);
  if (href) return hostOf(href);
  return source.url ? 'Web page' : 'Deleted document';
}
