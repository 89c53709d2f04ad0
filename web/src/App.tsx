// The shell: the key gate, the sidebar (a drawer on small screens) and the page.

import { useCallback, useEffect, useState } from 'react';
import { auth } from './api/client';
import { resetTransport, warmUp } from './api/stream';
import { ChatView } from './components/ChatView';
import { KeyGate } from './components/KeyGate';
import { LibraryView } from './components/LibraryView';
import { Sidebar } from './components/Sidebar';
import { Toasts } from './components/Toasts';
import { newId } from './ids';
import { navigate, useRoute } from './router';
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

export function App() {
  const [authed, setAuthed] = useState(() => auth.key !== null);
  const [notice, setNotice] = useState<string | null>(null);

  // For the end-to-end test: when the first real screen (key gate or app) is up.
  useEffect(() => {
    performance.mark('vega:app-ready');
  }, []);

  useEffect(() => {
    const expired = (): void => {
      resetTransport();
      setNotice('The server no longer accepts the key. Enter it again.');
      setAuthed(false);
    };
    auth.onUnauthorized.add(expired);
    return () => {
      auth.onUnauthorized.delete(expired);
    };
  }, []);

  if (!authed) {
    return (
      <KeyGate
        notice={notice}
        onAccepted={() => {
          setNotice(null);
          setAuthed(true);
        }}
      />
    );
  }
  return (
    <Shell
      onSignOut={() => {
        auth.set(null);
        resetTransport();
        setAuthed(false);
      }}
    />
  );
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
