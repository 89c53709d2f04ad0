"""A conversation export rendered as Markdown, for people (the JSON export is for programs)."""

from __future__ import annotations

from typing import Any

ROLE_NAMES = {"user": "You", "assistant": "Assistant", "system": "System"}


def as_markdown(export: dict[str, Any]) -> str:
    """The ``vega.conversation.v1`` export as a Markdown document.

    Message text is kept verbatim (it is Markdown already); each cited answer ends
    with its numbered sources, so the [n] in the text still lead somewhere.
    """
    lines = [f"# {export['title'] or 'Conversation'}", ""]
    lines += [f"*Exported from Vega. Created {export['created']}, id `{export['id']}`.*", ""]
    for message in export["messages"]:
        role = ROLE_NAMES.get(message["role"], message["role"].title())
        details = [d for d in (message.get("model"), _status(message)) if d]
        heading = f"## {role}" + (f" ({', '.join(details)})" if details else "")
        lines += [heading, "", message["content"].rstrip() or "*(empty)*", ""]
        sources = message.get("sources") or []
        if sources:
            lines += ["**Sources**", ""]
            for source in sources:
                where = f", {source['location']}" if source.get("location") else ""
                title = source.get("title") or "(document deleted)"
                lines.append(f"{source['rank']}. {title}{where}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _status(message: dict[str, Any]) -> str | None:
    status = message.get("status")
    return None if status in (None, "ok") else str(status)
