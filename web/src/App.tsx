// The shell: the key gate or the sign-in page, the sidebar (a drawer on small screens) and the page.

import { useCallback, useEffect, useState } from 'react';
import { auth } from './api/client';
import { resetTransport, warmUp } from './api/stream';
import { AdminView } from './components/admin/AdminView';
import { ChatView } from './components/ChatView';
import { KeyGate } from './components/KeyGate';
import { SignIn, signInErrorInAddress } from './components/SignIn';
import { LibraryView } from './components/LibraryView';
import { SharedView } from './components/SharedView';
import { Sidebar } from './components/Sidebar';
import { Toasts } from './components/Toasts';
import { newId } from './ids';
import { navigate, useRoute } from './router';
import { redeemLinkInAddress } from './signinLink';
import { account } from './state/account';
import { conversations } from './state/conversations';
import { loadSettings, saveSettings } from './state/settings';
import { chatStore } from './state/store';
import { refreshReadiness } from './components/StatusChip';

chatStore.events = {
  started: (id, prompt) => conversations.touch(id, prompt),
  ended: (id) => {
    void conversations.refresh();
    const state = chatStore.get(id);
    const last = state.messages[state.messages.length - 1];
    if (last?.status === 'error') void refreshReadiness();
  },
};

type Screen =
  | { kind: 'starting' }
  | { kind: 'gate'; notice: string | null } // keys mode: the API key
  | { kind: 'signin'; notice: string | null } // accounts mode: username and password, or OIDC
  | { kind: 'app' };

/** What to show first: the server says how it signs people in, then whether this tab is in. */
async function firstScreen(): Promise<Screen> {
  const config = await account.configure().catch(() => null);
  if (config?.mode === 'accounts') {
    const me = await account.refresh().catch(() => null);
    return me ? { kind: 'app' } : { kind: 'signin', notice: signInErrorInAddress(config.oidc) };
  }
  const linkNotice = await redeemLinkInAddress();
  if (linkNotice !== null) return { kind: 'gate', notice: linkNotice };
  return auth.key !== null ? { kind: 'app' } : { kind: 'gate', notice: null };
}

export function App() {
  const [screen, setScreen] = useState<Screen>({ kind: 'starting' });

  useEffect(() => {
    void firstScreen().then(setScreen);
  }, []);

  // For the end-to-end test: when the first real screen (key gate, sign-in or app) is up.
  const ready = screen.kind !== 'starting';
  useEffect(() => {
    if (ready && performance.getEntriesByName('vega:app-ready').length === 0) performance.mark('vega:app-ready');
  }, [ready]);

  useEffect(() => {
    const expired = (): void => {
      resetTransport();
      if (auth.mode === 'accounts') {
        account.signedOut();
        setScreen({ kind: 'signin', notice: 'Your session ended. Sign in again.' });
      } else {
        setScreen({ kind: 'gate', notice: 'The server no longer accepts the key. Enter it again.' });
      }
    };
    auth.onUnauthorized.add(expired);
    return () => {
      auth.onUnauthorized.delete(expired);
    };
  }, []);

  switch (screen.kind) {
    case 'starting':
      return (
        <div className="boot" aria-hidden="true">
          <span className="brand-mark" />
          Vega
        </div>
      );
    case 'gate':
      return <KeyGate notice={screen.notice} onAccepted={() => setScreen({ kind: 'app' })} />;
    case 'signin':
      return <SignIn notice={screen.notice} onSignedIn={() => setScreen({ kind: 'app' })} />;
    default:
      return <Shell onSignOut={() => void signOut(setScreen)} />;
  }
}

/** Keys mode forgets the key; accounts mode ends the session (the account menu's Sign out). */
async function signOut(setScreen: (screen: Screen) => void): Promise<void> {
  resetTransport();
  if (auth.mode === 'accounts') return account.signOut();
  auth.set(null);
  setScreen({ kind: 'gate', notice: null });
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const [draftId, setDraftId] = useState(newId);
  const [drawer, setDrawer] = useState(false);

  useEffect(() => warmUp(), []);

  useEffect(() => {
    if (!drawer) return undefined;
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') setDrawer(false);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [drawer]);

  const newChat = useCallback(() => {
    // Reuse the empty draft conversation; start a fresh one if it was used.
    setDraftId((id) => (chatStore.get(id).messages.length ? newId() : id));
    navigate({ page: 'new' });
    setDrawer(false);
  }, []);

  const started = useCallback((id: string) => {
    navigate({ page: 'chat', id }, { replace: true });
    setDraftId(newId());
  }, []);

  const askAbout = useCallback((collection: string) => {
    const id = newId();
    saveSettings(id, { ...loadSettings(id), collection });
    setDraftId(id);
    navigate({ page: 'new' });
  }, []);

  const closeDrawer = useCallback(() => setDrawer(false), []);
  const openDrawer = useCallback(() => setDrawer(true), []);

  return (
    <div className={`app${drawer ? ' drawer-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Sidebar">
        <Sidebar route={route} onNewChat={newChat} onNavigate={closeDrawer} onSignOut={onSignOut} />
      </aside>
      {drawer && <div className="scrim drawer-scrim" onClick={closeDrawer} aria-hidden="true" />}
      <main className="main" id="main">
        {route.page === 'library' ? (
          <LibraryView onMenu={openDrawer} onAsk={askAbout} />
        ) : route.page === 'admin' ? (
          <AdminView onMenu={openDrawer} />
        ) : route.page === 'shared' ? (
          <SharedView key={route.id} shareId={route.id} onMenu={openDrawer} />
        ) : (
          <ChatView
            key={route.page === 'chat' ? route.id : draftId}
            conversationId={route.page === 'chat' ? route.id : draftId}
            isNew={route.page === 'new'}
            onMenu={openDrawer}
            onStarted={started}
            onNewChat={newChat}
          />
        )}
      </main>
      <Toasts />
    </div>
  );
}
