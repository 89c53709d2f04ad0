"""ChatService: one chat turn, from the caller's prompt to the logged reply (DESIGN.md section 2).

The user's message is written before the model is called and the reply is
written whatever happens (ok, error or cancelled), inside a shielded scope so a
client that hangs up cannot stop the write.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import anyio
from sqlalchemy.orm import Session

from vega.chat.prompts import build_messages, retrieval_only_answer, source_view
from vega.errors import BadInput, NotFound, PayloadTooLarge, VegaError
from vega.llm.base import Delta, GenerationParams, Message, Usage, estimate_usage
from vega.llm.gateway import Gateway
from vega.llm.none import NONE_MODEL
from vega.metrics import Metrics
from vega.rag.retrieve import Hit, Retriever
from vega.security.concurrency import KeySlots
from vega.security.keys import Principal
from vega.settings import Settings
from vega.store import conversations as repo
from vega.store import documents, turns_digest
from vega.store.db import Database

log = logging.getLogger(__name__)

Source = Literal["api", "cli", "ws", "openai", "ollama"]
SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
TITLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class ChatRequest:
    prompt: str
    session_id: str | None = None
    model: str | None = None
    collection: str | None = None
    top_k: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    system: str | None = None
    source: Source = "api"
    # The conversation so far as the client sent it (OpenAI and Ollama clients send the
    # whole list every turn). None: read the last VEGA_HISTORY_TURNS from the database.
    history: tuple[Message, ...] | None = None
    # Answer the conversation's last question again (the UI's Regenerate): no new user
    # message; on success the earlier answers to it are superseded (soft-deleted).
    regenerate: bool = False


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """The user's message is stored; the model is being asked."""

    session_id: str
    user_message_id: str


@dataclass(frozen=True, slots=True)
class SourcesFound:
    """The passages the answer will be given, numbered as the prompt numbers them."""

    sources: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Token:
    text: str


@dataclass(frozen=True, slots=True)
class TurnDone:
    message_id: str
    session_id: str
    response: str
    model: str
    backend: str
    usage: Usage
    latency_ms: int
    finish_reason: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)


ChatEvent = TurnStarted | SourcesFound | Token | TurnDone


@dataclass(frozen=True, slots=True)
class _Begun:
    owner: int
    conversation_id: str
    user_message_id: str
    history: list[Message]
    # The question as stored (masked); for a regenerated turn, read back from the
    # conversation, with the time it was asked.
    prompt: str = ""
    created: datetime | None = None
    digest: str = turns_digest.EMPTY  # the conversation's turns digest when the turn began


