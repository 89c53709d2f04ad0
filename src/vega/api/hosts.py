"""Which ``Host`` Vega answers to: the defence against DNS rebinding.

A page on ``evil.example`` can point its own name at 127.0.0.1 once it has loaded (DNS
rebinding). Its scripts then reach Vega as the same origin as the page, so the
browser lets them read the answers, but every request still says ``Host:
evil.example``. So every request, HTTP and WebSocket handshake alike (``/healthz``
too: one rule, nothing to remember), is answered only for a host that no one else can
point at this machine:

- ``localhost`` and ``*.localhost`` (RFC 6761: they mean loopback, and browsers resolve
  them to it without asking DNS);
- IP literals, as browsers send them (dotted-quad IPv4, bracketed IPv6), whatever
  address Vega is bound to: no DNS answer is involved, so nothing can rebind one, and a
  page whose origin is an IP literal only ever talks to that address. This covers
  loopback, the bound address, the pod IP that orchestrators' health probes use, and a
  LAN address. Other spellings of numbers (``2130706433``, ``0x7f000001``,
  ``0177.0.0.1``) are not IP literals in a URL (RFC 3986), and browsers rewrite them to
  the dotted form before sending them: only programs send them, so they are names like
  any other, and refused unless listed;
- the bound address when it is a name (``VEGA_HOST``);
- the names in ``VEGA_ALLOWED_HOSTS``: exact, any case, a trailing dot ignored; an entry
  with a port matches that port only; ``*`` answers any well-formed host (which DNS
  rebinding can then abuse).

Case does not matter and one trailing dot is ignored everywhere (``LOCALHOST``,
``localhost.``); the port does not matter either (a proxy may change it), except for
an allowed entry that names one.

Refused, before any route or page answers (only the request framing checks of
``vega.api.body_guard``, which read nothing, come first):

- ``421 misdirected_request``, saying how to allow the name: any other host;
- ``400 bad_request``: no ``Host`` on HTTP/1.1 or two of them (RFC 9112, 3.2), an empty
  one, or one that is not ``host[:port]`` (userinfo such as ``a@localhost``, a path,
  spaces). HTTP/1.0 may leave ``Host`` out; browsers never do.

Refusals are JSON in the shape of the path (``vega.api.error_shapes``: OpenAI's and
Ollama's under ``/v1`` and ``/api``); a WebSocket handshake gets the same status and
body as its denial response.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from contextlib import suppress

from starlette.types import ASGIApp, Receive, Scope, Send

from vega.api.error_shapes import Refusal, send_refusal, shape_for
from vega.errors import ConfigError

# host [":" port], where host is a name (letters, digits, '-', '_', '.') or a bracketed
# IPv6 address. Nothing else belongs in Host: no userinfo, path, query or spaces.
_HOST = re.compile(r"(?P<name>[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{0,5}))?")
LONGEST_NAME = 253  # RFC 1035, without the trailing dot
ANY = "*"


def split_host(value: str) -> tuple[str, str | None]:
    """``(name, port)`` of a Host value, the name lowercased without its trailing dot
    (an IPv6 literal keeps its brackets); raises ValueError for anything else."""
    match = _HOST.fullmatch(value)
    if match is None:
        raise ValueError(f"not a host[:port]: {value!r}")
    name = match["name"].lower()
    if name.endswith(".") and not name.startswith("["):
        name = name[:-1]
    if not name or len(name) > LONGEST_NAME:
        raise ValueError(f"not a host[:port]: {value!r}")
    return name, match["port"] or None


def is_ip_literal(name: str) -> bool:
    """A canonical IPv4 literal or a bracketed IPv6 one (``split_host``'s names)."""
    try:
        if name.startswith("["):
            ipaddress.IPv6Address(name[1:-1])
        else:
            ipaddress.IPv4Address(name)  # refuses leading zeros, hex and bare numbers
    except ValueError:
        return False
    return True


def is_localhost_name(name: str) -> bool:
    return name == "localhost" or name.endswith(".localhost")


def is_loopback(host: str) -> bool:
    """Whether a bind address or host name (``VEGA_HOST``) means this machine only."""
    try:
        name, _ = split_host(host if ":" not in host or host.startswith("[") else f"[{host}]")
    except ValueError:
        return False
    if is_localhost_name(name):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


class AllowedHosts:
    """The rule above, for one server: its bind address and ``VEGA_ALLOWED_HOSTS``."""

    def __init__(self, *, bound: str, allowed: Iterable[str]) -> None:
        self.any = False
        self._names: set[str] = set()
        self._with_port: set[tuple[str, str]] = set()
        for entry in allowed:
            entry = entry.strip()
            if entry == ANY:
                self.any = True
                continue
            try:
                name, port = split_host(entry)
            except ValueError:
                raise ConfigError(
                    f"VEGA_ALLOWED_HOSTS: {entry!r} is not a host name; give names such as "
                    "vega.example.org or vega.example.org:8443, comma-separated (or *)."
                ) from None
            if port is None:
                self._names.add(name)
            else:
                self._with_port.add((name, port))
        # An IPv6 bind address (no brackets) is no name: an IP literal, allowed anyway.
        with suppress(ValueError):
            self._names.add(split_host(bound)[0])

    def allows(self, name: str, port: str | None) -> bool:
        return (
            self.any
            or name in self._names
            or is_localhost_name(name)
            or is_ip_literal(name)
            or (port is not None and (name, port) in self._with_port)
        )

    def refusal(self, scope: Scope) -> Refusal | None:
        """Why the request's Host is not one to answer; None when it is."""
        values = [v for k, v in scope.get("headers", ()) if k == b"host"]
        if len(values) > 1:
            return Refusal(400, "bad_request", "The request has more than one Host header.")
        if not values:
            if scope.get("http_version") == "1.0":
                return None  # HTTP/1.0 had no Host; no browser leaves it out
            return Refusal(400, "bad_request", "The request has no Host header.")
        raw = values[0].decode("latin-1").strip()
        if not raw:
            return Refusal(400, "bad_request", "The Host header is empty.")
        try:
            name, port = split_host(raw)
        except ValueError:
            return Refusal(
                400, "bad_request", "The Host header is not a host name with an optional port."
            )
        if self.allows(name, port):
            return None
        return Refusal(
            421,
            "misdirected_request",
            f"This server does not answer to the host name {name!r}. If it should (a name "
            "of this machine, or of a proxy in front of it), add the name to "
            "VEGA_ALLOWED_HOSTS (comma-separated) and restart Vega.",
        )


class HostCheckMiddleware:
    """Answers a refused Host itself; everything else goes on to the app."""

    def __init__(self, app: ASGIApp, *, hosts: AllowedHosts) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            refused = self.hosts.refusal(scope)
            if refused is not None:
                await _refuse(scope, send, refused)
                return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, send: Send, refused: Refusal) -> None:
    path = scope["path"]
    if scope["type"] == "http":
        # The body, if any, is left unread: close the connection rather than read it.
        await send_refusal(send, path, refused)
    elif "websocket.http.response" in scope.get("extensions", {}):
        payload = shape_for(path).payload(refused)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send(
            {"type": "websocket.http.response.start", "status": refused.status, "headers": headers}
        )
        await send({"type": "websocket.http.response.body", "body": payload})
    else:  # a server without denial responses: closing before accepting is a 403
        await send({"type": "websocket.close", "code": 1008})
