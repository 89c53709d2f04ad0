// The conversation list: new, search, open, rename, delete (with Undo).

import { memo, useEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { api } from '../api/client';
import { ApiError, describe } from '../api/errors';
import type { Conversation } from '../api/types';
import { navigate, pathOf, type Route } from '../router';
import { useAccount } from '../state/account';
import { conversations, useConversations } from '../state/conversations';
import { forgetSettings } from '../state/settings';
import { chatStore } from '../state/store';
import { Icon } from './Icon';
import { showToast } from './Toasts';

interface Props {
  route: Route;
  onNewChat: () => void;
  onNavigate: () => void; // close the drawer on small screens
  onSignOut: () => void;
}

export function Sidebar({ route, onNewChat, onNavigate, onSignOut }: Props) {
  const list = useConversations();
  const { config, me } = useAccount();
  const [query, setQuery] = useState(list.query);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    void conversations.refresh();
  }, []);

  useEffect(() => {
    if (query === list.query) return undefined;
    const timer = window.setTimeout(() => conversations.search(query.trim()), 200);
    return () => clearTimeout(timer);
  }, [query, list.query]);

  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const openId = route.page === 'chat' ? route.id : null;

  return (
    <nav className="sidebar-inner" aria-label="Conversations">
      <div className="sidebar-top">
        <a
          className="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            onNewChat();
          }}
        >
          <span className="brand-mark" aria-hidden="true" />
          Vega
        </a>
        <button type="button" className="button primary new-chat" onClick={onNewChat}>
          <Icon name="plus" /> New chat
        </button>
        <div className="search">
          <Icon name="search" size={16} />
          <input
            ref={searchRef}
            className="search-input"
            type="search"
            placeholder="Search titles"
            aria-label="Search conversations by title"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setQuery('');
            }}
          />
        </div>
      </div>

      <div className="conversation-scroll">
        {list.error && (
          <div className="sidebar-note error">
            {describe(new ApiError(list.error.status, list.error.code, list.error.message)).title}.{' '}
            <button type="button" className="link-button" onClick={() => void conversations.refresh()}>
              Retry
            </button>
          </div>
        )}
        {!list.error && list.items.length === 0 && !list.loading && (
          <div className="sidebar-note">
            {list.query ? (
              <>No titles match “{list.query}”.</>
            ) : (
              <>No conversations yet. Ask something to start one.</>
            )}
          </div>
        )}
        <ul className="conversation-list">
          {list.items.map((c) => (
            <ConversationItem key={c.id} conversation={c} active={c.id === openId} onNavigate={onNavigate} onNewChat={onNewChat} />
          ))}
        </ul>
        {list.hasMore && (
          <button type="button" className="button ghost wide" disabled={list.loading} onClick={() => void conversations.loadMore()}>
            {list.loading ? 'Loading…' : 'Show more'}
          </button>
        )}
      </div>

      <div className="sidebar-bottom">
        <a
          className={`nav-item${route.page === 'library' ? ' active' : ''}`}
          href="/library"
          aria-current={route.page === 'library' ? 'page' : undefined}
          onClick={(e) => {
            e.preventDefault();
            navigate({ page: 'library' });
            onNavigate();
          }}
        >
          <Icon name="book" /> Documents
        </a>
        {me?.admin && (
          <a
            className={`nav-item${route.page === 'admin' ? ' active' : ''}`}
            href="/admin"
            aria-current={route.page === 'admin' ? 'page' : undefined}
            onClick={(e) => {
              e.preventDefault();
              navigate({ page: 'admin' });
              onNavigate();
            }}
          >
            <Icon name="key" /> Admin
          </a>
        )}
        {/* Accounts mode signs out from the account menu in the top bar. */}
        {config.mode === 'keys' && (
          <button type="button" className="nav-item" onClick={onSignOut}>
            <Icon name="logout" /> Forget key
          </button>
        )}
      </div>
    </nav>
  );
}

const ConversationItem = memo(function ConversationItem({
  conversation,
  active,
  onNavigate,
  onNewChat,
}: {
  conversation: Conversation;
  active: boolean;
  onNavigate: () => void;
  onNewChat: () => void;
}) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(conversation.title);
  const inputRef = useRef<HTMLInputElement>(null);
  const href = pathOf({ page: 'chat', id: conversation.id });

  useEffect(() => {
    if (editing) inputRef.current?.select();
  }, [editing]);

  function open(event: MouseEvent<HTMLAnchorElement>): void {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return; // new tab
    event.preventDefault();
    navigate({ page: 'chat', id: conversation.id });
    onNavigate();
  }

  async function saveTitle(): Promise<void> {
    setEditing(false);
    const next = title.trim();
    if (!next || next === conversation.title) {
      setTitle(conversation.title);
      return;
    }
    const before = conversation.title;
    conversations.rename(conversation.id, next);
    try {
      const saved = await api.renameConversation(conversation.id, next);
      if (saved?.title) conversations.rename(conversation.id, saved.title);
    } catch (error) {
      conversations.rename(conversation.id, before);
      setTitle(before);
      const missing = error instanceof ApiError && (error.status === 405 || (error.status === 404 && error.code !== 'not_found'));
      showToast(missing ? 'This server cannot rename conversations yet.' : `Rename failed: ${describe(error).hint}`, { tone: 'error' });
    }
  }

  async function remove(): Promise<void> {
    const removed = conversations.remove(conversation.id);
    if (active) onNewChat();
    try {
      await api.deleteConversation(conversation.id);
    } catch (error) {
      if (removed) conversations.upsert(removed);
      showToast(`Could not delete: ${describe(error).hint}`, { tone: 'error' });
      return;
    }
    chatStore.forget(conversation.id);
    showToast(`Deleted “${conversation.title || 'Untitled'}”`, {
      action: {
        label: 'Undo',
        run: () => {
          void (async () => {
            try {
              const restored = await api.restoreConversation(conversation.id);
              conversations.upsert(restored?.id ? restored : conversation);
              showToast('Conversation restored.');
            } catch (error) {
              const missing = error instanceof ApiError && (error.status === 404 || error.status === 405);
              showToast(missing ? 'This server cannot restore conversations yet.' : `Undo failed: ${describe(error).hint}`, { tone: 'error' });
            }
          })();
        },
      },
      onExpire: () => forgetSettings(conversation.id),
    });
  }

  function onEditKey(event: KeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      void saveTitle();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setTitle(conversation.title);
      setEditing(false);
    }
  }

  return (
    <li className={`conversation${active ? ' active' : ''}`}>
      {editing ? (
        <input
          ref={inputRef}
          className="input rename-input"
          aria-label="Conversation title"
          value={title}
          maxLength={200}
          onChange={(e) => setTitle(e.target.value)}
          onKeyDown={onEditKey}
          onBlur={() => void saveTitle()}
        />
      ) : (
        <a className="conversation-link" href={href} onClick={open} aria-current={active ? 'page' : undefined} title={conversation.title}>
          {conversation.title || 'Untitled'}
        </a>
      )}
      {!editing && (
        <span className="conversation-actions">
          <button
            type="button"
            className="icon-button small"
            aria-label={`Rename “${conversation.title}”`}
            title="Rename"
            onClick={() => {
              setTitle(conversation.title);
              setEditing(true);
            }}
          >
            <Icon name="pencil" size={15} />
          </button>
          <button type="button" className="icon-button small" aria-label={`Delete “${conversation.title}”`} title="Delete" onClick={() => void remove()}>
            <Icon name="trash" size={15} />
          </button>
        </span>
      )}
    </li>
  );
});
