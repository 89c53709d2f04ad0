// Markdown for untrusted model output.
//
// Two guards: marked renders raw HTML as text, links only to http(s)/mailto,
// images as a "Load image from host" button (nothing remote loads by itself),
// and then DOMPurify keeps only a short list of tags and attributes.
// Citations like [1] become buttons when the answer has a source with that rank.

import DOMPurify from 'dompurify';
import { Marked, type Links, type Token, type Tokens, type TokenizerAndRendererExtension } from 'marked';

export type Highlighter = (code: string, language: string) => string | null;

export interface RenderOptions {
  /** Highest source rank of the answer: [1]..[n] become citation buttons. */
  citations?: number;
}

// --- the highlighter, loaded on first need (it is a separate chunk) -----------

let highlighter: Highlighter | null = null;
let highlighterLoading: Promise<void> | null = null;
const highlighterListeners = new Set<() => void>();

export function hasCodeFence(text: string): boolean {
  return text.includes('```') || text.includes('~~~');
}

export function loadHighlighter(): Promise<void> {
  highlighterLoading ??= import('./highlight')
    .then((module) => {
      highlighter = module.highlight;
      cache.clear();
      for (const listener of highlighterListeners) listener();
    })
    .catch(() => {
      highlighterLoading = null; // offline or a stale build: plain code blocks are fine
    });
  return highlighterLoading;
}

export function onHighlighterReady(listener: () => void): () => void {
  highlighterListeners.add(listener);
  return () => highlighterListeners.delete(listener);
}

export function highlighterReady(): boolean {
  return highlighter !== null;
}

// --- rendering ------------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** http(s) and mailto only; everything else (javascript:, data:, vbscript:, file:, relative) is refused. */
export function safeHref(href: string | null | undefined): string | null {
  if (!href) return null;
  // Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
  // eslint-disable-next-line no-control-regex
  const compact = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (/^https?:\/\//i.test(compact) || /^mailto:[^\s]/i.test(compact)) return compact;
  return null;
}

export function hostOf(href: string): string {
  try {
    return new URL(href).host || href;
  } catch {
    return href;
  }
}

let citationLimit = 0; // set for the duration of one synchronous render

const citation: TokenizerAndRendererExtension = {
  name: 'citation',
  level: 'inline',
  start(src: string) {
    const index = src.search(/\[\d{1,3}\]/);
    return index < 0 ? undefined : index;
  },
  tokenizer(src: string) {
    const match = /^\[(\d{1,3})\](?![(:])/.exec(src);
    if (!match) return undefined;
    return { type: 'citation', raw: match[0], rank: Number(match[1]) };
  },
  renderer(token: Tokens.Generic) {
    const rank = token.rank as number;
    if (rank < 1 || rank > citationLimit) return escapeHtml(token.raw);
    return `<button type="button" class="cite" data-cite="${rank}" aria-label="Source ${rank}">${rank}</button>`;
  },
};

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  extensions: [citation],
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    text(token) {
      if ('tokens' in token && token.tokens) return this.parser.parseInline(token.tokens);
      return escapeHtml(token.text);
    },
    link({ href, title, tokens }) {
      const inner = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (!safe) return `<span class="link-removed" title="Link removed: only http, https and mailto links are kept">${inner}</span>`;
      const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(safe)}"${titleAttr} target="_blank" rel="noopener noreferrer nofollow">${inner}</a>`;
    },
    image({ href, text }) {
      const safe = safeHref(href);
      const alt = escapeHtml(text || 'image');
      if (!safe || safe.startsWith('mailto:')) return `<span class="img-blocked">[image: ${alt}]</span>`;
      return (
        `<button type="button" class="img-placeholder" data-src="${escapeHtml(safe)}" data-alt="${alt}">` +
        `<span class="img-alt">${alt}</span><span class="img-load">Load image from ${escapeHtml(hostOf(safe))}</span></button>`
      );
    },
    checkbox({ checked }) {
      return `<span class="task-box${checked ? ' done' : ''}" aria-label="${checked ? 'done' : 'not done'}"></span> `;
    },
    code({ text, lang }) {
      const language = (lang ?? '').match(/^[\w+#.-]{1,32}/)?.[0]?.toLowerCase() ?? '';
      const body = (language && highlighter?.(text, language)) || escapeHtml(text);
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : '<span class="code-lang"></span>';
      return (
        `<div class="code-block"><div class="code-head">${label}` +
        `<button type="button" class="copy-code" aria-label="Copy code">Copy</button></div>` +
        `<pre><code${language ? ` class="hljs language-${escapeHtml(language)}"` : ' class="hljs"'}>${body}</code></pre></div>`
      );
    },
  },
});

// --- the second guard -------------------------------------------------------------

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 's', 'code', 'pre',
  'blockquote', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'span', 'div',
  'button', 'sup', 'sub', 'kbd',
];
const ALLOWED_ATTR = [
  'href', 'title', 'class', 'type', 'data-cite', 'data-src', 'data-alt', 'aria-label', 'start',
  'align', 'target', 'rel',
];

let purifierReady = false;

function purify(html: string): string {
  if (!purifierReady) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer nofollow');
      }
      // Only our own buttons survive, never a submit button.
      if (node.tagName === 'BUTTON') node.setAttribute('type', 'button');
    });
    purifierReady = true;
  }
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    // Attributes outside this list must hold an http(s)/mailto URL (href, data-src).
    ADD_URI_SAFE_ATTR: ['data-cite', 'data-alt', 'type', 'aria-label', 'start', 'align', 'target', 'rel'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    KEEP_CONTENT: true,
  });
}

// --- blocks, cached, so a streaming answer re-renders only its last block --------

const cache = new Map<string, string>();
const CACHE_LIMIT = 800;

function renderBlock(token: Token, links: Links, key: string): string {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const tokens = Object.assign([token], { links });
  const html = purify(marked.parser(tokens));
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, html);
  return html;
}

/** The markdown as sanitized HTML, one string per top-level block. */
export function renderBlocks(text: string, options: RenderOptions = {}): string[] {
  citationLimit = options.citations ?? 0;
  const tokens = marked.lexer(text);
  const prefix = `${citationLimit}:${highlighter ? 1 : 0}:`;
  const blocks: string[] = [];
  for (const token of tokens) {
    if (token.type === 'space' || token.type === 'def') continue;
    blocks.push(renderBlock(token, tokens.links, prefix + token.raw));
  }
  citationLimit = 0;
  return blocks;
}

/** The whole markdown as one sanitized HTML string. */
export function renderMarkdown(text: string, options: RenderOptions = {}): string {
  return renderBlocks(text, options).join('');
}
