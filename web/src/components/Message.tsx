// One message: the user's prompt, or an answer with its sources, actions and feedback.

import { memo, useEffect, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api } from '../api/client';
import { ApiError, describe } from '../api/errors';
import type { Source } from '../api/types';
import { hostOf } from '../markdown';
import { sourceTitle, webHref } from '../sources';
import { neighbourVersion, versionOf, type ChatMessage, type ErrorInfo } from '../state/chat';
import { chatStore } from '../state/store';
import { AgentSteps, ToolMessage } from './AgentSteps';
import { CodeText } from './CodeText';
import { Icon } from './Icon';
import { copyText, Markdown } from './Markdown';
import { MemoryList } from './MemoryList';
import { SummaryLine } from './SummaryLine';
import { showToast } from './Toasts';

export interface CiteTarget {
  source: Source;
  anchor: HTMLElement;
}

interface Props {
  message: ChatMessage;
  conversationId: string;
  isLast: boolean;
  busy: boolean; // a turn is running in this conversation
  onRegenerate: () => void;
  onCite: (target: CiteTarget) => void;
  /** Ask a question of the user's again in other words (`key`: the message's React key). */
  onEdit?: (key: string, text: string) => void;
  /** Someone else's conversation (a shared link): no feedback, notes, regenerate, edits or versions. */
  readOnly?: boolean;
}

export const Message = memo(function Message(props: Props) {
  const { message } = props;
  if (message.role === 'tool') return <ToolMessage name={message.toolName} content={message.content} id={message.key} />;
  return message.role === 'user' ? <UserMessage {...props} /> : <AssistantMessage {...props} />;
});

function UserMessage({ message, conversationId, busy, onEdit, readOnly = false }: Props) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(message.content);
  // Edit needs the stored id (a question just sent learns it when its turn ends).
  const canEdit = !readOnly && onEdit !== undefined && message.id !== null && !busy;
  const showVersions = !readOnly && versionOf(message) !== null;

  const open = (): void => {
    setText(message.content);
    setEditing(true);
  };
  const save = (event?: FormEvent): void => {
    event?.preventDefault();
    if (busy || !text.trim() || !onEdit) return;
    if (text === message.content) return setEditing(false); // nothing changed: no new branch
    setEditing(false);
    onEdit(message.key, text);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
    if (event.key === 'Escape') setEditing(false);
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    save();
  };

  if (editing && !readOnly) {
    const fieldId = `edit-${message.key}`;
    return (
      <article className="message user editing" aria-label="You">
        <form className="edit-editor" onSubmit={save}>
          <label className="field-label" htmlFor={fieldId}>
            Edit your message
          </label>
          <textarea
            id={fieldId}
            className="input"
            rows={Math.min(10, Math.max(2, text.split('\n').length))}
            value={text}
            autoFocus
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKeyDown}
          />
          <p className="edit-hint">Saving asks it again as a new version; the one before stays a click away.</p>
          <div className="note-buttons">
            <button type="button" className="button ghost small" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" className="button primary small" disabled={busy || !text.trim()}>
              Save
            </button>
          </div>
        </form>
      </article>
    );
  }

  return (
    <article className="message user" aria-label="You">
      <div className="bubble">{message.content}</div>
      {(showVersions || canEdit) && (
        <div className="message-actions user-actions">
          {showVersions && <VersionPager message={message} conversationId={conversationId} disabled={busy} />}
          {canEdit && (
            <button type="button" className="icon-button" title="Edit" aria-label="Edit message" onClick={open}>
              <Icon name="pencil" size={16} />
            </button>
          )}
        </div>
      )}
    </article>
  );
}

/** "‹ 2 / 3 ›": which version of a message this is; the arrows show the others' branches. */
export function VersionPager({ message, conversationId, disabled }: { message: ChatMessage; conversationId: string; disabled: boolean }) {
  const [pending, setPending] = useState(false);
  const version = versionOf(message);
  if (!version) return null;
  const go = async (step: -1 | 1): Promise<void> => {
    const target = neighbourVersion(message, step);
    if (!target) return;
    setPending(true);
    try {
      await chatStore.showBranch(conversationId, target);
    } catch (error) {
      showToast(`Could not show that version: ${describe(error).hint}`, { tone: 'error' });
    } finally {
      setPending(false);
    }
  };
  const off = disabled || pending;
  return (
    <span className="version-pager" role="group" aria-label={message.role === 'user' ? 'Versions of this message' : 'Versions of this answer'}>
      <button
        type="button"
        className="icon-button small"
        title="Previous version"
        aria-label="Previous version"
        disabled={off || version.index === 0}
        onClick={() => void go(-1)}
      >
        <Icon name="chevron" size={14} className="flipped" />
      </button>
      <span className="version-count">
        {version.index + 1} / {version.count}
      </span>
      <button
        type="button"
        className="icon-button small"
        title="Next version"
        aria-label="Next version"
        disabled={off || version.index === version.count - 1}
        onClick={() => void go(1)}
      >
        <Icon name="chevron" size={14} />
      </button>
    </span>
  );
}

