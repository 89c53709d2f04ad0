// Shapes of the Vega API (docs/api.md). Only the fields the UI reads are required.

export interface Source {
  rank: number;
  document_id: string | null;
  chunk_id: number | null;
  title: string | null;
  source_name: string | null;
  location: string | null;
  start?: number | null;
  end?: number | null;
  score?: number | null;
  snippet: string | null;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface Conversation {
  id: string;
  title: string;
  created: string;
  updated: string;
  message_count: number;
}

export interface MessageOut {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  created: string;
  model: string | null;
  backend: string | null;
  status: 'ok' | 'error' | 'cancelled' | string;
  error: string | null;
  latency_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  rating: number | null;
  notes: string | null;
  sources?: Source[];
}

export interface ConversationDetail extends Conversation {
  messages: MessageOut[];
}

export interface Readiness {
  status: 'ok' | 'unavailable';
  database: boolean;
  // Without a key, /readyz gives states only: no name, detail, model or embedder name.
  backend: { name?: string; ok: boolean; detail?: string; model?: string; breaker?: string };
  embedder: { name?: string; backend?: string; loaded?: boolean };
}

export interface ModelList {
  backend: string;
  default: string | null;
  ok?: boolean; // false: the model server did not answer, so the list is empty
  models: { name: string }[];
}

export interface Collection {
  name: string;
  embedding_model?: string;
  dim?: number;
  documents: number;
  chunks: number;
  created?: string;
}

export interface DocumentOut {
  id: string;
  collection: string;
  title: string;
  source_name: string;
  content_type: string;
  size: number;
  status: 'processing' | 'ready' | 'failed' | string;
  error: string | null;
  chunks: number;
  job_id: string | null;
  created: string;
}

export interface UploadResult {
  document_id: string;
  collection: string;
  title: string;
  status: string;
  chunks: number;
  excerpt: string | null;
  duplicate: boolean;
  job_id: string | null;
}

export interface Job {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'done' | 'failed' | string;
  progress: number;
  result: { document_id?: string; chunks?: number; status?: string } | null;
  error: string | null;
}

/** What the end of a streamed turn tells us (SSE `done`, WS `response_end`). */
export interface TurnMeta {
  message_id: string;
  conversation_id?: string;
  model?: string;
  backend?: string;
  usage?: Usage;
  latency_ms?: number;
  finish_reason?: string | null;
  sources?: Source[];
}

/** The options sent with each chat message. */
export interface TurnRequest {
  content: string;
  conversation_id: string;
  collection?: string;
  model?: string;
  temperature?: number;
  top_k?: number;
  system?: string;
  /** Answer the conversation's last prompt again (content is then empty). */
  regenerate?: boolean;
}
