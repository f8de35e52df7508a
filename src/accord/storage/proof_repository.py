"""Queries for the hash chain's audit, signing keys and decision receipts (SPEC §12)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection

from accord.storage import tables as t
from accord.storage.proof_tables import receipts, signing_keys

KEYS_LOCK = 0x61636364_6B6579  # pg_advisory_xact_lock key for making a signing key ("accdkey")
_LOCK_KEYS = text("SELECT pg_advisory_xact_lock(:key)").bindparams(bindparam("key", KEYS_LOCK))
CHAIN_COLUMNS = (
    t.events.c.id,
    t.events.c.at,
    t.events.c.type,
    t.events.c.actor,
    t.events.c.group_name,
    t.events.c.ref,
    t.events.c.data,
    t.events.c.prev_id,
    t.events.c.hash,
)


class ProofRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- the chain -----------------------------------------------------------------------------------------

    def chain(self, batch: int = 10_000) -> Iterator[dict[str, Any]]:
        """Every event in id order (keys id, type, at, actor, group_name, ref, data, prev_id, hash), read in
        batches straight from the driver: a million events never sit in memory, and each row costs no more
        than its own decoding."""
        marker = "?" if self.conn.dialect.name == "sqlite" else "%s"
        sql = (
            "SELECT id, at, type, actor, group_name, ref, data, prev_id, hash FROM events"
            f" WHERE id > {marker} ORDER BY id LIMIT {int(batch)}"
        )
        after = -1
        while True:
            rows = self.conn.exec_driver_sql(sql, (after,)).all()
            if not rows:
                return
            for event_id, at, type_, actor, group, ref, data, prev_id, digest in rows:
                if isinstance(at, str):  # SQLite keeps UTC as naive text
                    at = datetime.fromisoformat(at).replace(tzinfo=UTC)
                elif at.tzinfo is None:
                    at = at.replace(tzinfo=UTC)
                yield {
                    "id": event_id,
                    "at": at,
                    "type": type_,
                    "actor": actor,
                    "group_name": group,
                    "ref": ref,
                    "data": json.loads(data) if isinstance(data, str | bytes) else data,
                    "prev_id": prev_id,
                    "hash": digest,
                }
            after = rows[-1][0]

    def head(self) -> dict[str, Any] | None:
        row = (
            self.conn.execute(select(t.events.c.id, t.events.c.hash).order_by(t.events.c.id.desc()).limit(1))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def event_count(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(t.events)).scalar_one())

    # -- keys ----------------------------------------------------------------------------------------------

    def keys(self) -> list[dict[str, Any]]:
        """Every signing key, oldest first."""
        return [dict(r) for r in self.conn.execute(select(signing_keys).order_by(signing_keys.c.seq)).mappings()]

    def lock_keys(self) -> None:
        """Serialise key creation across replicas (PostgreSQL; SQLite's writer lock already does)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_LOCK_KEYS)

    def add_key(self, kid: str, public_jwk: dict[str, Any], private_pem: str | None, at: datetime) -> int:
        seq = int(self.conn.execute(select(func.coalesce(func.max(signing_keys.c.seq), 0))).scalar_one()) + 1
        self.conn.execute(
            insert(signing_keys).values(seq=seq, kid=kid, public_jwk=public_jwk, private_pem=private_pem, created_at=at)
        )
        return seq

    # -- receipts ------------------------------------------------------------------------------------------

    def add_receipt(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(receipts).values(**row))

    def receipt_for(self, proposal_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(select(receipts).where(receipts.c.proposal_id == proposal_id)).mappings().first()
        return dict(row) if row else None

    def receipt(self, jti: str, *, for_update: bool = False) -> dict[str, Any] | None:
        query = select(receipts).where(receipts.c.jti == jti)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).mappings().first()
        return dict(row) if row else None

    def redeem(self, jti: str, by: str, at: datetime) -> bool:
        """Mark the receipt redeemed unless it already is; True for the one call that did it."""
        result = self.conn.execute(
            update(receipts)
            .where(receipts.c.jti == jti, receipts.c.redeemed_at.is_(None))
            .values(redeemed_at=at, redeemed_by=by)
        )
        return bool(result.rowcount)
