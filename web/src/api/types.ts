// The UI's names for the server's shapes: each one is a type generated from the
// server's OpenAPI document (schema.gen.ts, `npm run gen:api`), never a copy of it.

import type { Answer } from './client';
import type { components, paths } from './schema.gen';

type Schemas = components['schemas'];

export type Source = Schemas['SourceOut'];
export type Usage = Schemas['UsageOut'];
export type Conversation = Schemas['ConversationOut'];
export type ConversationDetail = Schemas['ConversationDetailOut'];
export type MessageOut = Schemas['MessageOut'];
export type Readiness = Schemas['Readiness'];
export type ModelList = Schemas['ModelsOut'];
export type Collection = Schemas['CollectionOut'];
export type DocumentOut = Schemas['DocumentOut'];
export type UploadResult = Schemas['UploadOut'];
export type Job = Schemas['JobOut'];
export type ErrorCode = Schemas['ErrorCode'];
export type ErrorDetail = Schemas['ErrorDetail'];

// Tools and agent turns.
/** A server tool a turn may use (`GET /tools`). */
export type ServerTool = Schemas['ToolOut'];
/** The model called a server tool (SSE `tool_call`, the WebSocket frame's `call`). */
export type ToolCall = Schemas['ToolCallOut'];
/** What the tool gave back (SSE `tool_result`, the WebSocket frame's `result`). */
export type ToolResult = Schemas['ToolResultOut'];
/** A step of an agent answer as stored (`messages[].steps`). */
export type StoredToolStep = Schemas['ToolStepOut'];

// Memory: earlier exchanges from the caller's other conversations, recalled into a turn.
/** One recalled exchange (SSE `memories`, the WebSocket frame's `memories`, `messages[].memories`, `GET /memories`). */
export type Memory = Schemas['MemoryOut'];
/**
 * The summary of a conversation's earlier turns (those its context window could not
 * hold) an answer was given in their place: `summary` of the SSE `done` event, of the
 * WebSocket `response_end` metadata, of `POST /chat`, and of a stored answer.
 */
export type Summary = Schemas['SummaryOut'];

/** A finished turn: the SSE `done` event, the WebSocket `response_end` metadata. */
export type TurnMeta = Schemas['TurnOut'];

/** What the server sends over the WebSocket, told apart by `type`. */
export type ServerFrame = Schemas['WsServerFrame'];

/**
 * One chat turn as the UI asks for it: the WebSocket `message` frame without its
 * `type` (the SSE fallback sends the same options as a `POST /chat` body).
 */
export type TurnRequest = Omit<Schemas['WsMessage'], 'type'> & { content: string; conversation_id: string };

// Accounts mode (VEGA_AUTH=accounts).
export type AuthConfig = Schemas['AuthConfigOut'];
export type Me = Schemas['MeOut'];
export type User = Schemas['UserOut'];
export type UserIn = Schemas['UserIn'];
export type UserPatch = Schemas['UserPatch'];
export type OwnKey = Schemas['OwnKeyOut'];
export type OwnKeyCreated = Schemas['OwnKeyCreatedOut'];
export type AuditEntry = Schemas['AuditOut'];
export type AuditPage = Schemas['AuditPage'];
export type AuditQuery = NonNullable<paths['/admin/audit']['get']['parameters']['query']>;

/** A user's chat defaults (`GET|PUT /settings/me`): theirs, and the server's beside them. */
export type Preferences = Schemas['PreferencesOut'];
export type ChatPreferences = Schemas['ChatPreferences'];
/** What a user used of their quotas (`GET /usage/me`); a null limit is no limit. */
export type QuotaUsage = Answer<paths['/usage/me']['get']>;
export type UserUsage = Schemas['UserUsageOut'];
export type Quotas = Schemas['QuotasIn'];
export type Group = Schemas['GroupOut'];
export type Share = Schemas['ShareOut'];
export type ShareIn = Schemas['ShareIn'];
