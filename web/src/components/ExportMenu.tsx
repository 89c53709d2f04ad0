// Export the open conversation as JSON or Markdown (the server writes both).

import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { describe } from '../api/errors';
import { saveFile } from '../download';
import { Icon } from './Icon';
import { showToast } from './Toasts';

export function fileName(title: string, extension: string): string {
  const base = title.replace(/[^\p{L}\p{N} _.-]+/gu, '').trim().replace(/\s+/g, '-').slice(0, 60) || 'conversation';
  return `vega-${base}.${extension}`;
}

/** Markdown from the JSON export, for servers that do not write Markdown themselves. */
function markdownFrom(doc: { title?: string; messages?: { role: string; content: string }[] }): string {
  const lines = [`# ${doc.title || 'Conversation'}`, ''];
  for (const m of doc.messages ?? []) {
    lines.push(`## ${m.role === 'user' ? 'You' : m.role === 'assistant' ? 'Vega' : m.role}`, '', m.content, '');
  }
  return lines.join('\n');
}

export function ExportMenu({ conversationId, title }: { conversationId: string; title: string }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return undefined;
    const close = (event: MouseEvent | KeyboardEvent): void => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !box.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  async function exportAs(format: 'json' | 'markdown'): Promise<void> {
    setOpen(false);
    try {
      const response = await api.exportConversation(conversationId, format);
      const type = response.headers.get('Content-Type') ?? '';
      if (format === 'markdown') {
        const text = type.includes('json') ? markdownFrom(await response.json()) : await response.text();
        saveFile(new Blob([text], { type: 'text/markdown;charset=utf-8' }), fileName(title, 'md'));
      } else {
        saveFile(new Blob([await response.text()], { type: 'application/json' }), fileName(title, 'json'));
      }
    } catch (error) {
      showToast(`Export failed: ${describe(error).hint}`, { tone: 'error' });
    }
  }

  return (
    <div className="menu" ref={box}>
      <button type="button" className="button ghost small" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        <Icon name="download" size={16} /> <span className="hide-narrow">Export</span>
      </button>
      {open && (
        <div className="popover menu-list" role="menu">
          <button type="button" role="menuitem" className="menu-item" autoFocus onClick={() => void exportAs('markdown')}>
            Markdown (.md)
          </button>
          <button type="button" role="menuitem" className="menu-item" onClick={() => void exportAs('json')}>
            JSON (.json)
          </button>
        </div>
      )}
    </div>
  );
}
