"""The peer for bench/votes_http.py: a bare FastAPI endpoint inserting one row per request into SQLite."""

from __future__ import annotations

import os
import sqlite3
import threading

from fastapi import FastAPI
from pydantic import BaseModel

DB = os.environ["BARE_DB"]
local = threading.local()
app = FastAPI()


def connection() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        local.conn = conn
    return conn


class Vote(BaseModel):
    vote: str
    comment: str | None = None


@app.post("/v1/proposals/{proposal_id}/votes", status_code=201)
def cast(proposal_id: str, body: Vote) -> dict[str, str]:
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO votes (proposal_id, vote, comment) VALUES (?, ?, ?)", (proposal_id, body.vote, body.comment)
    )
    conn.execute("COMMIT")
    return {"proposal_id": proposal_id, "vote": body.vote}
