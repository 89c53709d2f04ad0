"""KeyService's rules, one test each: keys made, listed, revoked and recognised.

Two ``KeyService`` objects over one database file stand for two processes (a server and
a CLI). The caches run on a clock the test moves, so the 2-second rules take no time.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from cachetools import TTLCache
from sqlalchemy import select

from tests.conftest import TEST_KEY
from vega.errors import BadInput, Conflict, NotFound, Unauthorized
from vega.security import keys as keys_module
from vega.security.keys import (
    AUTH_CACHE_TTL_S,
    KEY_RECHECK_S,
    MAX_KEY_CHARS,
    KeyService,
    hash_key,
)
from vega.settings import Settings
from vega.store.db import Database
from vega.store.tables import ApiKey

EXTRA_KEY = "vega-extra-key-for-a-script-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The clock of every cache a ``KeyService`` made from now on reads."""
    clock = Clock()
    monkeypatch.setattr(keys_module, "TTLCache", partial(TTLCache, timer=clock))
    return clock


MakeKeys = Callable[..., KeyService]


@pytest.fixture
def database_url(
    make_settings: Callable[..., Settings], fresh_db: Callable[[Settings], None]
) -> str:
    """The test's one database, migrated, where every ``make_settings()`` points."""
    settings = make_settings()
    fresh_db(settings)
    return settings.database_url


@pytest.fixture
def make_keys(
    make_settings: Callable[..., Settings], database_url: str, clock: Clock
) -> Iterator[MakeKeys]:
    """``make_keys(**settings)``: a KeyService of its own process over the test's database."""
    opened: list[Database] = []

    def make(**overrides: Any) -> KeyService:
        db = Database.from_url(database_url)
        opened.append(db)
        return KeyService(db, make_settings(**overrides))

    yield make
    for db in opened:
        db.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The database as a test reads it."""
    db = Database.from_url(database_url)
    yield db
    db.dispose()


@pytest.fixture
def keys(make_keys: MakeKeys) -> KeyService:
    service = make_keys()
    service.bootstrap()
    return service


async def test_bootstrap_makes_the_configured_key_the_admin_owner(make_keys: MakeKeys) -> None:
    keys = make_keys()

    owner = keys.bootstrap()

    assert (owner.name, owner.admin) == ("primary", True)
    assert await keys.authenticate(TEST_KEY) == owner
    assert keys.generated_secret is None


async def test_bootstrap_generates_a_private_key_file_once(
    make_keys: MakeKeys, make_settings: Callable[..., Settings]
) -> None:
    first = make_keys(api_key="")
    first.bootstrap()
    secret = first.generated_secret
    assert secret is not None and secret.startswith("vega-")

    second = make_keys(api_key="")  # the next start, or a CLI command
    owner = second.bootstrap()

    assert second.generated_secret is None  # read, not made again
    key_file = make_settings().key_file
    assert key_file.read_text().strip() == secret
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert await second.authenticate(secret) == owner


async def test_extra_keys_from_the_environment_come_and_go_with_it(
    make_keys: MakeKeys,
) -> None:
    with_extra = make_keys(api_keys_extra=EXTRA_KEY)
    with_extra.bootstrap()
    extra = await with_extra.authenticate(EXTRA_KEY)
    assert extra.name.startswith("env-") and not extra.admin

    without = make_keys(api_keys_extra="")
    without.bootstrap()

    with pytest.raises(Unauthorized):
        await without.authenticate(EXTRA_KEY)


async def test_a_created_key_is_listed_and_recognised_and_only_its_hash_is_stored(
    keys: KeyService, database: Database
) -> None:
    created = await keys.create("laptop")

    assert created.secret.startswith("vega-")
    listed = {k.name: k for k in await keys.list_keys()}
    assert (listed["laptop"].prefix, listed["laptop"].admin) == (created.secret[:9], False)
    principal = await keys.authenticate(created.secret)
    assert (principal.name, principal.admin) == ("laptop", False)
    laptop = select(ApiKey).where(ApiKey.name == "laptop")
    stored = database.call(lambda s: s.scalars(laptop).one())
    assert stored.hash == hash_key(created.secret) != created.secret


@pytest.mark.parametrize("name", ["", "   ", "primary", "env-mine", "x" * 101])
async def test_create_refuses_a_reserved_or_empty_name(keys: KeyService, name: str) -> None:
    with pytest.raises(BadInput):
        await keys.create(name)


async def test_create_refuses_a_name_taken(keys: KeyService) -> None:
    await keys.create("laptop")

    with pytest.raises(Conflict):
        await keys.create("laptop")


async def test_a_revoked_key_fails_at_once_in_the_process_that_revoked_it(
    keys: KeyService,
) -> None:
    created = await keys.create("laptop")
    principal = await keys.authenticate(created.secret)  # now cached

    view = await keys.revoke("laptop")

    assert view.revoked is not None
    with pytest.raises(Unauthorized):
        await keys.authenticate(created.secret)
    assert await keys.is_live(principal) is False


async def test_revoke_refuses_the_primary_key_and_unknown_names(keys: KeyService) -> None:
    with pytest.raises(BadInput):
        await keys.revoke("primary")
    with pytest.raises(NotFound):
        await keys.revoke("nobody")
    assert await keys.authenticate(TEST_KEY)


async def test_another_process_sees_a_revocation_within_the_2_second_cache(
    keys: KeyService, make_keys: MakeKeys, clock: Clock
) -> None:
    created = await keys.create("laptop")
    server = make_keys()
    await server.authenticate(created.secret)

    await keys.revoke("laptop")  # by the CLI, say

    assert await server.authenticate(created.secret)  # still cached
    clock.advance(AUTH_CACHE_TTL_S + 0.01)
    with pytest.raises(Unauthorized):
        await server.authenticate(created.secret)
    assert AUTH_CACHE_TTL_S == 2.0


async def test_is_live_turns_false_within_a_recheck_period_of_a_revocation_elsewhere(
    keys: KeyService, make_keys: MakeKeys, clock: Clock
) -> None:
    created = await keys.create("laptop")
    server = make_keys()
    principal = await server.authenticate(created.secret)
    assert await server.is_live(principal) is True

    await keys.revoke("laptop")

    assert await server.is_live(principal) is True  # asked again within the period: cached
    clock.advance(KEY_RECHECK_S)
    assert await server.is_live(principal) is False


async def test_a_key_longer_than_the_limit_is_refused_without_a_lookup(
    keys: KeyService,
) -> None:
    with pytest.raises(Unauthorized, match="A valid API key is required"):
        await keys.authenticate("vega-" + "x" * MAX_KEY_CHARS)
    # One character shorter is looked up, and is simply not a key.
    with pytest.raises(Unauthorized, match="not valid or has been revoked"):
        await keys.authenticate("x" * MAX_KEY_CHARS)
