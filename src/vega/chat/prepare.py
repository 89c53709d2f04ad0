"""Preparing a chat turn: everything before the model is asked.

Check the request, find its passages, store the question, build the prompt, in that
order: retrieval comes before any write, so an unknown collection stores nothing, and
the question is committed before the model is called, so nothing is lost if the model
fails. A regenerated turn stores nothing new: it reads its question back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session

from vega.chat.budget import Budget, ContextWindows
from vega.chat.prompts import PromptParts, build_messages, source_view
from vega.chat.turn import SESSION_ID, ChatRequest, is_utf8
from vega.errors import BadInput, NotFound, PayloadTooLarge
from vega.llm.base import GenerationParams, Message
from vega.memory.service import MemoryService, Recalled
from vega.memory.summaries import Cover, Summaries
from vega.rag.retrieve import Hit, Retriever
from vega.security.keys import Principal
from vega.settings import Settings
from vega.store import branches, turns_digest
from vega.store import conversations as repo
from vega.store.db import Database
from vega.store.tables import Conversation
from vega.store.tables import Message as MessageRow

TITLE_CHARS = 80


@dataclass(frozen=True, slots=True)
class Begun:
    """Where a turn's question is stored, and the conversation it continues."""

    owner: int
    conversation_id: str
    user_message_id: str
    history: list[Message]
    # The question as stored (masked); for a regenerated turn, read back from the
    # conversation, with the time it was asked.
    prompt: str = ""
    created: datetime | None = None
    digest: str = turns_digest.EMPTY  # the conversation's turns digest when the turn began
    # What was asked, as the turns digest counts it: the user's message, or the tool
    # messages a client sent back (masked, as stored).
    asked: tuple[tuple[str, str], ...] = ()
    # What summarises the turns before ``history`` (None: none ready, or none needed).
    summary: Cover | None = None


@dataclass(frozen=True, slots=True)
class PreparedTurn:
    """A turn ready for the model: its question stored and its prompt built."""

    request: ChatRequest  # a regenerated turn's carries the question read back
    begun: Begun
    hits: list[Hit] | None  # None: the turn names no collection
    sources: list[dict[str, Any]]  # the hits as the events and the stored reply show them
    messages: list[Message]
    params: GenerationParams
    memories: list[Recalled] = field(default_factory=list)  # recalled earlier exchanges
    summary: Cover | None = None  # what summarised the turns before the recent ones

    @property
    def memory_views(self) -> list[dict[str, Any]]:
        return [m.view() for m in self.memories]


def check(request: ChatRequest, *, max_chars: int) -> None:
    """The rules every request meets, whichever route it came by (``BadInput`` if not)."""
    if request.regenerate or request.edit is not None:
        _check_branching(request)
    elif request.answers:
        _check_answers(request)
    elif not request.prompt.strip():
        raise BadInput("The prompt is empty.")
    if request.session_id is not None and not SESSION_ID.fullmatch(request.session_id):
        raise BadInput("session_id must be 1-64 letters, digits, '.', '_', ':' or '-'.")
    texts = [("prompt", request.prompt), ("system prompt", request.system or "")]
    texts += [(f"{m.role} message", m.content) for m in request.history or ()]
    texts += [("tool message", m.content) for m in request.answers]
    for what, text in texts:
        if not is_utf8(text):
            raise BadInput(f"The {what} is not valid Unicode text (it has unpaired surrogates).")
        if len(text) > max_chars:
            raise PayloadTooLarge(
                f"The {what} has {len(text)} characters; the limit is "
                f"{max_chars} (VEGA_MAX_PROMPT_CHARS)."
            )


def _check_branching(request: ChatRequest) -> None:
    """A regenerated or edited turn makes a branch of a stored conversation."""
    what = "regenerate" if request.regenerate else "edit"
    if request.session_id is None or request.history is not None:
        raise BadInput(f"{what} needs the session_id of a stored conversation.")
    if request.regenerate and request.edit is not None:
        raise BadInput("A turn regenerates an answer or edits a question, not both.")
    if request.regenerate and request.prompt.strip():
        raise BadInput("regenerate answers the last prompt again; send no prompt.")
    if request.edit is not None and not request.prompt.strip():
        raise BadInput("The prompt is empty.")


def _check_answers(request: ChatRequest) -> None:
    """Tool messages must answer the calls of the assistant message just before them."""
    before = request.history[-1] if request.history else None
    if before is None or before.role != "assistant" or not before.tool_calls:
        raise BadInput(
            "A tool message must follow the assistant message whose tool_calls it answers."
        )
    called = {call.id for call in before.tool_calls}
    for answer in request.answers:
        if answer.tool_call_id and answer.tool_call_id not in called:
            raise BadInput(
                f"The tool message for '{answer.tool_call_id}' answers no call of the "
                "assistant message before it."
            )


def question_of(request: ChatRequest) -> str:
    """What a turn asks: the prompt, or, for a turn that sends tool answers back, the last
    user message of its history (the retrieval query, the new conversation's title)."""
    if request.prompt.strip() or not request.answers:
        return request.prompt
    users = [m.content for m in request.history or () if m.role == "user"]
    return users[-1] if users else ""


