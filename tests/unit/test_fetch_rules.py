"""The fetcher's address and URL rules, without a network (vega.integrations.addresses).

The fetcher itself, over real DNS and HTTP, is tests/integration/test_safe_fetch.py.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vega.errors import BadInput, ConfigError, FetchRefused
from vega.integrations.addresses import (
    Exemptions,
    address_refusal,
    canonical_host,
    check_address,
    check_url,
    parse_ipv4,
)
from vega.integrations.extract import extract_html, markdown_title
from vega.integrations.guard import AddressGuard, Resolver, parse_nameserver

REFUSED_ADDRESSES = [
    ("127.0.0.1", "a loopback address"),
    ("127.255.255.254", "a loopback address"),
    ("::1", "a loopback address"),
    ("0.0.0.0", "unspecified"),  # noqa: S104 (an address under test, not a bind)
    ("::", "unspecified"),
    ("10.0.0.5", "a private address"),
    ("172.16.0.1", "a private address"),
    ("172.31.255.255", "a private address"),
    ("192.168.1.1", "a private address"),
    ("fc00::1", "private (unique local)"),
    ("fec0::1", "site-local"),
    ("169.254.1.1", "a link-local address"),
    ("fe80::1", "a link-local address"),
    ("169.254.169.254", "a link-local (cloud metadata) address"),
    ("169.254.170.2", "a link-local (cloud metadata) address"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
    ("168.63.129.16", "a cloud metadata address"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("2001:db8::1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address of 127.0.0.1, a loopback address"),
    ("::ffff:169.254.169.254", "(cloud metadata)"),
    ("64:ff9b::a00:5", "a NAT64 IPv6 address of 10.0.0.5, a private address"),
    ("2002:7f00:1::", "a 6to4 IPv6 address of 127.0.0.1"),
    ("::7f00:1", "IPv4-compatible"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("100::1", "discard"),
    ("2001::1", "reserved"),
    ("4000::1", "a reserved IPv6 address"),
    ("fe80::1%eth0", "scoped"),
]
PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "phrase"), REFUSED_ADDRESSES)
def test_every_non_public_class_is_refused_by_name(address: str, phrase: str) -> None:
    reason = address_refusal(ipaddress.ip_address(address))
    assert reason is not None and phrase in reason


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_unicast_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "2130706433",
    "0177.0.0.1",
    "0x7f.1",
    "0x7F.0.0.1",
    "0x7f000001",
    "127.1",
    "127.0.1",
    "0177.1",
    "017700000001",
    "127.000.000.001",
]


@pytest.mark.parametrize("spelling", LOOPBACK_SPELLINGS)
def test_ipv4_spellings_are_read_as_inet_aton_reads_them(spelling: str) -> None:
    assert parse_ipv4(spelling) == ipaddress.IPv4Address("127.0.0.1")


@pytest.mark.parametrize(
    "text",
    [
        "1.2.3.4.5",
        "08.0.0.1",
        "0x",
        "256.0.0.1",
        "4294967296",
        "1..2",
        "",
        "127.0.0.1x",
        " 1.2.3.4",
    ],
)
def test_non_addresses_are_not_read_as_ipv4(text: str) -> None:
    assert parse_ipv4(text) is None


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789abcdefxX.", min_size=1, max_size=16))
def test_ipv4_reading_agrees_with_the_c_library(text: str) -> None:
    """What the system's resolver would take for an address, the rules take for one too."""
    try:
        expected = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    assert parse_ipv4(text) == expected


REFUSED_URLS = [
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://2130706433/", "127.0.0.1 is a loopback address"),
    ("http://0177.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://0x7f.1:8080/x", "127.0.0.1 is a loopback address"),
    ("http://127.1/", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1.:80/", "127.0.0.1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
    ("http://[::ffff:7f00:1]/", "IPv4-mapped"),
    ("http://[::1]:8080/", "::1 is a loopback address"),
    ("http://localhost/", "localhost is a loopback name"),
    ("http://LOCALHOST./", "localhost is a loopback name"),
    ("http://admin.localhost:3000/", "loopback name"),
    (
        "http://169.254.169.254/latest/meta-data/",
        "169.254.169.254 is a link-local (cloud metadata)",
    ),
    ("http://[fd00:ec2::254]/latest/", "cloud metadata"),
    ("http://100.100.100.200/latest/meta-data/", "cloud metadata"),
    ("http://metadata.google.internal/computeMetadata/v1/", "a cloud metadata host name"),
    ("http://metadata/", "a cloud metadata host name"),
    ("http://10.0.0.5/admin", "10.0.0.5 is a private address"),
    ("http://0/", "0.0.0.0 is an unspecified"),
    ("https://0.0.0.0:8000/", "unspecified"),
    ("http://[fe80::1%25eth0]/", "scoped"),
]


@pytest.mark.parametrize(("url", "message"), REFUSED_URLS)
def test_forbidden_hosts_are_refused_in_every_spelling(url: str, message: str) -> None:
    with pytest.raises(FetchRefused, match=r"^refused: ") as caught:
        check_url(url)
    assert message in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://\uff11\uff12\uff17.0.0.1/",  # fullwidth digits
        "http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/",  # fullwidth localhost
        "http://127\u30020\u30020\u30021/",  # ideographic full stops
        "http://\u246f\u2468.254.169.254/",  # circled numbers
        "http://127.0.0.1%09/",
        "http://127.0.0.1\t/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "HTTP://127.0.0.1/",
    ],
)
def test_unusual_spellings_never_pass(url: str) -> None:
    with pytest.raises((FetchRefused, BadInput)):
        check_url(url)


