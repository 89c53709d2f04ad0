// The model the server talks to, from GET /readyz (asked with the key: without one it
// tells states only): its name, "retrieval-only" without a model, or what is wrong and
// how to fix it.

import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, auth } from '../api/client';
import type { Readiness } from '../api/types';
import { CodeText } from './CodeText';
import { Icon } from './Icon';

type Status = { state: 'checking' } | { state: 'ok'; body: Readiness } | { state: 'down'; body: Readiness | null; message: string };

// The answer depends on who asked (names come only with a key or a session), so an
// answer is kept with that identity (`auth.identity()`): after signing in, an answer
// from before (states only) is not shown as if it were the signed-in caller's.
let status: { key: string | null; value: Status } = { key: null, value: { state: 'checking' } };
const listeners = new Set<() => void>();
let inflight: { key: string | null; done: Promise<void> } | null = null;

export function refreshReadiness(): Promise<void> {
  const key = auth.identity();
  if (inflight?.key === key) return inflight.done;
  const done = api
    .readiness()
    .then((body): Status => (body.backend.ok && body.database ? { state: 'ok', body } : { state: 'down', body, message: body.backend.detail ?? '' }))
    .catch((): Status => ({ state: 'down', body: null, message: 'The Vega server does not answer.' }))
    .then((value) => {
      if (auth.identity() !== key) return;
      status = { key, value };
      for (const listener of listeners) listener();
    })
    .finally(() => {
      if (inflight?.done === done) inflight = null;
    });
  inflight = { key, done };
  return done;
}

const checking: Status = { state: 'checking' };

export function useReadiness(): Status {
  const current = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => status,
  );
  return current.key === auth.identity() ? current.value : checking;
}

function fixFor(body: Readiness | null): string {
  if (!body) return 'Start it with `make run` (or `vega serve`) and reload this page.';
  if (!body.database) return 'The database does not answer: check VEGA_DATABASE_URL and the server log.';
  const b = body.backend;
  if (b.breaker === 'open') return 'Vega paused calls to the model after repeated failures; it tries again by itself in a few seconds.';
  switch (b.name) {
    case 'ollama':
      return `Start Ollama (\`ollama serve\`) and pull the model (\`ollama pull ${b.model ?? 'llama3.2'}\`), or point VEGA_OLLAMA_URL at it.`;
    case 'openai':
      return 'Start your OpenAI-compatible server, or check VEGA_OPENAI_BASE_URL and VEGA_OPENAI_API_KEY.';
    default:
      return 'Check VEGA_LLM_BACKEND and the server log (`vega doctor` says what to fix).';
  }
}

export function StatusChip() {
  const current = useReadiness();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void refreshReadiness();
    const timer = window.setInterval(() => {
      if (!document.hidden) void refreshReadiness();
    }, 30_000);
    return () => clearInterval(timer);
  }, []);

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

  let tone = 'checking';
  let label = 'Checking…';
  const body = current.state === 'checking' ? null : current.body;
  if (current.state === 'ok') {
    const retrievalOnly = current.body.backend.name === 'none';
    tone = retrievalOnly ? 'muted' : 'ok';
    label = retrievalOnly ? 'retrieval-only' : (current.body.backend.model ?? current.body.backend.name ?? 'Model ready');
  } else if (current.state === 'down') {
    tone = 'down';
    label = body ? (body.database ? 'Model unreachable' : 'Database down') : 'Server unreachable';
  }

  return (
    <div className="status" ref={box}>
      <button
        type="button"
        className={`status-chip status-${tone}`}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={() => {
          setOpen((o) => !o);
          void refreshReadiness();
        }}
        title="Model status"
      >
        <span className="status-dot" aria-hidden="true" />
        <span className="status-label">{label}</span>
      </button>
      {open && (
        <div className="popover status-popover" role="dialog" aria-label="Model status">
          {current.state === 'checking' && <p>Checking the server…</p>}
          {body && (
            <dl className="status-list">
              {body.backend.name && (
                <>
                  <dt>Backend</dt>
                  <dd>{body.backend.name === 'none' ? 'none (retrieval-only)' : body.backend.name}</dd>
                </>
              )}
              {body.backend.model && body.backend.name !== 'none' && (
                <>
                  <dt>Model</dt>
                  <dd>{body.backend.model}</dd>
                </>
              )}
              {body.backend.detail && (
                <>
                  <dt>Detail</dt>
                  <dd>{body.backend.detail}</dd>
                </>
              )}
              {body.embedder?.name && (
                <>
                  <dt>Embedder</dt>
                  <dd>
                    {body.embedder.name}
                    {body.embedder.loaded ? '' : ' (loads on first use)'}
                  </dd>
                </>
              )}
            </dl>
          )}
          {current.state === 'ok' && current.body.backend.name === 'none' && (
            <p className="status-fix">
              No model is connected: answers come from your documents, with citations. To get written answers, start
              Ollama (<code>ollama serve</code>) or set <code>VEGA_LLM_BACKEND</code>, then restart Vega.
            </p>
          )}
          {current.state === 'down' && (
            <p className="status-fix">
              <Icon name="alert" size={14} /> <CodeText text={fixFor(body)} />
            </p>
          )}
        </div>
      )}
    </div>
  );
}
