"""The OSINT helpers: a name's DNS records, a server's TLS certificate, a URL's headers.

They reuse the fetcher's parts so they obey the same rules: ``dns_lookup`` asks the
fetcher's resolver and may name any host (it only reveals what DNS already publishes,
and sends nothing to the host itself); ``tls_certificate`` connects, so it goes through
``AddressGuard`` like a fetch (resolve once, check every address, connect to a checked
one, TLS with SNI on the name); ``http_headers`` is a fetch. Each is bounded by the
fetch time limit and raises only ``VegaError``s.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import anyio
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename
from anyio.streams.tls import TLSAttribute, TLSStream
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from vega.errors import BadInput, FetchFailed
from vega.integrations.addresses import IPAddress, normalise_host
from vega.integrations.fetch import SafeFetcher

RECORD_TYPES = ("A", "AAAA", "MX", "TXT", "NS", "CNAME")
# Types a lookup may ask for: the ones that describe a domain publicly.
KNOWN_RECORD_TYPES = frozenset(
    {*RECORD_TYPES, "SOA", "CAA", "SRV", "PTR", "DS", "DNSKEY", "HTTPS", "SVCB"}
)


def _rdata_text(rdata: Any) -> str:
    if rdata.rdtype == dns.rdatatype.TXT:  # the strings themselves, not quoted wire form
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    return str(rdata.to_text())


def _query_name(name: str, record_types: Iterable[str]) -> tuple[dns.name.Name, list[str]]:
    """The name to ask about and the types; an IP address asks for its PTR record."""
    types = [t.strip().upper() for t in record_types]
    unknown = sorted(set(types) - KNOWN_RECORD_TYPES)
    if unknown:
        raise BadInput(
            f"Unknown DNS record type {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_RECORD_TYPES))}."
        )
    try:
        return dns.reversename.from_address(str(ipaddress.ip_address(name.strip()))), ["PTR"]
    except ValueError:
        pass
    try:
        return dns.name.from_text(normalise_host(name)), types
    except (dns.exception.DNSException, ValueError) as exc:
        raise BadInput(f"{name!r} is not a DNS name ({exc}).") from None


async def dns_lookup(
    name: str, record_types: Iterable[str] = RECORD_TYPES, *, fetcher: SafeFetcher
) -> dict[str, Any]:
    """The records of ``name`` by type, as DNS presents them (TXT as its text):
    ``{"name", "exists", "records": {type: [...]}, "ttl": {type: s}, "errors": {type: why}}``.
    ``exists`` is False when the name does not exist (NXDOMAIN): an answer, not an
    error. ``FetchFailed`` only when no type could be asked at all (DNS unreachable)."""
    qname, types = _query_name(name, record_types)
    resolver = fetcher.resolver.dns()
    records: dict[str, list[str]] = {}
    ttl: dict[str, int] = {}
    errors: dict[str, str] = {}
    missing: list[str] = []

    async def ask(rdtype: str) -> None:
        try:
            answer = await resolver.resolve(qname, rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            missing.append(rdtype)
            return
        except dns.exception.DNSException as exc:
            errors[rdtype] = str(exc) or type(exc).__name__
            return
        records[rdtype] = [_rdata_text(rdata) for rdata in answer]
        if answer.rrset is not None:
            ttl[rdtype] = answer.rrset.ttl

    try:
        with anyio.fail_after(fetcher.limits.timeout_s):
            async with anyio.create_task_group() as group:
                for rdtype in dict.fromkeys(types):
                    group.start_soon(ask, rdtype)
    except TimeoutError:
        raise FetchFailed(f"The DNS lookup of {name} took too long.", host=name) from None
    if errors and len(errors) == len(set(types)):
        raise FetchFailed(
            f"The DNS lookup of {name} failed ({next(iter(errors.values()))}).", host=name
        )
    return {
        "name": qname.to_text(omit_final_dot=True),
        "exists": not missing,
        "records": {t: records.get(t, []) for t in dict.fromkeys(types)},
        "ttl": ttl,
        "errors": errors,
    }


def _unverified_context() -> ssl.SSLContext:
    # Only to read a certificate that did not verify, so it can be reported; no request
    # is sent over this connection.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def _handshake(
    addresses: list[IPAddress], port: int, host: str, context: ssl.SSLContext
) -> tuple[IPAddress, bytes, dict[str, Any]]:
    """TLS with SNI ``host`` to the first checked address that answers: the address,
    the peer's certificate (DER) and the session's version and cipher."""
    failure: Exception = FetchFailed(f"{host} has no address.", host=host)
    for ip in addresses:
        try:
            stream = await anyio.connect_tcp(str(ip), port)
        except OSError as exc:
            failure = exc
            continue
        try:
            tls = await TLSStream.wrap(
                stream, hostname=host, ssl_context=context, standard_compatible=False
            )
            # anyio's typed stream attributes (ruff's S610 takes them for Django's .extra)
            der = tls.extra(TLSAttribute.peer_certificate_binary)  # noqa: S610  # nosec B610
            session = {
                "tls_version": tls.extra(TLSAttribute.tls_version),  # noqa: S610  # nosec B610
                "cipher": tls.extra(TLSAttribute.cipher)[0],  # noqa: S610  # nosec B610
            }
            await tls.aclose()
        finally:
            await stream.aclose()
        if not der:
            raise FetchFailed(f"{host}:{port} sent no certificate.", host=host)
        return ip, der, session
    raise failure


def _verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def describe_certificate(der: bytes) -> dict[str, Any]:
    """The fields of a certificate a person checks: who, by whom, for which names, when."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise FetchFailed(f"The server's certificate could not be parsed ({exc}).") from None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = []
    algorithm = cert.signature_hash_algorithm
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "subject_alt_names": names,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "expired": datetime.now(UTC) > cert.not_valid_after_utc,
        "self_signed": cert.subject == cert.issuer,
        "serial_number": format(cert.serial_number, "x"),
        "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(":"),
        "signature_hash": algorithm.name if algorithm is not None else None,
    }


