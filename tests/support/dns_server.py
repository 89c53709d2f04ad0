"""A real DNS server on 127.0.0.1 (UDP and TCP, one free port) whose answers a test sets.

The fetcher's refusals are about what names resolve to, so the tests make names really
resolve: ``dns.address("metadata.test", "169.254.169.254")``, then a fetcher built with
``fetch_dns_servers=[dns.server]`` resolves it over the wire like any other. ``flip``
answers one set of addresses to the first query and another to every later one (DNS
rebinding). Every query is recorded in ``queries``.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSRecord  # type: ignore[import-untyped]
from dnslib.server import BaseResolver, DNSLogger, DNSServer  # type: ignore[import-untyped]

TTL = 1  # short: nothing here should be cached across a test's steps


class _Answers(BaseResolver):  # type: ignore[misc]
    def __init__(self, owner: LoopbackDNS) -> None:
        self.owner = owner

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        records = self.owner.answer(name, qtype)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
        for rtype, value in records or []:
            zone = f"{name}. {TTL} IN {rtype} {value}"
            reply.add_answer(*RR.fromZone(zone))
        return reply


class _Quiet(DNSLogger):  # type: ignore[misc]
    """dnslib logs every packet to stdout by default."""

    def __init__(self) -> None:
        super().__init__(log="-recv,-send,-request,-reply,-truncated,-data,-error")


class LoopbackDNS:
    """The answers (name -> records), the query log, and the two servers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, list[tuple[str, str]]] = {}
        self._flips: dict[str, tuple[list[str], list[str]]] = {}
        self.queries: list[tuple[str, str]] = []
        self.port = 0
        self._servers: list[DNSServer] = []

    @property
    def server(self) -> str:
        """The ``host:port`` to put in ``fetch_dns_servers``."""
        return f"127.0.0.1:{self.port}"

    def address(self, name: str, *addresses: str) -> None:
        """``name`` answers these A/AAAA addresses (by their family)."""
        with self._lock:
            self._records[name.lower()] = [
                # exploded: dnslib's zone parser reads no dotted tail (::ffff:127.0.0.1)
                ("AAAA", ipaddress.IPv6Address(a).exploded) if ":" in a else ("A", a)
                for a in addresses
            ] + [r for r in self._records.get(name.lower(), []) if r[0] not in ("A", "AAAA")]

    def record(self, name: str, rtype: str, value: str) -> None:
        """Add any other record, in zone-file syntax: ``record("x.test", "MX", "10 mx.x.test.")``."""
        with self._lock:
            self._records.setdefault(name.lower(), []).append((rtype, value))

    def flip(self, name: str, first: list[str], then: list[str]) -> None:
        """A-record answers that change: ``first`` to the first A query, ``then`` after."""
        with self._lock:
            self._flips[name.lower()] = (first, then)

    def count(self, name: str, qtype: str = "A") -> int:
        with self._lock:
            return sum(1 for q in self.queries if q == (name.lower(), qtype))

    def answer(self, name: str, qtype: str) -> list[tuple[str, str]] | None:
        """Records for one question; None: no such name (NXDOMAIN)."""
        with self._lock:
            self.queries.append((name, qtype))
            if name in self._flips:
                first, then = self._flips[name]
                asked = sum(1 for q in self.queries if q == (name, "A"))
                chosen = first if asked <= 1 else then
                return [("A", a) for a in chosen] if qtype == "A" else []
            if name not in self._records:
                return None
            return [r for r in self._records[name] if r[0] == qtype]

    def start(self) -> None:
        for _ in range(20):  # a free UDP port whose TCP twin is free too
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            probe.close()
            try:
                udp = DNSServer(_Answers(self), address="127.0.0.1", port=port, logger=_Quiet())
            except OSError:
                continue
            try:
                tcp = DNSServer(
                    _Answers(self), address="127.0.0.1", port=port, tcp=True, logger=_Quiet()
                )
            except OSError:
                udp.server.server_close()
                continue
            self.port = port
            self._servers = [udp, tcp]
            for server in self._servers:
                server.server.daemon_threads = True
                threading.Thread(  # a short poll: stopping waits one interval
                    target=server.server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    daemon=True,
                ).start()
            return
        raise RuntimeError("no free port for the test DNS server")

    def stop(self) -> None:
        for server in self._servers:
            server.server.shutdown()
            server.server.server_close()
        self._servers = []


@contextmanager
def running_dns() -> Iterator[LoopbackDNS]:
    """A started ``LoopbackDNS``, stopped on exit."""
    dns = LoopbackDNS()
    dns.start()
    try:
        yield dns
    finally:
        dns.stop()
