// Accounts mode's front door: username and password, or the OIDC provider's button.

import { useState, type FormEvent } from 'react';
import { ApiError, describe } from '../api/errors';
import { account, useAccount } from '../state/account';
import { Icon } from './Icon';
import { StatusChip } from './StatusChip';

/** Words for a refused sign-in. The server says the same for every wrong try on purpose. */
export function signInError(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'Wrong username or password, or the account is disabled.';
  if (error instanceof ApiError && error.status === 429) {
    const wait = error.retryAfterS;
    return wait != null ? `Too many failed sign-ins. Try again in ${wait} s.` : 'Too many failed sign-ins. Try again later.';
  }
  const d = describe(error);
  return `${d.title}. ${d.hint}`;
}

/**
 * A failed single sign-on sent back here as `?signin_error=CODE`: our words for it (the
 * parameter is anyone's to write, so its text is never shown), and the parameter taken
 * out of the address so a reload or a bookmark does not show it again. Null without one.
 */
export function signInErrorInAddress(provider: string | null): string | null {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('signin_error');
  if (code === null) return null;
  params.delete('signin_error');
  const rest = params.toString();
  window.history.replaceState(window.history.state, '', `${window.location.pathname}${rest ? `?${rest}` : ''}${window.location.hash}`);
  const via = provider ? ` with ${provider}` : '';
  if (code === 'access_denied') return `Signing in${via} was cancelled, or your account may not use this server.`;
  return `Signing in${via} did not work. Try again, or ask an administrator of this server.`;
}

/** Where the provider sends the browser back to: this page (the server checks it is ours). */
export function oidcHref(): string {
  const next = `${window.location.pathname}${window.location.search}`;
  return `/auth/oidc/login?next=${encodeURIComponent(next)}`;
}

export function SignIn({ onSignedIn, notice }: { onSignedIn: () => void; notice?: string | null }) {
  const { config } = useAccount();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(notice ?? null);

  async function submit(event: FormEvent): Promise<void> {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await account.login(username.trim(), password);
      onSignedIn();
    } catch (err) {
      setError(signInError(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="gate">
      <form className="gate-card" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <div className="gate-top">
          <div className="brand brand-large">
            <span className="brand-mark" aria-hidden="true" />
            Vega
          </div>
          <StatusChip />
        </div>
        <h1 className="gate-title" id="signin-title">
          Sign in
        </h1>
        <label className="field-label" htmlFor="signin-username">
          Username
        </label>
        <input
          id="signin-username"
          name="username"
          className="input"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={error ? true : undefined}
        />
        <label className="field-label field-gap" htmlFor="signin-password">
          Password
        </label>
        <input
          id="signin-password"
          name="password"
          className="input"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'signin-error' : undefined}
        />
        {error && (
          <p id="signin-error" className="form-error" role="alert">
            <Icon name="alert" size={16} /> {error}
          </p>
        )}
        <button type="submit" className="button primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {config.oidc && (
          <>
            <div className="or-line" aria-hidden="true">
              or
            </div>
            <a className="button wide oidc-button" href={oidcHref()}>
              Sign in with {config.oidc}
            </a>
          </>
        )}
        <p className="gate-foot">No account? Ask an administrator of this server.</p>
      </form>
    </div>
  );
}
