// Server times (ISO 8601) as people read them, in their locale; '' for what is not a time.

function parsed(iso: string): Date | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "Mar 4, 2026" */
export function formatDate(iso: string): string {
  return parsed(iso)?.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' }) ?? '';
}

/** "Mar 4, 2026, 14:05" */
export function formatTime(iso: string): string {
  return (
    parsed(iso)?.toLocaleString(undefined, { month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit' }) ?? ''
  );
}

/** "14:05" (for a second time on a day already given) */
export function formatClock(iso: string): string {
  return parsed(iso)?.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) ?? '';
}
