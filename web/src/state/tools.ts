// The server tools this key (or session) may use (`GET /tools`), asked once per identity.
// The composer offers Agent mode only when there is at least one.

import { useEffect, useState } from 'react';
import { api, auth } from '../api/client';
import type { ServerTool } from '../api/types';

let cached: { identity: string | null; tools: Promise<ServerTool[]> } | null = null;

/** The enabled server tools; none when the server lists none or cannot say (asked again next time). */
export function serverTools(): Promise<ServerTool[]> {
  const identity = auth.identity();
  if (cached?.identity !== identity) {
    const tools = api.tools().catch(() => {
      if (cached?.tools === tools) cached = null;
      return [] as ServerTool[];
    });
    cached = { identity, tools };
  }
  return cached.tools;
}

export function useServerTools(): ServerTool[] {
  const [tools, setTools] = useState<ServerTool[]>([]);
  useEffect(() => {
    let live = true;
    void serverTools().then((found) => {
      if (live) setTools(found);
    });
    return () => {
      live = false;
    };
  }, []);
  return tools;
}

/** For tests: forget what was asked. */
export function forgetServerTools(): void {
  cached = null;
}
