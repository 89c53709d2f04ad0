// What a user used of their quotas: requests this minute, tokens today, stored
// megabytes, each against its limit (none: unlimited). Shared by the Usage dialog and
// the admin's usage table.

import type { QuotaUsage } from '../../api/types';
import { formatTime } from '../../time';

function fraction(used: number, limit: number | null): number | null {
  return limit == null || limit <= 0 ? null : Math.min(1, used / limit);
}

function Meter({ label, used, limit, unit, note }: { label: string; used: number; limit: number | null; unit: string; note?: string }) {
  const share = fraction(used, limit);
  const amount = (n: number): string => n.toLocaleString(undefined, { maximumFractionDigits: 1 });
  return (
    <div className="meter">
      <div className="meter-line">
        <span>{label}</span>
        <span className="muted">
          {amount(used)} {limit == null || limit <= 0 ? `${unit} (no limit)` : `of ${amount(limit)} ${unit}`}
        </span>
      </div>
      {share !== null && (
        <div className="progress" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)}>
          <div className={`progress-bar${share >= 1 ? ' full' : ''}`} style={{ transform: `scaleX(${share})` }} />
        </div>
      )}
      {note && <span className="field-help">{note}</span>}
    </div>
  );
}

export function UsageMeters({ usage }: { usage: QuotaUsage }) {
  return (
    <div className="meters">
      <Meter label="Requests this minute" unit="requests" used={usage.requests_per_minute.used} limit={usage.requests_per_minute.limit} />
      <Meter
        label="Tokens today"
        unit="tokens"
        used={usage.tokens_today.used}
        limit={usage.tokens_today.limit}
        note={`Resets ${formatTime(usage.tokens_today.resets)}.`}
      />
      <Meter label="Stored documents" unit="MB" used={usage.storage_mb.used} limit={usage.storage_mb.limit} />
    </div>
  );
}
