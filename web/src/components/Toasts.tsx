// Short notices at the bottom of the screen, optionally with one action (Undo).

import { useSyncExternalStore } from 'react';
import { Icon } from './Icon';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
  action?: { label: string; run: () => void };
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const timers = new Map<number, number>();

function emit(): void {
  for (const listener of listeners) listener();
}

export function dismissToast(id: number): void {
  const timer = timers.get(id);
  if (timer) clearTimeout(timer);
  timers.delete(id);
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

export function showToast(
  text: string,
  opts: { tone?: Toast['tone']; action?: Toast['action']; durationMs?: number; onExpire?: () => void } = {},
): number {
  const id = nextId++;
  toasts = [...toasts.slice(-3), { id, text, tone: opts.tone ?? 'info', action: opts.action }];
  emit();
  const duration = opts.durationMs ?? (opts.action ? 6000 : 4000);
  timers.set(
    id,
    window.setTimeout(() => {
      dismissToast(id);
      opts.onExpire?.();
    }, duration),
  );
  return id;
}

export function Toasts() {
  const list = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => toasts,
  );
  return (
    <div className="toasts" role="status" aria-live="polite">
      {list.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.tone}`}>
          <span className="toast-text">{toast.text}</span>
          {toast.action && (
            <button
              type="button"
              className="toast-action"
              onClick={() => {
                dismissToast(toast.id);
                toast.action?.run();
              }}
            >
              {toast.action.label}
            </button>
          )}
          <button type="button" className="icon-button small" aria-label="Dismiss" onClick={() => dismissToast(toast.id)}>
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