async def tls_certificate(host: str, port: int = 443, *, fetcher: SafeFetcher) -> dict[str, Any]:
    """The certificate ``host:port`` presents, described, with ``verified`` (does it
    verify for ``host`` against the fetcher's trust store) and ``verify_error``. An
    invalid certificate is still read and reported: that is what one looks it up for."""
    name = normalise_host(host)
    if not 0 < port < 65536:
        raise BadInput(f"{port} is not a TCP port.")
    verified, verify_error = True, None
    try:
        with anyio.fail_after(fetcher.limits.timeout_s):
            addresses = await fetcher.guard.resolve(name)
            try:
                ip, der, session = await _handshake(addresses, port, name, fetcher.ssl_context)
            except (ssl.SSLError, anyio.BrokenResourceError) as exc:
                mismatch = _verification_error(exc)
                if mismatch is None:
                    raise
                verified, verify_error = False, mismatch.verify_message
                ip, der, session = await _handshake(addresses, port, name, _unverified_context())
    except TimeoutError:
        raise FetchFailed(
            f"The TLS handshake with {name}:{port} took too long.", host=name
        ) from None
    except (OSError, ssl.SSLError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
        raise FetchFailed(
            f"Cannot read the TLS certificate of {name}:{port} ({exc or type(exc).__name__}).",
            host=name,
        ) from None
    return {
        "host": name,
        "port": port,
        "address": str(ip),
        **session,
        **describe_certificate(der),
        "verified": verified,
        "verify_error": verify_error,
    }


async def http_headers(url: str, *, fetcher: SafeFetcher) -> dict[str, Any]:
    """The status and response headers of ``url`` after redirects (each hop checked),
    whatever the status: ``{"url", "status", "headers", "redirects", "address"}``."""
    fetched = await fetcher.head(url)
    return {
        "url": fetched.url,
        "status": fetched.status,
        "headers": fetched.headers,
        "redirects": fetched.redirects,
        "address": fetched.address,
    }
