"""The PostgreSQL peer for bench/votes_http.py: a bare FastAPI endpoint inserting one row per request with psycopg."""

from __future__ import annotations

import os
import threading

import psycopg
from fastapi import FastAPI
from pydantic import BaseModel

URL = os.environ["BARE_PG_URL"]
local = threading.local()
app = FastAPI()


def connection() -> psycopg.Connection[tuple[object, ...]]:
    conn: psycopg.Connection[tuple[object, ...]] | None = getattr(local, "conn", None)
    if conn is None:
        conn = psycopg.connect(URL, autocommit=True)
        local.conn = conn
    return conn


class Vote(BaseModel):
    vote: str
    comment: str | None = None


@app.post("/v1/proposals/{proposal_id}/votes", status_code=201)
def cast(proposal_id: str, body: Vote) -> dict[str, str]:
    connection().execute(
        "INSERT INTO votes (proposal_id, vote, comment) VALUES (%s, %s, %s)", (proposal_id, body.vote, body.comment)
    )
    return {"proposal_id": proposal_id, "vote": body.vote}