def _title(prompt: str) -> str:
    line = prompt.strip().splitlines()[0] if prompt.strip() else ""
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _summary(
    session: Session,
    conv: Conversation,
    rows: list[MessageRow],
    limit: int,
    before: datetime | None = None,
) -> Cover | None:
    """What summarises the conversation before its recent ``rows`` (when they are not all
    of it: ``limit`` of them were read, or none)."""
    if rows and len(rows) < limit:
        return None
    cutoff = rows[0].created if rows else before
    if cutoff is None:
        return None
    return Summaries.cover(session, owner=conv.owner, conversation_id=conv.id, before=cutoff)


def _branch_off(session: Session, conv: Conversation, edited_id: str) -> None:
    """An edited question: the active path ends before it, and the new one follows there
    (a branch beside it; vega.store.branches)."""
    edited = branches.message_in(
        session, owner=conv.owner, conversation_id=conv.id, message_id=edited_id
    )
    if edited is None:
        raise NotFound(f"No message '{edited_id[:64]}' in conversation '{conv.id}'.")
    if edited.role != "user":
        raise BadInput("Only a user message can be edited (regenerate answers again).")
    branches.show(
        session,
        owner=conv.owner,
        conversation_id=conv.id,
        through=edited.parent_id,
        descend=False,
    )


def _as_history(rows: list[MessageRow]) -> list[Message]:
    return [
        Message("user" if row.role == "user" else "assistant", row.content)
        for row in rows
        if row.content and row.role in ("user", "assistant")
    ]


