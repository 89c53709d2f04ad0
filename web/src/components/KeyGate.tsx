// First visit: ask for the API key, check it, keep it for this tab.

import { useState, type FormEvent } from 'react';
import { api, auth } from '../api/client';
import { ApiError, describe } from '../api/errors';
import { Icon } from './Icon';
import { StatusChip } from './StatusChip';

export function KeyGate({ onAccepted, notice }: { onAccepted: () => void; notice?: string | null }) {
  const [key, setKey] = useState('');
  const [show, setShow] = useState(false);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(notice ?? null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    const value = key.trim();
    if (!value) {
      setError('Paste the key first.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await api.checkKey(value);
      auth.set(value);
      onAccepted();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('That key is wrong: the server did not accept it. Check for missing characters.');
      else {
        const d = describe(err);
        setError(`${d.title}. ${d.hint}`);
      }
    } finally {
      setChecking(false);
    }
  }

  return (
    <div className="gate">
      <form className="gate-card" onSubmit={submit} noValidate>
        <div className="gate-top">
          <div className="brand brand-large">
            <span className="brand-mark" aria-hidden="true" />
            Vega
          </div>
          <StatusChip />
        </div>
        <h1 className="gate-title">Enter your API key</h1>
        <p className="gate-hint">
          <code>make run</code> printed it the first time the server started. It is also in the file{' '}
          <code>data/api_key</code> (in <code>&lt;data_dir&gt;/api_key</code> if you set <code>VEGA_DATA_DIR</code>), or it
          is the value of <code>VEGA_API_KEY</code>.
        </p>
        <label className="field-label" htmlFor="api-key">
          API key
        </label>
        <div className="key-row">
          <input
            id="api-key"
            name="api-key"
            className="input"
            type={show ? 'text' : 'password'}
            autoComplete="off"
            spellCheck={false}
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'key-error' : undefined}
            placeholder="vega-…"
          />
          <button type="button" className="button ghost" onClick={() => setShow((s) => !s)} aria-pressed={show}>
            {show ? 'Hide' : 'Show'}
          </button>
        </div>
        {error && (
          <p id="key-error" className="form-error" role="alert">
            <Icon name="alert" size={16} /> {error}
          </p>
        )}
        <button type="submit" className="button primary wide" disabled={checking}>
          {checking ? 'Checking…' : 'Continue'}
        </button>
        <p className="gate-foot">The key stays in this browser tab only and is sent to this server alone.</p>
      </form>
    </div>
  );
}
