// Renders sanitized markdown, block by block (unchanged blocks are not touched
// while an answer streams), and handles its buttons: citations, copy, images.

import { memo, useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { hasCodeFence, highlighterReady, loadHighlighter, onHighlighterReady, renderBlocks, safeHref } from '../markdown';

interface Props {
  text: string;
  citations: number;
  onCite?: (rank: number, anchor: HTMLElement) => void;
}

export const Markdown = memo(function Markdown({ text, citations, onCite }: Props) {
  const [, setVersion] = useState(0);
  const [images, setImages] = useState<ReadonlySet<string>>(() => new Set());
  const root = useRef<HTMLDivElement>(null);
  const wantsHighlighter = hasCodeFence(text);

  useEffect(() => {
    if (!wantsHighlighter || highlighterReady()) return undefined;
    const off = onHighlighterReady(() => setVersion((v) => v + 1));
    void loadHighlighter();
    return off;
  }, [wantsHighlighter]);

  const ready = highlighterReady();
  const blocks = useMemo(() => renderBlocks(text, { citations }), [text, citations, ready]);

  // Images the user chose to load: swap their placeholders (after every render,
  // since a re-rendered block brings its placeholder back).
  useLayoutEffect(() => {
    if (!images.size || !root.current) return;
    for (const button of root.current.querySelectorAll<HTMLButtonElement>('button.img-placeholder')) {
      const src = safeHref(button.dataset.src);
      if (!src || !images.has(src)) continue;
      const img = document.createElement('img');
      img.src = src;
      img.alt = button.dataset.alt ?? '';
      img.loading = 'lazy';
      img.referrerPolicy = 'no-referrer';
      img.className = 'md-image';
      button.replaceWith(img);
    }
  });

  function onClick(event: MouseEvent<HTMLDivElement>): void {
    const target = event.target as HTMLElement;
    const cite = target.closest<HTMLButtonElement>('button.cite');
    if (cite) {
      onCite?.(Number(cite.dataset.cite), cite);
      return;
    }
    const copy = target.closest<HTMLButtonElement>('button.copy-code');
    if (copy) {
      const code = copy.closest('.code-block')?.querySelector('code')?.textContent ?? '';
      void copyText(code).then((ok) => {
        copy.textContent = ok ? 'Copied' : 'Copy failed';
        window.setTimeout(() => (copy.textContent = 'Copy'), 1500);
      });
      return;
    }
    const image = target.closest<HTMLButtonElement>('button.img-placeholder');
    if (image) {
      const src = safeHref(image.dataset.src);
      if (src) setImages((prev) => new Set(prev).add(src));
    }
  }

  return (
    // Clicks on the buttons inside (keyboard included: they are real buttons) are handled here, once.
    <div className="markdown" ref={root} onClick={onClick}>
      {blocks.map((html, i) => (
        <div key={i} className="md-block" dangerouslySetInnerHTML={{ __html: html }} />
      ))}
    </div>
  );
});

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // http on a LAN address is not a secure context: fall back to a hidden textarea
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}
