// The passage behind a citation: document, location, and the snippet itself.

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { describe } from '../api/errors';
import type { Source } from '../api/types';
import { saveFile } from '../download';
import { hostOf } from '../markdown';
import { sourceTitle, webHref } from '../sources';
import { Icon } from './Icon';
import { showToast } from './Toasts';

interface Props {
  source: Source;
  anchor: HTMLElement;
  onClose: () => void;
  /** Offer the original file: not in someone else's shared conversation (their document). */
  download?: boolean;
}

const WIDTH = 420;
const MARGIN = 12;

export function CitationPopover({ source, anchor, onClose, download = true }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState<{ top: number; left: number } | null>(null);

  useLayoutEffect(() => {
    const place = (): void => {
      if (window.innerWidth < 640) {
        setPosition(null); // a bottom sheet on small screens (CSS)
        return;
      }
      const rect = anchor.getBoundingClientRect();
      const height = box.current?.offsetHeight ?? 240;
      const left = Math.min(Math.max(MARGIN, rect.left - 24), window.innerWidth - WIDTH - MARGIN);
      const below = rect.bottom + 8;
      const top = below + height > window.innerHeight - MARGIN ? Math.max(MARGIN, rect.top - height - 8) : below;
      setPosition({ top, left });
    };
    place();
    window.addEventListener('resize', place);
    return () => window.removeEventListener('resize', place);
  }, [anchor]);

  useEffect(() => {
    box.current?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        onClose();
        anchor.focus();
      }
    };
    const onDown = (event: MouseEvent): void => {
      const target = event.target as Node;
      if (!box.current?.contains(target) && !anchor.contains(target)) onClose();
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onDown);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onDown);
    };
  }, [anchor, onClose]);

  const [saving, setSaving] = useState(false);
  async function original(): Promise<void> {
    if (!source.document_id) return;
    setSaving(true);
    try {
      const response = await api.documentOriginal(source.document_id);
      saveFile(await response.blob(), source.source_name || source.title || 'document');
    } catch (error) {
      showToast(`Could not download the original: ${describe(error).hint}`, { tone: 'error' });
    } finally {
      setSaving(false);
    }
  }

  const href = webHref(source.url);
  const title = sourceTitle(source);
  const where = href
    ? hostOf(href)
    : [source.location, source.source_name && source.source_name !== source.title ? source.source_name : null].filter(Boolean).join(' · ');

  return (
    <div
      ref={box}
      className={`popover citation${position ? '' : ' sheet'}`}
      role="dialog"
      aria-label={`Source ${source.rank}: ${title}`}
      tabIndex={-1}
      style={position ? { top: position.top, left: position.left, width: WIDTH } : undefined}
    >
      <div className="citation-head">
        <span className="source-rank">{source.rank}</span>
        <div className="citation-title">
          <strong>{title}</strong>
          {where && <span className="citation-where">{where}</span>}
        </div>
        <button type="button" className="icon-button small" aria-label="Close" onClick={onClose}>
          <Icon name="x" size={15} />
        </button>
      </div>
      {source.snippet ? (
        <blockquote className="citation-snippet">{source.snippet}</blockquote>
      ) : href || source.url ? null : (
        <p className="citation-missing">This document was deleted after the answer was written.</p>
      )}
      {href && (
        <a className="button ghost small citation-original" href={href} target="_blank" rel="noopener noreferrer">
          <Icon name="globe" size={15} /> Open the page
        </a>
      )}
      {download && source.snippet && source.document_id && (
        <button type="button" className="button ghost small citation-original" disabled={saving} onClick={() => void original()}>
          <Icon name="download" size={15} /> {saving ? 'Downloading…' : 'Download the original'}
        </button>
      )}
    </div>
  );
}
