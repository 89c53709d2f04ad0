"""The SSRF-safe fetcher and the OSINT lookups over a real DNS server and real HTTP(S).

Names resolve through a DNS server on loopback that these tests run (so
``metadata.test`` really answers 169.254.169.254 and ``flip.test`` really changes its
answer between queries); pages come from servers on 127.0.0.1 and 127.0.0.2, reached
through ``pages.test``, the one name the tests put in ``fetch_allow_hosts``. Every TCP
connection the code under test opens is recorded, and one to anything but loopback
fails the test before a packet leaves: a broken rule shows up as a failure here, never
as traffic to 10.0.0.5 or 169.254.169.254.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

from tests.support.dns_server import LoopbackDNS, running_dns
from tests.support.pages_server import (
    ARTICLE_TITLE,
    BIG_BYTES,
    INJECTED_URLS,
    Pages,
    running_pages,
)
from vega.errors import FetchFailed, FetchRefused
from vega.integrations.fetch import ANY_TYPE, DOCUMENT_TYPES, SafeFetcher
from vega.integrations.lookups import dns_lookup, http_headers, tls_certificate
from vega.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(20)]

ALLOWED = ["pages.test", "tls.test", "wrong.test"]


@pytest.fixture(scope="module")
def dns() -> Iterator[LoopbackDNS]:
    with running_dns() as server:
        for name in ("pages.test", "tls.test", "wrong.test", "loopback.test"):
            server.address(name, "127.0.0.1")
        server.address("metadata.test", "169.254.169.254")
        server.address("private.test", "10.0.0.5")
        server.address("v6mapped.test", "::ffff:127.0.0.1")
        server.address("public.test", "127.0.0.2")  # "public" for the rebinding fetchers
        server.address("mixed.test", "127.0.0.2", "127.0.0.1")
        server.address("osint.test", "127.0.0.1")
        server.record("osint.test", "MX", "10 mail.osint.test.")
        server.record("osint.test", "TXT", '"v=spf1 -all"')
        server.record("osint.test", "NS", "ns1.osint.test.")
        yield server


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    with running_pages(tmp_path_factory.mktemp("pages")) as running:
        yield running


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address the code under test connects to; anything off loopback fails."""
    opened: list[str] = []
    real_connect = anyio.connect_tcp

    async def tripwire(remote_host: Any, remote_port: int, **kwargs: Any) -> Any:
        address = ipaddress.ip_address(str(remote_host))
        assert address.is_loopback, f"the fetcher tried to connect to {address}"
        opened.append(str(address))
        return await real_connect(remote_host, remote_port, **kwargs)

    monkeypatch.setattr(anyio, "connect_tcp", tripwire)
    return opened


