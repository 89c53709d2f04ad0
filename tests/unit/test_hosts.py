"""The Host rules of vega.api.hosts on their own: parsing, the allow-list, loopback, config
errors. (Against a real server, every spelling: tests/integration/test_public_surface.py.)"""

from __future__ import annotations

import pytest

from vega.api.hosts import AllowedHosts, is_loopback, split_host
from vega.errors import ConfigError


def scope(*hosts: str, version: str = "1.1") -> dict[str, object]:
    return {
        "type": "http",
        "http_version": version,
        "headers": [(b"host", h.encode()) for h in hosts],
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("LocalHost.", ("localhost", None)),
        ("vega.example.org:8443", ("vega.example.org", "8443")),
        ("[::1]:8000", ("[::1]", "8000")),
        ("localhost:", ("localhost", None)),
    ],
)
def test_split_host(value: str, expected: tuple[str, str | None]) -> None:
    assert split_host(value) == expected


@pytest.mark.parametrize("value", ["", ".", "a@b", "a b", "a/b", "a:1:2", "[::1", "a:123456"])
def test_split_host_refuses_what_is_not_host_and_port(value: str) -> None:
    with pytest.raises(ValueError, match="not a host"):
        split_host(value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("localhost", True),
        ("vega.localhost", True),
        ("0.0.0.0", False),  # noqa: S104 (a setting's value, nothing binds)
        ("::", False),
        ("192.168.1.20", False),
        ("myhost.lan", False),
        ("localhost.evil.example", False),
    ],
)
def test_which_bind_addresses_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_bound_name_is_answered() -> None:
    hosts = AllowedHosts(bound="myhost.lan", allowed=[])
    assert hosts.refusal(scope("MYHOST.LAN.:8000")) is None
    refused = hosts.refusal(scope("otherhost.lan"))
    assert refused is not None and refused.status == 421


def test_a_star_answers_any_name_but_not_a_malformed_host() -> None:
    hosts = AllowedHosts(bound="127.0.0.1", allowed=["*"])
    assert hosts.refusal(scope("evil.example")) is None
    for bad in (scope("a@b"), scope("a", "a"), scope()):
        refused = hosts.refusal(bad)
        assert refused is not None and refused.status == 400


def test_an_entry_with_a_port_matches_that_port_only() -> None:
    hosts = AllowedHosts(bound="127.0.0.1", allowed=["proxy.example:8443", " Other.Example "])
    assert hosts.refusal(scope("proxy.example:8443")) is None
    assert hosts.refusal(scope("other.example:1")) is None
    for host in ("proxy.example", "proxy.example:443"):
        refused = hosts.refusal(scope(host))
        assert refused is not None and refused.status == 421


@pytest.mark.parametrize("entry", ["http://vega.example.org", "vega.example.org/", "a b"])
def test_a_malformed_allowed_host_stops_the_start_with_a_clear_message(entry: str) -> None:
    with pytest.raises(ConfigError) as error:
        AllowedHosts(bound="127.0.0.1", allowed=[entry])
    assert "VEGA_ALLOWED_HOSTS" in error.value.message and repr(entry) in error.value.message
