// Admin: the users of this server. Create one, change a role, disable or enable, set a
// new password. Every name here is text a user chose: rendered as text, never as HTML.

import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { describe } from '../../api/errors';
import type { User, UserPatch } from '../../api/types';
import { account, nameOf } from '../../state/account';
import { formatTime } from '../../time';
import { Icon } from '../Icon';
import { showToast } from '../Toasts';

export function UsersPanel() {
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = (): void => {
    api.users().then(
      (list) => {
        setUsers(list);
        setError(null);
      },
      (err: unknown) => setError(describe(err).hint),
    );
  };
  useEffect(refresh, []);

  const replace = (user: User): void => {
    setUsers((list) => list?.map((u) => (u.id === user.id ? user : u)) ?? null);
    account.updateUser(user);
  };

  return (
    <section aria-label="Users">
      <NewUser onCreated={refresh} />
      <div className="section-head">
        <h2>Users</h2>
        <button type="button" className="link-button" onClick={refresh}>
          Refresh
        </button>
      </div>
      {error && <p className="form-error">{error}</p>}
      {users === null && !error && <div className="skeleton line" />}
      {users && (
        <ul className="row-list user-list">
          {users.map((user) => (
            <UserRow key={user.id} user={user} onChanged={replace} />
          ))}
        </ul>
      )}
    </section>
  );
}

function UserRow({ user, onChanged }: { user: User; onChanged: (user: User) => void }) {
  const [busy, setBusy] = useState(false);
  const [resetting, setResetting] = useState(false);
  const name = nameOf(user);

  async function change(patch: UserPatch, done: string): Promise<boolean> {
    setBusy(true);
    try {
      onChanged(await api.changeUser(user.id, patch));
      showToast(done);
      return true;
    } catch (err) {
      // 409: the last admin cannot be demoted or disabled; the server says so.
      showToast(`${user.username}: ${describe(err).hint}`, { tone: 'error', durationMs: 7000 });
      return false;
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className={`row user-row${user.disabled ? ' row-off' : ''}`} data-username={user.username}>
      <div className="row-main">
        <span className="row-name">
          {name}
          {name !== user.username && <span className="muted"> ({user.username})</span>}
        </span>
        <span className="row-meta">
          {user.email ? `${user.email} · ` : ''}
          {user.oidc ? 'single sign-on' : user.has_password ? 'password' : 'no password'} ·{' '}
          {user.last_login ? `last signed in ${formatTime(user.last_login)}` : 'never signed in'}
        </span>
        {resetting && (
          <PasswordForm
            username={user.username}
            onCancel={() => setResetting(false)}
            onSave={async (password) => {
              if (await change({ password }, `New password set for ${user.username}.`)) setResetting(false);
            }}
          />
        )}
      </div>
      {user.disabled && <span className="badge badge-failed">disabled</span>}
      <select
        className="input narrow"
        aria-label={`Role of ${user.username}`}
        value={user.role}
        disabled={busy}
        onChange={(e) => void change({ role: e.target.value === 'admin' ? 'admin' : 'user' }, `${user.username} is now ${e.target.value === 'admin' ? 'an admin' : 'a user'}.`)}
      >
        <option value="user">user</option>
        <option value="admin">admin</option>
      </select>
      <button
        type="button"
        className="button ghost small"
        disabled={busy}
        onClick={() => void change({ disabled: !user.disabled }, `${user.username} ${user.disabled ? 'enabled' : 'disabled'}.`)}
      >
        {user.disabled ? 'Enable' : 'Disable'}
      </button>
      <button type="button" className="button ghost small" disabled={busy || resetting} onClick={() => setResetting(true)}>
        Reset password
      </button>
    </li>
  );
}

function PasswordForm({ username, onSave, onCancel }: { username: string; onSave: (password: string) => Promise<void>; onCancel: () => void }) {
  const [password, setPassword] = useState('');
  const short = password.length > 0 && password.length < 8;
  return (
    <form
      className="inline-form key-row"
      onSubmit={(e) => {
        e.preventDefault();
        if (password.length >= 8) void onSave(password);
      }}
    >
      <input
        className="input"
        type="password"
        autoComplete="new-password"
        aria-label={`New password for ${username}`}
        placeholder="New password (8 characters or more)"
        autoFocus
        value={password}
        aria-invalid={short || undefined}
        onChange={(e) => setPassword(e.target.value)}
      />
      <button type="submit" className="button primary small" disabled={password.length < 8}>
        Set
      </button>
      <button type="button" className="button ghost small" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

function NewUser({ onCreated }: { onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!username.trim()) return;
    if (password && password.length < 8) {
      setError('A password has 8 characters or more (or leave it empty for single sign-on only).');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const user = await api.createUser({
        username: username.trim(),
        display_name: displayName.trim(),
        email: email.trim() || null,
        password: password || null,
        admin,
      });
      showToast(`Created ${user.username}.`);
      setUsername('');
      setDisplayName('');
      setEmail('');
      setPassword('');
      setAdmin(false);
      onCreated();
    } catch (err) {
      setError(describe(err).hint);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="admin-card" onSubmit={submit} aria-label="Create a user">
      <h2>New user</h2>
      <div className="form-grid">
        <label>
          <span className="field-label">Username</span>
          <input id="new-user-name" className="input" maxLength={64} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          <span className="field-label">Display name</span>
          <input className="input" maxLength={200} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <label>
          <span className="field-label">Email</span>
          <input className="input" type="email" maxLength={320} value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          <span className="field-label">Password</span>
          <input
            id="new-user-password"
            className="input"
            type="password"
            autoComplete="new-password"
            placeholder="Empty: single sign-on only"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
      </div>
      <div className="form-actions">
        <label className="check">
          <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} /> Admin
        </label>
        <button type="submit" className="button primary" disabled={busy || !username.trim()}>
          <Icon name="plus" size={16} /> Create user
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          <Icon name="alert" size={16} /> {error}
        </p>
      )}
    </form>
  );
}
