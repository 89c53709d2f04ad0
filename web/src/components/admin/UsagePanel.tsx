// Admin: everyone's usage against their quotas, and each user's quotas (empty keeps the
// server's default; 0 is no limit).

import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { Quotas, UserUsage } from '../../api/types';
import { nameOf } from '../../state/account';
import { UsageMeters } from '../account/UsageMeters';
import { showToast } from '../Toasts';

const FIELDS = [
  { key: 'requests_per_minute', label: 'Requests per minute' },
  { key: 'tokens_per_day', label: 'Tokens per day' },
  { key: 'storage_mb', label: 'Storage (MB)' },
] as const;

export function UsagePanel() {
  const [rows, setRows] = useState<UserUsage[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = (): void => {
    api.everyonesUsage().then(
      (list) => {
        setRows(list);
        setError(null);
      },
      (err: unknown) => setError(describe(err).hint),
    );
  };
  useEffect(refresh, []);

  return (
    <section aria-label="Usage and quotas">
      {error && <p className="form-error">{error}</p>}
      {rows === null && !error && <div className="skeleton line" />}
      {rows && (
        <ul className="row-list usage-list">
          {rows.map((row) => (
            <UsageRow key={row.user.id} row={row} onSaved={refresh} />
          ))}
        </ul>
      )}
    </section>
  );
}

function UsageRow({ row, onSaved }: { row: UserUsage; onSaved: () => void }) {
  const [quotas, setQuotas] = useState<Record<string, string>>(() =>
    Object.fromEntries(FIELDS.map(({ key }) => [key, row.quotas[key] == null ? '' : String(row.quotas[key])])),
  );

  async function save(): Promise<void> {
    const body: Quotas = {};
    for (const { key } of FIELDS) body[key] = quotas[key].trim() === '' ? null : Math.max(0, Math.round(Number(quotas[key])));
    try {
      await api.setQuotas(row.user.id, body);
      showToast(`Saved the quotas of ${row.user.username}.`);
      onSaved();
    } catch (err) {
      showToast(`${row.user.username}: ${describe(err).hint}`, { tone: 'error', durationMs: 7000 });
    }
  }

  return (
    <li className="row usage-row" data-username={row.user.username}>
      <div className="row-main">
        <span className="row-name">{nameOf(row.user)}</span>
        <UsageMeters usage={row.usage} />
      </div>
      <form
        className="quota-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {FIELDS.map(({ key, label }) => (
          <label key={key}>
            <span className="field-label">{label}</span>
            <input
              className="input narrow"
              type="number"
              min={0}
              placeholder="default"
              aria-label={`${label} for ${row.user.username}`}
              value={quotas[key]}
              onChange={(e) => setQuotas((q) => ({ ...q, [key]: e.target.value }))}
            />
          </label>
        ))}
        <button type="submit" className="button small">
          Save quotas
        </button>
      </form>
    </li>
  );
}
