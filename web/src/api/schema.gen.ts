/**
 * GENERATED from docs/openapi.json by web/scripts/gen-api.mjs (npm run gen:api):
 * do not edit. The types are openapi-typescript's; the constants at the end are the
 * document's own values, for checks at run time (src/api/validate.ts).
 */

export interface paths {
    "/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Audit Trail
         * @description Who did what, newest first: sign-ins (and refusals), users, keys, documents,
         *     collections, conversations, exports, settings, admin actions.
         */
        get: operations["audit_trail_admin_audit_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Groups */
        get: operations["list_groups_admin_groups_get"];
        put?: never;
        /** Create Group */
        post: operations["create_group_admin_groups_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/groups/{group_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete Group */
        delete: operations["delete_group_admin_groups__group_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/groups/{group_id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Set Group Members
         * @description Set the group's whole membership (usernames).
         */
        put: operations["set_group_members_admin_groups__group_id__members_put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Keys */
        get: operations["list_keys_admin_keys_get"];
        put?: never;
        /** Create Key */
        post: operations["create_key_admin_keys_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/keys/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke Key */
        delete: operations["revoke_key_admin_keys__name__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Everyones Usage
         * @description Every user's usage against their quotas, with the overrides an admin set.
         */
        get: operations["everyones_usage_admin_usage_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Users */
        get: operations["list_users_admin_users_get"];
        put?: never;
        /** Create User */
        post: operations["create_user_admin_users_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/users/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change User
         * @description Change a user's role, name or email, disable or enable them (which ends their
         *     sessions and stops their keys within seconds), or set a new password.
         */
        patch: operations["change_user_admin_users__user_id__patch"];
        trace?: never;
    };
    "/api/blobs/{digest}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Blobs */
        post: operations["blobs_api_blobs__digest__post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Ollama Chat */
        post: operations["ollama_chat_api_chat_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/copy": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Copy */
        post: operations["copy_api_copy_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Create */
        post: operations["create_api_create_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/delete": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Delete */
        delete: operations["delete_api_delete_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/embed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Embed */
        post: operations["embed_api_embed_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/embeddings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Embeddings */
        post: operations["embeddings_api_embeddings_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/generate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Generate */
        post: operations["generate_api_generate_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ps": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Running
         * @description Ollama's loaded models: Vega loads none itself (the model server does).
         */
        get: operations["running_api_ps_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/pull": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pull */
        post: operations["pull_api_pull_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/push": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Push */
        post: operations["push_api_push_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/show": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Show
         * @description The model server's show for the model (for `vega-rag/<collection>`: for the model
         *     that answers), plus Vega's `vega.*` facts about a collection.
         */
        post: operations["show_api_show_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tags": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Tags
         * @description The backend's models, then one `vega-rag/<collection>` model per collection of the key.
         */
        get: operations["tags_api_tags_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/version": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Version
         * @description No key needed, as on Ollama: clients probe it to find the server (Open WebUI's
         *     connection check does), and it tells nothing but the protocol level and Vega's version.
         */
        get: operations["version_api_version_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Auth Config
         * @description How to sign in here: keys, or accounts (and with which OIDC provider). Public.
         */
        get: operations["auth_config_auth_config_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/link": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Redeem Link
         * @description Trade the one-time link `vega serve` printed for the key (keys mode, bound to this
         *     machine only): the page stores it as if it had been typed.
         */
        post: operations["redeem_link_auth_link_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Login
         * @description Sign in with a username and password: sets the session cookie (a new one each time:
         *     the one the browser came with, if any, is ended).
         */
        post: operations["login_auth_login_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Logout
         * @description End this browser's session (a key is not a session: it is revoked instead).
         */
        post: operations["logout_auth_logout_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Me
         * @description Who is signed in (by session or key), with the session's CSRF token.
         */
        get: operations["me_auth_me_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oidc/callback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Oidc Callback
         * @description Where the provider sends the browser back: checks everything, signs in, and goes on
         *     to the page the sign-in started from.
         */
        get: operations["oidc_callback_auth_oidc_callback_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/oidc/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Oidc Login
         * @description Start signing in at the OIDC provider: a redirect there (authorization code + PKCE).
         */
        get: operations["oidc_login_auth_oidc_login_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/chat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Chat */
        post: operations["chat_chat_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/chat/sse": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Chat Sse */
        post: operations["chat_sse_chat_sse_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Collections */
        get: operations["list_collections_collections_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections/{name}/shares": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Shares
         * @description Who your collection is shared with.
         */
        get: operations["list_shares_collections__name__shares_get"];
        put?: never;
        /**
         * Share Collection
         * @description Share your collection read-only with a user, a group, or everyone signed in: they
         *     name it `OWNER/NAME` in search, chat and `vega-rag/OWNER/NAME`.
         */
        post: operations["share_collection_collections__name__shares_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/collections/{name}/shares/{share_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Unshare Collection */
        delete: operations["unshare_collection_collections__name__shares__share_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Conversations */
        get: operations["list_conversations_conversations_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{conversation_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Conversation */
        get: operations["get_conversation_conversations__conversation_id__get"];
        put?: never;
        post?: never;
        /** Delete Conversation */
        delete: operations["delete_conversation_conversations__conversation_id__delete"];
        options?: never;
        head?: never;
        /** Rename Conversation */
        patch: operations["rename_conversation_conversations__conversation_id__patch"];
        trace?: never;
    };
    "/conversations/{conversation_id}/branch": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Show Branch
         * @description Choose the branch the conversation shows and continues (the UI's '2 / 3' arrows):
         *     the one through `message_id`, down to its latest message. The others stay.
         */
        put: operations["show_branch_conversations__conversation_id__branch_put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{conversation_id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel Replies
         * @description Stop the replies being generated in the conversation, whichever process streams
         *     them (over SSE, the OpenAI or Ollama routes, or a WebSocket): this one at once,
         *     the others through Redis (VEGA_REDIS_URL). Each stream ends with a `cancelled`
         *     error; what was generated so far is stored, marked cancelled.
         */
        post: operations["cancel_replies_conversations__conversation_id__cancel_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{conversation_id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export Conversation */
        get: operations["export_conversation_conversations__conversation_id__export_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{conversation_id}/restore": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restore Conversation
         * @description Undo a delete (possible until retention purges the conversation).
         */
        post: operations["restore_conversation_conversations__conversation_id__restore_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{conversation_id}/share": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Share Conversation
         * @description A read-only link to your conversation for signed-in users (the same link each time).
         */
        post: operations["share_conversation_conversations__conversation_id__share_post"];
        /**
         * Unshare Conversation
         * @description Withdraw the link: its viewers get 404, and live views end.
         */
        delete: operations["unshare_conversation_conversations__conversation_id__share_delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/import": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Import Conversations
         * @description Bring conversations from Vega, ChatGPT or Open WebUI, as yours: titles and
         *     timestamps kept, all or none.
         */
        post: operations["import_conversations_conversations_import_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/documents": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Documents */
        get: operations["list_documents_documents_get"];
        put?: never;
        /** Upload */
        post: operations["upload_documents_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/documents/{document_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Document */
        get: operations["get_document_documents__document_id__get"];
        put?: never;
        post?: never;
        /** Delete Document */
        delete: operations["delete_document_documents__document_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/documents/{document_id}/original": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Original
         * @description The uploaded file as it was stored, streamed (one `bytes=` range at most; a header
         *     Vega cannot read is ignored, as HTTP allows). Always a download, never rendered.
         */
        get: operations["get_original_documents__document_id__original_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/documents/crawl": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Crawl
         * @description Crawl a site into a collection, as a job: same origin, robots.txt respected, a pause
         *     between pages, every URL through the SSRF-safe fetcher. Crawling again updates only
         *     the pages that changed.
         */
        post: operations["crawl_documents_crawl_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Healthz */
        get: operations["healthz_healthz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** History */
        get: operations["history_history_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Jobs
         * @description The caller's jobs, newest first: ingests, crawls, summaries of long conversations.
         */
        get: operations["list_jobs_jobs_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Job */
        get: operations["get_job_jobs__job_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Own Keys
         * @description Your API keys (never their secrets).
         */
        get: operations["list_own_keys_keys_get"];
        put?: never;
        /**
         * Create Own Key
         * @description A new key that acts as you, for programs; its secret is shown this once.
         */
        post: operations["create_own_key_keys_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys/{key_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke Own Key
         * @description Revoke one of your keys: every process refuses it within seconds.
         */
        delete: operations["revoke_own_key_keys__key_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/memories": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Search Memories
         * @description The caller's earlier exchanges best matching `q`, ranked as a chat turn ranks them
         *     (every conversation of the caller's, none of anyone else's).
         */
        get: operations["search_memories_memories_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/memories/{memory_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Forget Memory
         * @description Forget one memory: it is never recalled, nor indexed again (404: not the caller's).
         */
        delete: operations["forget_memory_memories__memory_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/messages/{message_id}/feedback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Feedback */
        post: operations["feedback_messages__message_id__feedback_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Models
         * @description The backend's models; an empty list (``ok: false``) while it cannot be reached.
         *     Each with the context window a turn's budget uses, and who said so.
         */
        get: operations["list_models_models_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readyz
         * @description Whether the server can serve. Without a key: states only (`backend.ok`,
         *     `backend.breaker`, `embedder.loaded`); with a valid key, also the backend's name,
         *     detail and model and the embedder's name and backend. A key that is sent must be
         *     valid (401).
         */
        get: operations["readyz_readyz_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/research": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Research
         * @description A research turn, stored as a conversation: `tool_call`/`tool_result` events show the
         *     search and each page read; the answer cites pages as `[n]` (sources carry their `url`).
         */
        post: operations["research_research_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Search */
        post: operations["search_search_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/settings/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My Settings
         * @description Your chat defaults (model, temperature, top-k, system prompt, memory, tools).
         */
        get: operations["my_settings_settings_me_get"];
        /**
         * Put My Settings
         * @description Replace your chat defaults; a request's or conversation's own values still win.
         */
        put: operations["put_my_settings_settings_me_put"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/shared/{share_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Shared Conversation
         * @description A conversation someone shared with a link, read-only.
         */
        get: operations["shared_conversation_shared__share_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/shared/{share_id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Shared Conversation Events
         * @description New messages of a shared conversation as they are stored: `message` events (a
         *     `MessageOut`), then `end` when the link is withdrawn or your session ends.
         */
        get: operations["shared_conversation_events_shared__share_id__events_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/slack/command": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Slack Command
         * @description Acknowledged at once (ephemeral "Working on it…"); the answer follows by `response_url`.
         */
        post: operations["slack_command_slack_command_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/tools": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Tools */
        get: operations["list_tools_tools_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/upload": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Upload */
        post: operations["upload_upload_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/usage/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * My Usage
         * @description What you used of your quotas: requests this minute, tokens today, stored megabytes.
         */
        get: operations["my_usage_usage_me_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/chat/completions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Chat Completions */
        post: operations["chat_completions_v1_chat_completions_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/completions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Completions
         * @description OpenAI's legacy text completions: the prompt is the user's message of a chat turn.
         */
        post: operations["completions_v1_completions_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/embeddings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Embeddings */
        post: operations["embeddings_v1_embeddings_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Models
         * @description The backend's models, then one `vega-rag/<collection>` model per collection of the key.
         */
        get: operations["list_models_v1_models_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/models/{model}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Model */
        get: operations["get_model_v1_models__model__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** AccountUsageOut */
        AccountUsageOut: {
            requests_per_minute: components["schemas"]["Allowance"];
            storage_mb: components["schemas"]["Allowance"];
            tokens_today: components["schemas"]["TokensToday"];
        };
        /** Allowance */
        Allowance: {
            /**
             * Limit
             * @description None: no limit.
             */
            limit: number | null;
            /** Used */
            used: number;
        };
        /** AuditOut */
        AuditOut: {
            /** Action */
            action: string;
            /** Actor */
            actor: string | null;
            /** Address */
            address: string | null;
            /** Detail */
            detail: {
                [key: string]: unknown;
            } | null;
            /** Id */
            id: number;
            /** Key Id */
            key_id: number | null;
            /** Outcome */
            outcome: string;
            /** Request Id */
            request_id: string | null;
            /** Target */
            target: string | null;
            /**
             * Time
             * Format: date-time
             */
            time: string;
            /** User Id */
            user_id: number | null;
        };
        /** AuditPage */
        AuditPage: {
            /** Entries */
            entries: components["schemas"]["AuditOut"][];
            /** Total */
            total: number;
        };
        /** AuthConfigOut */
        AuthConfigOut: {
            /**
             * Mode
             * @enum {string}
             */
            mode: "keys" | "accounts";
            /**
             * Oidc
             * @description The OIDC provider's name, when sign-in with it is set.
             */
            oidc: string | null;
        };
        /** BackendState */
        BackendState: {
            /**
             * Breaker
             * @enum {string}
             */
            breaker: "closed" | "half_open" | "open";
            /**
             * Detail
             * @description What the backend says of itself (with a key).
             */
            detail?: string | null;
            /**
             * Model
             * @description VEGA_MODEL (with a key).
             */
            model?: string | null;
            /**
             * Name
             * @description The backend (with a key).
             */
            name?: string | null;
            /**
             * Ok
             * @description The model server answers (false while the breaker is open).
             */
            ok: boolean;
            /**
             * Ready
             * @description False only for an in-process model stuck on a generation.
             */
            ready: boolean;
        };
        /** Body_import_conversations_conversations_import_post */
        Body_import_conversations_conversations_import_post: {
            /**
             * File
             * @description Vega's export (JSON), ChatGPT's (conversations.json or its zip), or Open WebUI's (JSON).
             */
            file: string;
        };
        /** Body_upload_documents_post */
        Body_upload_documents_post: {
            /**
             * Background
             * @description Force (true) or refuse (false) a background job.
             */
            background?: boolean | null;
            /** @default default */
            collection?: components["schemas"]["CollectionName"];
            /**
             * File
             * @description The file; its name is metadata only.
             */
            file: string;
        };
        /** Body_upload_upload_post */
        Body_upload_upload_post: {
            /**
             * Background
             * @description Force (true) or refuse (false) a background job.
             */
            background?: boolean | null;
            /** @default default */
            collection?: components["schemas"]["CollectionName"];
            /**
             * File
             * @description The file; its name is metadata only.
             */
            file: string;
        };
        /** BranchIn */
        BranchIn: {
            /**
             * Message Id
             * @description A message of the branch to show: the active path runs through it, then down its latest continuation.
             */
            message_id: string;
        };
        /** CancelOut */
        CancelOut: {
            /** Conversation Id */
            conversation_id: string;
            /**
             * Stopped Here
             * @description Replies this process was streaming and stopped.
             */
            stopped_here: number;
            /**
             * Told Others
             * @description Other processes were told over Redis (false without VEGA_REDIS_URL, or when Redis does not answer).
             */
            told_others: boolean;
        };
        /**
         * ChatCompletionIn
         * @description ``POST /v1/chat/completions``. Unknown fields are ignored, as OpenAI-compatible
         *     servers do; the ones that would change the answer's shape are refused.
         */
        ChatCompletionIn: {
            /** Functions */
            functions?: unknown[] | null;
            /** Max Completion Tokens */
            max_completion_tokens?: number | null;
            /** Max Tokens */
            max_tokens?: number | null;
            /** Messages */
            messages: components["schemas"]["OpenAIMessageIn"][];
            /** Model */
            model: string;
            /**
             * N
             * @description Vega gives one choice.
             */
            n?: number | null;
            /** Parallel Tool Calls */
            parallel_tool_calls?: boolean | null;
            /** Response Format */
            response_format?: {
                [key: string]: unknown;
            } | null;
            /** Seed */
            seed?: number | null;
            /** Stop */
            stop?: string | string[] | null;
            /**
             * Stream
             * @default false
             */
            stream?: boolean;
            stream_options?: components["schemas"]["StreamOptions"] | null;
            /** Temperature */
            temperature?: number | null;
            /** Tool Choice */
            tool_choice?: string | {
                [key: string]: unknown;
            } | null;
            /** Tools */
            tools?: components["schemas"]["ToolIn"][] | null;
            /** Top P */
            top_p?: number | null;
            /** User */
            user?: string | null;
            /** Vega Mode */
            vega_mode?: ("chat" | "agent") | null;
            /** Vega Tools */
            vega_tools?: string[] | null;
        };
        /** ChatIn */
        ChatIn: {
            collection?: components["schemas"]["CollectionRef"] | null;
            /**
             * Edit
             * @description The id of an earlier user message of `session_id` that `prompt` replaces: a new branch from the message before it; the edited one stays.
             */
            edit?: string | null;
            /** Max Tokens */
            max_tokens?: number | null;
            /**
             * Memory
             * @description Recall from your earlier conversations (default: your setting, else the server's VEGA_MEMORY); `false` for this turn only.
             */
            memory?: boolean | null;
            /**
             * Mode
             * @description `"agent"`: the model may call every enabled tool.
             * @default chat
             * @enum {string}
             */
            mode?: "chat" | "agent";
            /** Model */
            model?: string | null;
            /**
             * Prompt
             * @description The question or instruction (empty with regenerate).
             */
            prompt: string;
            /**
             * Regenerate
             * @description Answer the last prompt of `session_id` again: the new answer is a branch beside the earlier ones, which stay readable.
             * @default false
             */
            regenerate?: boolean;
            /**
             * Session Id
             * @description Continue this conversation (created if new).
             */
            session_id?: string | null;
            /**
             * Stream
             * @description Stream Server-Sent Events instead of one JSON reply.
             * @default false
             */
            stream?: boolean;
            /**
             * System
             * @description Replace the system prompt.
             */
            system?: string | null;
            /** Temperature */
            temperature?: number | null;
            /**
             * Tools
             * @description Server tools the model may call (`GET /tools`); Vega runs them.
             */
            tools?: string[] | null;
            /** Top K */
            top_k?: number | null;
        };
        /**
         * ChatPreferences
         * @description Unset (null) means the server's default.
         */
        ChatPreferences: {
            /**
             * Memory
             * @description Recall from earlier conversations.
             */
            memory?: boolean | null;
            /** Model */
            model?: string | null;
            /** System Prompt */
            system_prompt?: string | null;
            /** Temperature */
            temperature?: number | null;
            /**
             * Tools
             * @description Tools a turn may use.
             */
            tools?: string[] | null;
            /** Top K */
            top_k?: number | null;
        };
        /** @description 1-100 letters (of any script), digits, spaces, `_`, `.`, `:` or `-`, starting with a letter, digit or `_`. */
        CollectionName: string;
        /** CollectionOut */
        CollectionOut: {
            /** Chunks */
            chunks: number;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Dim */
            dim: number;
            /** Documents */
            documents: number;
            /** Embedding Model */
            embedding_model: string;
            /** Name */
            name: string;
            /**
             * Shared By
             * @description Its owner, when another user shared it with you (read-only).
             */
            shared_by?: string | null;
        };
        /** @description A collection of yours (`CollectionName`), or `OWNER/NAME`: one another user shared with you (accounts mode; read-only). */
        CollectionRef: string;
        /**
         * CompletionIn
         * @description ``POST /v1/completions``. Unknown fields (``presence_penalty``, ``logit_bias``, ...)
         *     are ignored, as OpenAI-compatible servers do.
         */
        CompletionIn: {
            /**
             * Best Of
             * @description Vega gives one choice.
             */
            best_of?: number | null;
            /**
             * Echo
             * @description Refused: Vega does not send the prompt back.
             * @default false
             */
            echo?: boolean;
            /**
             * Logprobs
             * @description Refused: Vega has no token logprobs.
             */
            logprobs?: number | null;
            /** Max Tokens */
            max_tokens?: number | null;
            /** Model */
            model: string;
            /**
             * N
             * @description Vega gives one choice.
             */
            n?: number | null;
            /**
             * Prompt
             * @description The prompt: a string, or a list of one string.
             */
            prompt: string | string[];
            /** Seed */
            seed?: number | null;
            /** Stop */
            stop?: string | string[] | null;
            /**
             * Stream
             * @default false
             */
            stream?: boolean;
            stream_options?: components["schemas"]["StreamOptions"] | null;
            /**
             * Suffix
             * @description Refused: Vega does not fill in text.
             */
            suffix?: string | null;
            /** Temperature */
            temperature?: number | null;
            /** Top P */
            top_p?: number | null;
            /** User */
            user?: string | null;
        };
        /** ContentPart */
        ContentPart: {
            /** Text */
            text?: string | null;
            /** Type */
            type: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * ContextWindowOut
         * @description The window a turn's context budget uses (docs/memory.md#the-context-budget).
         */
        ContextWindowOut: {
            /**
             * Source
             * @description `model`: the model server said; `setting`: VEGA_CONTEXT_LENGTHS; `default`: nobody said, so VEGA_DEFAULT_CONTEXT_TOKENS.
             * @enum {string}
             */
            source: "model" | "setting" | "default";
            /**
             * Tokens
             * @description Prompt and reply together.
             */
            tokens: number;
        };
        /** ConversationDetailOut */
        ConversationDetailOut: {
            /**
             * Branches
             * @description The messages of the other branches, oldest first (with `messages`, linked by `parent_id`, the whole tree).
             */
            branches?: components["schemas"]["MessageOut"][];
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Id */
            id: string;
            /** Message Count */
            message_count: number;
            /**
             * Messages
             * @description The active path, oldest first.
             */
            messages: components["schemas"]["MessageOut"][];
            /** Title */
            title: string;
            /**
             * Updated
             * Format: date-time
             */
            updated: string;
        };
        /** ConversationOut */
        ConversationOut: {
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Id */
            id: string;
            /** Message Count */
            message_count: number;
            /** Title */
            title: string;
            /**
             * Updated
             * Format: date-time
             */
            updated: string;
        };
        /** ConversationPatch */
        ConversationPatch: {
            /** Title */
            title: string;
        };
        /** CrawlIn */
        CrawlIn: {
            /** @description Default: `default`. */
            collection?: components["schemas"]["CollectionName"] | null;
            /**
             * Depth
             * @description Default VEGA_CRAWL_MAX_DEPTH.
             */
            depth?: number | null;
            /**
             * Max Pages
             * @description Default VEGA_CRAWL_MAX_PAGES.
             */
            max_pages?: number | null;
            /**
             * Url
             * @description Where the crawl starts.
             */
            url: string;
        };
        /** CrawlOut */
        CrawlOut: {
            /**
             * Job Id
             * @description Follow it at `GET /jobs/{job_id}`; its result is the report.
             */
            job_id: string;
        };
        /** DocumentOut */
        DocumentOut: {
            /** Chunks */
            chunks: number;
            /** Collection */
            collection: string;
            /** Content Type */
            content_type: string;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Error */
            error: string | null;
            /** Id */
            id: string;
            /** Job Id */
            job_id: string | null;
            /** Sha256 */
            sha256: string;
            /** Size */
            size: number;
            /**
             * Source Name
             * @description The client's file name (metadata only).
             */
            source_name: string;
            /**
             * Status
             * @enum {string}
             */
            status: "processing" | "ready" | "failed";
            /** Title */
            title: string;
        };
        /** EmbedderState */
        EmbedderState: {
            /**
             * Backend
             * @description VEGA_EMBEDDING_BACKEND (with a key).
             */
            backend?: string | null;
            /**
             * Loaded
             * @description The embedding model is in memory.
             */
            loaded: boolean;
            /**
             * Name
             * @description VEGA_EMBEDDING_MODEL (with a key).
             */
            name?: string | null;
        };
        /** EmbeddingsIn */
        EmbeddingsIn: {
            /** Dimensions */
            dimensions?: number | null;
            /**
             * Encoding Format
             * @default float
             * @enum {string}
             */
            encoding_format?: "float" | "base64";
            /** Input */
            input: string | string[];
            /** Model */
            model: string;
            /** User */
            user?: string | null;
        };
        /**
         * ErrorCode
         * @enum {string}
         */
        ErrorCode: "bad_input" | "bad_request" | "unauthorized" | "forbidden" | "sign_in_failed" | "csrf_failed" | "not_found" | "model_not_found" | "method_not_allowed" | "request_timeout" | "conflict" | "cancelled" | "embedding_mismatch" | "misdirected_request" | "payload_too_large" | "unsupported_media_type" | "unreadable_document" | "rate_limited" | "quota_exceeded" | "range_not_satisfiable" | "backend_rejected" | "fetch_refused" | "slack_signature_invalid" | "config_error" | "internal_error" | "backend_unavailable" | "backend_busy" | "backend_timeout" | "backend_error" | "embedder_unavailable" | "storage_error" | "database_unavailable" | "database_timeout" | "object_storage_unavailable" | "fetch_failed" | "search_unavailable" | "tool_failed" | "agent_limit" | "error";
        /** ErrorDetail */
        ErrorDetail: {
            /** @description Stable and machine-readable (`ErrorCode` lists them). */
            code: components["schemas"]["ErrorCode"];
            /**
             * Message
             * @description For people: what went wrong and what to do.
             */
            message: string;
            /**
             * Request Id
             * @description Also in the `X-Request-ID` header and the logs.
             */
            request_id: string | null;
        } & {
            [key: string]: unknown;
        };
        /** ErrorOut */
        ErrorOut: {
            error: components["schemas"]["ErrorDetail"];
        };
        /** ExchangeOut */
        ExchangeOut: {
            /** Backend */
            backend: string | null;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Latency Ms */
            latency_ms: number | null;
            /** Message Id */
            message_id: string;
            /** Model */
            model: string | null;
            /** Prompt */
            prompt: string;
            /** Rating */
            rating: number | null;
            /** Response */
            response: string;
            /** Session Id */
            session_id: string;
            /** Source */
            source: string;
            /** Status */
            status: string;
        };
        /** FeedbackIn */
        FeedbackIn: {
            /** Notes */
            notes?: string | null;
            /**
             * Rating
             * @description -1 (bad) to 5; thumbs up is 1.
             */
            rating?: number | null;
            /** Reviewed */
            reviewed?: boolean | null;
            /** Tags */
            tags?: string[] | null;
        };
        /** FunctionCallIn */
        FunctionCallIn: {
            /** Arguments */
            arguments?: string | {
                [key: string]: unknown;
            } | null;
            /** Name */
            name: string;
        } & {
            [key: string]: unknown;
        };
        /** FunctionIn */
        FunctionIn: {
            /** Description */
            description?: string | null;
            /** Name */
            name: string;
            /** Parameters */
            parameters?: {
                [key: string]: unknown;
            } | null;
        } & {
            [key: string]: unknown;
        };
        /** GroupIn */
        GroupIn: {
            /** Name */
            name: string;
        };
        /** GroupOut */
        GroupOut: {
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Id */
            id: number;
            /** Members */
            members: string[];
            /** Name */
            name: string;
        };
        /** Health */
        Health: {
            /**
             * Status
             * @default ok
             * @constant
             */
            status?: "ok";
        };
        /** HitOut */
        HitOut: {
            /** Chunk Id */
            chunk_id: number;
            /** Dense */
            dense?: number | null;
            /** Document Id */
            document_id: string;
            /** End */
            end: number;
            /** Lexical */
            lexical?: number | null;
            /**
             * Location
             * @description Page, archive member or rows, when known.
             */
            location: string | null;
            /** Rank */
            rank: number;
            /**
             * Score
             * @description Fused (hybrid), cosine (dense) or BM25 (lexical) score.
             */
            score: number;
            /** Source Name */
            source_name: string;
            /**
             * Start
             * @description Character span of the passage in the document's text.
             */
            start: number;
            /** Text */
            text: string;
            /** Title */
            title: string;
            /**
             * Url
             * @description The page's address, for a crawled document.
             */
            url?: string | null;
        };
        /** HTTPValidationError */
        HTTPValidationError: {
            /** Detail */
            detail?: components["schemas"]["ValidationError"][];
        };
        /** ImportOut */
        ImportOut: {
            /** Conversations */
            conversations: components["schemas"]["ConversationOut"][];
            /**
             * Format
             * @description Whose export it was: `vega`, `chatgpt` or `openwebui`.
             */
            format: string;
            /**
             * Messages
             * @description Messages imported (the user's and the assistant's, on every branch; each conversation's `message_count` is its active path's).
             */
            messages: number;
        };
        /** JobOut */
        JobOut: {
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Error */
            error: string | null;
            /** Id */
            id: string;
            /** Kind */
            kind: string;
            /**
             * Progress
             * @description 0 to 1.
             */
            progress: number;
            /** Result */
            result: {
                [key: string]: unknown;
            };
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "running" | "done" | "failed";
            /**
             * Updated
             * Format: date-time
             */
            updated: string;
        };
        /** KeyCreatedOut */
        KeyCreatedOut: {
            /** Admin */
            admin: boolean;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Last Used */
            last_used: string | null;
            /** Name */
            name: string;
            /** Prefix */
            prefix: string;
            /** Revoked */
            revoked: string | null;
            /**
             * Secret
             * @description Shown once; store it now.
             */
            secret: string;
        };
        /** KeyIn */
        KeyIn: {
            /**
             * Admin
             * @default false
             */
            admin?: boolean;
            /** Name */
            name: string;
        };
        /** KeyOut */
        KeyOut: {
            /** Admin */
            admin: boolean;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Last Used */
            last_used: string | null;
            /** Name */
            name: string;
            /** Prefix */
            prefix: string;
            /** Revoked */
            revoked: string | null;
        };
        /** LinkIn */
        LinkIn: {
            /** Token */
            token: string;
        };
        /** LinkKeyOut */
        LinkKeyOut: {
            /**
             * Key
             * @description The API key, for the page to keep as if it had been typed.
             */
            key: string;
        };
        /** LinkOut */
        LinkOut: {
            /** Id */
            id: string;
            /**
             * Url
             * @description The page signed-in users open to read it (read-only).
             */
            url: string;
        };
        /** LoginIn */
        LoginIn: {
            /** Password */
            password: string;
            /** Username */
            username: string;
        };
        /** MembersIn */
        MembersIn: {
            /**
             * Users
             * @description Usernames: the whole membership.
             */
            users: string[];
        };
        /** MemoriesOut */
        MemoriesOut: {
            /**
             * Memories
             * @description Best first.
             */
            memories: components["schemas"]["MemoryOut"][];
            /**
             * Pending
             * @description The caller's messages not yet indexed (recall finds them once they are).
             */
            pending: number;
        };
        /** MemoryOut */
        MemoryOut: {
            /**
             * Conversation Id
             * @description The conversation it was said in.
             */
            conversation_id: string;
            /** Conversation Title */
            conversation_title: string;
            /**
             * Created
             * Format: date-time
             * @description When it was said.
             */
            created: string;
            /**
             * Id
             * @description Forget it with `DELETE /memories/{id}`.
             */
            id: string;
            /**
             * Message Ids
             * @description The stored messages it stands for, in order.
             */
            message_ids: string[];
            /**
             * Score
             * @description Its rank score for the query (higher is closer).
             */
            score: number;
            /**
             * Text
             * @description The exchange as stored.
             */
            text: string;
        };
        /** MeOut */
        MeOut: {
            /** Admin */
            admin: boolean;
            /**
             * Csrf Token
             * @description The session's CSRF token (sessions only).
             */
            csrf_token: string | null;
            /**
             * Name
             * @description The key's name, or the user's username.
             */
            name: string;
            /** @description The signed-in user (none for a key of keys mode). */
            user: components["schemas"]["UserOut"] | null;
            /**
             * Via
             * @enum {string}
             */
            via: "key" | "session";
        };
        /** MessageOut */
        MessageOut: {
            /** Backend */
            backend: string | null;
            /** Completion Tokens */
            completion_tokens: number | null;
            /** Content */
            content: string;
            /** Conversation Id */
            conversation_id: string;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Error */
            error: string | null;
            /** Id */
            id: string;
            /** Latency Ms */
            latency_ms: number | null;
            /**
             * Memories
             * @description Earlier exchanges from other conversations an answer was given.
             */
            memories?: components["schemas"]["MemoryOut"][];
            /** Model */
            model: string | null;
            /** Notes */
            notes: string | null;
            /**
             * Parent Id
             * @description The message this one follows in the conversation tree (none: the first).
             */
            parent_id?: string | null;
            /** Prompt Tokens */
            prompt_tokens: number | null;
            /** Rating */
            rating: number | null;
            /** Reviewed */
            reviewed: boolean;
            /** Role */
            role: string;
            /**
             * Siblings
             * @description The versions of this message, oldest first, itself among them: more than one when it was edited or answered again (the UI's '2 / 3').
             */
            siblings?: string[];
            /** Source */
            source: string;
            /**
             * Sources
             * @description The passages an answer was given (cited answers).
             */
            sources?: components["schemas"]["SourceOut"][];
            /** Status */
            status: string;
            /**
             * Steps
             * @description The server tools an agent answer ran, in order.
             */
            steps?: components["schemas"]["ToolStepOut"][];
            /** @description The summary of earlier turns an answer was given in their place. */
            summary?: components["schemas"]["SummaryOut"] | null;
            /** Tags */
            tags: string[];
            /**
             * Tool Call Id
             * @description The call a `tool` message answers.
             */
            tool_call_id?: string | null;
            /**
             * Tool Calls
             * @description An answer's calls of the client's tools: `[{id, name, arguments}]`.
             */
            tool_calls?: {
                [key: string]: unknown;
            }[] | null;
            /** Tool Name */
            tool_name?: string | null;
        };
        /**
         * ModelDetails
         * @description What the backend tells about a model, as it told it; what it does not tell is absent.
         *     Ollama's list carries its details (format, family, sizes) and `digest`, `size`,
         *     `modified_at`; an OpenAI-compatible server `owned_by`, `created` and the context
         *     length; a registered local model its format, family, size and `adapter`.
         */
        ModelDetails: {
            /**
             * Adapter
             * @description A fine-tuned adapter over a base model.
             */
            adapter?: boolean | null;
            /**
             * Context Length
             * @description Tokens, prompt and reply together.
             */
            context_length?: number | null;
            /**
             * Created
             * @description Unix seconds (OpenAI-compatible servers), or when it was registered.
             */
            created?: number | string | null;
            /** Digest */
            digest?: string | null;
            /** Families */
            families?: string[] | null;
            /** Family */
            family?: string | null;
            /** Format */
            format?: string | null;
            /** Modified At */
            modified_at?: string | null;
            /** Owned By */
            owned_by?: string | null;
            /** Parameter Size */
            parameter_size?: string | null;
            /** Parent Model */
            parent_model?: string | null;
            /** Quantization Level */
            quantization_level?: string | null;
            /**
             * Size
             * @description Bytes.
             */
            size?: number | null;
        } & {
            [key: string]: unknown;
        };
        /** ModelOut */
        ModelOut: {
            /** @description The window a turn with this model is fitted to. */
            context_window?: components["schemas"]["ContextWindowOut"] | null;
            details?: components["schemas"]["ModelDetails"];
            /** Name */
            name: string;
        };
        /** ModelsOut */
        ModelsOut: {
            /** Backend */
            backend: string;
            /** @description The default model's window. */
            context?: components["schemas"]["ContextWindowOut"] | null;
            /**
             * Default
             * @description The model used when a request names none.
             */
            default: string;
            /** Models */
            models?: components["schemas"]["ModelOut"][];
            /**
             * Ok
             * @description False while the backend cannot be reached.
             */
            ok: boolean;
        };
        /**
         * OllamaChatIn
         * @description ``POST /api/chat``. No messages: Ollama's "load the model" request.
         */
        OllamaChatIn: {
            /**
             * Keep Alive
             * @description Seconds, or a duration such as `5m`. The model server keeps its models loaded as it sees fit; `0` with nothing to answer is Ollama's unload request.
             */
            keep_alive?: number | string | null;
            /** Messages */
            messages?: components["schemas"]["OllamaMessageIn"][];
            /** Model */
            model: string;
            options?: components["schemas"]["OllamaOptions"] | null;
            /**
             * Stream
             * @default true
             */
            stream?: boolean;
            /** Tools */
            tools?: components["schemas"]["ToolIn"][] | null;
        } & {
            [key: string]: unknown;
        };
        /**
         * OllamaEmbeddingsIn
         * @description ``POST /api/embeddings``, Ollama's older single-text route.
         */
        OllamaEmbeddingsIn: {
            /** Model */
            model: string;
            /** Prompt */
            prompt: string;
        } & {
            [key: string]: unknown;
        };
        /** OllamaEmbedIn */
        OllamaEmbedIn: {
            /** Dimensions */
            dimensions?: number | null;
            /** Input */
            input: string | string[];
            /** Model */
            model: string;
        } & {
            [key: string]: unknown;
        };
        /** OllamaErrorOut */
        OllamaErrorOut: {
            /** Error */
            error: string;
        };
        /**
         * OllamaGenerateIn
         * @description ``POST /api/generate``: one prompt, no history (``context`` is ignored: it holds
         *     Ollama's own token ids). No prompt: Ollama's "load the model" request.
         */
        OllamaGenerateIn: {
            /** Images */
            images?: unknown[] | null;
            /**
             * Keep Alive
             * @description Seconds, or a duration such as `5m`. The model server keeps its models loaded as it sees fit; `0` with nothing to answer is Ollama's unload request.
             */
            keep_alive?: number | string | null;
            /** Model */
            model: string;
            options?: components["schemas"]["OllamaOptions"] | null;
            /**
             * Prompt
             * @default
             */
            prompt?: string;
            /**
             * Stream
             * @default true
             */
            stream?: boolean;
            /** System */
            system?: string | null;
            /** Tools */
            tools?: components["schemas"]["ToolIn"][] | null;
        } & {
            [key: string]: unknown;
        };
        /** OllamaMessageIn */
        OllamaMessageIn: {
            /**
             * Content
             * @default
             */
            content?: string;
            /** Images */
            images?: unknown[] | null;
            /** Name */
            name?: string | null;
            /** Role */
            role: string;
            /** Tool Calls */
            tool_calls?: components["schemas"]["ToolCallIn"][] | null;
            /** Tool Name */
            tool_name?: string | null;
        } & {
            [key: string]: unknown;
        };
        /**
         * OllamaOptions
         * @description The sampling options Vega passes on; Ollama's others (num_ctx, ...) are ignored.
         */
        OllamaOptions: {
            /** Num Predict */
            num_predict?: number | null;
            /** Seed */
            seed?: number | null;
            /** Stop */
            stop?: string[] | null;
            /** Temperature */
            temperature?: number | null;
            /** Top P */
            top_p?: number | null;
        } & {
            [key: string]: unknown;
        };
        /** OllamaShowIn */
        OllamaShowIn: {
            /** Model */
            model?: string | null;
            /** Name */
            name?: string | null;
        } & {
            [key: string]: unknown;
        };
        /** OpenAIErrorDetail */
        OpenAIErrorDetail: {
            /**
             * Code
             * @description Vega's stable code: `bad_input`, `unauthorized`, ...
             */
            code: string;
            /** Message */
            message: string;
            /**
             * Param
             * @description The offending field, when one is.
             */
            param: string | null;
            /**
             * Type
             * @description OpenAI's error type, e.g. `invalid_request_error`.
             */
            type: string;
        };
        /** OpenAIErrorOut */
        OpenAIErrorOut: {
            error: components["schemas"]["OpenAIErrorDetail"];
        };
        /** OpenAIMessageIn */
        OpenAIMessageIn: {
            /** Content */
            content?: string | components["schemas"]["ContentPart"][] | null;
            /** Name */
            name?: string | null;
            /** Role */
            role: string;
            /** Tool Call Id */
            tool_call_id?: string | null;
            /** Tool Calls */
            tool_calls?: components["schemas"]["ToolCallIn"][] | null;
        } & {
            [key: string]: unknown;
        };
        /** OwnKeyCreatedOut */
        OwnKeyCreatedOut: {
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Id */
            id: number;
            /** Last Used */
            last_used: string | null;
            /** Name */
            name: string;
            /** Prefix */
            prefix: string;
            /** Revoked */
            revoked: string | null;
            /**
             * Secret
             * @description Shown once; store it now.
             */
            secret: string;
        };
        /** OwnKeyIn */
        OwnKeyIn: {
            /** Name */
            name: string;
        };
        /** OwnKeyOut */
        OwnKeyOut: {
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Id */
            id: number;
            /** Last Used */
            last_used: string | null;
            /** Name */
            name: string;
            /** Prefix */
            prefix: string;
            /** Revoked */
            revoked: string | null;
        };
        /**
         * PreferencesIn
         * @description Your chat defaults; null (or left out) is the server's default.
         */
        PreferencesIn: {
            /**
             * Memory
             * @description Recall from earlier conversations.
             */
            memory?: boolean | null;
            /** Model */
            model?: string | null;
            /** System Prompt */
            system_prompt?: string | null;
            /** Temperature */
            temperature?: number | null;
            /**
             * Tools
             * @description Tools a turn may use.
             */
            tools?: string[] | null;
            /** Top K */
            top_k?: number | null;
        };
        /** PreferencesOut */
        PreferencesOut: {
            /** @description The server's, for what you leave unset. */
            defaults: components["schemas"]["ChatPreferences"];
            /** @description Yours; null is the server's default. */
            settings: components["schemas"]["ChatPreferences"];
        };
        /**
         * QuotaOverrides
         * @description An admin's limits for one user; null keeps the server's default, 0 is no limit.
         */
        QuotaOverrides: {
            /** Requests Per Minute */
            requests_per_minute?: number | null;
            /** Storage Mb */
            storage_mb?: number | null;
            /** Tokens Per Day */
            tokens_per_day?: number | null;
        };
        /**
         * QuotasIn
         * @description Null keeps the server's default; 0 is no limit.
         */
        QuotasIn: {
            /** Requests Per Minute */
            requests_per_minute?: number | null;
            /** Storage Mb */
            storage_mb?: number | null;
            /** Tokens Per Day */
            tokens_per_day?: number | null;
        };
        /** Readiness */
        Readiness: {
            backend: components["schemas"]["BackendState"];
            /** Database */
            database: boolean;
            embedder: components["schemas"]["EmbedderState"];
            /**
             * Redis
             * @description Redis answers; null when Vega runs without it (one box).
             */
            redis?: boolean | null;
            /**
             * Status
             * @description `degraded`: serving, but Redis (VEGA_REDIS_URL) does not answer, so limits and the cache are per process meanwhile, or the object store (VEGA_STORAGE=s3) does not, so uploads are refused with 503 meanwhile.
             * @enum {string}
             */
            status: "ok" | "degraded" | "unavailable";
            /**
             * Storage
             * @description The object store's bucket answers; null when uploads are local files.
             */
            storage?: boolean | null;
        };
        /** ResearchIn */
        ResearchIn: {
            /** @description Mix in passages of this collection too. */
            collection?: components["schemas"]["CollectionRef"] | null;
            /**
             * Max Sources
             * @description Pages to read (default VEGA_RESEARCH_MAX_SOURCES).
             */
            max_sources?: number | null;
            /** Model */
            model?: string | null;
            /**
             * Query
             * @description The question.
             */
            query: string;
            /** Session Id */
            session_id?: string | null;
            /**
             * Slack
             * @description Also post the answer to Slack (`VEGA_SLACK_WEBHOOK_URL`).
             * @default false
             */
            slack?: boolean;
            /**
             * Stream
             * @description Stream Server-Sent Events as `POST /chat` does.
             * @default false
             */
            stream?: boolean;
        };
        /** SearchIn */
        SearchIn: {
            /** @description Default: `default`. */
            collection?: components["schemas"]["CollectionRef"] | null;
            /**
             * Mode
             * @default hybrid
             * @enum {string}
             */
            mode?: "hybrid" | "dense" | "lexical";
            /**
             * Query
             * @description What to look for.
             */
            query: string;
            /**
             * Top K
             * @description How many passages (VEGA_TOP_K).
             */
            top_k?: number | null;
        };
        /** SearchOut */
        SearchOut: {
            /** Collection */
            collection: string;
            /** Mode */
            mode: string;
            /** Query */
            query: string;
            /** Results */
            results: components["schemas"]["HitOut"][];
        };
        /**
         * ShareIn
         * @description Exactly one of the three.
         */
        ShareIn: {
            /**
             * Everyone
             * @default false
             */
            everyone?: boolean;
            /** Group */
            group?: string | null;
            /** User */
            user?: string | null;
        };
        /** ShareOut */
        ShareOut: {
            /** Collection */
            collection: string;
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Everyone */
            everyone: boolean;
            /** Group */
            group: string | null;
            /** Id */
            id: number;
            /** User */
            user: string | null;
        };
        /** SignedInOut */
        SignedInOut: {
            /**
             * Csrf Token
             * @description Send it as X-CSRF-Token with every request that changes something while signed in by the session cookie.
             */
            csrf_token: string;
            user: components["schemas"]["UserOut"];
        };
        /** SourceOut */
        SourceOut: {
            /** Chunk Id */
            chunk_id: number | null;
            /** Document Id */
            document_id: string | null;
            /** End */
            end: number | null;
            /**
             * Location
             * @description Page, archive member or rows, when known.
             */
            location: string | null;
            /**
             * Rank
             * @description The number the prompt gives the passage: `[2]` is rank 2.
             */
            rank: number;
            /**
             * Score
             * @description The hybrid (reciprocal-rank fusion) score.
             */
            score: number;
            /**
             * Snippet
             * @description The passage's text, as the model was given it.
             */
            snippet: string | null;
            /**
             * Source Name
             * @description The file name the client uploaded it under.
             */
            source_name: string | null;
            /**
             * Start
             * @description Character span of the passage in the document's text.
             */
            start: number | null;
            /**
             * Title
             * @description The document's title (its file name, no extension).
             */
            title: string | null;
            /**
             * Url
             * @description A web page's address: a crawled document's, or a page web tools and research read (null for an uploaded document).
             */
            url: string | null;
        };
        /** StreamOptions */
        StreamOptions: {
            /**
             * Include Usage
             * @default false
             */
            include_usage?: boolean;
        };
        /**
         * SummaryOut
         * @description The summary of a conversation's earlier turns an answer was given in their place.
         */
        SummaryOut: {
            /**
             * First Created
             * Format: date-time
             * @description The first message it covers was said then.
             */
            first_created: string;
            /**
             * Last Created
             * Format: date-time
             */
            last_created: string;
            /**
             * Messages
             * @description How many messages it stands for.
             */
            messages: number;
            /** Text */
            text: string;
        };
        /** TokensToday */
        TokensToday: {
            /**
             * Limit
             * @description None: no limit.
             */
            limit: number | null;
            /**
             * Resets
             * Format: date-time
             */
            resets: string;
            /** Used */
            used: number;
        };
        /** ToolCallIn */
        ToolCallIn: {
            function: components["schemas"]["FunctionCallIn"];
            /** Id */
            id?: string | null;
            /**
             * Type
             * @default function
             */
            type?: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * ToolCallOut
         * @description The model called a server tool; it runs now.
         */
        ToolCallOut: {
            /**
             * Arguments
             * @description The arguments as the model wrote them (JSON text).
             */
            arguments: string;
            /** Id */
            id: string;
            /** Name */
            name: string;
            /**
             * Step
             * @description Which model call asked for it (1, 2, ...).
             */
            step: number;
        };
        /** ToolIn */
        ToolIn: {
            function: components["schemas"]["FunctionIn"];
            /**
             * Type
             * @default function
             * @constant
             */
            type?: "function";
        } & {
            [key: string]: unknown;
        };
        /**
         * ToolOut
         * @description A tool a turn may name in `tools` (or that `mode: "agent"` uses).
         */
        ToolOut: {
            /** Description */
            description: string;
            /** Name */
            name: string;
            /**
             * Network
             * @description Whether it reaches outside this machine.
             */
            network: boolean;
            /** Parameters */
            parameters: {
                [key: string]: unknown;
            };
        };
        /**
         * ToolResultOut
         * @description What the tool gave back, as the model reads it.
         */
        ToolResultOut: {
            /**
             * Id
             * @description The call it answers.
             */
            id: string;
            /** Ms */
            ms: number;
            /** Name */
            name: string;
            /** Result */
            result: string;
            /**
             * Sources
             * @description Citable passages or pages it found, numbered.
             */
            sources?: {
                [key: string]: unknown;
            }[];
            /**
             * Status
             * @description `ok`, `error` (the tool failed) or `refused`.
             */
            status: string;
            /** Step */
            step: number;
        };
        /** ToolStepOut */
        ToolStepOut: {
            /** Arguments */
            arguments: string;
            /** Error */
            error: string | null;
            /** Id */
            id: string;
            /** Ms */
            ms: number;
            /** Name */
            name: string;
            /** Result */
            result: string;
            /** Status */
            status: string;
            /** Step */
            step: number;
        };
        /**
         * TurnOut
         * @description A finished turn, the one rendering of ``TurnDone``: the JSON reply of `POST /chat`,
         *     the SSE `done` event, the WebSocket `response_end` metadata and `vega chat --json`.
         */
        TurnOut: {
            /** Backend */
            backend: string;
            /**
             * Finish Reason
             * @description `stop`, `length`, ... as the model said.
             */
            finish_reason: string | null;
            /** Latency Ms */
            latency_ms: number;
            /**
             * Memories
             * @description Earlier exchanges from the caller's other conversations it was given.
             */
            memories?: components["schemas"]["MemoryOut"][];
            /**
             * Message Id
             * @description The stored reply: use it for feedback.
             */
            message_id: string;
            /**
             * Model
             * @description The model asked (`retrieval-only` with backend `none`).
             */
            model: string;
            /**
             * Response
             * @description The whole reply, as stored.
             */
            response: string;
            /**
             * Session Id
             * @description The conversation (WebSocket: `conversation_id`).
             */
            session_id: string;
            /**
             * Sources
             * @description The passages the model was given.
             */
            sources: components["schemas"]["SourceOut"][];
            /** @description What the model was given in place of this conversation's earlier turns (those its context window did not hold), when it was. */
            summary?: components["schemas"]["SummaryOut"] | null;
            usage: components["schemas"]["UsageOut"];
        };
        /** UploadOut */
        UploadOut: {
            /** Chunks */
            chunks: number;
            /** Collection */
            collection: string;
            /** Document Id */
            document_id: string;
            /**
             * Duplicate
             * @description True when identical content was already there.
             */
            duplicate: boolean;
            /**
             * Excerpt
             * @description The start of the extracted text.
             */
            excerpt?: string | null;
            /**
             * Job Id
             * @description Follow a background ingest at /jobs/{id}.
             */
            job_id?: string | null;
            /**
             * Status
             * @enum {string}
             */
            status: "processing" | "ready" | "failed";
            /** Title */
            title: string;
        };
        /** UsageOut */
        UsageOut: {
            /** Completion Tokens */
            completion_tokens: number;
            /** Prompt Tokens */
            prompt_tokens: number;
            /** Total Tokens */
            total_tokens: number;
        };
        /** UserIn */
        UserIn: {
            /**
             * Admin
             * @default false
             */
            admin?: boolean;
            /**
             * Display Name
             * @default
             */
            display_name?: string;
            /** Email */
            email?: string | null;
            /** Password */
            password?: string | null;
            /** Username */
            username: string;
        };
        /** UserOut */
        UserOut: {
            /**
             * Created
             * Format: date-time
             */
            created: string;
            /** Disabled */
            disabled: boolean;
            /** Display Name */
            display_name: string;
            /** Email */
            email: string | null;
            /**
             * Has Password
             * @description Whether the user can sign in with a password.
             */
            has_password: boolean;
            /** Id */
            id: number;
            /** Last Login */
            last_login: string | null;
            /**
             * Oidc
             * @description Whether the user signs in through the OIDC provider.
             */
            oidc: boolean;
            /**
             * Role
             * @enum {string}
             */
            role: "admin" | "user";
            /** Username */
            username: string;
        };
        /** UserPatch */
        UserPatch: {
            /** Disabled */
            disabled?: boolean | null;
            /** Display Name */
            display_name?: string | null;
            /** Email */
            email?: string | null;
            /** Password */
            password?: string | null;
            quotas?: components["schemas"]["QuotasIn"] | null;
            /** Role */
            role?: ("admin" | "user") | null;
        };
        /** UserUsageOut */
        UserUsageOut: {
            /** @description The admin's overrides for this user. */
            quotas: components["schemas"]["QuotaOverrides"];
            usage: components["schemas"]["AccountUsageOut"];
            user: components["schemas"]["UserOut"];
        };
        /** ValidationError */
        ValidationError: {
            /** Context */
            ctx?: Record<string, never>;
            /** Input */
            input?: unknown;
            /** Location */
            loc: (string | number)[];
            /** Message */
            msg: string;
            /** Error Type */
            type: string;
        };
        /**
         * WsAuth
         * @description The first frame, when the key is not in a header or the query: answered with
         *     `auth_ok`. (A first `message` frame may carry the key the same way.)
         */
        WsAuth: {
            /**
             * Api Key
             * @default null
             */
            api_key?: string | null;
            /**
             * Token
             * @description Another name for `api_key`.
             * @default null
             */
            token?: string | null;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "auth";
        };
        /**
         * WsAuthOk
         * @description The key in the first frame is valid.
         */
        WsAuthOk: {
            /**
             * Key
             * @description The key's name.
             */
            key: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "auth_ok";
        };
        /**
         * WsCancel
         * @description Stop the reply being generated (nothing happens if none is).
         */
        WsCancel: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "cancel";
        };
        /**
         * WsCancelled
         * @description The reply was cancelled by a `cancel`; it is stored with status `cancelled`.
         */
        WsCancelled: {
            /** Conversation Id */
            conversation_id: string | null;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "cancelled";
        };
        /** WsClientFrame */
        WsClientFrame: components["schemas"]["WsAuth"] | components["schemas"]["WsMessage"] | components["schemas"]["WsCancel"] | components["schemas"]["WsPing"];
        /**
         * WsError
         * @description The turn, or the frame, failed; a close follows only where docs/api.md says.
         */
        WsError: {
            /** Conversation Id */
            conversation_id: string | null;
            error: components["schemas"]["ErrorDetail"];
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "error";
        };
        /**
         * WsMemories
         * @description Earlier exchanges recalled for a turn, sent before the first token.
         */
        WsMemories: {
            /** Conversation Id */
            conversation_id: string;
            /** Memories */
            memories: components["schemas"]["MemoryOut"][];
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "memories";
        };
        /**
         * WsMessage
         * @description One chat turn.
         */
        WsMessage: {
            /** @default null */
            collection?: components["schemas"]["CollectionRef"] | null;
            /**
             * Content
             * @default
             */
            content?: string;
            /**
             * Conversation Id
             * @default null
             */
            conversation_id?: string | null;
            /**
             * Edit
             * @description The earlier user message `content` replaces.
             * @default null
             */
            edit?: string | null;
            /**
             * Max Tokens
             * @default null
             */
            max_tokens?: number | null;
            /**
             * Memory
             * @description Recall from your earlier conversations; `false` for this turn only.
             * @default null
             */
            memory?: boolean | null;
            /**
             * Mode
             * @description `"qa"` without `collection` answers from `default`; `"agent"` lets the model call every enabled tool.
             * @default null
             */
            mode?: string | null;
            /**
             * Model
             * @default null
             */
            model?: string | null;
            /**
             * Regenerate
             * @default false
             */
            regenerate?: boolean;
            /**
             * System
             * @default null
             */
            system?: string | null;
            /**
             * Temperature
             * @default null
             */
            temperature?: number | null;
            /**
             * Tools
             * @description Server tools the model may call.
             * @default null
             */
            tools?: string[] | null;
            /**
             * Top K
             * @default null
             */
            top_k?: number | null;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "message";
        };
        /**
         * WsPing
         * @description Answered with `pong`.
         */
        WsPing: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "ping";
        };
        /** WsPong */
        WsPong: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "pong";
        };
        /**
         * WsResponseEnd
         * @description The reply is complete and stored.
         */
        WsResponseEnd: {
            /** Conversation Id */
            conversation_id: string;
            metadata: components["schemas"]["TurnOut"];
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "response_end";
        };
        /** WsServerFrame */
        WsServerFrame: components["schemas"]["WsAuthOk"] | components["schemas"]["WsSources"] | components["schemas"]["WsMemories"] | components["schemas"]["WsToken"] | components["schemas"]["WsToolCall"] | components["schemas"]["WsToolResult"] | components["schemas"]["WsResponseEnd"] | components["schemas"]["WsCancelled"] | components["schemas"]["WsError"] | components["schemas"]["WsPong"];
        /**
         * WsSources
         * @description The passages found for a turn with a collection, sent before the first token.
         */
        WsSources: {
            /** Conversation Id */
            conversation_id: string;
            /** Sources */
            sources: components["schemas"]["SourceOut"][];
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "sources";
        };
        /**
         * WsToken
         * @description A piece of the reply.
         */
        WsToken: {
            /** Conversation Id */
            conversation_id: string;
            /** Token */
            token: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "token";
        };
        /**
         * WsToolCall
         * @description An agent step: the model called a server tool, which runs now.
         */
        WsToolCall: {
            call: components["schemas"]["ToolCallOut"];
            /** Conversation Id */
            conversation_id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "tool_call";
        };
        /**
         * WsToolResult
         * @description An agent step's result.
         */
        WsToolResult: {
            /** Conversation Id */
            conversation_id: string;
            result: components["schemas"]["ToolResultOut"];
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "tool_result";
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    audit_trail_admin_audit_get: {
        parameters: {
            query?: {
                /** @description A prefix: auth. */
                action?: string | null;
                limit?: number;
                offset?: number;
                /** @description ok or refused */
                outcome?: string | null;
                /** @description ISO 8601 */
                since?: string | null;
                target?: string | null;
                /** @description ISO 8601 */
                until?: string | null;
                user_id?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_groups_admin_groups_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    create_group_admin_groups_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["GroupIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description It conflicts with what exists (a name already taken). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    delete_group_admin_groups__group_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    set_group_members_admin_groups__group_id__members_put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                group_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["MembersIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GroupOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_keys_admin_keys_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    create_key_admin_keys_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KeyIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyCreatedOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description It conflicts with what exists (a name already taken). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    revoke_key_admin_keys__name__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    everyones_usage_admin_usage_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserUsageOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_users_admin_users_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    create_user_admin_users_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description It conflicts with what exists (a name already taken). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    change_user_admin_users__user_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user_id: number;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UserPatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UserOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description It conflicts with what exists (a name already taken). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    blobs_api_blobs__digest__post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                digest: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    ollama_chat_api_chat_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Store the turn in this conversation (created if new), as `session_id` does on POST /chat. */
                "X-Vega-Session"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OllamaChatIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description NDJSON objects (`done: false` per piece, then `done: true`), or with stream=false (or nothing to answer: Ollama's load request) one JSON object. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "application/x-ndjson": unknown;
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    copy_api_copy_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    create_api_create_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    delete_api_delete_delete: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    embed_api_embed_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OllamaEmbedIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    embeddings_api_embeddings_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OllamaEmbeddingsIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    generate_api_generate_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Store the turn in this conversation (created if new), as `session_id` does on POST /chat. */
                "X-Vega-Session"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OllamaGenerateIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description NDJSON objects (`done: false` per piece, then `done: true`), or with stream=false (or nothing to answer: Ollama's load request) one JSON object. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "application/x-ndjson": unknown;
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    running_api_ps_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    pull_api_pull_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    push_api_push_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    show_api_show_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OllamaShowIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    tags_api_tags_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    version_api_version_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OllamaErrorOut"];
                };
            };
        };
    };
    auth_config_auth_config_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuthConfigOut"];
                };
            };
        };
    };
    redeem_link_auth_link_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LinkIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LinkKeyOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    login_auth_login_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignedInOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    logout_auth_logout_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    me_auth_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MeOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    oidc_callback_auth_oidc_callback_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            303: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    oidc_login_auth_oidc_login_get: {
        parameters: {
            query?: {
                next?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            302: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    chat_chat_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatIn"];
            };
        };
        responses: {
            /** @description JSON reply, or with stream=true a text/event-stream of `token`, `sources`, `tool_call`, `tool_result`, `done` and `error` events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TurnOut"];
                    "text/event-stream": unknown;
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    chat_sse_chat_sse_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatIn"];
            };
        };
        responses: {
            /** @description JSON reply, or with stream=true a text/event-stream of `token`, `sources`, `tool_call`, `tool_result`, `done` and `error` events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": unknown;
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_collections_collections_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CollectionOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_shares_collections__name__shares_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    share_collection_collections__name__shares_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ShareIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShareOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    unshare_collection_collections__name__shares__share_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                name: string;
                share_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_conversations_conversations_get: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Title contains (any case). */
                q?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_conversation_conversations__conversation_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationDetailOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    delete_conversation_conversations__conversation_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    rename_conversation_conversations__conversation_id__patch: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConversationPatch"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    show_branch_conversations__conversation_id__branch_put: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BranchIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationDetailOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    cancel_replies_conversations__conversation_id__cancel_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CancelOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    export_conversation_conversations__conversation_id__export_get: {
        parameters: {
            query?: {
                format?: "json" | "markdown";
            };
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/markdown": unknown;
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    restore_conversation_conversations__conversation_id__restore_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    share_conversation_conversations__conversation_id__share_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LinkOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    unshare_conversation_conversations__conversation_id__share_delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                conversation_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    import_conversations_conversations_import_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["Body_import_conversations_conversations_import_post"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImportOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_documents_documents_get: {
        parameters: {
            query?: {
                collection?: components["schemas"]["CollectionName"] | null;
                limit?: number;
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    upload_documents_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["Body_upload_documents_post"];
            };
        };
        responses: {
            /** @description Identical content was already in the collection: that document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadOut"];
                };
            };
            /** @description A large file: ingesting in the background; follow `job_id`. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Larger than VEGA_MAX_UPLOAD_MB. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description A file type Vega cannot read. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Empty, text-less or unreadable (the reason is in the message). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_document_documents__document_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DocumentOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    delete_document_documents__document_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                document_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_original_documents__document_id__original_get: {
        parameters: {
            query?: never;
            header?: {
                Range?: string | null;
            };
            path: {
                document_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The original. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": unknown;
                };
            };
            /** @description The bytes a `Range: bytes=FIRST-LAST` header asked for. */
            206: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description A range outside the file. */
            416: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    crawl_documents_crawl_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CrawlIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CrawlOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    healthz_healthz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    history_history_get: {
        parameters: {
            query?: {
                limit?: number;
                session_id?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ExchangeOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_jobs_jobs_get: {
        parameters: {
            query?: {
                kind?: string | null;
                limit?: number;
                status?: ("queued" | "running" | "done" | "failed") | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    get_job_jobs__job_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_own_keys_keys_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OwnKeyOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    create_own_key_keys_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OwnKeyIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OwnKeyCreatedOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description It conflicts with what exists (a name already taken). */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    revoke_own_key_keys__key_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OwnKeyOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    search_memories_memories_get: {
        parameters: {
            query: {
                /** @description What to recall. */
                q: string;
                top_k?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemoriesOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    forget_memory_memories__memory_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                memory_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    feedback_messages__message_id__feedback_post: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                message_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["FeedbackIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_models_models_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelsOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    readyz_readyz_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Readiness"];
                };
            };
        };
    };
    research_research_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ResearchIn"];
            };
        };
        responses: {
            /** @description JSON reply, or with stream=true a text/event-stream of `token`, `sources`, `tool_call`, `tool_result`, `done` and `error` events. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TurnOut"];
                    "text/event-stream": unknown;
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    search_search_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SearchIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    my_settings_settings_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreferencesOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    put_my_settings_settings_me_put: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PreferencesIn"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PreferencesOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    shared_conversation_shared__share_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                share_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationDetailOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    shared_conversation_events_shared__share_id__events_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                share_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/event-stream": unknown;
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    slack_command_slack_command_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: string;
                    };
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No such thing, or it belongs to another key. */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    list_tools_tools_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ToolOut"][];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    upload_upload_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["Body_upload_upload_post"];
            };
        };
        responses: {
            /** @description Identical content was already in the collection: that document. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadOut"];
                };
            };
            /** @description A large file: ingesting in the background; follow `job_id`. */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Larger than VEGA_MAX_UPLOAD_MB. */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description A file type Vega cannot read. */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Empty, text-less or unreadable (the reason is in the message). */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    my_usage_usage_me_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountUsageOut"];
                };
            };
            /** @description A malformed request (a body that is not UTF-8, a bad Content-Length), or one the model server refused (unknown model, bad parameters). */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description No API key, or not a valid one (`X-API-Key: K` or `Authorization: Bearer K`). */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The key may not do this (admin keys manage keys). */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request body stopped arriving partway; send it again. */
            408: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The body is too large (VEGA_MAX_PROMPT_CHARS, VEGA_MAX_UPLOAD_MB). */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The request is not valid: `message` says why, `problems` lists each field. */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description Rate limited (VEGA_RATE_LIMIT): retry after `Retry-After` seconds. */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorOut"];
                };
            };
        };
    };
    chat_completions_v1_chat_completions_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Store the turn in this conversation (created if new), as `session_id` does on POST /chat. */
                "X-Vega-Session"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChatCompletionIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description A `chat.completion`, or with stream=true `chat.completion.chunk` Server-Sent Events ending with `data: [DONE]`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/event-stream": unknown;
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
        };
    };
    completions_v1_completions_post: {
        parameters: {
            query?: never;
            header?: {
                /** @description Store the turn in this conversation (created if new), as `session_id` does on POST /chat. */
                "X-Vega-Session"?: string | null;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CompletionIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description A `text_completion`, or with stream=true `text_completion` Server-Sent Events ending with `data: [DONE]`. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                    "text/event-stream": unknown;
                };
            };
            /** @description The model server answered with an error or a malformed stream. */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description The model server timed out. */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
        };
    };
    embeddings_v1_embeddings_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EmbeddingsIn"];
            };
        };
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
        };
    };
    list_models_v1_models_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
        };
    };
    get_model_v1_models__model__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                model: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Refused (400 invalid, 401 key, 403 not allowed, 404 unknown model, 408 stalled body, 413 too large, 429 rate limited), in this protocol's error shape. */
            "4XX": {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": unknown;
                };
            };
            /** @description The model server, the embedder or the database is unavailable. */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OpenAIErrorOut"];
                };
            };
        };
    };
}

// --- values for run-time checks (src/api/validate.ts) ---------------------------

/** The `pattern` of each named string schema (ECMAScript syntax: compile with the `u` flag). */
export const schemaPatterns = {
  "CollectionName": "^[\\p{L}\\p{N}_][\\p{L}\\p{N}_ .:-]{0,99}$",
  "CollectionRef": "^([a-z0-9][a-z0-9._@-]{0,63}/)?[\\p{L}\\p{N}_][\\p{L}\\p{N}_ .:-]{0,99}$"
} as const;

/** The named schemas the native API answers with, reduced to what a check reads. */
export const componentSchemas: Record<string, unknown> = {
  "AccountUsageOut": {
    "properties": {
      "requests_per_minute": {
        "$ref": "#/components/schemas/Allowance"
      },
      "storage_mb": {
        "$ref": "#/components/schemas/Allowance"
      },
      "tokens_today": {
        "$ref": "#/components/schemas/TokensToday"
      }
    },
    "required": [
      "requests_per_minute",
      "tokens_today",
      "storage_mb"
    ],
    "type": "object"
  },
  "Allowance": {
    "properties": {
      "limit": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "used": {
        "type": "number"
      }
    },
    "required": [
      "limit",
      "used"
    ],
    "type": "object"
  },
  "AuditOut": {
    "properties": {
      "action": {
        "type": "string"
      },
      "actor": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "address": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "detail": {
        "anyOf": [
          {
            "additionalProperties": true,
            "type": "object"
          },
          {
            "type": "null"
          }
        ]
      },
      "id": {
        "type": "integer"
      },
      "key_id": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "outcome": {
        "type": "string"
      },
      "request_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "target": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "time": {
        "type": "string"
      },
      "user_id": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "id",
      "time",
      "action",
      "target",
      "outcome",
      "actor",
      "user_id",
      "key_id",
      "address",
      "request_id",
      "detail"
    ],
    "type": "object"
  },
  "AuditPage": {
    "properties": {
      "entries": {
        "items": {
          "$ref": "#/components/schemas/AuditOut"
        },
        "type": "array"
      },
      "total": {
        "type": "integer"
      }
    },
    "required": [
      "total",
      "entries"
    ],
    "type": "object"
  },
  "AuthConfigOut": {
    "properties": {
      "mode": {
        "enum": [
          "keys",
          "accounts"
        ],
        "type": "string"
      },
      "oidc": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "mode",
      "oidc"
    ],
    "type": "object"
  },
  "BackendState": {
    "properties": {
      "breaker": {
        "enum": [
          "closed",
          "half_open",
          "open"
        ],
        "type": "string"
      },
      "detail": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "name": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "ok": {
        "type": "boolean"
      },
      "ready": {
        "type": "boolean"
      }
    },
    "required": [
      "ok",
      "ready",
      "breaker"
    ],
    "type": "object"
  },
  "Body_import_conversations_conversations_import_post": {
    "properties": {
      "file": {
        "type": "string"
      }
    },
    "required": [
      "file"
    ],
    "type": "object"
  },
  "Body_upload_documents_post": {
    "properties": {
      "background": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "collection": {
        "$ref": "#/components/schemas/CollectionName"
      },
      "file": {
        "type": "string"
      }
    },
    "required": [
      "file"
    ],
    "type": "object"
  },
  "Body_upload_upload_post": {
    "properties": {
      "background": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "collection": {
        "$ref": "#/components/schemas/CollectionName"
      },
      "file": {
        "type": "string"
      }
    },
    "required": [
      "file"
    ],
    "type": "object"
  },
  "BranchIn": {
    "additionalProperties": false,
    "properties": {
      "message_id": {
        "type": "string"
      }
    },
    "required": [
      "message_id"
    ],
    "type": "object"
  },
  "CancelOut": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "stopped_here": {
        "type": "integer"
      },
      "told_others": {
        "type": "boolean"
      }
    },
    "required": [
      "conversation_id",
      "stopped_here",
      "told_others"
    ],
    "type": "object"
  },
  "ChatIn": {
    "properties": {
      "collection": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/CollectionRef"
          },
          {
            "type": "null"
          }
        ]
      },
      "edit": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "max_tokens": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "memory": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "mode": {
        "enum": [
          "chat",
          "agent"
        ],
        "type": "string"
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "prompt": {
        "type": "string"
      },
      "regenerate": {
        "type": "boolean"
      },
      "session_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "stream": {
        "type": "boolean"
      },
      "system": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "temperature": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "tools": {
        "anyOf": [
          {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      },
      "top_k": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "prompt"
    ],
    "type": "object"
  },
  "ChatPreferences": {
    "additionalProperties": false,
    "properties": {
      "memory": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "system_prompt": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "temperature": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "tools": {
        "anyOf": [
          {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      },
      "top_k": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "CollectionName": {
    "type": "string"
  },
  "CollectionOut": {
    "properties": {
      "chunks": {
        "type": "integer"
      },
      "created": {
        "type": "string"
      },
      "dim": {
        "type": "integer"
      },
      "documents": {
        "type": "integer"
      },
      "embedding_model": {
        "type": "string"
      },
      "name": {
        "type": "string"
      },
      "shared_by": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "name",
      "embedding_model",
      "dim",
      "documents",
      "chunks",
      "created"
    ],
    "type": "object"
  },
  "CollectionRef": {
    "type": "string"
  },
  "ContextWindowOut": {
    "properties": {
      "source": {
        "enum": [
          "model",
          "setting",
          "default"
        ],
        "type": "string"
      },
      "tokens": {
        "type": "integer"
      }
    },
    "required": [
      "tokens",
      "source"
    ],
    "type": "object"
  },
  "ConversationDetailOut": {
    "properties": {
      "branches": {
        "items": {
          "$ref": "#/components/schemas/MessageOut"
        },
        "type": "array"
      },
      "created": {
        "type": "string"
      },
      "id": {
        "type": "string"
      },
      "message_count": {
        "type": "integer"
      },
      "messages": {
        "items": {
          "$ref": "#/components/schemas/MessageOut"
        },
        "type": "array"
      },
      "title": {
        "type": "string"
      },
      "updated": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "title",
      "created",
      "updated",
      "message_count",
      "messages"
    ],
    "type": "object"
  },
  "ConversationOut": {
    "properties": {
      "created": {
        "type": "string"
      },
      "id": {
        "type": "string"
      },
      "message_count": {
        "type": "integer"
      },
      "title": {
        "type": "string"
      },
      "updated": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "title",
      "created",
      "updated",
      "message_count"
    ],
    "type": "object"
  },
  "ConversationPatch": {
    "properties": {
      "title": {
        "type": "string"
      }
    },
    "required": [
      "title"
    ],
    "type": "object"
  },
  "CrawlIn": {
    "additionalProperties": false,
    "properties": {
      "collection": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/CollectionName"
          },
          {
            "type": "null"
          }
        ]
      },
      "depth": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "max_pages": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "url": {
        "type": "string"
      }
    },
    "required": [
      "url"
    ],
    "type": "object"
  },
  "CrawlOut": {
    "properties": {
      "job_id": {
        "type": "string"
      }
    },
    "required": [
      "job_id"
    ],
    "type": "object"
  },
  "DocumentOut": {
    "properties": {
      "chunks": {
        "type": "integer"
      },
      "collection": {
        "type": "string"
      },
      "content_type": {
        "type": "string"
      },
      "created": {
        "type": "string"
      },
      "error": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "id": {
        "type": "string"
      },
      "job_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "sha256": {
        "type": "string"
      },
      "size": {
        "type": "integer"
      },
      "source_name": {
        "type": "string"
      },
      "status": {
        "enum": [
          "processing",
          "ready",
          "failed"
        ],
        "type": "string"
      },
      "title": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "collection",
      "title",
      "source_name",
      "content_type",
      "size",
      "sha256",
      "status",
      "error",
      "chunks",
      "job_id",
      "created"
    ],
    "type": "object"
  },
  "EmbedderState": {
    "properties": {
      "backend": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "loaded": {
        "type": "boolean"
      },
      "name": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "loaded"
    ],
    "type": "object"
  },
  "ErrorCode": {
    "enum": [
      "bad_input",
      "bad_request",
      "unauthorized",
      "forbidden",
      "sign_in_failed",
      "csrf_failed",
      "not_found",
      "model_not_found",
      "method_not_allowed",
      "request_timeout",
      "conflict",
      "cancelled",
      "embedding_mismatch",
      "misdirected_request",
      "payload_too_large",
      "unsupported_media_type",
      "unreadable_document",
      "rate_limited",
      "quota_exceeded",
      "range_not_satisfiable",
      "backend_rejected",
      "fetch_refused",
      "slack_signature_invalid",
      "config_error",
      "internal_error",
      "backend_unavailable",
      "backend_busy",
      "backend_timeout",
      "backend_error",
      "embedder_unavailable",
      "storage_error",
      "database_unavailable",
      "database_timeout",
      "object_storage_unavailable",
      "fetch_failed",
      "search_unavailable",
      "tool_failed",
      "agent_limit",
      "error"
    ],
    "type": "string"
  },
  "ErrorDetail": {
    "additionalProperties": true,
    "properties": {
      "code": {
        "$ref": "#/components/schemas/ErrorCode"
      },
      "message": {
        "type": "string"
      },
      "request_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "code",
      "message",
      "request_id"
    ],
    "type": "object"
  },
  "ErrorOut": {
    "properties": {
      "error": {
        "$ref": "#/components/schemas/ErrorDetail"
      }
    },
    "required": [
      "error"
    ],
    "type": "object"
  },
  "ExchangeOut": {
    "properties": {
      "backend": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "created": {
        "type": "string"
      },
      "latency_ms": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "message_id": {
        "type": "string"
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "prompt": {
        "type": "string"
      },
      "rating": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "response": {
        "type": "string"
      },
      "session_id": {
        "type": "string"
      },
      "source": {
        "type": "string"
      },
      "status": {
        "type": "string"
      }
    },
    "required": [
      "message_id",
      "session_id",
      "prompt",
      "response",
      "model",
      "backend",
      "status",
      "source",
      "latency_ms",
      "created",
      "rating"
    ],
    "type": "object"
  },
  "FeedbackIn": {
    "additionalProperties": false,
    "properties": {
      "notes": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "rating": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "reviewed": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "tags": {
        "anyOf": [
          {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "GroupIn": {
    "properties": {
      "name": {
        "type": "string"
      }
    },
    "required": [
      "name"
    ],
    "type": "object"
  },
  "GroupOut": {
    "properties": {
      "created": {
        "type": "string"
      },
      "id": {
        "type": "integer"
      },
      "members": {
        "items": {
          "type": "string"
        },
        "type": "array"
      },
      "name": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "name",
      "members",
      "created"
    ],
    "type": "object"
  },
  "HTTPValidationError": {
    "properties": {
      "detail": {
        "items": {
          "$ref": "#/components/schemas/ValidationError"
        },
        "type": "array"
      }
    },
    "type": "object"
  },
  "Health": {
    "properties": {
      "status": {
        "const": "ok",
        "type": "string"
      }
    },
    "type": "object"
  },
  "HitOut": {
    "properties": {
      "chunk_id": {
        "type": "integer"
      },
      "dense": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "document_id": {
        "type": "string"
      },
      "end": {
        "type": "integer"
      },
      "lexical": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "location": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "rank": {
        "type": "integer"
      },
      "score": {
        "type": "number"
      },
      "source_name": {
        "type": "string"
      },
      "start": {
        "type": "integer"
      },
      "text": {
        "type": "string"
      },
      "title": {
        "type": "string"
      },
      "url": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "rank",
      "score",
      "chunk_id",
      "document_id",
      "title",
      "source_name",
      "location",
      "start",
      "end",
      "text"
    ],
    "type": "object"
  },
  "ImportOut": {
    "properties": {
      "conversations": {
        "items": {
          "$ref": "#/components/schemas/ConversationOut"
        },
        "type": "array"
      },
      "format": {
        "type": "string"
      },
      "messages": {
        "type": "integer"
      }
    },
    "required": [
      "format",
      "messages",
      "conversations"
    ],
    "type": "object"
  },
  "JobOut": {
    "properties": {
      "created": {
        "type": "string"
      },
      "error": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "id": {
        "type": "string"
      },
      "kind": {
        "type": "string"
      },
      "progress": {
        "type": "number"
      },
      "result": {
        "additionalProperties": true,
        "type": "object"
      },
      "status": {
        "enum": [
          "queued",
          "running",
          "done",
          "failed"
        ],
        "type": "string"
      },
      "updated": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "kind",
      "status",
      "progress",
      "result",
      "error",
      "created",
      "updated"
    ],
    "type": "object"
  },
  "KeyCreatedOut": {
    "properties": {
      "admin": {
        "type": "boolean"
      },
      "created": {
        "type": "string"
      },
      "last_used": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "name": {
        "type": "string"
      },
      "prefix": {
        "type": "string"
      },
      "revoked": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "secret": {
        "type": "string"
      }
    },
    "required": [
      "name",
      "prefix",
      "admin",
      "created",
      "revoked",
      "last_used",
      "secret"
    ],
    "type": "object"
  },
  "KeyIn": {
    "properties": {
      "admin": {
        "type": "boolean"
      },
      "name": {
        "type": "string"
      }
    },
    "required": [
      "name"
    ],
    "type": "object"
  },
  "KeyOut": {
    "properties": {
      "admin": {
        "type": "boolean"
      },
      "created": {
        "type": "string"
      },
      "last_used": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "name": {
        "type": "string"
      },
      "prefix": {
        "type": "string"
      },
      "revoked": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "name",
      "prefix",
      "admin",
      "created",
      "revoked",
      "last_used"
    ],
    "type": "object"
  },
  "LinkIn": {
    "properties": {
      "token": {
        "type": "string"
      }
    },
    "required": [
      "token"
    ],
    "type": "object"
  },
  "LinkKeyOut": {
    "properties": {
      "key": {
        "type": "string"
      }
    },
    "required": [
      "key"
    ],
    "type": "object"
  },
  "LinkOut": {
    "properties": {
      "id": {
        "type": "string"
      },
      "url": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "url"
    ],
    "type": "object"
  },
  "LoginIn": {
    "properties": {
      "password": {
        "type": "string"
      },
      "username": {
        "type": "string"
      }
    },
    "required": [
      "username",
      "password"
    ],
    "type": "object"
  },
  "MeOut": {
    "properties": {
      "admin": {
        "type": "boolean"
      },
      "csrf_token": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "name": {
        "type": "string"
      },
      "user": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/UserOut"
          },
          {
            "type": "null"
          }
        ]
      },
      "via": {
        "enum": [
          "key",
          "session"
        ],
        "type": "string"
      }
    },
    "required": [
      "via",
      "name",
      "admin",
      "user",
      "csrf_token"
    ],
    "type": "object"
  },
  "MembersIn": {
    "properties": {
      "users": {
        "items": {
          "type": "string"
        },
        "type": "array"
      }
    },
    "required": [
      "users"
    ],
    "type": "object"
  },
  "MemoriesOut": {
    "properties": {
      "memories": {
        "items": {
          "$ref": "#/components/schemas/MemoryOut"
        },
        "type": "array"
      },
      "pending": {
        "type": "integer"
      }
    },
    "required": [
      "memories",
      "pending"
    ],
    "type": "object"
  },
  "MemoryOut": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "conversation_title": {
        "type": "string"
      },
      "created": {
        "type": "string"
      },
      "id": {
        "type": "string"
      },
      "message_ids": {
        "items": {
          "type": "string"
        },
        "type": "array"
      },
      "score": {
        "type": "number"
      },
      "text": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "conversation_id",
      "conversation_title",
      "message_ids",
      "text",
      "created",
      "score"
    ],
    "type": "object"
  },
  "MessageOut": {
    "properties": {
      "backend": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "completion_tokens": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "content": {
        "type": "string"
      },
      "conversation_id": {
        "type": "string"
      },
      "created": {
        "type": "string"
      },
      "error": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "id": {
        "type": "string"
      },
      "latency_ms": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "memories": {
        "items": {
          "$ref": "#/components/schemas/MemoryOut"
        },
        "type": "array"
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "notes": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "parent_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "prompt_tokens": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "rating": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "reviewed": {
        "type": "boolean"
      },
      "role": {
        "type": "string"
      },
      "siblings": {
        "items": {
          "type": "string"
        },
        "type": "array"
      },
      "source": {
        "type": "string"
      },
      "sources": {
        "items": {
          "$ref": "#/components/schemas/SourceOut"
        },
        "type": "array"
      },
      "status": {
        "type": "string"
      },
      "steps": {
        "items": {
          "$ref": "#/components/schemas/ToolStepOut"
        },
        "type": "array"
      },
      "summary": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/SummaryOut"
          },
          {
            "type": "null"
          }
        ]
      },
      "tags": {
        "items": {
          "type": "string"
        },
        "type": "array"
      },
      "tool_call_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "tool_calls": {
        "anyOf": [
          {
            "items": {
              "additionalProperties": true,
              "type": "object"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      },
      "tool_name": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "id",
      "conversation_id",
      "role",
      "content",
      "created",
      "model",
      "backend",
      "status",
      "error",
      "latency_ms",
      "prompt_tokens",
      "completion_tokens",
      "source",
      "rating",
      "tags",
      "notes",
      "reviewed"
    ],
    "type": "object"
  },
  "ModelDetails": {
    "additionalProperties": true,
    "properties": {
      "adapter": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "context_length": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "created": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "digest": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "families": {
        "anyOf": [
          {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      },
      "family": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "format": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "modified_at": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "owned_by": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "parameter_size": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "parent_model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "quantization_level": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "size": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "ModelOut": {
    "properties": {
      "context_window": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/ContextWindowOut"
          },
          {
            "type": "null"
          }
        ]
      },
      "details": {
        "$ref": "#/components/schemas/ModelDetails"
      },
      "name": {
        "type": "string"
      }
    },
    "required": [
      "name"
    ],
    "type": "object"
  },
  "ModelsOut": {
    "properties": {
      "backend": {
        "type": "string"
      },
      "context": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/ContextWindowOut"
          },
          {
            "type": "null"
          }
        ]
      },
      "default": {
        "type": "string"
      },
      "models": {
        "items": {
          "$ref": "#/components/schemas/ModelOut"
        },
        "type": "array"
      },
      "ok": {
        "type": "boolean"
      }
    },
    "required": [
      "backend",
      "default",
      "ok"
    ],
    "type": "object"
  },
  "OwnKeyCreatedOut": {
    "properties": {
      "created": {
        "type": "string"
      },
      "id": {
        "type": "integer"
      },
      "last_used": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "name": {
        "type": "string"
      },
      "prefix": {
        "type": "string"
      },
      "revoked": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "secret": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "name",
      "prefix",
      "created",
      "revoked",
      "last_used",
      "secret"
    ],
    "type": "object"
  },
  "OwnKeyIn": {
    "properties": {
      "name": {
        "type": "string"
      }
    },
    "required": [
      "name"
    ],
    "type": "object"
  },
  "OwnKeyOut": {
    "properties": {
      "created": {
        "type": "string"
      },
      "id": {
        "type": "integer"
      },
      "last_used": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "name": {
        "type": "string"
      },
      "prefix": {
        "type": "string"
      },
      "revoked": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "id",
      "name",
      "prefix",
      "created",
      "revoked",
      "last_used"
    ],
    "type": "object"
  },
  "PreferencesIn": {
    "additionalProperties": false,
    "properties": {
      "memory": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "system_prompt": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "temperature": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "tools": {
        "anyOf": [
          {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      },
      "top_k": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "PreferencesOut": {
    "properties": {
      "defaults": {
        "$ref": "#/components/schemas/ChatPreferences"
      },
      "settings": {
        "$ref": "#/components/schemas/ChatPreferences"
      }
    },
    "required": [
      "settings",
      "defaults"
    ],
    "type": "object"
  },
  "QuotaOverrides": {
    "additionalProperties": false,
    "properties": {
      "requests_per_minute": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "storage_mb": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "tokens_per_day": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "QuotasIn": {
    "additionalProperties": false,
    "properties": {
      "requests_per_minute": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "storage_mb": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "tokens_per_day": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "Readiness": {
    "properties": {
      "backend": {
        "$ref": "#/components/schemas/BackendState"
      },
      "database": {
        "type": "boolean"
      },
      "embedder": {
        "$ref": "#/components/schemas/EmbedderState"
      },
      "redis": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "status": {
        "enum": [
          "ok",
          "degraded",
          "unavailable"
        ],
        "type": "string"
      },
      "storage": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "status",
      "database",
      "backend",
      "embedder"
    ],
    "type": "object"
  },
  "ResearchIn": {
    "properties": {
      "collection": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/CollectionRef"
          },
          {
            "type": "null"
          }
        ]
      },
      "max_sources": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "query": {
        "type": "string"
      },
      "session_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "slack": {
        "type": "boolean"
      },
      "stream": {
        "type": "boolean"
      }
    },
    "required": [
      "query"
    ],
    "type": "object"
  },
  "SearchIn": {
    "additionalProperties": false,
    "properties": {
      "collection": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/CollectionRef"
          },
          {
            "type": "null"
          }
        ]
      },
      "mode": {
        "enum": [
          "hybrid",
          "dense",
          "lexical"
        ],
        "type": "string"
      },
      "query": {
        "type": "string"
      },
      "top_k": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "query"
    ],
    "type": "object"
  },
  "SearchOut": {
    "properties": {
      "collection": {
        "type": "string"
      },
      "mode": {
        "type": "string"
      },
      "query": {
        "type": "string"
      },
      "results": {
        "items": {
          "$ref": "#/components/schemas/HitOut"
        },
        "type": "array"
      }
    },
    "required": [
      "query",
      "collection",
      "mode",
      "results"
    ],
    "type": "object"
  },
  "ShareIn": {
    "properties": {
      "everyone": {
        "type": "boolean"
      },
      "group": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "user": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "ShareOut": {
    "properties": {
      "collection": {
        "type": "string"
      },
      "created": {
        "type": "string"
      },
      "everyone": {
        "type": "boolean"
      },
      "group": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "id": {
        "type": "integer"
      },
      "user": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "id",
      "collection",
      "user",
      "group",
      "everyone",
      "created"
    ],
    "type": "object"
  },
  "SignedInOut": {
    "properties": {
      "csrf_token": {
        "type": "string"
      },
      "user": {
        "$ref": "#/components/schemas/UserOut"
      }
    },
    "required": [
      "user",
      "csrf_token"
    ],
    "type": "object"
  },
  "SourceOut": {
    "properties": {
      "chunk_id": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "document_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "end": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "location": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "rank": {
        "type": "integer"
      },
      "score": {
        "type": "number"
      },
      "snippet": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "source_name": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "start": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "title": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "url": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "required": [
      "rank",
      "document_id",
      "chunk_id",
      "title",
      "source_name",
      "location",
      "start",
      "end",
      "score",
      "snippet",
      "url"
    ],
    "type": "object"
  },
  "SummaryOut": {
    "properties": {
      "first_created": {
        "type": "string"
      },
      "last_created": {
        "type": "string"
      },
      "messages": {
        "type": "integer"
      },
      "text": {
        "type": "string"
      }
    },
    "required": [
      "text",
      "first_created",
      "last_created",
      "messages"
    ],
    "type": "object"
  },
  "TokensToday": {
    "properties": {
      "limit": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "resets": {
        "type": "string"
      },
      "used": {
        "type": "number"
      }
    },
    "required": [
      "limit",
      "used",
      "resets"
    ],
    "type": "object"
  },
  "ToolCallOut": {
    "properties": {
      "arguments": {
        "type": "string"
      },
      "id": {
        "type": "string"
      },
      "name": {
        "type": "string"
      },
      "step": {
        "type": "integer"
      }
    },
    "required": [
      "step",
      "id",
      "name",
      "arguments"
    ],
    "type": "object"
  },
  "ToolOut": {
    "properties": {
      "description": {
        "type": "string"
      },
      "name": {
        "type": "string"
      },
      "network": {
        "type": "boolean"
      },
      "parameters": {
        "additionalProperties": true,
        "type": "object"
      }
    },
    "required": [
      "name",
      "description",
      "parameters",
      "network"
    ],
    "type": "object"
  },
  "ToolResultOut": {
    "properties": {
      "id": {
        "type": "string"
      },
      "ms": {
        "type": "integer"
      },
      "name": {
        "type": "string"
      },
      "result": {
        "type": "string"
      },
      "sources": {
        "items": {
          "additionalProperties": true,
          "type": "object"
        },
        "type": "array"
      },
      "status": {
        "type": "string"
      },
      "step": {
        "type": "integer"
      }
    },
    "required": [
      "step",
      "id",
      "name",
      "status",
      "result",
      "ms"
    ],
    "type": "object"
  },
  "ToolStepOut": {
    "properties": {
      "arguments": {
        "type": "string"
      },
      "error": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "id": {
        "type": "string"
      },
      "ms": {
        "type": "integer"
      },
      "name": {
        "type": "string"
      },
      "result": {
        "type": "string"
      },
      "status": {
        "type": "string"
      },
      "step": {
        "type": "integer"
      }
    },
    "required": [
      "step",
      "id",
      "name",
      "arguments",
      "status",
      "result",
      "error",
      "ms"
    ],
    "type": "object"
  },
  "TurnOut": {
    "properties": {
      "backend": {
        "type": "string"
      },
      "finish_reason": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "latency_ms": {
        "type": "integer"
      },
      "memories": {
        "items": {
          "$ref": "#/components/schemas/MemoryOut"
        },
        "type": "array"
      },
      "message_id": {
        "type": "string"
      },
      "model": {
        "type": "string"
      },
      "response": {
        "type": "string"
      },
      "session_id": {
        "type": "string"
      },
      "sources": {
        "items": {
          "$ref": "#/components/schemas/SourceOut"
        },
        "type": "array"
      },
      "summary": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/SummaryOut"
          },
          {
            "type": "null"
          }
        ]
      },
      "usage": {
        "$ref": "#/components/schemas/UsageOut"
      }
    },
    "required": [
      "response",
      "session_id",
      "message_id",
      "model",
      "backend",
      "sources",
      "usage",
      "latency_ms",
      "finish_reason"
    ],
    "type": "object"
  },
  "UploadOut": {
    "properties": {
      "chunks": {
        "type": "integer"
      },
      "collection": {
        "type": "string"
      },
      "document_id": {
        "type": "string"
      },
      "duplicate": {
        "type": "boolean"
      },
      "excerpt": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "job_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "status": {
        "enum": [
          "processing",
          "ready",
          "failed"
        ],
        "type": "string"
      },
      "title": {
        "type": "string"
      }
    },
    "required": [
      "document_id",
      "collection",
      "title",
      "status",
      "chunks",
      "duplicate"
    ],
    "type": "object"
  },
  "UsageOut": {
    "properties": {
      "completion_tokens": {
        "type": "integer"
      },
      "prompt_tokens": {
        "type": "integer"
      },
      "total_tokens": {
        "type": "integer"
      }
    },
    "required": [
      "prompt_tokens",
      "completion_tokens",
      "total_tokens"
    ],
    "type": "object"
  },
  "UserIn": {
    "properties": {
      "admin": {
        "type": "boolean"
      },
      "display_name": {
        "type": "string"
      },
      "email": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "password": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "username": {
        "type": "string"
      }
    },
    "required": [
      "username"
    ],
    "type": "object"
  },
  "UserOut": {
    "properties": {
      "created": {
        "type": "string"
      },
      "disabled": {
        "type": "boolean"
      },
      "display_name": {
        "type": "string"
      },
      "email": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "has_password": {
        "type": "boolean"
      },
      "id": {
        "type": "integer"
      },
      "last_login": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "oidc": {
        "type": "boolean"
      },
      "role": {
        "enum": [
          "admin",
          "user"
        ],
        "type": "string"
      },
      "username": {
        "type": "string"
      }
    },
    "required": [
      "id",
      "username",
      "email",
      "display_name",
      "role",
      "disabled",
      "created",
      "last_login",
      "has_password",
      "oidc"
    ],
    "type": "object"
  },
  "UserPatch": {
    "properties": {
      "disabled": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "display_name": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "email": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "password": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "quotas": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/QuotasIn"
          },
          {
            "type": "null"
          }
        ]
      },
      "role": {
        "anyOf": [
          {
            "enum": [
              "admin",
              "user"
            ],
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      }
    },
    "type": "object"
  },
  "UserUsageOut": {
    "properties": {
      "quotas": {
        "$ref": "#/components/schemas/QuotaOverrides"
      },
      "usage": {
        "$ref": "#/components/schemas/AccountUsageOut"
      },
      "user": {
        "$ref": "#/components/schemas/UserOut"
      }
    },
    "required": [
      "user",
      "usage",
      "quotas"
    ],
    "type": "object"
  },
  "ValidationError": {
    "properties": {
      "ctx": {
        "type": "object"
      },
      "input": {},
      "loc": {
        "items": {
          "anyOf": [
            {
              "type": "string"
            },
            {
              "type": "integer"
            }
          ]
        },
        "type": "array"
      },
      "msg": {
        "type": "string"
      },
      "type": {
        "type": "string"
      }
    },
    "required": [
      "loc",
      "msg",
      "type"
    ],
    "type": "object"
  },
  "WsAuth": {
    "properties": {
      "api_key": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "token": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "type": {
        "type": "string",
        "enum": [
          "auth"
        ]
      }
    },
    "required": [
      "type"
    ],
    "type": "object"
  },
  "WsAuthOk": {
    "properties": {
      "key": {
        "type": "string"
      },
      "type": {
        "type": "string",
        "enum": [
          "auth_ok"
        ]
      }
    },
    "required": [
      "type",
      "key"
    ],
    "type": "object"
  },
  "WsCancel": {
    "properties": {
      "type": {
        "type": "string",
        "enum": [
          "cancel"
        ]
      }
    },
    "required": [
      "type"
    ],
    "type": "object"
  },
  "WsCancelled": {
    "properties": {
      "conversation_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "type": {
        "type": "string",
        "enum": [
          "cancelled"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id"
    ],
    "type": "object"
  },
  "WsClientFrame": {
    "discriminator": {
      "mapping": {
        "auth": "#/components/schemas/WsAuth",
        "cancel": "#/components/schemas/WsCancel",
        "message": "#/components/schemas/WsMessage",
        "ping": "#/components/schemas/WsPing"
      },
      "propertyName": "type"
    },
    "oneOf": [
      {
        "$ref": "#/components/schemas/WsAuth"
      },
      {
        "$ref": "#/components/schemas/WsMessage"
      },
      {
        "$ref": "#/components/schemas/WsCancel"
      },
      {
        "$ref": "#/components/schemas/WsPing"
      }
    ]
  },
  "WsError": {
    "properties": {
      "conversation_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "error": {
        "$ref": "#/components/schemas/ErrorDetail"
      },
      "type": {
        "type": "string",
        "enum": [
          "error"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "error"
    ],
    "type": "object"
  },
  "WsMemories": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "memories": {
        "items": {
          "$ref": "#/components/schemas/MemoryOut"
        },
        "type": "array"
      },
      "type": {
        "type": "string",
        "enum": [
          "memories"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "memories"
    ],
    "type": "object"
  },
  "WsMessage": {
    "properties": {
      "collection": {
        "anyOf": [
          {
            "$ref": "#/components/schemas/CollectionRef"
          },
          {
            "type": "null"
          }
        ]
      },
      "content": {
        "type": "string"
      },
      "conversation_id": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "edit": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "max_tokens": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "memory": {
        "anyOf": [
          {
            "type": "boolean"
          },
          {
            "type": "null"
          }
        ]
      },
      "mode": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "model": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "regenerate": {
        "type": "boolean"
      },
      "system": {
        "anyOf": [
          {
            "type": "string"
          },
          {
            "type": "null"
          }
        ]
      },
      "temperature": {
        "anyOf": [
          {
            "type": "number"
          },
          {
            "type": "null"
          }
        ]
      },
      "tools": {
        "anyOf": [
          {
            "items": {
              "type": "string"
            },
            "type": "array"
          },
          {
            "type": "null"
          }
        ]
      },
      "top_k": {
        "anyOf": [
          {
            "type": "integer"
          },
          {
            "type": "null"
          }
        ]
      },
      "type": {
        "type": "string",
        "enum": [
          "message"
        ]
      }
    },
    "required": [
      "type"
    ],
    "type": "object"
  },
  "WsPing": {
    "properties": {
      "type": {
        "type": "string",
        "enum": [
          "ping"
        ]
      }
    },
    "required": [
      "type"
    ],
    "type": "object"
  },
  "WsPong": {
    "properties": {
      "type": {
        "type": "string",
        "enum": [
          "pong"
        ]
      }
    },
    "required": [
      "type"
    ],
    "type": "object"
  },
  "WsResponseEnd": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "metadata": {
        "$ref": "#/components/schemas/TurnOut"
      },
      "type": {
        "type": "string",
        "enum": [
          "response_end"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "metadata"
    ],
    "type": "object"
  },
  "WsServerFrame": {
    "discriminator": {
      "mapping": {
        "auth_ok": "#/components/schemas/WsAuthOk",
        "cancelled": "#/components/schemas/WsCancelled",
        "error": "#/components/schemas/WsError",
        "memories": "#/components/schemas/WsMemories",
        "pong": "#/components/schemas/WsPong",
        "response_end": "#/components/schemas/WsResponseEnd",
        "sources": "#/components/schemas/WsSources",
        "token": "#/components/schemas/WsToken",
        "tool_call": "#/components/schemas/WsToolCall",
        "tool_result": "#/components/schemas/WsToolResult"
      },
      "propertyName": "type"
    },
    "oneOf": [
      {
        "$ref": "#/components/schemas/WsAuthOk"
      },
      {
        "$ref": "#/components/schemas/WsSources"
      },
      {
        "$ref": "#/components/schemas/WsMemories"
      },
      {
        "$ref": "#/components/schemas/WsToken"
      },
      {
        "$ref": "#/components/schemas/WsToolCall"
      },
      {
        "$ref": "#/components/schemas/WsToolResult"
      },
      {
        "$ref": "#/components/schemas/WsResponseEnd"
      },
      {
        "$ref": "#/components/schemas/WsCancelled"
      },
      {
        "$ref": "#/components/schemas/WsError"
      },
      {
        "$ref": "#/components/schemas/WsPong"
      }
    ]
  },
  "WsSources": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "sources": {
        "items": {
          "$ref": "#/components/schemas/SourceOut"
        },
        "type": "array"
      },
      "type": {
        "type": "string",
        "enum": [
          "sources"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "sources"
    ],
    "type": "object"
  },
  "WsToken": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "token": {
        "type": "string"
      },
      "type": {
        "type": "string",
        "enum": [
          "token"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "token"
    ],
    "type": "object"
  },
  "WsToolCall": {
    "properties": {
      "call": {
        "$ref": "#/components/schemas/ToolCallOut"
      },
      "conversation_id": {
        "type": "string"
      },
      "type": {
        "type": "string",
        "enum": [
          "tool_call"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "call"
    ],
    "type": "object"
  },
  "WsToolResult": {
    "properties": {
      "conversation_id": {
        "type": "string"
      },
      "result": {
        "$ref": "#/components/schemas/ToolResultOut"
      },
      "type": {
        "type": "string",
        "enum": [
          "tool_result"
        ]
      }
    },
    "required": [
      "type",
      "conversation_id",
      "result"
    ],
    "type": "object"
  }
};

/** The JSON answers of the native routes: "METHOD /path" → status → schema. */
export const responseSchemas: Record<string, Record<string, unknown>> = {
  "GET /admin/audit": {
    "200": {
      "$ref": "#/components/schemas/AuditPage"
    }
  },
  "GET /admin/groups": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/GroupOut"
      },
      "type": "array"
    }
  },
  "POST /admin/groups": {
    "201": {
      "$ref": "#/components/schemas/GroupOut"
    }
  },
  "PUT /admin/groups/{group_id}/members": {
    "200": {
      "$ref": "#/components/schemas/GroupOut"
    }
  },
  "GET /admin/keys": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/KeyOut"
      },
      "type": "array"
    }
  },
  "POST /admin/keys": {
    "201": {
      "$ref": "#/components/schemas/KeyCreatedOut"
    }
  },
  "DELETE /admin/keys/{name}": {
    "200": {
      "$ref": "#/components/schemas/KeyOut"
    }
  },
  "GET /admin/usage": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/UserUsageOut"
      },
      "type": "array"
    }
  },
  "GET /admin/users": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/UserOut"
      },
      "type": "array"
    }
  },
  "POST /admin/users": {
    "201": {
      "$ref": "#/components/schemas/UserOut"
    }
  },
  "PATCH /admin/users/{user_id}": {
    "200": {
      "$ref": "#/components/schemas/UserOut"
    }
  },
  "GET /auth/config": {
    "200": {
      "$ref": "#/components/schemas/AuthConfigOut"
    }
  },
  "POST /auth/link": {
    "200": {
      "$ref": "#/components/schemas/LinkKeyOut"
    }
  },
  "POST /auth/login": {
    "200": {
      "$ref": "#/components/schemas/SignedInOut"
    }
  },
  "GET /auth/me": {
    "200": {
      "$ref": "#/components/schemas/MeOut"
    }
  },
  "POST /chat": {
    "200": {
      "$ref": "#/components/schemas/TurnOut"
    }
  },
  "GET /collections": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/CollectionOut"
      },
      "type": "array"
    }
  },
  "GET /collections/{name}/shares": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/ShareOut"
      },
      "type": "array"
    }
  },
  "POST /collections/{name}/shares": {
    "201": {
      "$ref": "#/components/schemas/ShareOut"
    }
  },
  "GET /conversations": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/ConversationOut"
      },
      "type": "array"
    }
  },
  "POST /conversations/import": {
    "201": {
      "$ref": "#/components/schemas/ImportOut"
    }
  },
  "GET /conversations/{conversation_id}": {
    "200": {
      "$ref": "#/components/schemas/ConversationDetailOut"
    }
  },
  "PATCH /conversations/{conversation_id}": {
    "200": {
      "$ref": "#/components/schemas/ConversationOut"
    }
  },
  "PUT /conversations/{conversation_id}/branch": {
    "200": {
      "$ref": "#/components/schemas/ConversationDetailOut"
    }
  },
  "POST /conversations/{conversation_id}/cancel": {
    "202": {
      "$ref": "#/components/schemas/CancelOut"
    }
  },
  "GET /conversations/{conversation_id}/export": {
    "200": {}
  },
  "POST /conversations/{conversation_id}/restore": {
    "200": {
      "$ref": "#/components/schemas/ConversationOut"
    }
  },
  "POST /conversations/{conversation_id}/share": {
    "200": {
      "$ref": "#/components/schemas/LinkOut"
    }
  },
  "GET /documents": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/DocumentOut"
      },
      "type": "array"
    }
  },
  "POST /documents": {
    "201": {
      "$ref": "#/components/schemas/UploadOut"
    }
  },
  "POST /documents/crawl": {
    "202": {
      "$ref": "#/components/schemas/CrawlOut"
    }
  },
  "GET /documents/{document_id}": {
    "200": {
      "$ref": "#/components/schemas/DocumentOut"
    }
  },
  "GET /healthz": {
    "200": {
      "$ref": "#/components/schemas/Health"
    }
  },
  "GET /history": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/ExchangeOut"
      },
      "type": "array"
    }
  },
  "GET /jobs": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/JobOut"
      },
      "type": "array"
    }
  },
  "GET /jobs/{job_id}": {
    "200": {
      "$ref": "#/components/schemas/JobOut"
    }
  },
  "GET /keys": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/OwnKeyOut"
      },
      "type": "array"
    }
  },
  "POST /keys": {
    "201": {
      "$ref": "#/components/schemas/OwnKeyCreatedOut"
    }
  },
  "DELETE /keys/{key_id}": {
    "200": {
      "$ref": "#/components/schemas/OwnKeyOut"
    }
  },
  "GET /memories": {
    "200": {
      "$ref": "#/components/schemas/MemoriesOut"
    }
  },
  "POST /messages/{message_id}/feedback": {
    "200": {
      "$ref": "#/components/schemas/MessageOut"
    }
  },
  "GET /models": {
    "200": {
      "$ref": "#/components/schemas/ModelsOut"
    }
  },
  "GET /readyz": {
    "200": {
      "$ref": "#/components/schemas/Readiness"
    }
  },
  "POST /research": {
    "200": {
      "$ref": "#/components/schemas/TurnOut"
    }
  },
  "POST /search": {
    "200": {
      "$ref": "#/components/schemas/SearchOut"
    }
  },
  "GET /settings/me": {
    "200": {
      "$ref": "#/components/schemas/PreferencesOut"
    }
  },
  "PUT /settings/me": {
    "200": {
      "$ref": "#/components/schemas/PreferencesOut"
    }
  },
  "GET /shared/{share_id}": {
    "200": {
      "$ref": "#/components/schemas/ConversationDetailOut"
    }
  },
  "GET /shared/{share_id}/events": {
    "200": {}
  },
  "POST /slack/command": {
    "200": {
      "additionalProperties": {
        "type": "string"
      },
      "type": "object"
    }
  },
  "GET /tools": {
    "200": {
      "items": {
        "$ref": "#/components/schemas/ToolOut"
      },
      "type": "array"
    }
  },
  "POST /upload": {
    "201": {
      "$ref": "#/components/schemas/UploadOut"
    }
  },
  "GET /usage/me": {
    "200": {
      "$ref": "#/components/schemas/AccountUsageOut"
    }
  }
};