@pytest.fixture
async def make_fetcher(dns: LoopbackDNS) -> AsyncIterator[Callable[..., SafeFetcher]]:
    made: list[SafeFetcher] = []

    def make(
        *,
        allow_networks: tuple[str, ...] = (),
        ssl_context: ssl.SSLContext | None = None,
        **overrides: Any,
    ) -> SafeFetcher:
        values: dict[str, Any] = {
            "fetch_dns_servers": [dns.server],
            "fetch_allow_hosts": ALLOWED,
            "fetch_timeout_s": 5.0,
            **overrides,
        }
        settings = Settings(_env_file=None, **values)
        fetcher = SafeFetcher.from_settings(
            settings, ssl_context=ssl_context, allow_networks=allow_networks
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        await fetcher.aclose()


@pytest.fixture
def fetcher(make_fetcher: Callable[..., SafeFetcher]) -> SafeFetcher:
    return make_fetcher()


def url(pages: Pages, path: str, host: str = "pages.test") -> str:
    return f"http://{host}:{pages.port}{path}"


# --- reading pages ---------------------------------------------------------------


async def test_an_article_is_read_as_its_title_and_main_text(
    fetcher: SafeFetcher, pages: Pages
) -> None:
    page = await fetcher.read(url(pages, "/article"))
    assert page.title == ARTICLE_TITLE
    assert "lighthouse keeper counts the hulls" in page.text
    assert "Cookie settings" not in page.text and "About us" not in page.text
    assert page.content_type == "text/html"
    assert page.url == url(pages, "/article")


async def test_text_types_are_read_as_they_are(fetcher: SafeFetcher, pages: Pages) -> None:
    plain = await fetcher.read(url(pages, "/plain"))
    assert plain.text == "Café au lait, crème brûlée."  # the declared latin-1 honoured
    notes = await fetcher.read(url(pages, "/notes.md"))
    assert notes.title == "Field notes" and "low at six" in notes.text
    data = await fetcher.read(url(pages, "/data.json"))
    assert data.text == '{"tide": "low", "hour": 6}'
    squeezed = await fetcher.fetch(url(pages, "/gzip"))
    assert squeezed.body == b"squeezed text"


async def test_same_site_redirects_are_followed_and_recorded(
    fetcher: SafeFetcher, pages: Pages
) -> None:
    fetched = await fetcher.fetch(url(pages, "/hop-abs"))
    assert fetched.url == url(pages, "/article")
    assert fetched.redirects == [url(pages, "/hop-abs"), url(pages, "/hop")]
    assert fetched.address == "127.0.0.1"


# --- refusals: the same loopback page, spelled every way ----------------------------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("2130706433", "127.0.0.1 is a loopback address"),
        ("0177.0.0.1", "127.0.0.1 is a loopback address"),
        ("0x7f.1", "127.0.0.1 is a loopback address"),
        ("127.1", "127.0.0.1 is a loopback address"),
        ("[::ffff:127.0.0.1]", "IPv4-mapped IPv6 address of 127.0.0.1"),
        ("[::1]", "::1 is a loopback address"),
        ("localhost", "localhost is a loopback name"),
        ("loopback.test", "loopback.test resolves to 127.0.0.1, a loopback address"),
        ("v6mapped.test", "resolves to ::ffff:7f00:1, an IPv4-mapped IPv6 address of 127.0.0.1"),
        ("metadata.test", "resolves to 169.254.169.254, a link-local (cloud metadata) address"),
        ("private.test", "private.test resolves to 10.0.0.5, a private address"),
    ],
)
async def test_the_served_page_is_refused_under_any_other_name(
    fetcher: SafeFetcher, pages: Pages, connections: list[str], host: str, reason: str
) -> None:
    with pytest.raises(FetchRefused) as caught:
        await fetcher.fetch(url(pages, "/article", host))
    assert reason in caught.value.message
    assert connections == []


async def test_urls_a_page_injects_are_refused(
    fetcher: SafeFetcher, pages: Pages, connections: list[str]
) -> None:
    """A page tells the model to fetch the metadata service: reading it is fine, doing
    what it says is not."""
    page = await fetcher.read(url(pages, "/injection"))
    found = re.findall(r"https?://\S+", page.text)
    assert found == list(INJECTED_URLS)
    connections.clear()
    for injected in found:
        with pytest.raises(FetchRefused, match=r"^refused: .*(link-local|private|metadata)"):
            await fetcher.read(injected)
    assert connections == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/redirect-loopback", "127.0.0.1 is a loopback address (redirect 1 to http://127.0.0.1:"),
        ("/redirect-metadata", "link-local (cloud metadata) address (redirect 1 to http://169"),
        ("/redirect-file", "file scheme"),
        ("/chain/1", "private.test resolves to 10.0.0.5, a private address (redirect 2 to"),
    ],
)
async def test_a_redirect_into_a_forbidden_place_is_refused_naming_the_hop(
    fetcher: SafeFetcher, pages: Pages, connections: list[str], path: str, message: str
) -> None:
    with pytest.raises(FetchRefused) as caught:
        await fetcher.fetch(url(pages, path))
    assert message in caught.value.message
    assert set(connections) == {"127.0.0.1"}  # pages.test only, never the target


# --- DNS rebinding ---------------------------------------------------------------


async def test_the_address_checked_is_the_address_connected_to(
    make_fetcher: Callable[..., SafeFetcher],
    dns: LoopbackDNS,
    pages: Pages,
    connections: list[str],
) -> None:
    """flip.test answers 127.0.0.2 (allowed here: the stand-in for a public address)
    once, then 127.0.0.1. The fetcher asks once, checks that answer and connects to
    it: the page it gets says it was served on 127.0.0.2. A fetcher that checked one
    answer and let its HTTP client resolve again would have landed on 127.0.0.1."""
    dns.flip("flip.test", first=["127.0.0.2"], then=["127.0.0.1"])
    first = make_fetcher(allow_networks=("127.0.0.2/32",))
    fetched = await first.fetch(url(pages, "/whoami", "flip.test"))
    assert fetched.body == b"127.0.0.2" and fetched.address == "127.0.0.2"
    assert dns.count("flip.test") == 1
    assert connections == ["127.0.0.2"]

    # The next connection resolves anew, gets 127.0.0.1, and is refused before connecting.
    second = make_fetcher(allow_networks=("127.0.0.2/32",))
    with pytest.raises(
        FetchRefused, match=re.escape("flip.test resolves to 127.0.0.1, a loopback")
    ):
        await second.fetch(url(pages, "/whoami", "flip.test"))
    assert dns.count("flip.test") == 2
    assert connections == ["127.0.0.2"]


