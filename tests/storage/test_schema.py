"""Schema changes only through Alembic: heads applied to an empty store match the tables, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from accord.storage import tables as t
from accord.storage.engine import make_engine
from accord.storage.schema import metadata

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_migrations_match_the_tables(store_url: str) -> None:
    engine = make_engine(store_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == []


def test_one_current_vote_per_voter_and_one_open_subject_are_constraints(store_url: str) -> None:
    engine = make_engine(store_url)
    with engine.begin() as conn:
        conn.execute(insert(t.members).values(name="m", kind="agent", is_admin=False, created_at=NOW))
        conn.execute(insert(t.groups).values(name="g", description="", created_by="m", created_at=NOW))
        row = {
            "group_name": "g",
            "kind": "gate",
            "title": "t",
            "voting_type": "yes_no",
            "options": ["yes", "no"],
            "threshold_type": "majority",
            "on_no_consensus": [],
            "status": "open",
            "created_by": "m",
            "created_at": NOW,
            "subject": "deploy",
            "subject_lock": "deploy",
        }
        conn.execute(insert(t.proposals).values(id="prop_1", **row))
        vote = {"proposal_id": "prop_1", "voter": "m", "choice": "yes", "confidence": 1, "evidence": []}
        conn.execute(insert(t.votes).values(cast_at=NOW, round=1, **vote))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(t.votes).values(cast_at=NOW, round=1, **vote))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(t.proposals).values(id="prop_2", **row))
    with engine.begin() as conn:  # released subjects (NULL lock) never clash
        conn.execute(insert(t.proposals).values(id="prop_3", **{**row, "subject_lock": None}))
        conn.execute(insert(t.proposals).values(id="prop_4", **{**row, "subject_lock": None}))
    engine.dispose()
