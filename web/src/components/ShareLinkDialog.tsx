// Share the open conversation with a link (`POST /conversations/{id}/share`): whoever is
// signed in to this Vega and has the link reads it at /s/<id>, and sees new messages as
// they are stored. The server gives the same link each time, so opening this dialog again
// shows the link already out; "Stop sharing" withdraws it (open views end at once).

import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { describe } from '../api/errors';
import { Dialog } from './Dialog';
import { Icon } from './Icon';
import { copyText } from './Markdown';
import { showToast } from './Toasts';

export function ShareLinkDialog({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api.shareConversation(conversationId).then(
      // The server answers a path of this UI; people paste the whole address.
      (answer) => live && setLink(new URL(answer.url, window.location.origin).href),
      (err: unknown) => live && setError(describe(err).hint),
    );
    return () => {
      live = false;
    };
  }, [conversationId]);

  async function stop(): Promise<void> {
    setBusy(true);
    try {
      await api.unshareConversation(conversationId);
      showToast('The link no longer works.');
      onClose();
    } catch (err) {
      setError(describe(err).hint);
      setBusy(false);
    }
  }

  return (
    <Dialog title="Share this conversation" onClose={onClose}>
      <p className="field-help">
        Anyone signed in to this Vega who has the link can read this conversation, with its sources, and sees new messages as you
        send them. They cannot write in it.
      </p>
      {!link && !error && <div className="skeleton line" aria-label="Making the link" />}
      {link && (
        <div className="key-row share-link">
          <input className="input secret-value" readOnly value={link} aria-label="Link to this conversation" onFocus={(e) => e.target.select()} />
          <button type="button" className="button" onClick={() => void copyText(link).then(setCopied)}>
            <Icon name={copied ? 'check' : 'copy'} size={16} /> {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          <Icon name="alert" size={16} /> {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button ghost" disabled={!link || busy} onClick={() => void stop()}>
          Stop sharing
        </button>
        <button type="button" className="button primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}
