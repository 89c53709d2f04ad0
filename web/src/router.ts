// Three places, in the URL so reload and Back work:
//   /            a new conversation
//   /c/<id>      a conversation
//   /library     documents and uploads
//   /admin       users, groups, usage and the audit trail (accounts mode, admins)
//   /s/<id>      a conversation someone shared with a link, read-only (its id is the link's)
// (Not /documents: that path is the API's, and the server answers it with JSON.)

import { useSyncExternalStore } from 'react';

export type Route =
  | { page: 'new' }
  | { page: 'chat'; id: string }
  | { page: 'shared'; id: string }
  | { page: 'library' }
  | { page: 'admin' };

/** The id in `/c/<id>` or `/s/<id>`; null when the path is not that page (or not decodable). */
function idIn(pathname: string, prefix: 'c' | 's'): string | null {
  const match = new RegExp(`^/${prefix}/([^/]+)/?$`).exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

export function parseRoute(pathname: string): Route {
  const chat = idIn(pathname, 'c');
  if (chat !== null) return { page: 'chat', id: chat };
  const shared = idIn(pathname, 's');
  if (shared !== null) return { page: 'shared', id: shared };
  if (/^\/library\/?$/.test(pathname)) return { page: 'library' };
  if (/^\/admin\/?$/.test(pathname)) return { page: 'admin' };
  return { page: 'new' };
}

export function pathOf(route: Route): string {
  switch (route.page) {
    case 'chat':
      return `/c/${encodeURIComponent(route.id)}`;
    case 'shared':
      return `/s/${encodeURIComponent(route.id)}`;
    case 'library':
      return '/library';
    case 'admin':
      return '/admin';
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
