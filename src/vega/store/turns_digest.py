"""A conversation's turns as one short digest, so that a client's history finds its conversation.

OpenAI and Ollama clients send the whole conversation with every request and no id.
Vega keeps on each conversation row the digest of the user/assistant turns such a
client would send to continue it, and compares it with the digest of the history a
request carries: one indexed lookup, no message is read.

The digest is a hash chain: ``extend(d, role, text)`` is the SHA-256 of ``d``, the role
and the text, so the digest of a list of turns depends on every turn and its place.
Texts are taken as stored, that is after PII masking (the caller masks a client's
history the same way before hashing it): the digest then says nothing about a masked
e-mail or card number that the stored rows do not say (a hash of the unmasked text
could be brute-forced back to the masked value), and it can be recomputed from the
rows alone (migrations, regenerated answers). Leading and trailing white space is not
part of a turn: clients differ in whether they keep it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

EMPTY = ""  # no turns yet


def extend(digest: str, role: str, text: str) -> str:
    """The digest of the turns of ``digest`` followed by one more turn."""
    # The prefix is unambiguous: a digest is empty or 64 hex digits, a role has no newline.
    head = f"{digest}\n{role}\n".encode()
    return hashlib.sha256(head + text.strip().encode("utf-8", "surrogatepass")).hexdigest()


def of_turns(turns: Iterable[tuple[str, str]], *, start: str = EMPTY) -> str:
    """The digest of ``(role, text)`` turns, in order, after those of ``start``."""
    digest = start
    for role, text in turns:
        digest = extend(digest, role, text)
    return digest


def of_exchange(digest: str, prompt: str, reply: str) -> str:
    """After one exchange: the user's prompt and the reply that answered it."""
    return extend(extend(digest, "user", prompt), "assistant", reply)


def turn_text(content: str, tool_calls: Sequence[Any] | None = None) -> str:
    """What an assistant message counts as: its text, and the calls it made.

    Calls are ``(name, arguments JSON)`` pairs (or stored ``{"name", "arguments"}``
    dicts), the arguments compared as values: OpenAI clients send the text back as given,
    Ollama clients an object whose keys may come back in another order.
    """
    if not tool_calls:
        return content
    pairs = []
    for call in tool_calls:
        name, arguments = (call["name"], call["arguments"]) if isinstance(call, dict) else call
        try:
            value: Any = json.loads(arguments) if isinstance(arguments, str) else arguments
        except ValueError:
            value = arguments
        pairs.append([name, value])
    return content.strip() + "\n" + json.dumps(pairs, sort_keys=True, ensure_ascii=False)


def of_stored(rows: Iterable[tuple[Any, ...]], *, start: str = EMPTY) -> str:
    """The digest of a conversation's live messages ``(role, content, status[, tool_calls])``,
    oldest first.

    Only exchanges that a client was shown count: what was asked (a user message, or the
    tool messages answering the calls of the reply before) and the successful reply that
    answered it. A failed or cancelled reply never reached an OpenAI or Ollama client as
    an assistant message (it got an error), so neither it nor what it failed to answer is
    in the history that client sends next.
    """
    digest, asked = start, list[tuple[str, str]]()
    for row in rows:
        role, content, status = row[0], row[1], row[2]
        calls = row[3] if len(row) > 3 else None
        if role == "user":
            asked = [("user", content)]
        elif role == "tool":
            asked = (
                [*asked, ("tool", content)]
                if asked[:1] and asked[0][0] == "tool"
                else [("tool", content)]
            )
        elif role == "assistant" and status == "ok" and asked:
            digest = of_turns([*asked, ("assistant", turn_text(content, calls))], start=digest)
            asked = []
    return digest
