"""Managed tokens (SPEC §1 rev. 2) on SQLite and PostgreSQL: ids, labels, expiry, last use, revoking one or
all, recovery, and who may do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from accord.bootstrap import Services
from accord.clock import FixedClock
from accord.domain.errors import AuthError, ForbiddenError, NotFoundError, ValidationError
from tests.support import World


def test_a_token_has_an_id_a_label_an_expiry_and_never_shows_its_secret(
    services: Services, world: World, clock: FixedClock
) -> None:
    world.member("ana")
    issued = services.tokens.issue(world.admin, "ana", label="ci", expires_in="30d")
    assert issued["id"].startswith("tok_") and issued["token"].startswith("acc_")
    assert issued["label"] == "ci" and issued["expires_at"] == "2026-01-31T12:00:00+00:00"
    listed = services.tokens.list(world.admin, "ana")
    assert [t["label"] for t in listed] == ["first", "ci"]
    mine = listed[1]
    assert mine == {
        "id": issued["id"],
        "label": "ci",
        "created_at": "2026-01-01T12:00:00+00:00",
        "last_used_at": None,
        "expires_at": "2026-01-31T12:00:00+00:00",
        "revoked_at": None,
        "status": "active",
    }
    assert issued["token"] not in repr(listed)
    assert services.identity.authenticate(issued["token"]).credential.id == issued["id"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "value",
    ["366d", "0s", "53w", "abc", "30 days", "1e9d", "9" * 40, "-1d"],
)
def test_expires_in_is_at_most_365_days(services: Services, world: World, value: str) -> None:
    world.member("ana")
    with pytest.raises(ValidationError) as refused:
        services.tokens.issue(world.admin, "ana", expires_in=value)
    assert refused.value.details["field"] == "expires_in"
    assert [t["label"] for t in services.tokens.list(world.admin, "ana")] == ["first"]  # nothing written


def test_expires_in_takes_the_usual_units(services: Services, world: World, clock: FixedClock) -> None:
    world.member("ana")
    for value, seconds in (("90s", 90), ("15m", 900), ("12h", 43200), ("2w", 1209600), ("365d", 31536000)):
        issued = services.tokens.issue(world.admin, "ana", expires_in=value)
        assert issued["expires_at"] == (clock.now() + timedelta(seconds=seconds)).isoformat()
        assert services.tokens.list(world.admin, "ana")[-1]["expires_at"] == issued["expires_at"]


def test_an_expired_token_is_refused_with_its_id_and_instant(
    services: Services, world: World, clock: FixedClock
) -> None:
    world.member("ana")
    issued = services.tokens.issue(world.admin, "ana", expires_in="1h")
    services.identity.authenticate(issued["token"])
    clock.advance(hours=1)
    with pytest.raises(AuthError) as refused:
        services.identity.authenticate(issued["token"])
    assert refused.value.message == f"token expired: token {issued['id']} expired at 2026-01-01T13:00:00Z"
    assert refused.value.http_status == 401 and refused.value.exit_code == 77
    assert services.tokens.list(world.admin, "ana")[-1]["status"] == "expired"
    services.identity.authenticate(world.tokens["ana"])  # the member's other token still works


def test_last_used_is_to_the_minute_and_written_at_most_once_a_minute(
    services: Services, world: World, clock: FixedClock
) -> None:
    world.member("ana")
    token = world.tokens["ana"]
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TOKENS SET LAST_USED_AT"):
            writes.append(statement)

    event.listen(services.ctx.engine, "before_cursor_execute", count)
    clock.set(clock.now().replace(minute=7, second=10))
    for _ in range(5):
        services.identity.authenticate(token)
        clock.advance(5)
    assert len(writes) == 1
    used = [t["last_used_at"] for t in services.tokens.list(world.admin, "ana")]
    assert used == ["2026-01-01T12:07:00+00:00"]
    clock.advance(60)
    services.identity.authenticate(token)
    assert len(writes) == 2
    assert services.tokens.list(world.admin, "ana")[0]["last_used_at"] == "2026-01-01T12:08:00+00:00"


def test_a_vote_moves_last_used_after_its_own_commit(services: Services, world: World) -> None:
    import asyncio

    world.group("team", ["ana", "bo"])
    pid = world.api("bo").create_proposal("team", "Ship?")["id"]
    issued = services.tokens.issue(world.admin, "ana", label="voter")
    asyncio.run(services.proposals.vote_async(issued["token"], pid, "yes"))
    listed = {t["id"]: t for t in services.tokens.list(world.admin, "ana")}
    assert listed[issued["id"]]["last_used_at"] == "2026-01-01T12:00:00+00:00"


def test_revoke_one_token_or_all(services: Services, world: World) -> None:
    world.member("ana")
    second = services.tokens.issue(world.api("ana").actor, "ana", label="laptop")
    done = services.tokens.revoke(world.api("ana").actor, "ana", second["id"])
    assert done == {"name": "ana", "revoked": 1, "tokens": [second["id"]]}
    with pytest.raises(AuthError, match=f"token revoked: token {second['id']} was revoked at"):
        services.identity.authenticate(second["token"])
    services.identity.authenticate(world.tokens["ana"])
    again = services.tokens.revoke(world.admin, "ana", second["id"])
    assert again["revoked"] == 0  # already revoked: nothing changes
    everything = services.tokens.revoke(world.admin, "ana")
    assert everything["revoked"] == 1
    with pytest.raises(AuthError, match="token revoked"):
        services.identity.authenticate(world.tokens["ana"])
    assert {t["status"] for t in services.tokens.list(world.admin, "ana")} == {"revoked"}
    assert services.tokens.has_live_token("ana") is False
    types = [e["type"] for e in services.events.audit(world.admin, ref="member:ana")]
    assert types.count("token.revoked") == 2


def test_only_the_member_itself_or_an_administrator_manages_its_tokens(services: Services, world: World) -> None:
    world.member("ana")
    bo = world.member("bo")
    ana_token = services.tokens.list(world.admin, "ana")[0]["id"]
    for attempt in (
        lambda: services.tokens.issue(bo, "ana"),
        lambda: services.tokens.list(bo, "ana"),
        lambda: services.tokens.revoke(bo, "ana"),
        lambda: services.tokens.revoke(bo, "ana", ana_token),
    ):
        with pytest.raises(ForbiddenError, match="only ana itself and store administrators may"):
            attempt()
    with pytest.raises(NotFoundError, match=f"token {ana_token} of bo not found"):
        services.tokens.revoke(bo, "bo", ana_token)  # someone else's token id is not yours to name
    with pytest.raises(NotFoundError, match="member ghost not found"):
        services.tokens.list(world.admin, "ghost")
    with pytest.raises(ValidationError, match="token must be a token id"):
        services.tokens.revoke(world.admin, "ana", "acc_secret")
    services.identity.authenticate(world.tokens["ana"])  # nothing was revoked


def test_recovery_issues_a_token_directly_and_is_audited(services: Services, world: World) -> None:
    services.tokens.revoke(world.admin, "admin")
    recovered = services.tokens.recover(by="ops")
    admin = services.identity.authenticate(recovered["token"])
    assert admin.is_admin and recovered["id"].startswith("tok_")
    audit = services.events.audit(admin, ref="member:admin")
    assert audit[-1]["type"] == "token.recovered" and audit[-1]["actor"] is None
    assert audit[-1]["data"]["by"] == "ops" and audit[-1]["data"]["token_id"] == recovered["id"]
    world.member("ana")
    assert services.identity.authenticate(services.tokens.recover("ana")["token"]).name == "ana"
    with pytest.raises(NotFoundError):
        services.tokens.recover("ghost")


def test_sweep_is_for_administrators(world: World) -> None:
    world.member("ana")
    with pytest.raises(ForbiddenError, match="ana may not sweep: only store administrators may"):
        world.api("ana").sweep()
    assert isinstance(world.api("admin").sweep(), dict)