async def test_one_forbidden_address_among_the_answers_refuses_the_name(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages, connections: list[str]
) -> None:
    fetcher = make_fetcher(allow_networks=("127.0.0.2/32",))
    assert (await fetcher.fetch(url(pages, "/whoami", "public.test"))).body == b"127.0.0.2"
    with pytest.raises(FetchRefused, match=re.escape("mixed.test resolves to 127.0.0.1")):
        await fetcher.fetch(url(pages, "/whoami", "mixed.test"))
    assert connections == ["127.0.0.2"]


# --- caps --------------------------------------------------------------------------


async def test_a_page_over_the_size_cap_is_cut_off(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages
) -> None:
    fetcher = make_fetcher(fetch_max_mb=1)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="larger than 1 MB"):
        await fetcher.fetch(url(pages, "/big"))
    with pytest.raises(FetchFailed, match="larger than 64 KB"):
        await fetcher.fetch(url(pages, "/big"), max_bytes=64 * 1024)
    assert time.monotonic() - started < 2
    assert BIG_BYTES > 1024 * 1024


async def test_a_compression_bomb_stops_at_the_cap(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages
) -> None:
    fetcher = make_fetcher(fetch_max_mb=1)  # the body inflates to 20 MB
    with pytest.raises(FetchFailed, match="larger than 1 MB"):
        await fetcher.fetch(url(pages, "/bomb"))
    with pytest.raises(FetchFailed, match="compressed as 'br'"):
        await fetcher.fetch(url(pages, "/brotli"))


async def test_a_slow_page_stops_at_the_time_limit(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages
) -> None:
    fetcher = make_fetcher(fetch_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=re.escape("took longer than 0.5 s")):
        await fetcher.fetch(url(pages, "/slow"))
    assert time.monotonic() - started < 1.5


async def test_redirects_stop_at_the_cap(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages
) -> None:
    fetcher = make_fetcher(fetch_max_redirects=3)
    with pytest.raises(FetchFailed, match="redirects more than 3 times"):
        await fetcher.fetch(url(pages, "/loop"))


async def test_content_types_are_allowed_by_list(fetcher: SafeFetcher, pages: Pages) -> None:
    with pytest.raises(FetchFailed, match="is image/png, which the fetcher does not read"):
        await fetcher.read(url(pages, "/image.png"))
    with pytest.raises(FetchFailed, match="of no declared type"):
        await fetcher.read(url(pages, "/no-type"))
    with pytest.raises(FetchFailed, match="is application/pdf"):
        await fetcher.read(url(pages, "/doc.pdf"))
    pdf = await fetcher.fetch(url(pages, "/doc.pdf"), accept=DOCUMENT_TYPES)
    assert pdf.body.startswith(b"%PDF")
    png = await fetcher.fetch(url(pages, "/image.png"), accept=ANY_TYPE)
    assert png.content_type == "image/png"


async def test_error_statuses_fail_with_the_status(fetcher: SafeFetcher, pages: Pages) -> None:
    with pytest.raises(FetchFailed, match="answered HTTP 404") as caught:
        await fetcher.fetch(url(pages, "/missing"))
    assert caught.value.details["upstream_status"] == 404
    with pytest.raises(FetchFailed, match="answered HTTP 503"):
        await fetcher.read(url(pages, "/status/503"))


async def test_network_failures_are_fetch_failed(fetcher: SafeFetcher) -> None:
    with pytest.raises(FetchFailed, match="does not exist"):
        await fetcher.fetch("http://nowhere.test/")
    closed = make_closed_port()
    with pytest.raises(FetchFailed, match="Cannot connect"):
        await fetcher.fetch(f"http://pages.test:{closed}/")


