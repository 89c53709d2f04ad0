// Admin: the audit trail, newest first, filtered (action, user, outcome, dates) and paged.
// Details are whatever the request carried (usernames, titles): shown as text only.

import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { AuditPage, AuditQuery, User } from '../../api/types';
import { formatTime } from '../../time';

const PAGE = 50;

interface Filters {
  action: string;
  userId: string; // '' = anyone
  outcome: string; // '' | 'ok' | 'refused'
  since: string; // yyyy-mm-dd, the local day it starts
  until: string; // yyyy-mm-dd, inclusive
}

const NO_FILTERS: Filters = { action: '', userId: '', outcome: '', since: '', until: '' };

/** A day picked in the form, as the instant it starts here (`until` is inclusive: the next day). */
export function dayStart(day: string, plusDays = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(y, m - 1, d + plusDays);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function auditQuery(filters: Filters, offset: number): AuditQuery {
  return {
    limit: PAGE,
    offset,
    action: filters.action.trim() || undefined,
    user_id: filters.userId ? Number(filters.userId) : undefined,
    outcome: filters.outcome || undefined,
    since: dayStart(filters.since),
    until: dayStart(filters.until, 1),
  };
}

export function AuditPanel() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<User[]>([]);

  useEffect(() => {
    api.users().then(setUsers, () => setUsers([]));
  }, []);

  useEffect(() => {
    let live = true;
    api.audit(auditQuery(filters, offset)).then(
      (answer) => {
        if (!live) return;
        setPage(answer);
        setError(null);
      },
      (err: unknown) => live && setError(describe(err).hint),
    );
    return () => {
      live = false;
    };
  }, [filters, offset]);

  const filter = (change: Partial<Filters>): void => {
    setFilters((f) => ({ ...f, ...change }));
    setOffset(0);
  };
  const who = new Map(users.map((u) => [u.id, u.username]));
  const total = page?.total ?? 0;
  const shown = page?.entries.length ?? 0;

  return (
    <section aria-label="Audit trail">
      <div className="filters" role="search" aria-label="Filter the audit trail">
        <label>
          <span className="field-label">Action</span>
          <input
            className="input"
            id="audit-action"
            placeholder="auth., user., key. …"
            value={filters.action}
            onChange={(e) => filter({ action: e.target.value })}
          />
        </label>
        <label>
          <span className="field-label">User</span>
          <select className="input" id="audit-user" value={filters.userId} onChange={(e) => filter({ userId: e.target.value })}>
            <option value="">Anyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.username}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="field-label">Outcome</span>
          <select className="input" id="audit-outcome" value={filters.outcome} onChange={(e) => filter({ outcome: e.target.value })}>
            <option value="">Any</option>
            <option value="ok">ok</option>
            <option value="refused">refused</option>
          </select>
        </label>
        <label>
          <span className="field-label">From</span>
          <input className="input" type="date" value={filters.since} onChange={(e) => filter({ since: e.target.value })} />
        </label>
        <label>
          <span className="field-label">To</span>
          <input className="input" type="date" value={filters.until} onChange={(e) => filter({ until: e.target.value })} />
        </label>
      </div>
      {error && <p className="form-error">{error}</p>}
      {page === null && !error && <div className="skeleton line" />}
      {page && page.entries.length === 0 && <p className="muted">Nothing recorded matches.</p>}
      {page && page.entries.length > 0 && (
        <div className="table-scroll">
          <table className="table audit-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Address</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {page.entries.map((entry) => (
                <tr key={entry.id} className={entry.outcome === 'ok' ? undefined : 'refused'}>
                  <td className="nowrap">{formatTime(entry.time)}</td>
                  <td>{entry.actor ?? (entry.user_id != null ? who.get(entry.user_id) ?? `#${entry.user_id}` : '—')}</td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td className="wrap">{entry.target ?? ''}</td>
                  <td>{entry.outcome}</td>
                  <td>{entry.address ?? ''}</td>
                  <td className="wrap detail">{entry.detail ? JSON.stringify(entry.detail) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && total > 0 && (
        <div className="pager">
          <span className="muted">
            {offset + 1}–{offset + shown} of {total}
          </span>
          <button type="button" className="button ghost small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>
          <button type="button" className="button ghost small" disabled={offset + shown >= total} onClick={() => setOffset(offset + PAGE)}>
            Older
          </button>
        </div>
      )}
    </section>
  );
}
