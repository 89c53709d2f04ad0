// The message box: Enter sends, Shift+Enter adds a line, Stop while an answer streams.
// With server tools (`GET /tools`), an Agent toggle: on, turns may use every one of them.

import { useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { ApiError, describe } from '../api/errors';
import type { ServerTool } from '../api/types';
import type { ErrorInfo } from '../state/chat';
import { CodeText } from './CodeText';
import { Icon } from './Icon';
import { useCountdown } from './Message';

interface Props {
  draft: string;
  streaming: boolean;
  error: ErrorInfo | null;
  collection: string;
  /** The server's tools: the Agent toggle shows when there is at least one. */
  tools: ServerTool[];
  agent: boolean;
  onAgent: (on: boolean) => void;
  onDraft: (text: string) => void;
  onSend: () => void;
  onStop: () => void;
  onDismissError: () => void;
  onOpenSettings: () => void;
  onClearCollection: () => void;
}

const MAX_HEIGHT_VH = 0.4;
// Focus the box when a conversation opens, except on touch screens (it would pop up the keyboard).
const FOCUS_ON_OPEN = typeof matchMedia === 'function' && matchMedia('(hover: hover) and (pointer: fine)').matches;

export function Composer(props: Props) {
  const { draft, streaming, error, collection, tools, agent } = props;
  const toolNames = tools.map((t) => t.name).join(', ');
  const area = useRef<HTMLTextAreaElement>(null);

  // Grow with the text, up to 40% of the window.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, window.innerHeight * MAX_HEIGHT_VH)}px`;
  }, [draft]);

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    if (!streaming && draft.trim()) props.onSend();
  }

  return (
    <div className="composer-wrap">
      {error && <ComposerError error={error} onDismiss={props.onDismissError} />}
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          if (streaming) props.onStop();
          else if (draft.trim()) props.onSend();
        }}
      >
        {collection && (
          <div className="composer-context">
            <button type="button" className="context-chip" onClick={props.onOpenSettings} title="Answers come from this document collection">
              <Icon name="book" size={14} /> Asking about <strong>{collection}</strong>
            </button>
            <button type="button" className="icon-button small" aria-label="Stop asking about documents" onClick={props.onClearCollection}>
              <Icon name="x" size={14} />
            </button>
          </div>
        )}
        <div className="composer-row">
          <textarea
            ref={area}
            className="composer-input"
            rows={1}
            value={draft}
            placeholder={collection ? `Ask about “${collection}”…` : 'Message Vega…'}
            aria-label="Message"
            onChange={(e) => props.onDraft(e.target.value)}
            onKeyDown={onKeyDown}
            autoFocus={FOCUS_ON_OPEN}
          />
          {tools.length > 0 && (
            <button
              type="button"
              className={`agent-toggle${agent ? ' on' : ''}`}
              aria-pressed={agent}
              aria-label="Agent mode"
              title={agent ? `Agent mode is on: Vega may use its tools (${toolNames})` : `Agent mode: let Vega use its tools (${toolNames})`}
              onClick={() => props.onAgent(!agent)}
            >
              <Icon name="tool" size={15} />
              <span className="hide-narrow">Agent</span>
            </button>
          )}
          {streaming ? (
            <button type="submit" className="send-button stop" aria-label="Stop generating" title="Stop">
              <Icon name="stop" size={18} />
            </button>
          ) : (
            <button type="submit" className="send-button" aria-label="Send" title="Send (Enter)" disabled={!draft.trim()}>
              <Icon name="send" size={18} />
            </button>
          )}
        </div>
      </form>
      <p className="composer-hint">
        <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line
      </p>
    </div>
  );
}

function ComposerError({ error, onDismiss }: { error: ErrorInfo; onDismiss: () => void }) {
  const d = describe(new ApiError(error.status, error.code, error.message, { retryAfterS: error.retryAfterS }));
  const wait = useCountdown(error.code === 'rate_limited' ? error.retryAfterS : null);
  const hint = error.code === 'rate_limited' ? (wait > 0 ? `Wait ${wait} s, then send again.` : 'You can send again now.') : d.hint;
  return (
    <div className="composer-error" role="alert">
      <Icon name="alert" size={16} />
      <span>
        <strong>{d.title}.</strong> <CodeText text={hint} />
      </span>
      <button type="button" className="icon-button small" aria-label="Dismiss" onClick={onDismiss}>
        <Icon name="x" size={14} />
      </button>
    </div>
  );
}
