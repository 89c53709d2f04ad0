"""The conversation tree in the store (vega.store.branches), on both stores: the active
path is what every reader of a conversation reads, a branch change moves it, and the
summaries and the turns digest follow it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from vega.store import branches, turns_digest
from vega.store import conversations as repo
from vega.store import keys as key_repo
from vega.store.db import Database
from vega.store.tables import Summary, utcnow

CONV = "tree"


def _owner(db: Database) -> int:
    def add(s):  # type: ignore[no-untyped-def]
        key = key_repo.add(s, name="tree", key_hash="tree" * 4, prefix="tree", admin=False)
        s.commit()
        return key.id

    return int(db.call(add))


def _say(s, owner: int, role: str, content: str, at, **fields):  # type: ignore[no-untyped-def]
    return repo.add_message(
        s,
        owner=owner,
        conversation_id=CONV,
        role=role,
        content=content,
        created=at,
        source="api",
        status="ok",
        **fields,
    )


def _read(s, owner: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    conv = repo.get_owned(s, conversation_id=CONV, owner=owner)
    assert conv is not None
    question, _ = repo.last_question(s, conversation=conv, limit=4)
    return {
        "path": [m.content for m in repo.messages(s, conversation=conv)],
        "others": [m.content for m in repo.off_path(s, conversation=conv)],
        "recent": [m.content for m in repo.recent_messages(s, conversation=conv, limit=2)],
        "question": question.content if question else None,
        "count": repo.count_messages(s, conversation=conv),
        "digest": conv.turns_digest,
    }


def test_branches_move_the_active_path_and_what_follows_it(db: Database) -> None:
    owner = _owner(db)
    t0 = utcnow() - timedelta(hours=1)
    ids: dict[str, str] = {}

    def build(s):  # type: ignore[no-untyped-def]
        repo.create(s, owner=owner, conversation_id=CONV)
        for i, (role, text) in enumerate(
            [("user", "Q1"), ("assistant", "A1"), ("user", "Q2"), ("assistant", "A2")]
        ):
            ids[text] = _say(s, owner, role, text, t0 + timedelta(seconds=i))
        # A level-1 summary of all four, and one of the first two alone.
        for first, last in (("Q1", "A2"), ("Q1", "A1")):
            s.add(
                Summary(
                    owner=owner,
                    conversation_id=CONV,
                    level=1 if last == "A2" else 2,
                    first_id=ids[first],
                    last_id=ids[last],
                    first_created=t0,
                    last_created=t0 + timedelta(seconds=3 if last == "A2" else 1),
                    messages=4 if last == "A2" else 2,
                    text=f"{first}..{last}",
                    model="m",
                )
            )
        branches.redigest(s, owner=owner, conversation_id=CONV)
        s.commit()

    db.call(build)
    # Each message follows the one before it.
    tree = db.call(lambda s: branches.nodes(s, owner=owner, conversation_id=CONV))
    assert [tree[ids[t]].parent_id for t in ("Q1", "A1", "Q2", "A2")] == [
        None,
        ids["Q1"],
        ids["A1"],
        ids["Q2"],
    ]
    whole = db.call(lambda s: _read(s, owner))
    assert whole["path"] == ["Q1", "A1", "Q2", "A2"] and whole["others"] == []

    # Q2 edited: the path ends at A1, and Q2' follows A1 beside Q2.
    def edit(s):  # type: ignore[no-untyped-def]
        assert branches.show(s, owner=owner, conversation_id=CONV, through=ids["A1"], descend=False)
        ids["Q2'"] = _say(s, owner, "user", "Q2'", t0 + timedelta(seconds=10))
        s.commit()

    db.call(edit)
    edited = db.call(lambda s: _read(s, owner))
    assert edited["path"] == ["Q1", "A1", "Q2'"]
    assert edited["others"] == ["Q2", "A2"]
    assert (edited["question"], edited["count"], edited["recent"]) == ("Q2'", 3, ["A1", "Q2'"])
    # The summary that covered Q2 and A2 went; the one before the fork stays.
    kept = db.call(lambda s: [x.text for x in s.scalars(select(Summary))])
    assert kept == ["Q1..A1"]
    # The digest counts the active path: the one of Q1, A1 (Q2' is not yet answered).
    assert db.call(lambda s: _read(s, owner))["digest"] == turns_digest.of_exchange(
        turns_digest.EMPTY, "Q1", "A1"
    )
    tree = db.call(lambda s: branches.nodes(s, owner=owner, conversation_id=CONV))
    assert branches.siblings(tree)[ids["A1"]] == [ids["Q2"], ids["Q2'"]]

    # Back to Q2's branch: down to its latest message, A2.
    db.call(
        lambda s: (
            branches.show(s, owner=owner, conversation_id=CONV, through=ids["Q2"], descend=True),
            s.commit(),
        )
    )
    back = db.call(lambda s: _read(s, owner))
    assert back["path"] == ["Q1", "A1", "Q2", "A2"] and back["others"] == ["Q2'"]
    listed = db.call(lambda s: repo.list_owned(s, owner=owner, limit=5))
    assert [n for _, n in listed] == [4]
    # Showing the path it already shows changes nothing.
    assert not db.call(
        lambda s: branches.show(
            s, owner=owner, conversation_id=CONV, through=ids["A2"], descend=True
        )
    )


def test_a_regenerated_answer_is_paired_with_its_question_for_curation(db: Database) -> None:
    """The answer a regenerate adds follows its question in the tree, however much was
    written after it on another branch: datasets pair it with that question."""
    owner = _owner(db)
    t0 = utcnow() - timedelta(hours=1)

    def build(s):  # type: ignore[no-untyped-def]
        repo.create(s, owner=owner, conversation_id=CONV)
        q1 = _say(s, owner, "user", "Q1", t0)
        _say(s, owner, "assistant", "A1", t0 + timedelta(seconds=1))
        branches.show(s, owner=owner, conversation_id=CONV, through=None, descend=False)
        q1b = _say(s, owner, "user", "Q1 edited", t0 + timedelta(seconds=2))
        _say(s, owner, "assistant", "A1 edited", t0 + timedelta(seconds=3))
        # Back on the first branch, Q1 answered again, after everything else.
        branches.show(s, owner=owner, conversation_id=CONV, through=q1, descend=False)
        _say(s, owner, "assistant", "A1 again", t0 + timedelta(seconds=4), parent_id=q1)
        s.commit()
        return q1b

    db.call(build)
    pairs = db.call(lambda s: [(p.content, r.content) for p, r in repo.turns(s, owner=owner)])
    assert pairs == [("Q1", "A1"), ("Q1 edited", "A1 edited"), ("Q1", "A1 again")]
    state = db.call(lambda s: _read(s, owner))
    assert state["path"] == ["Q1", "A1 again"]
    assert state["others"] == ["A1", "Q1 edited", "A1 edited"]