function AssistantMessage({ message, conversationId, isLast, busy, onRegenerate, onCite, readOnly = false }: Props) {
  const streaming = message.status === 'streaming';
  const maxRank = message.sources.reduce((max, s) => Math.max(max, s.rank), 0);
  const cite = (rank: number, anchor: HTMLElement): void => {
    const source = message.sources.find((s) => s.rank === rank);
    if (source) onCite({ source, anchor });
  };

  return (
    <article className={`message assistant${streaming ? ' streaming' : ''}`} aria-label="Vega" aria-busy={streaming}>
      <div className="avatar" aria-hidden="true" />
      <div className="message-main">
        <AgentSteps steps={message.steps} id={message.key} />
        {message.content ? (
          <Markdown text={message.content} citations={maxRank} onCite={cite} />
        ) : streaming ? (
          <div className="thinking" aria-label="Vega is answering">
            <span />
            <span />
            <span />
          </div>
        ) : null}
        {message.status === 'cancelled' && <div className="message-flag">Stopped</div>}
        {message.error && <ErrorCard error={message.error} canRetry={isLast && !busy && !readOnly} onRetry={onRegenerate} />}
        {message.finishReason === 'length' && <div className="message-flag">The answer hit the length limit.</div>}
        {message.sources.length > 0 && <SourceList sources={message.sources} onOpen={(source, anchor) => onCite({ source, anchor })} />}
        {/* The owner's other conversations: not for someone reading a shared link. */}
        {!readOnly && message.memories.length > 0 && <MemoryList memories={message.memories} id={message.key} />}
        {/* What the answer was given of this conversation's earlier turns: the owner's. */}
        {!readOnly && message.summary && <SummaryLine summary={message.summary} id={message.key} />}
        {!readOnly && (streaming || message.content || message.id) && (
          <MessageActions
            message={message}
            conversationId={conversationId}
            hidden={streaming}
            busy={busy}
            canRegenerate={isLast && !busy}
            onRegenerate={onRegenerate}
          />
        )}
      </div>
    </article>
  );
}

export function ErrorCard({ error, canRetry, onRetry }: { error: ErrorInfo; canRetry: boolean; onRetry: () => void }) {
  const d = describe(new ApiError(error.status, error.code, error.message, { retryAfterS: error.retryAfterS }));
  const wait = useCountdown(error.code === 'rate_limited' ? error.retryAfterS : null);
  return (
    <div className="error-card" role="alert">
      <Icon name="alert" size={18} />
      <div className="error-text">
        <strong>{d.title}</strong>
        <p>
          <CodeText text={error.code === 'rate_limited' && wait > 0 ? `Wait ${wait} s, then try again.` : d.hint} />
        </p>
      </div>
      {canRetry && d.retryable && (
        <button type="button" className="button small" onClick={onRetry} disabled={wait > 0}>
          <Icon name="refresh" size={15} /> {wait > 0 ? `Retry in ${wait} s` : 'Retry'}
        </button>
      )}
    </div>
  );
}

