"""Web sessions kept on the server, and who may read a private event (SPEC §8 rev. 2, §13)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Table

from accord.storage.tables import metadata
from accord.storage.types import UTCDateTime

# A signed-in web page: the cookie names the session by a random id; signing out (or revoking its token) ends
# it here, so a copied cookie stops working on every replica at once.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the session id in the cookie
    Column("member", String(64), ForeignKey("members.name"), nullable=False, index=True),
    Column("token_id", String(32), index=True),  # the token signed in with (None: a sign-in link)
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
)

# Events only some members may read (a direct message's sender and recipient); an event with no row here is
# readable by everyone who may read its group.
event_readers = Table(
    "event_readers",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),
    Column("member", String(64), primary_key=True),
)