def make_closed_port() -> int:
    import socket

    with socket.socket() as probe:  # bound, never listening: connections are refused
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- HTTPS -------------------------------------------------------------------------


def trusting(pages: Pages) -> ssl.SSLContext:
    return ssl.create_default_context(cadata=pages.cert_pem.decode())


async def test_https_verifies_the_certificate_for_the_name_not_the_address(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages
) -> None:
    """The socket goes to 127.0.0.1, yet TLS is checked against tls.test: SNI and the
    certificate's name are the URL's host."""
    fetcher = make_fetcher(ssl_context=trusting(pages))
    fetched = await fetcher.fetch(f"https://tls.test:{pages.tls_port}/data.json")
    assert fetched.body == b'{"tide": "low", "hour": 6}' and fetched.address == "127.0.0.1"
    with pytest.raises(FetchFailed, match=r"certificate of .* did not verify.*(mismatch|match)"):
        await fetcher.fetch(f"https://wrong.test:{pages.tls_port}/data.json")
    untrusting = make_fetcher()
    with pytest.raises(FetchFailed, match=r"did not verify .*self.signed"):
        await untrusting.fetch(f"https://tls.test:{pages.tls_port}/data.json")


# --- OSINT lookups ---------------------------------------------------------------


async def test_dns_lookup_reports_the_records_by_type(fetcher: SafeFetcher) -> None:
    found = await dns_lookup("osint.test", fetcher=fetcher)
    assert found["exists"] is True
    assert found["records"]["A"] == ["127.0.0.1"]
    assert found["records"]["MX"] == ["10 mail.osint.test."]
    assert found["records"]["TXT"] == ["v=spf1 -all"]
    assert found["records"]["NS"] == ["ns1.osint.test."]
    assert found["records"]["AAAA"] == [] and found["records"]["CNAME"] == []
    # DNS data about a forbidden address is only DNS data: a lookup may name it.
    metadata = await dns_lookup("metadata.test", ["A"], fetcher=fetcher)
    assert metadata["records"] == {"A": ["169.254.169.254"]}
    missing = await dns_lookup("nowhere.test", ["A"], fetcher=fetcher)
    assert missing["exists"] is False and missing["records"] == {"A": []}


async def test_tls_certificate_is_read_even_when_it_does_not_verify(
    make_fetcher: Callable[..., SafeFetcher], pages: Pages
) -> None:
    fetcher = make_fetcher()
    cert = await tls_certificate("tls.test", pages.tls_port, fetcher=fetcher)
    assert cert["subject"] == "CN=tls.test" and cert["self_signed"] is True
    assert cert["subject_alt_names"] == ["tls.test"]
    assert cert["verified"] is False and "self-signed" in cert["verify_error"]
    assert cert["address"] == "127.0.0.1" and cert["tls_version"].startswith("TLSv1.")
    assert len(cert["sha256_fingerprint"]) == 95 and cert["expired"] is False

    trusted = await tls_certificate(
        "tls.test", pages.tls_port, fetcher=make_fetcher(ssl_context=trusting(pages))
    )
    assert trusted["verified"] is True and trusted["verify_error"] is None


@pytest.mark.parametrize("host", ["127.0.0.1", "loopback.test", "metadata.test", "localhost"])
async def test_tls_certificate_obeys_the_address_rules(
    fetcher: SafeFetcher, pages: Pages, connections: list[str], host: str
) -> None:
    with pytest.raises(FetchRefused):
        await tls_certificate(host, pages.tls_port, fetcher=fetcher)
    assert connections == []


async def test_http_headers_follow_checked_redirects(
    fetcher: SafeFetcher, pages: Pages, connections: list[str]
) -> None:
    found = await http_headers(url(pages, "/hop"), fetcher=fetcher)
    assert found["status"] == 200 and found["url"] == url(pages, "/article")
    assert found["headers"]["x-served-by"] == "vega-test-pages"
    assert found["redirects"] == [url(pages, "/hop")]
    missing = await http_headers(url(pages, "/missing"), fetcher=fetcher)
    assert missing["status"] == 404  # a lookup reports the status, it does not fail on it
    connections.clear()
    for forbidden in (url(pages, "/", "private.test"), url(pages, "/redirect-loopback")):
        with pytest.raises(FetchRefused):
            await http_headers(forbidden, fetcher=fetcher)
    assert set(connections) <= {"127.0.0.1"}
