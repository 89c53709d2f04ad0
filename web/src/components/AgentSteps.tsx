// The tools an answer used (agent mode): one summary line, collapsed; opened, each step's
// tool, arguments, status, time and result. The same block shows a step as it streams
// (`tool_call`, then its `tool_result`) and as the conversation stored it.
//
// Arguments and results are the model's and the tools' words: rendered as text only
// (React text nodes in <pre>), never as HTML or Markdown.

import { useState } from 'react';
import type { ToolStep } from '../state/chat';
import { Icon } from './Icon';

const KNOWN = new Set(['running', 'ok', 'error', 'refused', 'stopped', 'called']);
const PROBLEMS = new Set(['error', 'refused', 'stopped']);

/** The CSS class part for a status (an unknown word from a newer server: `other`). */
export function statusClass(status: string): string {
  return KNOWN.has(status) ? status : 'other';
}

/** A step's status in words. */
export function statusLabel(status: string): string {
  switch (status) {
    case 'running':
      return 'running…';
    case 'ok':
      return 'ok';
    case 'error':
      return 'failed';
    case 'refused':
      return 'refused';
    case 'stopped':
      return 'stopped';
    case 'called':
      return 'sent to the client';
    default:
      return status;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The collapsed line: what runs now, else how many tools the answer used. */
export function stepsSummary(steps: ToolStep[]): string {
  const running = steps.find((s) => s.status === 'running');
  if (running) return `${running.name} · running…`;
  const n = steps.length;
  if (steps.every((s) => s.status === 'called')) return n === 1 ? `Called ${steps[0].name}` : `Called ${n} tools`;
  return n === 1 ? 'Used 1 tool' : `Used ${n} tools`;
}

/** JSON text pretty-printed (2 spaces); anything else as it is. */
export function prettyJson(text: string): string {
  const trimmed = text.trim();
  if (!trimmed || !'{['.includes(trimmed[0])) return text;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return text;
  }
}

const MAX_CHARS = 600;
const MAX_LINES = 12;

/** The start of a long text (so many lines, so many characters), or null if it is short. */
export function truncated(text: string, maxChars = MAX_CHARS, maxLines = MAX_LINES): string | null {
  let cut = text;
  const lines = text.split('\n');
  if (lines.length > maxLines) cut = lines.slice(0, maxLines).join('\n');
  if (cut.length > maxChars) cut = cut.slice(0, maxChars);
  return cut.length < text.length ? cut : null;
}

/** Text in a code block, cut with "Show more" when long. */
export function LongText({ text, className }: { text: string; className?: string }) {
  const [all, setAll] = useState(false);
  const short = truncated(text);
  return (
    <div className={className}>
      <pre className="step-code">
        <code>{short === null || all ? text : `${short}…`}</code>
      </pre>
      {short !== null && (
        <button type="button" className="more-button" aria-expanded={all} onClick={() => setAll((a) => !a)}>
          {all ? 'Show less' : `Show more (${text.length.toLocaleString('en')} characters)`}
        </button>
      )}
    </div>
  );
}

/** "1 failed, 1 refused": the steps that did not work, or null when all did. */
export function problemsOf(steps: ToolStep[]): string | null {
  const counts = new Map<string, number>();
  for (const s of steps) if (PROBLEMS.has(s.status)) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  if (counts.size === 0) return null;
  return [...counts].map(([status, n]) => `${n} ${statusLabel(status)}`).join(', ');
}

export function AgentSteps({ steps, id }: { steps: ToolStep[]; id: string }) {
  const [open, setOpen] = useState(false);
  if (steps.length === 0) return null;
  const running = steps.some((s) => s.status === 'running');
  const problems = problemsOf(steps);
  const names = [...new Set(steps.map((s) => s.name))].join(', ');
  const ms = steps.reduce((sum, s) => sum + (s.ms ?? 0), 0);
  const listId = `steps-${id}`;
  return (
    <div className={`agent-steps${running ? ' running' : ''}`}>
      <button type="button" className="steps-toggle" aria-expanded={open} aria-controls={listId} onClick={() => setOpen((o) => !o)}>
        <Icon name="chevron" size={14} className={open ? 'rotated' : undefined} />
        <Icon name="tool" size={14} />
        <span className="steps-summary">{stepsSummary(steps)}</span>
        {!running && (
          <span className="steps-detail">
            {' · '}
            {names}
            {ms > 0 && ` · ${formatMs(ms)}`}
          </span>
        )}
        {problems && (
          <span className="steps-problem">
            <Icon name="alert" size={13} /> {problems}
          </span>
        )}
        {running && <span className="step-spinner" aria-hidden="true" />}
      </button>
      {open && (
        <ol className="step-list" id={listId}>
          {steps.map((step) => (
            <Step key={step.id} step={step} />
          ))}
        </ol>
      )}
    </div>
  );
}

function Step({ step }: { step: ToolStep }) {
  const cls = statusClass(step.status);
  const problem = PROBLEMS.has(step.status);
  const outcome = problem ? (step.error ?? step.result) : step.result;
  return (
    <li className={`agent-step step-${cls}`}>
      <div className="step-head">
        <Icon name={problem ? 'alert' : 'tool'} size={14} />
        <span className="step-name">{step.name}</span>
        <span className={`step-status status-${cls}`}>{statusLabel(step.status)}</span>
        {step.ms !== null && <span className="step-ms">{formatMs(step.ms)}</span>}
      </div>
      {step.arguments.trim() !== '' && (
        <>
          <div className="step-label">Arguments</div>
          <LongText text={prettyJson(step.arguments)} className="step-args" />
        </>
      )}
      {outcome !== null && (
        <>
          <div className="step-label">{step.status === 'error' ? 'Error' : step.status === 'refused' ? 'Refused' : 'Result'}</div>
          {outcome.trim() ? <LongText text={prettyJson(outcome)} className="step-result" /> : <p className="step-empty">No text.</p>}
        </>
      )}
    </li>
  );
}

/** A `tool` message (a conversation an OpenAI or Ollama client made): the result, collapsed. */
export function ToolMessage({ name, content, id }: { name: string | null; content: string; id: string }) {
  const [open, setOpen] = useState(false);
  const label = `Tool result (${name ?? 'tool'})`;
  const bodyId = `tool-${id}`;
  return (
    <article className="message tool" aria-label={label}>
      <div className="agent-steps">
        <button type="button" className="steps-toggle" aria-expanded={open} aria-controls={bodyId} onClick={() => setOpen((o) => !o)}>
          <Icon name="chevron" size={14} className={open ? 'rotated' : undefined} />
          <Icon name="tool" size={14} />
          <span className="steps-summary">{label}</span>
        </button>
        {open && (
          <div id={bodyId} className="tool-message-body">
            {content.trim() ? <LongText text={prettyJson(content)} className="step-result" /> : <p className="step-empty">No text.</p>}
          </div>
        )}
      </div>
    </article>
  );
}
