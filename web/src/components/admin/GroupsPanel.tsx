// Admin: groups of users (a class, a team), which collections can be shared with.
// Members are usernames; saving sends the whole membership.

import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { Group } from '../../api/types';
import { showToast } from '../Toasts';

/** "alice, bob\ncarol" → ['alice', 'bob', 'carol'] (order kept, duplicates dropped). */
export function parseMembers(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((name) => name.trim()).filter(Boolean))];
}

export function GroupsPanel() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');

  const refresh = (): void => {
    api.groups().then(
      (list) => {
        setGroups(list);
        setError(null);
      },
      (err: unknown) => setError(describe(err).hint),
    );
  };
  useEffect(refresh, []);

  async function create(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!name.trim()) return;
    try {
      await api.createGroup(name.trim());
      setName('');
      refresh();
    } catch (err) {
      setError(describe(err).hint);
    }
  }

  return (
    <section aria-label="Groups">
      <form className="inline-form key-row" onSubmit={create}>
        <input id="new-group-name" className="input" maxLength={64} placeholder="New group (class-a, research…)" aria-label="New group name" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="button primary" disabled={!name.trim()}>
          Create group
        </button>
      </form>
      {error && <p className="form-error">{error}</p>}
      {groups === null && !error && <div className="skeleton line" />}
      {groups?.length === 0 && <p className="muted">No groups yet.</p>}
      {groups && groups.length > 0 && (
        <ul className="row-list group-list">
          {groups.map((group) => (
            <GroupRow key={group.id} group={group} onChanged={refresh} />
          ))}
        </ul>
      )}
    </section>
  );
}

function GroupRow({ group, onChanged }: { group: Group; onChanged: () => void }) {
  const [members, setMembers] = useState(group.members.join(', '));
  const changed = parseMembers(members).join(',') !== group.members.join(',');

  async function save(): Promise<void> {
    try {
      await api.setMembers(group.id, parseMembers(members));
      showToast(`Saved the members of ${group.name}.`);
      onChanged();
    } catch (err) {
      showToast(`${group.name}: ${describe(err).hint}`, { tone: 'error', durationMs: 7000 });
    }
  }

  async function remove(): Promise<void> {
    try {
      await api.deleteGroup(group.id);
      onChanged();
    } catch (err) {
      showToast(`${group.name}: ${describe(err).hint}`, { tone: 'error' });
    }
  }

  return (
    <li className="row group-row" data-group={group.name}>
      <div className="row-main">
        <span className="row-name">{group.name}</span>
        <label className="row-meta">
          Members (usernames)
          <textarea className="input" rows={2} aria-label={`Members of ${group.name}`} value={members} onChange={(e) => setMembers(e.target.value)} />
        </label>
      </div>
      <button type="button" className="button primary small" disabled={!changed} onClick={() => void save()}>
        Save members
      </button>
      <button type="button" className="button ghost small" onClick={() => void remove()}>
        Delete
      </button>
    </li>
  );
}
