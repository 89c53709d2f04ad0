// What an answer was given from the user's other conversations (memory): one collapsed
// line, like the sources', opened to each memory: its conversation's title (a link that
// opens it), when it was said, the start of its text, and Forget. The same block shows
// the memories as they stream in (before the first token) and as the answer stored them.
//
// Titles and texts are the user's and the model's words: rendered as text only (React
// text nodes), never as HTML or Markdown.

import { useState, type MouseEvent } from 'react';
import { api } from '../api/client';
import { ApiError, describe } from '../api/errors';
import type { Memory } from '../api/types';
import { navigate, pathOf } from '../router';
import { chatStore } from '../state/store';
import { formatDate, formatTime } from '../time';
import { Icon } from './Icon';
import { showToast } from './Toasts';

const SNIPPET_CHARS = 160;

/** The collapsed line: how many conversations the answer remembered from. */
export function memoriesSummary(memories: Memory[]): string {
  const n = new Set(memories.map((m) => m.conversation_id)).size;
  return n === 1 ? 'Remembered from 1 earlier conversation' : `Remembered from ${n} earlier conversations`;
}

/** The start of a memory's text, on one line. */
export function memorySnippet(text: string, max = SNIPPET_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/**
 * Forget one memory (`DELETE /memories/{id}`): it leaves the answers that show it. One the
 * server no longer has (its conversation was deleted) is gone all the same; any other
 * failure keeps it, and says so.
 */
export async function forgetMemory(memory: Memory): Promise<boolean> {
  try {
    await api.forgetMemory(memory.id);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404 && error.code === 'not_found')) {
      showToast(`Could not forget it: ${describe(error).hint}`, { tone: 'error' });
      return false;
    }
  }
  chatStore.forgetMemory(memory.id);
  return true;
}

export function MemoryList({ memories, id }: { memories: Memory[]; id: string }) {
  const [open, setOpen] = useState(false);
  const [forgetting, setForgetting] = useState<ReadonlySet<string>>(new Set());
  if (memories.length === 0) return null;
  const listId = `memories-${id}`;

  async function forget(memory: Memory): Promise<void> {
    setForgetting((now) => new Set(now).add(memory.id));
    const gone = await forgetMemory(memory);
    if (!gone) {
      setForgetting((now) => {
        const next = new Set(now);
        next.delete(memory.id);
        return next;
      });
    }
  }

  return (
    <div className="memories">
      <button type="button" className="memories-toggle" aria-expanded={open} aria-controls={listId} onClick={() => setOpen((o) => !o)}>
        <Icon name="chevron" size={14} className={open ? 'rotated' : undefined} />
        <Icon name="history" size={14} />
        <span className="memories-summary">{memoriesSummary(memories)}</span>
      </button>
      {open && (
        <ul className="memory-list" id={listId}>
          {memories.map((memory) => (
            <MemoryItem key={memory.id} memory={memory} busy={forgetting.has(memory.id)} onForget={() => void forget(memory)} />
          ))}
        </ul>
      )}
    </div>
  );
}

function MemoryItem({ memory, busy, onForget }: { memory: Memory; busy: boolean; onForget: () => void }) {
  const title = memory.conversation_title.trim() || 'Untitled';
  const route = { page: 'chat', id: memory.conversation_id } as const;

  function open(event: MouseEvent<HTMLAnchorElement>): void {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return; // new tab
    event.preventDefault();
    navigate(route);
  }

  return (
    <li className="memory-item" data-memory-id={memory.id}>
      <div className="memory-head">
        <a className="memory-title" href={pathOf(route)} onClick={open} title={`Open “${title}”`}>
          {title}
        </a>
        <time className="memory-date" dateTime={memory.created} title={formatTime(memory.created)}>
          {formatDate(memory.created)}
        </time>
        <button
          type="button"
          className="button ghost small memory-forget"
          aria-label={`Forget this memory from “${title}”`}
          title="Forget: it is never recalled again"
          disabled={busy}
          onClick={onForget}
        >
          {busy ? 'Forgetting…' : 'Forget'}
        </button>
      </div>
      <p className="memory-snippet">{memorySnippet(memory.text)}</p>
    </li>
  );
}