def is_utf8(text: str) -> bool:
    """False for text with lone surrogates (JSON "\\ud800", or undecodable argv bytes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _title(prompt: str) -> str:
    line = prompt.strip().splitlines()[0] if prompt.strip() else ""
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


class ChatService:
    def __init__(
        self,
        *,
        db: Database,
        gateway: Gateway,
        settings: Settings,
        metrics: Metrics,
        mask: Callable[[str], str] | None = None,
        retriever: Retriever | None = None,
        replies: KeySlots,
    ) -> None:
        self._replies = replies  # VEGA_MAX_STREAMS_PER_KEY
        self._retriever = retriever
        self._db = db
        self._gateway = gateway
        self._settings = settings
        self._metrics = metrics
        self._mask = mask or (lambda text: text)

    def _check(self, request: ChatRequest) -> None:
        if request.regenerate:
            if request.session_id is None or request.history is not None:
                raise BadInput("regenerate needs the session_id of a stored conversation.")
            if request.prompt.strip():
                raise BadInput("regenerate answers the last prompt again; send no prompt.")
        elif not request.prompt.strip():
            raise BadInput("The prompt is empty.")
        if request.session_id is not None and not SESSION_ID.fullmatch(request.session_id):
            raise BadInput("session_id must be 1-64 letters, digits, '.', '_', ':' or '-'.")
        # Every text the client sends is held to the same rules, whichever route it came by.
        texts = [("prompt", request.prompt), ("system prompt", request.system or "")]
        texts += [(f"{m.role} message", m.content) for m in request.history or ()]
        for what, text in texts:
            if not is_utf8(text):
                raise BadInput(
                    f"The {what} is not valid Unicode text (it has unpaired surrogates)."
                )
            if len(text) > self._settings.max_prompt_chars:
                raise PayloadTooLarge(
                    f"The {what} has {len(text)} characters; the limit is "
                    f"{self._settings.max_prompt_chars} (VEGA_MAX_PROMPT_CHARS)."
                )

    async def stream(
        self, request: ChatRequest, principal: Principal
    ) -> AsyncGenerator[ChatEvent, None]:
        """Run one turn, yielding tokens as they come and a final ``TurnDone``.

        Raises ``VegaError`` on failure; the user's message is stored either way.
        The single entry of every route's reply, so the cap on replies in progress
        per key is held here: ``RateLimited`` when the key has none free, and the
        slot is given back however the turn ends (done, failed, closed, cancelled).
        """
        async with (
            self._replies.hold(str(principal.key_id)),
            aclosing(self._turn(request, principal)) as events,
        ):
            async for event in events:
                yield event

    async def _turn(
        self, request: ChatRequest, principal: Principal
    ) -> AsyncGenerator[ChatEvent, None]:
        self._check(request)
        started = time.perf_counter()
        if request.regenerate:
            # Nothing new is stored before the model answers, so the question comes first.
            begun = await self._db.run(lambda s: self._again(s, request, principal))
            request = replace(request, prompt=begun.prompt)
            hits = await self._retrieve(request, principal)
        else:
            hits = await self._retrieve(request, principal)
            follows = await self._follows(request)
            begun = await self._db.run(
                lambda s: self._begin(s, request, principal, follows), write=True
            )
        model = request.model or self._settings.model
        params = GenerationParams(
            model=model,
            temperature=request.temperature,
            top_p=request.top_p,
            max_tokens=request.max_tokens,
            stop=request.stop,
            seed=request.seed,
        )
        messages = build_messages(
            system=request.system if request.system is not None else self._settings.system_prompt,
            history=begun.history if request.history is None else request.history,
            prompt=request.prompt,
            budget_chars=self._settings.context_chars,
            sources=hits,
            as_given=request.history is not None,
        )
        backend = self._gateway.backend_name
        sources = [source_view(hit) for hit in hits or ()]
        yield TurnStarted(begun.conversation_id, begun.user_message_id)
        if hits is not None:
            yield SourcesFound(sources)
        parts: list[str] = []
        size = 0
        usage: Usage | None = None
        finish: str | None = None
        status: str = "cancelled"
        error: str | None = "cancelled by the client"
        limit = self._settings.max_response_chars
        try:
            async with aclosing(
                self._generate(
                    messages,
                    params,
                    hits,
                    scope=str(principal.key_id),
                    fresh=request.regenerate,
                )
            ) as deltas:
                async for delta in deltas:
                    backend = self._gateway.backend_name
                    text = delta.text
                    if size + len(text) > limit:
                        text, finish = text[: limit - size], "length"
                    if text:
                        parts.append(text)
                        size += len(text)
                        yield Token(text)
                    if delta.done:
                        usage, finish = delta.usage, finish or delta.finish_reason
                    if finish == "length" and size >= limit:
                        break  # leaving the loop closes the upstream stream
            status, error = "ok", None
        except VegaError as exc:
            status, error = "error", f"{exc.code}: {exc.message}"[:500]
            raise
        except Exception as exc:
            status, error = "error", f"internal_error: {exc.__class__.__name__}"
            raise
        finally:
            reply = "".join(parts)
            if backend == "none":
                model = NONE_MODEL  # say plainly that no model wrote this
            usage = usage or estimate_usage(messages, reply)
            latency_ms = round((time.perf_counter() - started) * 1000)
            self._metrics.chat_turns.labels(source=request.source, status=status).inc()
            with anyio.CancelScope(shield=True):
                message_id = await self._db.run(
                    lambda s: self._finish(
                        s,
                        request,
                        begun,
                        reply=reply,
                        model=model,
                        backend=backend,
                        status=status,
                        error=error,
                        usage=usage,
                        latency_ms=latency_ms,
                        hits=hits or [],
                    ),
                    write=True,
                )
        yield TurnDone(
            message_id=message_id,
            session_id=begun.conversation_id,
            response=reply,
            model=model,
            backend=backend,
            usage=usage,
            latency_ms=latency_ms,
            finish_reason=finish,
            sources=sources,
        )

    async def _retrieve(self, request: ChatRequest, principal: Principal) -> list[Hit] | None:
        """The passages for a turn that names a collection (None when it names none).

        Runs before anything is written: an unknown collection is a 404 with nothing stored.
        """
        if request.collection is None:
            return None
        if self._retriever is None:
            raise BadInput("Document search is not available on this server.")
        result = await self._retriever.search(
            owner=principal.key_id,
            query=request.prompt,
            collection=request.collection,
            top_k=request.top_k,
        )
        return result.hits

    def _generate(
        self,
        messages: list[Message],
        params: GenerationParams,
        hits: list[Hit] | None,
        *,
        scope: str,
        fresh: bool = False,
    ) -> AsyncGenerator[Delta, None]:
        if hits is not None and self._gateway.backend_name == "none":
            return _words(retrieval_only_answer(hits))
        return self._gateway.stream(messages, params, scope=scope, fresh=fresh)

    async def complete(self, request: ChatRequest, principal: Principal) -> TurnDone:
        # Closed at once, not when collected: the reply's slot is given back on return.
        async with aclosing(self.stream(request, principal)) as events:
            async for event in events:
                if isinstance(event, TurnDone):
                    return event
        raise RuntimeError("chat stream ended without a result")  # pragma: no cover

    # -- units of work (run in a worker thread) --------------------------------

    async def _follows(self, request: ChatRequest) -> str | None:
        """The digest of the history a turn without a session carries (None: no history).

        Such a turn continues the caller's conversation whose turns are exactly that
        history (vega.store.turns_digest). Hashed as stored, so masked first; in a worker
        thread, as masking a long history takes a while.
        """
        if request.session_id is not None or not request.history:
            return None
        turns = request.history

        def digest() -> str:
            return turns_digest.of_turns((m.role, self._mask(m.content)) for m in turns)

        return await anyio.to_thread.run_sync(digest)

    def _begin(
        self,
        session: Session,
        request: ChatRequest,
        principal: Principal,
        follows: str | None = None,
    ) -> _Begun:
        conversation_id, digest, history = self._conversation(session, request, principal, follows)
        asked = self._mask(request.prompt)
        user_message_id = repo.add_message(
            session,
            owner=principal.key_id,
            conversation_id=conversation_id,
            role="user",
            content=asked,
            source=request.source,
            status="ok",
        )
        session.commit()
        return _Begun(
            principal.key_id, conversation_id, user_message_id, history, asked, digest=digest
        )

    def _conversation(
        self,
        session: Session,
        request: ChatRequest,
        principal: Principal,
        follows: str | None,
    ) -> tuple[str, str, list[Message]]:
        """The conversation to write to, its turns digest, and its recent turns (none for a
        new one). ``follows``: the digest of the client's history, for a turn without a
        session that carries one."""
        title = self._mask(_title(request.prompt))
        owner = principal.key_id
        if request.session_id is None:
            if follows is not None:
                found = repo.continued_by(session, owner=owner, digest=follows)
                if found is not None:
                    repo.touch(session, owner=owner, conversation_id=found.id)
                    return found.id, found.turns_digest, []
                # A new conversation that continues the client's history: the next turn,
                # which sends this one's history too, finds it.
                new = repo.create(session, owner=owner, title=title, history_digest=follows)
                return new, follows, []
            return repo.create(session, owner=owner, title=title), turns_digest.EMPTY, []
        # Ids are per key: another key's conversation with this id is not looked at, so a
        # client-chosen id that someone else uses is as free as one nobody uses.
        conv = repo.get_owned(session, conversation_id=request.session_id, owner=owner)
        if conv is None:
            if repo.exists(session, conversation_id=request.session_id, owner=owner):
                raise NotFound(f"No conversation '{request.session_id}'.")  # deleted: restorable
            new = repo.create(session, owner=owner, conversation_id=request.session_id, title=title)
            return new, turns_digest.EMPTY, []
        repo.touch(session, owner=owner, conversation_id=conv.id)
        if request.history is not None:
            # The client sent the history; the stored one is not re-read.
            return conv.id, conv.turns_digest, []
        limit = 2 * self._settings.history_turns
        rows = repo.recent_messages(session, conversation=conv, limit=limit)
        history = [
            Message("user" if row.role == "user" else "assistant", row.content)
            for row in rows
            if row.content and row.role in ("user", "assistant")
        ]
        return conv.id, conv.turns_digest, history

    def _again(self, session: Session, request: ChatRequest, principal: Principal) -> _Begun:
        """The last question of a conversation and the turns before it, to answer it again."""
        assert request.session_id is not None  # _check
        conv = repo.get_owned(session, conversation_id=request.session_id, owner=principal.key_id)
        if conv is None:
            raise NotFound(f"No conversation '{request.session_id}'.")
        question, earlier = repo.last_question(
            session, conversation=conv, limit=2 * self._settings.history_turns
        )
        if question is None:
            raise BadInput("The conversation has no question to answer again.")
        history = [
            Message("user" if row.role == "user" else "assistant", row.content)
            for row in earlier
            if row.content and row.role in ("user", "assistant")
        ]
        return _Begun(conv.owner, conv.id, question.id, history, question.content, question.created)

    def _finish(
        self,
        session: Session,
        request: ChatRequest,
        begun: _Begun,
        *,
        reply: str,
        model: str,
        backend: str,
        status: str,
        error: str | None,
        usage: Usage,
        latency_ms: int,
        hits: list[Hit],
    ) -> str:
        owner, conversation_id = begun.owner, begun.conversation_id
        # A regenerated question, answered: the answers it had before are superseded.
        asked = begun.created if request.regenerate and status == "ok" else None
        if asked is not None:
            repo.supersede_answers(
                session, owner=owner, conversation_id=conversation_id, asked=asked
            )
        stored_reply = self._mask(reply)
        message_id = repo.add_message(
            session,
            owner=owner,
            conversation_id=conversation_id,
            role="assistant",
            content=stored_reply,
            model=model,
            backend=backend,
            status=status,
            error=error,
            latency_ms=latency_ms,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            source=request.source,
        )
        if hits:
            sources = [(h.chunk_id, h.document_id, h.rank, h.score) for h in hits]
            documents.add_message_sources(session, message_id=message_id, sources=sources)
        # The digest counts what a client was shown as an answer: an ok reply. An error or
        # a cancelled reply reached no OpenAI/Ollama client as an assistant message.
        if asked is not None:
            repo.touch(session, owner=owner, conversation_id=conversation_id)
            repo.redigest(session, owner=owner, conversation_id=conversation_id)
        elif status == "ok":
            repo.add_exchange_digest(
                session,
                owner=owner,
                conversation_id=conversation_id,
                before=begun.digest,
                prompt=begun.prompt,
                reply=stored_reply,
            )
        else:
            repo.touch(session, owner=owner, conversation_id=conversation_id)
        session.commit()
        return message_id


async def _words(text: str) -> AsyncGenerator[Delta, None]:
    """A composed answer, streamed a word at a time like a model's."""
    for i, word in enumerate(text.split(" ")):
        yield Delta(text=word if i == 0 else " " + word)
    yield Delta(done=True, finish_reason="stop")
