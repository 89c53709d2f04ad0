// Three places, in the URL so reload and Back work:
//   /            a new conversation
//   /c/<id>      a conversation
//   /library     documents and uploads
// (Not /documents: that path is the API's, and the server answers it with JSON.)

import { useSyncExternalStore } from 'react';

export type Route = { page: 'new' } | { page: 'chat'; id: string } | { page: 'library' };

export function parseRoute(pathname: string): Route {
  const chat = /^\/c\/([^/]+)\/?$/.exec(pathname);
  if (chat) {
    try {
      return { page: 'chat', id: decodeURIComponent(chat[1]) };
    } catch {
      return { page: 'new' };
    }
  }
  if (/^\/library\/?$/.test(pathname)) return { page: 'library' };
  return { page: 'new' };
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case 'chat':
      return `/c/${encodeURIComponent(route.id)}`;
    case 'library':
      return '/library';
    default:
      return '/';
  }
}

const listeners = new Set<() => void>();
let current = parseRoute(window.location.pathname);

function update(): void {
  const next = parseRoute(window.location.pathname);
  if (JSON.stringify(next) === JSON.stringify(current)) return;
  current = next;
  for (const listener of listeners) listener();
}

window.addEventListener('popstate', update);

export function navigate(route: Route, { replace = false } = {}): void {
  const path = pathOf(route);
  if (path !== window.location.pathname) {
    if (replace) window.history.replaceState(null, '', path);
    else window.history.pushState(null, '', path);
  }
  update();
}

export function useRoute(): Route {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
}