class TurnPreparer:
    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        mask: Callable[[str], str],
        retriever: Retriever | None,
        memory: MemoryService | None = None,
        windows: ContextWindows | None = None,
    ) -> None:
        self._windows = windows  # each model's context window (None: VEGA_CONTEXT_CHARS alone)
        self._db = db
        self._settings = settings
        self._mask = mask
        self._retriever = retriever
        self._memory = memory

    async def prepare(self, request: ChatRequest, principal: Principal) -> PreparedTurn:
        check(request, max_chars=self._settings.max_prompt_chars)
        if request.regenerate:
            # Nothing new is stored before the model answers, so the question comes first.
            begun = await self._db.run(lambda s: self._again(s, request, principal))
            request = replace(request, prompt=begun.prompt)
            hits = await self._retrieve(request, principal)
            memories = await self._recall(request, principal.owner, begun.conversation_id)
        else:
            # Recall runs beside the retrieval and the question's write: its time is
            # mostly the query's embedding, which need not wait for either.
            recalling = asyncio.ensure_future(
                self._recall(request, principal.owner, request.session_id)
            )
            try:
                hits = await self._retrieve(request, principal)
                follows = await self._follows(request)
                begun = await self._db.write(lambda s: self._begin(s, request, principal, follows))
                memories = await recalling
            finally:
                recalling.cancel()
            # A turn that continues a client's history learns its conversation only now.
            memories = [m for m in memories if m.conversation_id != begun.conversation_id]
        model = request.model or self._settings.model
        budget = await self._budget(model, request.max_tokens)
        built = build_messages(self._parts(request, begun, hits, memories), budget)
        return PreparedTurn(
            request=request,
            begun=begun,
            hits=hits,
            sources=[source_view(hit) for hit in hits or ()],
            messages=built.messages,
            params=GenerationParams(
                model=model,
                temperature=request.temperature,
                top_p=request.top_p,
                max_tokens=request.max_tokens,
                stop=request.stop,
                seed=request.seed,
                tools=request.tools,
                tool_choice=request.tool_choice,
            ),
            memories=memories[: built.memories],  # what the model was given
            summary=begun.summary if built.summary else None,
        )

    async def _budget(self, model: str, max_tokens: int | None) -> Budget:
        if self._windows is None:
            return Budget.of_chars(self._settings.context_chars)
        return await self._windows.budget(model, max_tokens=max_tokens)

    def _parts(
        self,
        request: ChatRequest,
        begun: Begun,
        hits: list[Hit] | None,
        memories: list[Recalled],
    ) -> PromptParts:
        return PromptParts(
            system=request.system if request.system is not None else self._settings.system_prompt,
            prompt=request.prompt,
            history=begun.history if request.history is None else request.history,
            sources=hits,
            as_given=request.history is not None,
            answers=request.answers,
            memories=memories,
            memory_chars=self._settings.memory_max_chars,
            summary=begun.summary.text if begun.summary else "",
        )

    async def _recall(
        self, request: ChatRequest, owner: int, conversation_id: str | None
    ) -> list[Recalled]:
        """Earlier exchanges from the owner's other conversations (not ``conversation_id``),
        unless memory is off (this request, the owner's preference, or the server)."""
        memory, settings = self._memory, self._settings
        if memory is None or not memory.enabled or request.memory is False:
            return []
        return await memory.recall(
            owner=owner,
            query=question_of(request),
            top_k=settings.memory_top_k,
            exclude=conversation_id,
            min_similarity=settings.memory_min_similarity,
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
            owner=principal.owner,
            query=question_of(request),
            collection=request.collection,
            top_k=request.top_k,
            reader=principal.user_id,
        )
        return result.hits

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
            return turns_digest.of_turns((m.role, self._masked_turn(m)) for m in turns)

        return await anyio.to_thread.run_sync(digest)

    def _masked_turn(self, message: Message) -> str:
        """A history message as the turns digest counts it, masked as it would be stored."""
        calls = [(c.name, self._mask(c.arguments)) for c in message.tool_calls]
        return turns_digest.turn_text(self._mask(message.content), calls)

    # -- units of work (run in a worker thread) --------------------------------

    def _begin(
        self,
        session: Session,
        request: ChatRequest,
        principal: Principal,
        follows: str | None = None,
    ) -> Begun:
        conversation_id, digest, history, summary = self._conversation(
            session, request, principal, follows
        )
        if request.answers:
            return self._answers(session, request, principal, conversation_id, digest)
        asked = self._mask(request.prompt)
        user_message_id = repo.add_message(
            session,
            owner=principal.owner,
            conversation_id=conversation_id,
            role="user",
            content=asked,
            source=request.source,
            status="ok",
        )
        return Begun(
            principal.owner,
            conversation_id,
            user_message_id,
            history,
            asked,
            digest=digest,
            asked=(("user", asked),),
            summary=summary,
        )

    def _answers(
        self,
        session: Session,
        request: ChatRequest,
        principal: Principal,
        conversation_id: str,
        digest: str,
    ) -> Begun:
        """Store the tool messages a client sent back; the first one's id stands for them."""
        ids, asked = [], []
        for answer in request.answers:
            content = self._mask(answer.content)
            ids.append(
                repo.add_message(
                    session,
                    owner=principal.owner,
                    conversation_id=conversation_id,
                    role="tool",
                    content=content,
                    source=request.source,
                    status="ok",
                    tool_call_id=answer.tool_call_id,
                    tool_name=answer.name,
                )
            )
            asked.append(("tool", content))
        return Begun(
            principal.owner, conversation_id, ids[0], [], "", digest=digest, asked=tuple(asked)
        )

    def _conversation(
        self,
        session: Session,
        request: ChatRequest,
        principal: Principal,
        follows: str | None,
    ) -> tuple[str, str, list[Message], Cover | None]:
        """The conversation to write to, its turns digest, its recent turns (none for a
        new one) and the summary of what came before them. ``follows``: the digest of the
        client's history, for a turn without a session that carries one."""
        title = self._mask(_title(question_of(request)))
        owner = principal.owner
        if request.session_id is None:
            if follows is not None:
                found = repo.continued_by(session, owner=owner, digest=follows)
                if found is not None:
                    repo.touch(session, owner=owner, conversation_id=found.id)
                    return found.id, found.turns_digest, [], None
                # A new conversation that continues the client's history: the next turn,
                # which sends this one's history too, finds it.
                new = repo.create(session, owner=owner, title=title, history_digest=follows)
                return new, follows, [], None
            return repo.create(session, owner=owner, title=title), turns_digest.EMPTY, [], None
        # Ids are per key: another key's conversation with this id is not looked at, so a
        # client-chosen id that someone else uses is as free as one nobody uses.
        conv = repo.get_owned(session, conversation_id=request.session_id, owner=owner)
        if conv is None and request.edit is not None:
            raise NotFound(f"No conversation '{request.session_id}'.")
        if conv is not None and request.edit is not None:
            _branch_off(session, conv, request.edit)
        if conv is None:
            if repo.exists(session, conversation_id=request.session_id, owner=owner):
                raise NotFound(f"No conversation '{request.session_id}'.")  # deleted: restorable
            new = repo.create(session, owner=owner, conversation_id=request.session_id, title=title)
            return new, turns_digest.EMPTY, [], None
        repo.touch(session, owner=owner, conversation_id=conv.id)
        if request.history is not None:
            # The client sent the history; the stored one is not re-read.
            return conv.id, conv.turns_digest, [], None
        limit = 2 * self._settings.history_turns
        rows = repo.recent_messages(session, conversation=conv, limit=limit)
        return conv.id, conv.turns_digest, _as_history(rows), _summary(session, conv, rows, limit)

    def _again(self, session: Session, request: ChatRequest, principal: Principal) -> Begun:
        """The last question of a conversation and the turns before it, to answer it again."""
        assert request.session_id is not None  # check()
        conv = repo.get_owned(session, conversation_id=request.session_id, owner=principal.owner)
        if conv is None:
            raise NotFound(f"No conversation '{request.session_id}'.")
        question, earlier = repo.last_question(
            session, conversation=conv, limit=2 * self._settings.history_turns
        )
        if question is None:
            raise BadInput("The conversation has no question to answer again.")
        history = _as_history(earlier)
        limit = 2 * self._settings.history_turns
        return Begun(
            conv.owner,
            conv.id,
            question.id,
            history,
            question.content,
            question.created,
            asked=(("user", question.content),),
            summary=_summary(session, conv, earlier, limit, before=question.created),
        )
