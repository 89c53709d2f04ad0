// The signed-in user's own API keys (for programs: curl, editors, OpenAI clients):
// list, create (the secret is shown once, here, with a copy button), revoke.

import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { OwnKey, OwnKeyCreated } from '../../api/types';
import { Dialog } from '../Dialog';
import { Icon } from '../Icon';
import { copyText } from '../Markdown';
import { formatTime } from '../../time';

export function KeysDialog({ onClose }: { onClose: () => void }) {
  const [keys, setKeys] = useState<OwnKey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<OwnKeyCreated | null>(null);

  const refresh = (): void => {
    api.keys().then(
      (list) => {
        setKeys(list);
        setError(null);
      },
      (err: unknown) => setError(describe(err).hint),
    );
  };
  useEffect(refresh, []);

  async function revoke(key: OwnKey): Promise<void> {
    try {
      await api.revokeKey(key.id);
      if (created?.id === key.id) setCreated(null);
      refresh();
    } catch (err) {
      setError(`Could not revoke “${key.name}”: ${describe(err).hint}`);
    }
  }

  return (
    <Dialog title="API keys" onClose={onClose}>
      <p className="field-help">
        A key lets a program act as you (send it as <code>X-API-Key</code>). Revoke a key you no longer use.
      </p>
      <NewKey
        onCreated={(key) => {
          setCreated(key);
          refresh();
        }}
      />
      {created && <SecretOnce created={created} onDone={() => setCreated(null)} />}
      {error && (
        <p className="form-error" role="alert">
          <Icon name="alert" size={16} /> {error}
        </p>
      )}
      {keys === null && !error && <div className="skeleton line" />}
      {keys?.length === 0 && <p className="muted">No keys yet.</p>}
      {keys && keys.length > 0 && (
        <ul className="row-list key-list" aria-label="Your API keys">
          {keys.map((key) => (
            <li key={key.id} className={`row${key.revoked ? ' row-off' : ''}`}>
              <Icon name="key" size={17} />
              <div className="row-main">
                <span className="row-name">{key.name}</span>
                <span className="row-meta">
                  <code>{key.prefix}…</code> · created {formatTime(key.created)}
                  {key.last_used ? ` · last used ${formatTime(key.last_used)}` : ' · never used'}
                </span>
              </div>
              {key.revoked ? (
                <span className="badge badge-failed">revoked</span>
              ) : (
                <button type="button" className="button ghost small" aria-label={`Revoke ${key.name}`} onClick={() => void revoke(key)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}

function NewKey({ onCreated }: { onCreated: (key: OwnKeyCreated) => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await api.createKey(name.trim()));
      setName('');
    } catch (err) {
      setError(describe(err).hint);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="inline-form" onSubmit={submit}>
      <label className="field-label" htmlFor="new-key-name">
        New key
      </label>
      <div className="key-row">
        <input
          id="new-key-name"
          className="input"
          maxLength={60}
          placeholder="What it is for (laptop, editor…)"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="button primary" disabled={busy || !name.trim()}>
          Create
        </button>
      </div>
      {error && <p className="form-error">{error}</p>}
    </form>
  );
}

/** The new key's secret: the server never shows it again, so it is copied now or lost. */
function SecretOnce({ created, onDone }: { created: OwnKeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret-once" role="status">
      <p>
        <strong>Copy the key “{created.name}” now.</strong> It is shown this once: Vega keeps only a hash of it.
      </p>
      <div className="key-row">
        <input className="input secret-value" readOnly value={created.secret} aria-label="The new key" onFocus={(e) => e.target.select()} />
        <button
          type="button"
          className="button"
          onClick={() => {
            void copyText(created.secret).then(setCopied);
          }}
        >
          <Icon name={copied ? 'check' : 'copy'} size={16} /> {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <button type="button" className="link-button" onClick={onDone}>
        I have stored it
      </button>
    </div>
  );
}
