// Per-conversation settings, kept in localStorage under the conversation id.
// A new conversation starts with the model, temperature and top-k last chosen
// anywhere; its system prompt and collection start empty. In accounts mode it starts
// empty: the user's own defaults are on the server (GET /settings/me), which applies
// them to whatever a conversation leaves unset.

import { auth } from '../api/client';

export interface ChatSettings {
  model: string; // '' = the server's default
  temperature: number | null; // null = the server's default
  topK: number | null; // null = the server's default (only used with a collection)
  system: string; // '' = the server's system prompt
  collection: string; // '' = no documents; else "ask about this collection"
}

export const DEFAULT_SETTINGS: ChatSettings = { model: '', temperature: null, topK: null, system: '', collection: '' };

const PREFIX = 'vega.settings.';
const LAST = `${PREFIX}last`;

function read(key: string): Partial<ChatSettings> | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Partial<ChatSettings>) : null;
  } catch {
    return null;
  }
}

function write(key: string, value: ChatSettings): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: settings last for this page only
  }
}

function normalise(value: Partial<ChatSettings> | null): ChatSettings {
  const s = { ...DEFAULT_SETTINGS, ...(value ?? {}) };
  return {
    model: typeof s.model === 'string' ? s.model : '',
    temperature: typeof s.temperature === 'number' && s.temperature >= 0 && s.temperature <= 2 ? s.temperature : null,
    topK: typeof s.topK === 'number' && s.topK >= 1 && s.topK <= 100 ? Math.round(s.topK) : null,
    system: typeof s.system === 'string' ? s.system.slice(0, 20_000) : '',
    collection: typeof s.collection === 'string' ? s.collection : '',
  };
}

export function loadSettings(conversationId: string): ChatSettings {
  const own = read(PREFIX + conversationId);
  if (own) return normalise(own);
  if (auth.mode === 'accounts') return { ...DEFAULT_SETTINGS };
  const last = normalise(read(LAST));
  return { ...last, system: '', collection: '' };
}

export function saveSettings(conversationId: string, settings: ChatSettings): void {
  const clean = normalise(settings);
  write(PREFIX + conversationId, clean);
  write(LAST, clean);
}

export function forgetSettings(conversationId: string): void {
  try {
    localStorage.removeItem(PREFIX + conversationId);
  } catch {
    /* nothing to do */
  }
}

// Agent mode (the composer's "Agent" toggle) is one choice for the whole browser: on, every
// turn may use the server's tools, until it is turned off again.
const AGENT = 'vega.agent';

export function loadAgentMode(): boolean {
  try {
    return localStorage.getItem(AGENT) === 'on';
  } catch {
    return false;
  }
}

export function saveAgentMode(on: boolean): void {
  try {
    if (on) localStorage.setItem(AGENT, 'on');
    else localStorage.removeItem(AGENT);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}
