// Share one of your collections (accounts mode) with a user, a group or everyone. They
// see it as OWNER/NAME: they can search it and ask about it, never upload or delete.

import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { describe } from '../api/errors';
import type { Share, ShareIn } from '../api/types';
import { Dialog } from './Dialog';
import { Icon } from './Icon';

type With = 'user' | 'group' | 'everyone';

function whom(share: Share): string {
  if (share.everyone) return 'Everyone signed in';
  if (share.group) return `Group ${share.group}`;
  return share.user ?? '';
}

export function ShareCollectionDialog({ collection, onClose }: { collection: string; onClose: () => void }) {
  const [shares, setShares] = useState<Share[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [kind, setKind] = useState<With>('user');
  const [name, setName] = useState('');

  const refresh = (): void => {
    api.shares(collection).then(
      (list) => {
        setShares(list);
        setError(null);
      },
      (err: unknown) => setError(describe(err).hint),
    );
  };
  useEffect(refresh, [collection]);

  async function add(event: FormEvent): Promise<void> {
    event.preventDefault();
    const body: ShareIn = kind === 'everyone' ? { everyone: true } : kind === 'group' ? { group: name.trim() } : { user: name.trim() };
    if (kind !== 'everyone' && !name.trim()) return;
    try {
      await api.share(collection, body);
      setName('');
      refresh();
    } catch (err) {
      setError(describe(err).hint);
    }
  }

  async function remove(share: Share): Promise<void> {
    try {
      await api.unshare(collection, share.id);
      refresh();
    } catch (err) {
      setError(describe(err).hint);
    }
  }

  return (
    <Dialog title={`Share “${collection}”`} onClose={onClose}>
      <p className="field-help">Who you share it with can search it and ask about it; only you add or remove documents.</p>
      <form className="inline-form key-row" onSubmit={add}>
        <select className="input narrow" aria-label="Share with" value={kind} onChange={(e) => setKind(e.target.value as With)}>
          <option value="user">A user</option>
          <option value="group">A group</option>
          <option value="everyone">Everyone</option>
        </select>
        {kind !== 'everyone' && (
          <input
            id="share-name"
            className="input"
            maxLength={64}
            placeholder={kind === 'user' ? 'Username' : 'Group name'}
            aria-label={kind === 'user' ? 'Username' : 'Group name'}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        )}
        <button type="submit" className="button primary">
          Share
        </button>
      </form>
      {error && (
        <p className="form-error" role="alert">
          <Icon name="alert" size={16} /> {error}
        </p>
      )}
      {shares?.length === 0 && <p className="muted">Not shared with anyone.</p>}
      {shares && shares.length > 0 && (
        <ul className="row-list share-list">
          {shares.map((share) => (
            <li key={share.id} className="row">
              <div className="row-main">
                <span className="row-name">{whom(share)}</span>
              </div>
              <button type="button" className="button ghost small" aria-label={`Stop sharing with ${whom(share)}`} onClick={() => void remove(share)}>
                Stop sharing
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
