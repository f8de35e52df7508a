"""Prepared statements store and read exactly what SQLAlchemy's own execution does, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy import insert, select

from accord.bootstrap import Services
from accord.domain.proposals import Ballot
from accord.storage import tables as t
from accord.storage.prepared import Prepared
from accord.storage.uow import UnitOfWork
from tests.support import World

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
BALLOT = {
    "voter": "ana",
    "choice": ["b", "a"],
    "confidence": Fraction(7, 10),
    "comment": "ünïcode, 'quotes'",
    "evidence": ["https://example.org/1"],
    "cast_at": AT,
    "round": 2,
}


def test_rows_written_through_a_prepared_insert_equal_sqlalchemys(services: Services, world: World) -> None:
    world.group("team", ["ana", "bo"])
    pid = world.api("bo").create_proposal("team", "Which?", voting_type="ranked", options=["a", "b"])["id"]
    prepared = Prepared(insert(t.vote_history), column_keys=("proposal_id", *BALLOT))
    with UnitOfWork(services.ctx.engine) as uow:
        prepared.run(uow.conn, {"proposal_id": pid, **BALLOT})
        uow.conn.execute(insert(t.vote_history), {"proposal_id": pid, **BALLOT})
        uow.commit()
    columns = [c for c in t.vote_history.c if c.name != "id"]
    with services.ctx.engine.connect() as conn:
        typed = [tuple(r) for r in conn.execute(select(*columns).order_by(t.vote_history.c.id))]
        # What is stored, not only what reads back: the driver's own values, before any type conversion.
        raw = [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT proposal_id, voter, choice, confidence, comment, "
                "evidence, cast_at, round FROM vote_history ORDER BY id"
            )
        ]
    assert typed[0] == typed[1] and raw[0] == raw[1]
    assert typed[0] == (pid, "ana", ["b", "a"], Fraction(7, 10), BALLOT["comment"], BALLOT["evidence"], AT, 2)


def test_prepared_reads_and_event_appends_match_the_repositories(services: Services, world: World) -> None:
    world.group("team", ["ana", "bo"], kind="human")
    pid = world.api("bo").create_proposal("team", "Ship?", deadline_hours=2)["id"]
    world.api("ana").cast_vote(pid, "no", comment="risky", confidence=0.25, evidence=["a"])
    with UnitOfWork(services.ctx.engine) as uow:
        full = uow.proposals.get(pid)
        found = uow.proposals.get_for_vote(pid, "ana")
        assert full is not None and found is not None
        one, member = found
        assert member and (one.voters, one.ballots) == ({"ana": full.voters["ana"]}, {"ana": full.ballots["ana"]})
        assert (one.rules, one.deadline, one.created_at, one.status) == (
            full.rules,
            full.deadline,
            full.created_at,
            full.status,
        )
        assert uow.proposals.get_for_vote(pid, "nobody") is not None
        assert uow.proposals.get_for_vote("prop_missing", "ana") is None
        first = uow.events.append("test.event", at=AT, actor="ana", group="team", ref=pid, data={"x": [1, "2"]})
        second = uow.events.append("test.event", at=AT, actor="ana", group="team", ref=pid, data={"x": [1, "2"]})
        assert first.id is None  # numbered at flush, in commit order
        uow.flush()
        assert first.id is not None and second.id == first.id + 1
        rows = uow.events.since(first.id - 1, None)
        assert {k: v for k, v in rows[0].items() if k not in ("id", "prev_id", "hash")} == {
            "at": AT,
            "type": "test.event",
            "actor": "ana",
            "group_name": "team",
            "ref": pid,
            "data": {"x": [1, "2"]},
        }
        assert (rows[0]["hash"], rows[1]["prev_id"]) == (first.hash, first.id)
        assert rows[0] | {"id": 0, "prev_id": 0, "hash": ""} == rows[1] | {"id": 0, "prev_id": 0, "hash": ""}
        assert uow.tokens.member("0" * 64) is None
    ballot = Ballot(voter="bo", choice="yes", confidence=Fraction(1), comment=None, evidence=(), cast_at=AT, round=1)
    with UnitOfWork(services.ctx.engine) as uow:
        uow.proposals.put_ballot(pid, ballot, replacing=False)
        uow.proposals.put_ballot(pid, ballot, replacing=True)
        uow.commit()
    with UnitOfWork(services.ctx.engine, write=False) as uow:
        stored = uow.proposals.get(pid)
        assert stored is not None and stored.ballots["bo"] == ballot
        assert [b.voter for b in uow.proposals.history(pid)] == ["ana", "bo", "bo"]