def test_a_refusal_names_the_address_and_its_class() -> None:
    with pytest.raises(FetchRefused) as caught:
        check_url("http://169.254.169.254/latest/meta-data/")
    assert caught.value.message == (
        "refused: 169.254.169.254 is a link-local (cloud metadata) address."
    )
    assert caught.value.status == 403 and caught.value.code == "fetch_refused"


def test_a_name_that_resolves_somewhere_forbidden_is_named_with_its_address() -> None:
    with pytest.raises(FetchRefused) as caught:
        check_address("private.test", ipaddress.ip_address("10.0.0.5"))
    assert caught.value.message == "refused: private.test resolves to 10.0.0.5, a private address."


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file",
        "gopher://example.com:70/_stats",
        "dict://example.com:11211/stat",
        "data:text/plain,hello",
        "javascript:alert(1)",
        "jar:http://example.com!/x",
        "example.com/no-scheme",
    ],
)
def test_schemes_other_than_http_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match="only http and https"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:secret@example.com/",
        "http://user@example.com/",
        "http://example.com@127.0.0.1/",
        "http://example.com\\@127.0.0.1/",
    ],
)
def test_urls_with_a_user_part_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused, match="user name or password"):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",
        "http://a.0x1f/",
        "http:///path-only",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://%31%32%37.0.0.1/",
        "http://[::1/",
    ],
)
def test_malformed_urls_are_bad_input(url: str) -> None:
    with pytest.raises(BadInput):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/page?q=1#top",
        "http://EXAMPLE.com./",
        "http://b\u00fccher.de/",
        "http://8.8.8.8:8080/x",
        "https://[2606:4700:4700::1111]/",
        "http://localhost.example.com/",
    ],
)
def test_public_urls_pass(url: str) -> None:
    assert check_url(url).scheme in ("http", "https")


def test_allowed_hosts_skip_the_rules_by_exact_name() -> None:
    exempt = Exemptions.of(["Pages.Test", "127.0.0.1"])
    assert check_url("http://pages.test/", exempt=exempt).host == "pages.test"
    assert check_url("http://PAGES.TEST.:8080/", exempt=exempt).port == 8080
    check_url("http://0x7f.1/", exempt=exempt)  # the same address, another spelling
    with pytest.raises(FetchRefused):
        check_url("http://127.0.0.2/", exempt=exempt)
    with pytest.raises(FetchRefused, match="only http"):  # never the scheme rule
        check_url("file://pages.test/etc/passwd", exempt=exempt)
    assert canonical_host("[::FFFF:7f00:1]") == "::ffff:7f00:1"


def test_allowed_networks_exempt_their_addresses_only() -> None:
    exempt = Exemptions.of(networks=["127.0.0.2/32"])
    check_url("http://127.0.0.2:8000/", exempt=exempt)
    check_address("public.test", ipaddress.ip_address("127.0.0.2"), exempt=exempt)
    with pytest.raises(FetchRefused):
        check_url("http://127.0.0.1/", exempt=exempt)


@pytest.mark.parametrize(
    ("entry", "address", "port"),
    [
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("1.1.1.1", "1.1.1.1", 53),
        ("::1", "::1", 53),
        ("[::1]:5353", "::1", 5353),
    ],
)
def test_dns_server_entries(entry: str, address: str, port: int) -> None:
    server = parse_nameserver(entry)
    assert (server.address, server.port) == (address, port)


@pytest.mark.parametrize("entry", ["dns.google", "1.1.1.1:0", "1.1.1.1:x", "[::1]:99999"])
def test_dns_server_entries_that_are_not_addresses_are_config_errors(entry: str) -> None:
    with pytest.raises(ConfigError):
        parse_nameserver(entry)


async def test_the_system_resolver_path_is_checked_too() -> None:
    """Without VEGA_FETCH_DNS_SERVERS names go through getaddrinfo (here /etc/hosts)."""
    guard = AddressGuard(Resolver())
    assert ipaddress.ip_address("127.0.0.1") in await guard.resolver.addresses("localhost")
    with pytest.raises(FetchRefused, match="loopback name"):
        await guard.resolve("localhost")
    with pytest.raises(FetchRefused, match="loopback address"):
        await guard.resolve("2130706433")


def test_extraction_keeps_the_article_and_drops_the_chrome() -> None:
    from tests.support.pages_server import ARTICLE, ARTICLE_TITLE

    title, text = extract_html(ARTICLE.encode(), "http://pages.test/article")
    assert title == ARTICLE_TITLE
    assert "lighthouse keeper counts the hulls" in text
    assert "Cookie settings" not in text and "About us" not in text


def test_extraction_survives_hostile_markup() -> None:
    deep = "<div>" * 50_000 + "x" + "</div>" * 50_000
    assert extract_html(f"<html><body>{deep}</body></html>") == ("", "")
    assert extract_html(b"") == ("", "")
    assert extract_html("<title>" + "t" * 10_000 + "</title><p>hi</p>")[0] == "t" * 300


def test_markdown_title_is_the_first_heading() -> None:
    assert markdown_title("intro\n\n## Field notes ##\n\n# Later") == "Field notes"
    assert markdown_title("no heading here") == ""
