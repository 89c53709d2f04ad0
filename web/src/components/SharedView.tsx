// `/s/<id>`: a conversation someone shared with a link. Read-only (no composer, no
// feedback), rendered like the chat view, and live: new messages appear as the owner's
// turns are stored.

import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import { navigate } from '../router';
import { useSharedConversation } from '../state/shared';
import { LoadingMessages } from './ChatView';
import { CitationPopover } from './CitationPopover';
import { Icon } from './Icon';
import { Message, type CiteTarget } from './Message';
import { TopBar } from './TopBar';

const noop = (): void => {};

export function SharedView({ shareId, onMenu }: { shareId: string; onMenu: () => void }) {
  const state = useSharedConversation(shareId);
  const [cite, setCite] = useState<CiteTarget | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  // Follow new messages while the reader is at the end; leave them be if they scrolled up.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [state.messages]);

  const onScroll = (): void => {
    const el = scroller.current;
    if (el) pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };
  const closeCite = useCallback(() => setCite(null), []);
  const gone = state.phase === 'gone';
  const lastIndex = state.messages.length - 1;

  return (
    <>
      <TopBar title={gone ? 'Shared conversation' : state.title || (state.phase === 'loading' ? '' : 'Shared conversation')} onMenu={onMenu} />
      <div className="chat-scroll" ref={scroller} onScroll={onScroll}>
        <div className="chat-column shared-view" aria-live="off">
          {!gone && (
            <p className="shared-banner" role="note">
              <Icon name="eye" size={16} /> Shared by its owner — read-only
              {state.phase === 'live' && !state.problem && <span className="shared-live">Live</span>}
            </p>
          )}
          {state.problem && !gone && (
            <p className="shared-problem" role="status">
              <Icon name="alert" size={15} /> {state.problem} Reconnecting…
            </p>
          )}
          {state.phase === 'loading' && <LoadingMessages />}
          {state.messages.map((message, i) => (
            <Message
              key={message.key}
              message={message}
              conversationId={shareId}
              isLast={i === lastIndex}
              busy={false}
              onRegenerate={noop}
              onCite={setCite}
              readOnly
            />
          ))}
          {gone && <NoLongerShared />}
        </div>
      </div>
      {cite && <CitationPopover source={cite.source} anchor={cite.anchor} onClose={closeCite} download={false} />}
    </>
  );
}

function NoLongerShared() {
  return (
    <div className="empty shared-gone" role="status">
      <h2>This conversation is no longer shared</h2>
      <p>Its owner stopped sharing it, or the link is not right.</p>
      <div className="empty-actions">
        <button type="button" className="button primary" onClick={() => navigate({ page: 'new' })}>
          Start a new chat
        </button>
      </div>
    </div>
  );
}
