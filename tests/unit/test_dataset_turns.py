"""Logged turns as curation and datasets read them, on a real database (SQLite, and
Postgres where one runs): which replies count, how each finds its prompt, every filter,
and feedback recorded through `ConversationService.feedback`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.fixtures.dataset.logged import T0, Logged, add_owner, log_conversation
from vega.chat.conversations import ConversationService
from vega.dataset.build import BuildOptions
from vega.dataset.curate import Annotation, CurationService
from vega.dataset.service import BuildRequest, DatasetService
from vega.dataset.turns import TurnFilter, TurnLog, parse_when
from vega.errors import BadInput, NotFound
from vega.plugins import load_plugins
from vega.security.keys import Principal
from vega.store import conversations as repo
from vega.store.db import Database
from vega.store.tables import AuditLog

DAY = timedelta(days=1)


def principal(key_id: int) -> Principal:
    return Principal(key_id=key_id, name="k", admin=False)


@pytest.fixture
def alice(db: Database) -> Principal:
    return principal(add_owner(db, "alice"))


@pytest.fixture
def sqlite(sqlite_url: str) -> Iterator[Database]:
    """The service-level tests add no SQL of their own: SQLite only."""
    database = Database.from_url(sqlite_url)
    database.migrate()
    yield database
    database.dispose()


def _seed(db: Database, alice: Principal) -> dict[str, str]:
    """A spread of turns; returns the reply id of each prompt."""
    bob = add_owner(db, "bob")
    turns = [
        Logged("p-five", "r5", rating=5, tags=["good", "short"], reviewed=True, source="cli"),
        Logged("p-four", "r4", rating=4, tags=["good"], source="api", at=T0 + DAY),
        Logged("p-two", "r2", rating=2, tags=["50%_off"], source="ws", at=T0 + 2 * DAY),
        Logged("p-unrated", "r?", tags=['say "hi"', "naïve"], source="openai", at=T0 + 3 * DAY),
        Logged("p-bad", "r-1", rating=-1, tags=["bad"], reviewed=True, at=T0 + 4 * DAY),
        Logged("p-error", "", rating=5, status="error", at=T0 + 5 * DAY),
        Logged("p-cancel", "half", rating=5, status="cancelled", at=T0 + 6 * DAY),
    ]
    _, ids = log_conversation(db, alice.key_id, turns)
    log_conversation(db, alice.key_id, [Logged("p-deleted", "gone", rating=5)], deleted=True)
    log_conversation(db, bob, [Logged("p-bob", "not alice's", rating=5, tags=["good"])])
    return {t.prompt: i for t, i in zip(turns, ids, strict=True)}


async def test_each_ok_reply_of_the_owner_is_a_turn_with_its_prompt(
    db: Database, alice: Principal
) -> None:
    ids = _seed(db, alice)

    turns = await TurnLog(db).find(alice, TurnFilter())

    assert [(t.prompt, t.response) for t in turns] == [
        ("p-five", "r5"),
        ("p-four", "r4"),
        ("p-two", "r2"),
        ("p-unrated", "r?"),
        ("p-bad", "r-1"),
    ]
    first = turns[0]
    assert first.message_id == ids["p-five"]
    assert (first.rating, first.tags, first.reviewed, first.source) == (
        5,
        ["good", "short"],
        True,
        "cli",
    )
    assert first.created == T0 + timedelta(seconds=1)
    assert first.status == "ok"


async def test_every_filter_is_on_the_reply(db: Database, alice: Principal) -> None:
    _seed(db, alice)
    log = TurnLog(db)
    cases = {
        "rating 4": (TurnFilter(rating=4), ["p-four"]),
        "unrated": (TurnFilter(unrated=True), ["p-unrated"]),
        "min rating 2": (TurnFilter(min_rating=2), ["p-five", "p-four", "p-two"]),
        "min rating -1": (TurnFilter(min_rating=-1), ["p-five", "p-four", "p-two", "p-bad"]),
        "reviewed": (TurnFilter(reviewed=True), ["p-five", "p-bad"]),
        "unreviewed": (TurnFilter(reviewed=False), ["p-four", "p-two", "p-unrated"]),
        "tag good": (TurnFilter(tags=("good",)), ["p-five", "p-four"]),
        "tags good+short": (TurnFilter(tags=("good", "short")), ["p-five"]),
        "tag with % and _": (TurnFilter(tags=("50%_off",)), ["p-two"]),
        "a LIKE pattern is not a tag": (TurnFilter(tags=("50%",)), []),
        "tag with quotes": (TurnFilter(tags=('say "hi"',)), ["p-unrated"]),
        "non-ASCII tag": (TurnFilter(tags=("naïve",)), ["p-unrated"]),
        "tag prefix is not the tag": (TurnFilter(tags=("goo",)), []),
        "since": (TurnFilter(since=T0 + 3 * DAY), ["p-unrated", "p-bad"]),
        "before": (TurnFilter(before=T0 + DAY), ["p-five"]),
        "source": (TurnFilter(source="ws"), ["p-two"]),
        "all of them": (TurnFilter(min_rating=4, reviewed=False, tags=("good",)), ["p-four"]),
    }
    for name, (where, expected) in cases.items():
        got = [t.prompt for t in await log.find(alice, where)]
        assert got == expected, name
    assert [t.prompt for t in await log.find(alice, TurnFilter(), limit=2)] == ["p-five", "p-four"]


async def test_a_reply_pairs_with_the_last_prompt_before_it(db: Database, alice: Principal) -> None:
    """A prompt whose reply failed or never came is not the prompt of the next reply."""
    conversation_id, _ = log_conversation(
        db,
        alice.key_id,
        [Logged("failed", "", status="error"), Logged("retried", "answer", at=T0 + DAY)],
    )

    def unanswered(session):  # type: ignore[no-untyped-def]
        for i, text in enumerate(("lost", "asked again")):
            repo.add_message(
                session,
                owner=alice.key_id,
                conversation_id=conversation_id,
                role="user",
                content=text,
                source="cli",
                status="ok",
                created=T0 + 2 * DAY + i * timedelta(seconds=5),
            )
        repo.add_message(
            session,
            owner=alice.key_id,
            conversation_id=conversation_id,
            role="assistant",
            content="second answer",
            source="cli",
            status="ok",
            created=T0 + 2 * DAY + timedelta(seconds=9),
        )
        session.commit()

    db.call(unanswered)

    turns = await TurnLog(db).find(alice, TurnFilter())
    assert [(t.prompt, t.response) for t in turns] == [
        ("retried", "answer"),
        ("asked again", "second answer"),
    ]


async def test_a_session_filter_is_checked_against_the_owner(
    db: Database, alice: Principal
) -> None:
    mine, _ = log_conversation(db, alice.key_id, [Logged("in mine", "yes")])
    log_conversation(db, alice.key_id, [Logged("elsewhere", "no")])
    theirs, _ = log_conversation(db, add_owner(db, "carol"), [Logged("carol's", "no")])
    log = TurnLog(db)

    assert [t.prompt for t in await log.find(alice, TurnFilter(session_id=mine))] == ["in mine"]
    with pytest.raises(NotFound):
        await log.find(alice, TurnFilter(session_id=theirs))


def test_filters_refuse_what_cannot_match() -> None:
    with pytest.raises(BadInput, match="between -1 and 5"):
        TurnFilter(rating=6)
    with pytest.raises(BadInput, match="between -1 and 5"):
        TurnFilter(min_rating=-2)
    with pytest.raises(BadInput, match="not both"):
        TurnFilter(rating=3, unrated=True)
    with pytest.raises(BadInput, match="Available: api, cli, ws, openai, ollama, mcp, import"):
        TurnFilter(source="email")
    with pytest.raises(BadInput, match="before the end"):
        TurnFilter(since=T0 + DAY, before=T0)


def test_dates_are_utc_and_an_end_date_includes_its_day() -> None:
    assert parse_when("2024-05-01") == T0 - timedelta(hours=12)
    assert parse_when("2024-05-01", end=True) == T0 + timedelta(hours=12)
    assert parse_when("2024-05-01T12:00") == T0
    assert parse_when("2024-05-01T14:00+02:00") == T0
    with pytest.raises(BadInput, match="not a date"):
        parse_when("yesterday")


# --- curation ---------------------------------------------------------------------


async def test_annotate_records_feedback_through_the_conversation_service(sqlite: Database) -> None:
    db, alice = sqlite, principal(add_owner(sqlite, "alice"))
    _, (reply,) = log_conversation(db, alice.key_id, [Logged("q", "a", tags=["keep", "old"])])
    service = CurationService(db=db, conversations=ConversationService(db))

    turn = await service.annotate(
        alice,
        reply,
        Annotation(
            rating=4, add_tags=(" new ", "keep"), remove_tags=("old",), notes="ok", reviewed=True
        ),
    )

    assert (turn.rating, turn.tags, turn.notes, turn.reviewed) == (4, ["keep", "new"], "ok", True)
    stored = db.call(lambda s: repo.message_owned(s, message_id=reply, owner=alice.key_id))
    assert stored is not None and (stored.rating, stored.tags, stored.reviewed) == (
        4,
        ["keep", "new"],
        True,
    )
    # Feedback is audited like the API's, because it is the same call.
    actions = db.call(lambda s: [(a.action, a.target) for a in s.query(AuditLog).all()])
    assert ("message.feedback", reply) in actions

    # The queue of unreviewed turns no longer holds it.
    assert await service.queue(alice, TurnFilter(reviewed=False), limit=10) == []


async def test_annotate_shares_the_feedback_rules_and_scoping(sqlite: Database) -> None:
    db, alice = sqlite, principal(add_owner(sqlite, "alice"))
    conversation_id, (reply,) = log_conversation(db, alice.key_id, [Logged("q", "a")])
    service = CurationService(db=db, conversations=ConversationService(db))

    with pytest.raises(BadInput, match="rating must be between -1 and 5"):
        await service.annotate(alice, reply, Annotation(rating=9))
    with pytest.raises(BadInput, match="At most 20 tags"):
        await service.annotate(alice, reply, Annotation(add_tags=tuple(f"t{i}" for i in range(21))))
    bob = principal(add_owner(db, "bob"))
    with pytest.raises(NotFound):
        await service.annotate(bob, reply, Annotation(rating=3))
    prompt_id = db.call(
        lambda s: (
            repo.messages(
                s,
                conversation=repo.get_owned(s, conversation_id=conversation_id, owner=alice.key_id),
            )[0].id
        )
    )
    with pytest.raises(NotFound, match="lists the ids of your replies"):
        await service.annotate(alice, prompt_id, Annotation(rating=3))  # a prompt, not a reply
    with pytest.raises(BadInput, match="limit"):
        await service.queue(alice, TurnFilter(), limit=0)
    unchanged = await service.turn(alice, reply)
    assert (unchanged.rating, unchanged.tags, unchanged.reviewed) == (None, [], False)


# --- datasets from logs --------------------------------------------------------------


async def test_dataset_from_logs_keeps_rated_reviewed_turns(
    sqlite: Database, tmp_path: Path
) -> None:
    db, alice = sqlite, principal(add_owner(sqlite, "alice"))
    _seed(db, alice)
    service = DatasetService(loaders=load_plugins().loaders, turns=TurnLog(db))
    output = tmp_path / "logs.jsonl"

    report = await service.build(
        BuildRequest(
            options=BuildOptions(output=output),
            logs=TurnFilter(min_rating=4, reviewed=True),
        ),
        alice,
    )

    assert output.read_text(encoding="utf-8") == '{"prompt": "p-five", "response": "r5"}\n'
    assert (report.read, report.kept) == (1, 1)
    assert report.sources[0].source == "logs"
