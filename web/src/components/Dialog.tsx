// A modal dialog: a title, a close button, Escape and a click outside close it, and
// focus moves into it (and back to where it was when it closes).

import { useEffect, useRef, type ReactNode } from 'react';
import { Icon } from './Icon';

let opened = 0; // ids for aria-labelledby, unique per dialog shown

export function Dialog({ title, onClose, children, wide = false }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = useRef(`dialog-title-${++opened}`).current;
  const close = useRef(onClose);
  close.current = onClose; // the latest, without moving focus again on every render

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    box.current?.querySelector<HTMLElement>('[autofocus], input, select, textarea, button:not(.dialog-close)')?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') close.current();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      before?.focus();
    };
  }, []);

  return (
    <>
      <div className="scrim dialog-scrim" onClick={onClose} aria-hidden="true" />
      <div className={`dialog${wide ? ' wide' : ''}`} ref={box} role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <div className="settings-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button dialog-close" aria-label="Close" onClick={onClose}>
            <Icon name="x" />
          </button>
        </div>
        <div className="dialog-body">{children}</div>
      </div>
    </>
  );
}
