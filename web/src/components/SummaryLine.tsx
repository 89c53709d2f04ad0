// The summary an answer was given of its conversation's earlier turns (those its context
// window could not hold): one collapsed line, like the memories', opened to the span it
// covers (when the first and the last of those messages were said) and the summary.
//
// The summary is the model's words about the user's and its own: rendered as text only
// (a React text node, line breaks kept by CSS), never as HTML or Markdown.

import { useState } from 'react';
import type { Summary } from '../api/types';
import { formatClock, formatDate, formatTime } from '../time';
import { Icon } from './Icon';

/** The collapsed line: how many messages the summary stands for. */
export function summaryLine(summary: Summary): string {
  const n = summary.messages;
  return `Earlier in this conversation: ${n === 1 ? '1 message' : `${n} messages`} summarised`;
}

/**
 * The span's two ends as shown: their dates ("Mar 4, 2026 – Mar 6, 2026"), or within one
 * day its date and times ("Mar 4, 2026, 14:05 – 14:40"). '' for an end that is not a time.
 */
export function summarySpan(summary: Summary): [string, string] {
  const first = formatDate(summary.first_created);
  const last = formatDate(summary.last_created);
  if (first && first === last) return [formatTime(summary.first_created), formatClock(summary.last_created)];
  return [first, last];
}

export function SummaryLine({ summary, id }: { summary: Summary; id: string }) {
  const [open, setOpen] = useState(false);
  const bodyId = `summary-${id}`;
  const [from, to] = summarySpan(summary);
  return (
    <div className="conversation-summary">
      <button type="button" className="summary-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen((o) => !o)}>
        <Icon name="chevron" size={14} className={open ? 'rotated' : undefined} />
        <Icon name="book" size={14} />
        <span className="summary-label">{summaryLine(summary)}</span>
      </button>
      {open && (
        <div className="summary-body" id={bodyId}>
          {(from || to) && (
            <p className="summary-span">
              <time className="summary-from" dateTime={summary.first_created} title={formatTime(summary.first_created)}>
                {from}
              </time>
              {' – '}
              <time className="summary-to" dateTime={summary.last_created} title={formatTime(summary.last_created)}>
                {to}
              </time>
            </p>
          )}
          <p className="summary-text">{summary.text}</p>
        </div>
      )}
    </div>
  );
}
