// A conversation: its messages, the composer, settings, citations, sharing, export.

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { ApiError, describe } from '../api/errors';
import { navigate } from '../router';
import { titleOf, useConversations } from '../state/conversations';
import { loadAgentMode, loadSettings, saveAgentMode, saveSettings, type ChatSettings } from '../state/settings';
import type { ErrorInfo } from '../state/chat';
import { chatStore, useChat } from '../state/store';
import { useServerTools } from '../state/tools';
import { CitationPopover } from './CitationPopover';
import { Composer } from './Composer';
import { ExportMenu } from './ExportMenu';
import { Icon } from './Icon';
import { Message, type CiteTarget } from './Message';
import { SettingsPanel } from './SettingsPanel';
import { ShareLinkDialog } from './ShareLinkDialog';
import { TopBar } from './TopBar';

interface Props {
  conversationId: string;
  isNew: boolean;
  onMenu: () => void;
  onStarted: (id: string) => void;
  onNewChat: () => void;
}

const SUGGESTIONS = [
  'Explain how a circuit breaker protects a service, with an example.',
  'Write a shell one-liner that finds the 10 largest files in a folder.',
  'Summarize the trade-offs between SQLite and Postgres for a small app.',
];

export function ChatView({ conversationId, isNew, onMenu, onStarted, onNewChat }: Props) {
  const state = useChat(conversationId);
  const list = useConversations();
  const [settings, setSettings] = useState<ChatSettings>(() => loadSettings(conversationId));
  const tools = useServerTools();
  const [agentMode, setAgentMode] = useState(loadAgentMode);
  const agent = agentMode && tools.length > 0; // a server without tools has no agent mode
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [cite, setCite] = useState<CiteTarget | null>(null);
  const [pinnedToEnd, setPinnedToEnd] = useState(true);
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  useEffect(() => {
    setSettings(loadSettings(conversationId));
    setCite(null);
    pinned.current = true;
    setPinnedToEnd(true);
  }, [conversationId]);

  useEffect(() => {
    if (isNew) return;
    const current = chatStore.get(conversationId);
    if (current.streaming) return;
    void chatStore.load(conversationId, { quiet: current.messages.length > 0 });
  }, [conversationId, isNew]);

  // Follow the answer while it streams, unless the reader scrolled up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [state.messages, state.loading]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    pinned.current = atEnd;
    if (atEnd !== pinnedToEnd) setPinnedToEnd(atEnd);
  };

  const toEnd = (): void => {
    const el = scroller.current;
    pinned.current = true;
    setPinnedToEnd(true);
    if (el) el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
  };

  const updateSettings = useCallback(
    (next: ChatSettings) => {
      setSettings(next);
      saveSettings(conversationId, next);
    },
    [conversationId],
  );

  const send = (): void => {
    pinned.current = true;
    chatStore.send(conversationId, state.draft, settings, { agent });
    saveSettings(conversationId, settings);
    if (isNew) onStarted(conversationId);
  };

  const settingsRef = useRef(settings);
  settingsRef.current = settings;
  const agentRef = useRef(agent);
  agentRef.current = agent;
  const regenerate = useCallback(() => {
    pinned.current = true;
    chatStore.regenerate(conversationId, settingsRef.current, { agent: agentRef.current });
  }, [conversationId]);
  const edit = useCallback(
    (key: string, text: string) => {
      pinned.current = true;
      chatStore.edit(conversationId, key, text, settingsRef.current, { agent: agentRef.current });
    },
    [conversationId],
  );
  const toggleAgent = useCallback((on: boolean) => {
    setAgentMode(on);
    saveAgentMode(on);
  }, []);
  const closeCite = useCallback(() => setCite(null), []);
  const closeSettings = useCallback(() => setSettingsOpen(false), []);

  const known = list.items.find((c) => c.id === conversationId);
  const firstPrompt = state.messages.find((m) => m.role === 'user')?.content;
  const title = known?.title || (firstPrompt ? titleOf(firstPrompt) : isNew ? 'New chat' : state.loading ? '' : 'Conversation');
  const empty = state.messages.length === 0 && !state.loading && !state.loadError;
  const lastIndex = state.messages.length - 1;

  return (
    <>
      <TopBar
        title={title}
        onMenu={onMenu}
        actions={
          <>
            <button type="button" className="button ghost small" onClick={() => setSettingsOpen(true)} aria-haspopup="dialog">
              <Icon name="sliders" size={16} /> <span className="hide-narrow">Settings</span>
            </button>
            {state.saved && state.messages.length > 0 && (
              <>
                <button type="button" className="button ghost small" onClick={() => setSharing(true)} aria-haspopup="dialog">
                  <Icon name="link" size={16} /> <span className="hide-narrow">Share</span>
                </button>
                <ExportMenu conversationId={conversationId} title={title} />
              </>
            )}
          </>
        }
      />
      <div className="chat-scroll" ref={scroller} onScroll={onScroll}>
        <div className="chat-column" aria-live="off">
          {state.loading && state.messages.length === 0 && <LoadingMessages />}
          {state.loadError && <LoadFailed error={state.loadError} onNewChat={onNewChat} onRetry={() => void chatStore.load(conversationId)} />}
          {empty && <EmptyChat collection={settings.collection} onPick={(text) => chatStore.dispatch(conversationId, { type: 'draft', text })} />}
          {state.messages.map((message, i) => (
            <Message
              key={message.key}
              message={message}
              conversationId={conversationId}
              isLast={i === lastIndex}
              busy={state.streaming}
              onRegenerate={regenerate}
              onCite={setCite}
              onEdit={edit}
            />
          ))}
        </div>
      </div>
      {!pinnedToEnd && state.messages.length > 0 && (
        <button type="button" className="jump-button" onClick={toEnd}>
          Jump to latest
        </button>
      )}
      <Composer
        draft={state.draft}
        streaming={state.streaming}
        error={state.error}
        collection={settings.collection}
        tools={tools}
        agent={agent}
        onAgent={toggleAgent}
        onDraft={(text) => chatStore.dispatch(conversationId, { type: 'draft', text })}
        onSend={send}
        onStop={() => chatStore.stop(conversationId)}
        onDismissError={() => chatStore.dispatch(conversationId, { type: 'dismissError' })}
        onOpenSettings={() => setSettingsOpen(true)}
        onClearCollection={() => updateSettings({ ...settings, collection: '' })}
      />
      {settingsOpen && <SettingsPanel settings={settings} onChange={updateSettings} onClose={closeSettings} />}
      {cite && <CitationPopover source={cite.source} anchor={cite.anchor} onClose={closeCite} />}
      {sharing && <ShareLinkDialog conversationId={conversationId} onClose={() => setSharing(false)} />}
    </>
  );
}

