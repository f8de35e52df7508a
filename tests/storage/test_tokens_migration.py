"""Migration 0013_tokens on a store made before it: every token gets a `tok_…` id and keeps working, and the
direct messages' events already stored become private to their two members (SPEC §1, §8 rev. 2)."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from accord.bootstrap import build_services
from accord.storage.engine import make_engine
from accord.storage.migrate import alembic_config
from tests.storage.test_proof_migration import empty_url, migrate
from tests.support import World

__all__ = ["empty_url"]  # the fixture, on SQLite and PostgreSQL


def test_an_older_store_gets_token_ids_and_private_message_events(empty_url: str) -> None:
    engine = make_engine(empty_url)
    for head in ScriptDirectory.from_config(alembic_config()).get_heads():
        if head != "0013_tokens":
            migrate(engine, head)
    with engine.begin() as conn:  # what a store held before: a token, a group, a direct message and a broadcast
        conn.exec_driver_sql(
            "INSERT INTO members (name, kind, is_admin, created_at) VALUES "
            "('admin', 'human', true, '2026-01-01 12:00:00'), ('ana', 'agent', false, '2026-01-01 12:00:00'), "
            "('bo', 'agent', false, '2026-01-01 12:00:00'), ('cy', 'agent', false, '2026-01-01 12:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO tokens (member, token_hash, label, created_at) VALUES "
            "('ana', 'b3ee3f2bc1e6b5ae8f2c4b8f0c1ae5cc0a0bd3c6e5e5d1a4b0b65f0cf1a8e7d1', NULL, '2026-01-01 12:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO groups (name, description, created_by, created_at, irreversible_pattern, "
            "default_timeout_seconds) VALUES ('crew', '', 'admin', '2026-01-01 12:00:00', 'deploy', 3600)"
        )
        for message_id, recipient in (("msg_direct", "bo"), ("msg_all", "*")):
            conn.exec_driver_sql(
                "INSERT INTO messages (id, group_name, sender, recipient, type, content, created_at) VALUES "
                f"('{message_id}', 'crew', 'ana', '{recipient}', 'NOTICE', 'hi', '2026-01-01 12:00:00')"
            )
        events = [
            (1, "message.sent", "inbox:bo", '{"message_id": "msg_direct", "to": "bo"}'),
            (2, "message.received", "message:msg_direct", '{"message_id": "msg_direct", "by": "bo"}'),
            (3, "message.sent", "inbox:bo", '{"message_id": "msg_all", "to": "bo"}'),
            (4, "message.sent", "inbox:cy", '{"message_id": "msg_all", "to": "cy"}'),
            (5, "message.received", "message:msg_all", '{"message_id": "msg_all", "by": "cy"}'),
        ]
        for event_id, type_, ref, data in events:
            conn.exec_driver_sql(
                "INSERT INTO events (id, at, type, actor, group_name, ref, data, prev_id, hash) VALUES "
                f"({event_id}, '2026-01-01 12:00:00', '{type_}', 'ana', 'crew', '{ref}', '{data}', NULL, 'x')"
            )
    migrate(engine, "heads")
    engine.dispose()

    services = build_services(empty_url)
    try:
        world = World.__new__(World)
        world.services, world.tokens = services, {}
        admin = services.tokens.recover("admin")
        world.admin = services.identity.authenticate(admin["token"])
        listed = services.tokens.list(world.admin, "ana")
        assert len(listed) == 1 and listed[0]["id"].startswith("tok_") and listed[0]["status"] == "active"
        for name in ("bo", "cy"):
            services.groups.add_member(world.admin, "crew", name)
        bo = services.identity.authenticate(services.tokens.recover("bo")["token"])
        cy = services.identity.authenticate(services.tokens.recover("cy")["token"])
        seen_by_bo = [e["id"] for e in services.events.since(bo, 0, 500) if e["type"].startswith("message.")]
        seen_by_cy = [e["id"] for e in services.events.since(cy, 0, 500) if e["type"].startswith("message.")]
        assert seen_by_bo == [1, 2, 3, 5]  # its direct message, its copy of the broadcast, and who read it
        assert seen_by_cy == [4, 5]  # never the direct message between ana and bo, nor bo's copy
    finally:
        services.close()
