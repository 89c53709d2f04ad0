"""Importing conversations: Vega's own export, a ChatGPT export, an Open WebUI export.

People bring their history from other assistants. An export is read whole (size, count
and nesting budgets first), turned into plain ``ImportedConversation``s (titles and
timestamps kept; the user's and the assistant's text messages, every branch, the one
the other assistant showed last active), and written in one transaction: a bad export imports nothing.

What an export says about its owner (ChatGPT's ``user_id``, Open WebUI's ``user_id``,
Vega's conversation ids) is ignored: everything is the importer's, under new ids.
Titles are text: whatever markup they hold is stored and shown as characters.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from vega.errors import BadInput, PayloadTooLarge

MAX_CONVERSATIONS = 10_000
MAX_MESSAGES = 200_000  # in one import, all conversations together
MAX_MESSAGE_CHARS = 1_000_000
MAX_TITLE_CHARS = 200
ZIP_MEMBER = "conversations.json"  # where ChatGPT's export zip keeps them
ROLES = {"user": "user", "assistant": "assistant", "human": "user", "model": "assistant"}
# Timestamps outside these years are taken as garbage (milliseconds read as seconds, ...).
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    role: str  # user | assistant
    content: str
    created: datetime | None
    # In a tree (all three formats keep one): the export's id of this message and of
    # the kept message it follows (None: a first message). Without keys, a chain.
    key: str | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    title: str
    created: datetime | None
    updated: datetime | None
    messages: tuple[ImportedMessage, ...]  # each after the one it follows
    active: str | None = None  # the key of the branch's last message shown last


@dataclass(frozen=True, slots=True)
class ParsedExport:
    format: str  # vega | chatgpt | openwebui
    conversations: tuple[ImportedConversation, ...]


def read_export(raw: bytes, *, max_bytes: int) -> Any:
    """The export's JSON: a ``.json`` file, or ChatGPT's zip holding ``conversations.json``."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The export is over {max_bytes // (1024 * 1024)} MB.")
    if raw[:4] == b"PK\x03\x04":
        raw = _from_zip(raw, max_bytes=max_bytes)
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadInput("The export is nested too deeply to be a conversation export.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"The export is not JSON ({str(exc)[:120]}).") from None


def _from_zip(raw: bytes, *, max_bytes: int) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [i for i in archive.infolist() if i.filename.rsplit("/", 1)[-1] == ZIP_MEMBER]
            if not members:
                raise BadInput(f"The zip holds no {ZIP_MEMBER} (a ChatGPT export has one).")
            member = members[0]
            if member.file_size > max_bytes:
                raise PayloadTooLarge(f"{ZIP_MEMBER} unpacks to over {max_bytes // 2**20} MB.")
            with archive.open(member) as handle:
                data = handle.read(max_bytes + 1)  # the header may lie about the size
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise BadInput(f"The zip cannot be read ({str(exc)[:120]}).") from None
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{ZIP_MEMBER} unpacks to over {max_bytes // 2**20} MB.")
    return data


def parse_export(data: Any) -> ParsedExport:
    """Which assistant's export this is, and its conversations; ``BadInput`` if none."""
    items = data if isinstance(data, list) else [data]
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        items = data["conversations"]  # several of Vega's exports in one file
    if not items or not all(isinstance(item, dict) for item in items):
        raise BadInput("Not a Vega, ChatGPT or Open WebUI export (a JSON object or list).")
    if len(items) > MAX_CONVERSATIONS:
        raise PayloadTooLarge(f"The export has over {MAX_CONVERSATIONS} conversations.")
    first = items[0]
    reader: tuple[str, Callable[[dict[str, Any]], ImportedConversation]]
    if str(first.get("format", "")).startswith("vega.conversation."):
        reader = ("vega", _vega)
    elif "mapping" in first:
        reader = ("chatgpt", _chatgpt)
    elif isinstance(first.get("chat"), dict):
        reader = ("openwebui", _openwebui)
    else:
        raise BadInput("Not a Vega, ChatGPT or Open WebUI export: its format is not known.")
    name, read = reader
    conversations = tuple(read(item) for item in items)
    total = sum(len(c.messages) for c in conversations)
    if total > MAX_MESSAGES:
        raise PayloadTooLarge(f"The export has over {MAX_MESSAGES} messages.")
    return ParsedExport(name, conversations)


# --- the three formats ------------------------------------------------------------------


def _vega(item: dict[str, Any]) -> ImportedConversation:
    """The active path (``messages``) and the other branches (``branches``), linked by
    ``parent_id``; an export from before the tree is a chain."""
    if item.get("format") != "vega.conversation.v1":
        raise BadInput(f"Unknown Vega export format {str(item.get('format'))[:40]!r}.")
    path = [m for m in _list(item.get("messages"), "messages") if isinstance(m, dict)]
    others = [m for m in _list(item.get("branches", []), "branches") if isinstance(m, dict)]
    nodes: dict[str, Node] = {}
    previous = None
    for on_path, m in [(True, m) for m in path] + [(False, m) for m in others]:
        key = m.get("id")
        if not isinstance(key, str) or key in nodes:
            key = f"#{len(nodes)}"  # no id: on the path, it follows the message before it
        parent = m.get("parent_id", previous) if on_path else m.get("parent_id")
        kept = m.get("status") in (None, "ok")
        nodes[key] = Node(
            parent if isinstance(parent, str) else None,
            _message(m.get("role"), m.get("content"), _when(m.get("created"))) if kept else None,
        )
        if on_path:
            previous = key
    messages, active = tree(nodes, previous)
    return _conversation(
        item.get("title"), item.get("created"), item.get("updated"), messages, active
    )


def _chatgpt(item: dict[str, Any]) -> ImportedConversation:
    """Every branch of ChatGPT's ``mapping``; the one it showed last (``current_node``)
    is the active one."""
    mapping = item.get("mapping")
    if not isinstance(mapping, dict):
        raise BadInput("A ChatGPT conversation without its mapping.")
    nodes: dict[str, Node] = {}
    for key, node in mapping.items():
        if not isinstance(node, dict):
            continue
        message, kept = node.get("message"), None
        if isinstance(message, dict):
            author = message.get("author")
            role = author.get("role") if isinstance(author, dict) else None
            text = _chatgpt_text(message.get("content"))
            if text is not None:
                kept = _message(role, text, _when(message.get("create_time")))
        parent = node.get("parent")
        nodes[str(key)] = Node(parent if isinstance(parent, str) else None, kept)
    messages, active = tree(nodes, item.get("current_node"))
    return _conversation(
        item.get("title"), item.get("create_time"), item.get("update_time"), messages, active
    )


def _chatgpt_text(content: Any) -> str | None:
    """The text of a ChatGPT message's content (images, code runs and the like: none)."""
    if not isinstance(content, dict) or content.get("content_type") not in (
        "text",
        "multimodal_text",
    ):
        return None
    parts = [p for p in content.get("parts") or [] if isinstance(p, str)]
    return "\n".join(parts) if parts else None


def _openwebui(item: dict[str, Any]) -> ImportedConversation:
    """Every branch of ``chat.history`` (``currentId`` the active one); a chat with only
    its ``messages`` list is a chain."""
    chat = item["chat"]
    history = chat.get("history")
    title = item.get("title") or chat.get("title")
    created = item.get("created_at") or chat.get("timestamp")
    if isinstance(history, dict) and isinstance(history.get("messages"), dict):
        nodes: dict[str, Node] = {}
        for key, m in history["messages"].items():
            if isinstance(m, dict):
                parent = m.get("parentId")
                nodes[str(key)] = Node(
                    parent if isinstance(parent, str) else None,
                    _message(m.get("role"), m.get("content"), _when(m.get("timestamp"))),
                )
        messages, active = tree(nodes, history.get("currentId"))
        return _conversation(title, created, item.get("updated_at"), messages, active)
    raw = chat.get("messages")
    if not isinstance(raw, list):
        raise BadInput("An Open WebUI chat without messages.")
    chain = [
        _message(m.get("role"), m.get("content"), _when(m.get("timestamp")))
        for m in raw
        if isinstance(m, dict)
    ]
    return _conversation(title, created, item.get("updated_at"), chain)


@dataclass(frozen=True, slots=True)
class Node:
    """A message of an export's tree: the id it follows, and what is kept of it (None:
    a system prompt, a tool run, an empty or failed turn)."""

    parent: str | None
    message: ImportedMessage | None


def tree(nodes: dict[str, Node], active: Any) -> tuple[list[ImportedMessage | None], str | None]:
    """The kept messages of a tree, each after the one it follows (depth first, siblings
    in the export's order), each linked to its nearest kept ancestor; and the kept
    message that ends the active branch (``active``, or its nearest kept ancestor). A
    cycle or a missing parent makes a message a first one."""

    def kept_ancestor(key: Any) -> str | None:
        seen: set[str] = set()
        while isinstance(key, str) and key in nodes and key not in seen:
            seen.add(key)
            if nodes[key].message is not None:
                return key
            key = nodes[key].parent
        return None

    up = {k: kept_ancestor(n.parent) for k, n in nodes.items() if n.message is not None}
    done: set[str] = set()
    for start in up:  # a cycle is cut where a walk up from a message closes it
        walked: list[str] = []
        at: str | None = start
        while at is not None and at not in done and at not in walked:
            walked.append(at)
            at = up[at]
        if at is not None and at in walked:
            up[at] = None
        done.update(walked)
    children: dict[str | None, list[str]] = {}
    for key, parent in up.items():
        children.setdefault(parent, []).append(key)
    out: list[ImportedMessage | None] = []
    stack = list(reversed(children.get(None, [])))
    while stack:  # iterative: a deep export must not exhaust Python's stack
        key = stack.pop()
        message = nodes[key].message
        assert message is not None
        out.append(replace(message, key=key, parent=up[key]))
        stack.extend(reversed(children.get(key, [])))
    return out, kept_ancestor(active)


# --- shared ---------------------------------------------------------------------------------


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadInput(f"An export's {what} must be a list.")
    return value


def _message(role: Any, content: Any, created: datetime | None) -> ImportedMessage | None:
    kept = ROLES.get(str(role).lower()) if isinstance(role, str) else None
    if kept is None or not isinstance(content, str) or not content.strip():
        return None  # system prompts, tool runs, empty turns: not part of the exchange
    if len(content) > MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(f"A message of the export is over {MAX_MESSAGE_CHARS} characters.")
    return ImportedMessage(kept, _text(content), created)


def _conversation(
    title: Any,
    created: Any,
    updated: Any,
    messages: list[ImportedMessage | None],
    active: str | None = None,
) -> ImportedConversation:
    kept = tuple(m for m in messages if m is not None)
    first = _when(created) or next((m.created for m in kept if m.created), None)
    last = _when(updated) or next((m.created for m in reversed(kept) if m.created), first)
    return ImportedConversation(_title(title, kept), first, last, kept, active)


def _title(value: Any, messages: tuple[ImportedMessage, ...]) -> str:
    text = value if isinstance(value, str) and value.strip() else ""
    if not text and messages:
        text = messages[0].content
    line = " ".join(_text(text).split())
    return line if len(line) <= MAX_TITLE_CHARS else line[: MAX_TITLE_CHARS - 1] + "…"


def _text(value: str) -> str:
    """Text as it can be stored: no control characters but line breaks and tabs, no lone
    surrogates (JSON can carry them; no database stores them)."""
    cleaned = _CONTROL.sub("", value)
    if not cleaned.isascii():
        cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
        cleaned = unicodedata.normalize("NFC", cleaned)
    return cleaned


def _when(value: Any) -> datetime | None:
    """A timestamp as exports write them: ISO 8601, or seconds (or milliseconds) since 1970."""
    moment: datetime | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value) / 1000 if value > 1e11 else float(value)
        try:
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    if moment is None or not EARLIEST <= moment < LATEST:
        return None
    return moment.astimezone(UTC)
