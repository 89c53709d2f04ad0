// The signed-in user's usage against their quotas (GET /usage/me).

import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { QuotaUsage } from '../../api/types';
import { Dialog } from '../Dialog';
import { UsageMeters } from './UsageMeters';

export function UsageDialog({ onClose }: { onClose: () => void }) {
  const [usage, setUsage] = useState<QuotaUsage | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.usage().then(setUsage, (err: unknown) => setError(describe(err).hint));
  }, []);

  return (
    <Dialog title="Usage" onClose={onClose}>
      {error && <p className="form-error">{error}</p>}
      {!usage && !error && <div className="skeleton line" />}
      {usage && <UsageMeters usage={usage} />}
      <p className="field-help">An administrator sets these limits. When one is used up, Vega says so until it resets.</p>
    </Dialog>
  );
}