function EmptyChat({ collection, onPick }: { collection: string; onPick: (text: string) => void }) {
  return (
    <div className="empty">
      <span className="brand-mark large" aria-hidden="true" />
      <h2>{collection ? `Ask about “${collection}”` : 'What can I help with?'}</h2>
      <p>
        {collection
          ? 'Answers come from the documents in this collection, with numbered citations you can open.'
          : 'Everything you ask stays on the machine that runs Vega.'}
      </p>
      {!collection && (
        <div className="suggestions">
          {SUGGESTIONS.map((text) => (
            <button key={text} type="button" className="suggestion" onClick={() => onPick(text)}>
              {text}
            </button>
          ))}
          <button type="button" className="suggestion" onClick={() => navigate({ page: 'library' })}>
            <Icon name="book" size={15} /> Upload documents and ask about them
          </button>
        </div>
      )}
    </div>
  );
}

export function LoadingMessages() {
  return (
    <div className="loading-messages" aria-label="Loading the conversation">
      <div className="skeleton line short right" />
      <div className="skeleton line" />
      <div className="skeleton line" />
      <div className="skeleton line medium" />
    </div>
  );
}

function LoadFailed({ error, onRetry, onNewChat }: { error: ErrorInfo; onRetry: () => void; onNewChat: () => void }) {
  const missing = error.status === 404;
  const d = describe(new ApiError(error.status, error.code, error.message));
  return (
    <div className="empty">
      <h2>{missing ? 'This conversation is not here' : d.title}</h2>
      <p>{missing ? 'It was deleted, or it belongs to another key.' : d.hint}</p>
      <div className="empty-actions">
        {!missing && (
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        )}
        <button type="button" className="button primary" onClick={onNewChat}>
          Start a new chat
        </button>
      </div>
    </div>
  );
}