export function useCountdown(seconds: number | null): number {
  const [left, setLeft] = useState(seconds ?? 0);
  useEffect(() => {
    if (!seconds) return undefined;
    const end = Date.now() + seconds * 1000;
    setLeft(seconds);
    const timer = window.setInterval(() => {
      const remaining = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      setLeft(remaining);
      if (remaining === 0) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [seconds]);
  return left;
}

function SourceList({ sources, onOpen }: { sources: Source[]; onOpen: (source: Source, anchor: HTMLElement) => void }) {
  const [open, setOpen] = useState(false);
  const id = `sources-${sources[0]?.chunk_id ?? 0}-${sources.length}`;
  return (
    <div className="sources">
      <button type="button" className="sources-toggle" aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)}>
        <Icon name="chevron" size={14} className={open ? 'rotated' : undefined} />
        {sources.length === 1 ? '1 source' : `${sources.length} sources`}
      </button>
      {open && (
        <ol className="source-list" id={id}>
          {sources.map((source) => {
            const href = webHref(source.url);
            const text = (
              <>
                <span className="source-rank">{source.rank}</span>
                <span className="source-text">
                  <span className="source-title">
                    {sourceTitle(source)}
                    {href ? (
                      <span className="source-location"> · {hostOf(href)}</span>
                    ) : (
                      source.location && <span className="source-location"> · {source.location}</span>
                    )}
                  </span>
                  {source.snippet && <span className="source-snippet">{source.snippet}</span>}
                </span>
              </>
            );
            return (
              <li key={`${source.rank}-${source.chunk_id ?? source.url ?? ''}`}>
                {href ? (
                  // A web page: opened in a new tab, which gets no handle on this one and no referrer.
                  <a className="source-item source-link" href={href} target="_blank" rel="noopener noreferrer" title={href}>
                    {text}
                    <Icon name="globe" size={14} className="source-external" />
                  </a>
                ) : (
                  <button type="button" className="source-item" onClick={(e) => onOpen(source, e.currentTarget)}>
                    {text}
                  </button>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

function MessageActions({
  message,
  conversationId,
  hidden,
  busy,
  canRegenerate,
  onRegenerate,
}: {
  message: ChatMessage;
  conversationId: string;
  hidden: boolean;
  busy: boolean;
  canRegenerate: boolean;
  onRegenerate: () => void;
}) {
  const [copied, setCopied] = useState(false);
  const [noteOpen, setNoteOpen] = useState(false);
  const [note, setNote] = useState(message.notes ?? '');
  const [saving, setSaving] = useState(false);
  const id = message.id;

  async function rate(rating: 1 | -1): Promise<void> {
    if (!id) return;
    const before = message.rating;
    chatStore.dispatch(conversationId, { type: 'feedback', key: message.key, rating });
    if (rating === -1 && !message.notes) setNoteOpen(true);
    try {
      await api.feedback(id, { rating });
    } catch (error) {
      chatStore.dispatch(conversationId, { type: 'feedback', key: message.key, rating: before });
      showToast(`Feedback not saved: ${describe(error).hint}`, { tone: 'error' });
    }
  }

  async function saveNote(): Promise<void> {
    if (!id) return;
    setSaving(true);
    try {
      await api.feedback(id, { notes: note.trim() });
      chatStore.dispatch(conversationId, { type: 'feedback', key: message.key, notes: note.trim() || null });
      setNoteOpen(false);
      showToast('Note saved.');
    } catch (error) {
      showToast(`Note not saved: ${describe(error).hint}`, { tone: 'error' });
    } finally {
      setSaving(false);
    }
  }

  const meta = [message.model, message.latencyMs != null ? `${(message.latencyMs / 1000).toFixed(1)} s` : null]
    .filter(Boolean)
    .join(' · ');

  return (
    <>
      <div className="message-actions" style={hidden ? { visibility: 'hidden' } : undefined} aria-hidden={hidden || undefined}>
        {!hidden && <VersionPager message={message} conversationId={conversationId} disabled={busy} />}
        <button
          type="button"
          className="icon-button"
          title="Copy answer"
          aria-label="Copy answer"
          disabled={!message.content}
          onClick={() =>
            void copyText(message.content).then((ok) => {
              setCopied(ok);
              window.setTimeout(() => setCopied(false), 1500);
            })
          }
        >
          <Icon name={copied ? 'check' : 'copy'} size={16} />
        </button>
        {canRegenerate && (
          <button type="button" className="icon-button" title="Regenerate" aria-label="Regenerate answer" onClick={onRegenerate}>
            <Icon name="refresh" size={16} />
          </button>
        )}
        <button
          type="button"
          className={`icon-button${message.rating === 1 ? ' selected' : ''}`}
          title="Good answer"
          aria-label="Good answer"
          aria-pressed={message.rating === 1}
          disabled={!id}
          onClick={() => void rate(1)}
        >
          <Icon name="up" size={16} />
        </button>
        <button
          type="button"
          className={`icon-button${message.rating === -1 ? ' selected' : ''}`}
          title="Bad answer"
          aria-label="Bad answer"
          aria-pressed={message.rating === -1}
          disabled={!id}
          onClick={() => void rate(-1)}
        >
          <Icon name="down" size={16} />
        </button>
        <button
          type="button"
          className={`icon-button${message.notes ? ' selected' : ''}`}
          title={message.notes ? 'Edit note' : 'Add a note'}
          aria-label={message.notes ? 'Edit note' : 'Add a note'}
          aria-expanded={noteOpen}
          disabled={!id}
          onClick={() => setNoteOpen((o) => !o)}
        >
          <Icon name="note" size={16} />
        </button>
        {meta && <span className="message-meta">{meta}</span>}
      </div>
      {noteOpen && (
        <div className="note-editor">
          <label className="field-label" htmlFor={`note-${message.key}`}>
            Note on this answer (optional)
          </label>
          <textarea
            id={`note-${message.key}`}
            className="input"
            rows={2}
            maxLength={10_000}
            value={note}
            autoFocus
            placeholder="What was good or wrong about it?"
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setNoteOpen(false);
            }}
          />
          <div className="note-buttons">
            <button type="button" className="button ghost small" onClick={() => setNoteOpen(false)}>
              Cancel
            </button>
            <button type="button" className="button primary small" disabled={saving} onClick={() => void saveNote()}>
              {saving ? 'Saving…' : 'Save note'}
            </button>
          </div>
        </div>
      )}
      {!noteOpen && message.notes && <p className="note-saved">Note: {message.notes}</p>}
    </>
  );
}
