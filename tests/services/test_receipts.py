"""Decision receipts on both stores (SPEC §12): issued once, read back unchanged, checked, redeemed once."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from accord.bootstrap import Services, build_services
from accord.canonical import payload_digest
from accord.clock import FixedClock
from accord.domain.errors import ConflictError, ForbiddenError, NotFoundError
from accord.proof import receipts
from accord.services.proof import KeyService
from accord.storage import tables as t
from accord.storage.proof_tables import receipts as receipt_rows
from accord.storage.proof_tables import signing_keys
from tests.support import World

PAYLOAD = {"version": "2.0", "env": "prod"}
CLAIMS = {"iss", "jti", "iat", "kind", "sub", "group", "subject", "outcome", "result", "threshold_met", "tally"}
CLAIMS |= {"voters", "method", "event_hash"}
GATE_CLAIMS = CLAIMS | {"requester", "payload_digest", "exp"}


def team(world: World) -> None:
    world.group("ops", {"ci": {}, "ana": {}, "bo": {}, "cy": {}})
    world.group("elsewhere", ["zed"])


def approved_gate(world: World, subject: str = "deploy") -> dict[str, Any]:
    gate = world.api("ci").gate_request(subject, PAYLOAD, "ops", timeout_seconds=600)
    for voter in ("ana", "bo", "cy"):
        world.api(voter).gate_vote(gate["id"], "yes")
    return world.api("ci").gate_wait(gate["id"], timeout=0)


def count(services: Services, table: Any, **where: Any) -> int:
    with services.ctx.engine.connect() as conn:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(conn.execute(query).scalar_one())


def verify(world: World, token: str, payload: Any = receipts.NOT_GIVEN) -> dict[str, Any]:
    return world.api("admin").verify_receipt(token, payload)


def test_a_finalized_proposal_has_one_receipt_with_exactly_the_claims(world: World) -> None:
    world.group("eng", ["ana", "bo", "cy"])
    pid = world.api("ana").create_proposal("eng", "Adopt Valkey?", subject="cache")["id"]
    world.api("ana").cast_vote(pid, "yes", confidence=0.9)
    world.api("bo").cast_vote(pid, "yes")
    world.api("cy").cast_vote(pid, "no", comment="risky", confidence=0.4)
    final = world.api("ana").finalize_proposal(pid)
    token = final["receipt"]
    record = world.api("cy").get_decision_record(pid)
    assert record["receipt"] == token == world.api("bo").get_decision_record(pid)["receipt"]
    claims = receipts.claims_of(token)
    assert set(claims) == CLAIMS
    finalized = [e for e in world.api("admin").audit(pid) if e["type"] == "proposal.finalized"]
    assert claims | {"jti": "", "iat": 0} == {
        "iss": "http://127.0.0.1:8000",
        "jti": "",
        "iat": 0,
        "kind": "proposal",
        "sub": pid,
        "group": "eng",
        "subject": "cache",
        "outcome": "passed",
        "result": "yes",
        "threshold_met": True,
        "tally": {"yes": 2, "no": 1},
        "voters": [
            {"name": "ana", "vote": "yes", "confidence": 0.9},
            {"name": "bo", "vote": "yes", "confidence": 1.0},
            {"name": "cy", "vote": "no", "confidence": 0.4},
        ],
        "method": "vote",
        "event_hash": finalized[0]["hash"],
    }
    assert verify(world, token) == {"valid": True, "reason": "verified", "claims": claims}
    assert count(world.services, receipt_rows) == 1


def test_a_rejected_proposal_and_a_human_resolution_get_receipts_too(world: World) -> None:
    world.group("eng", {"ana": {"role": "owner", "kind": "human"}, "bo": {}})
    no = world.api("ana").create_proposal("eng", "Rewrite in Rust?")["id"]
    world.api("ana").cast_vote(no, "no")
    world.api("bo").cast_vote(no, "no")
    token = world.api("bo").finalize_proposal(no)["receipt"]
    assert verify(world, token)["reason"] == "outcome rejected"
    escalated = world.api("ana").create_proposal("eng", "Pick one", on_no_consensus=["escalate"])["id"]
    world.api("ana").cast_vote(escalated, "yes")
    world.api("bo").cast_vote(escalated, "no")
    world.api("ana").finalize_proposal(escalated)
    world.api("ana").resolve_proposal(escalated, "yes", "the owner decides")
    claims = receipts.claims_of(world.api("bo").get_decision_record(escalated)["receipt"])
    assert (claims["method"], claims["outcome"]) == ("human_decision", "passed")


def test_a_gate_receipt_binds_the_payload_and_goes_only_to_its_requester_and_admins(world: World) -> None:
    team(world)
    view = approved_gate(world)
    token = view["receipt"]
    claims = receipts.claims_of(token)
    assert set(claims) == GATE_CLAIMS
    assert (claims["kind"], claims["outcome"], claims["requester"], claims["method"]) == (
        "gate",
        "approved",
        "ci",
        "gate_close",
    )
    assert claims["payload_digest"] == payload_digest(PAYLOAD)
    assert claims["exp"] - claims["iat"] == 900  # the group policy's receipt_ttl_seconds, default 15 minutes
    assert world.api("ci").gate_close(view["id"])["receipt"] == token  # every later read: the same receipt
    assert world.api("ci").gate_wait(view["id"], timeout=0)["receipt"] == token
    # By subject a closed request is never reported again (SPEC §5 rev. 2), so no receipt either.
    assert world.api("ci").gate_wait("deploy", timeout=0, group="ops")["status"] == "none_open"
    assert world.api("admin").get_decision_record(view["id"])["receipt"] == token
    assert world.api("ana").gate_wait(view["id"], timeout=0)["receipt"] is None
    assert world.api("ana").get_decision_record(view["id"])["receipt"] is None
    assert verify(world, token, PAYLOAD)["valid"]
    assert verify(world, token, {**PAYLOAD, "env": "dev"})["reason"] == "payload differs"
    assert verify(world, token)["reason"] == "payload not given"


def test_the_group_policy_sets_a_gate_receipts_lifetime(world: World, clock: FixedClock) -> None:
    team(world)
    world.api("admin").set_group_policy("ops", receipt_ttl_seconds=60)
    token = approved_gate(world)["receipt"]
    claims = receipts.claims_of(token)
    assert claims["exp"] - claims["iat"] == 60
    clock.advance(60)
    assert verify(world, token, PAYLOAD)["reason"].startswith("expired at ")


def test_an_expired_gate_gets_one_receipt_whichever_path_notices_first(world: World, clock: FixedClock) -> None:
    team(world)
    gate = world.api("ci").gate_request("deploy", PAYLOAD, "ops", timeout_seconds=10)
    clock.advance(10)
    assert world.api("ana").gate_tally(gate["id"])["status"] == "expired"  # a read closes it...
    assert world.services.gates.expire_due() == []  # ...so the sweeper finds nothing
    token = world.api("ci").gate_wait(gate["id"], timeout=0)["receipt"]
    assert receipts.claims_of(token)["outcome"] == "expired" and receipts.claims_of(token)["method"] == "gate_timeout"
    assert count(world.services, receipt_rows, proposal_id=gate["id"]) == 1


def test_the_sweeper_issues_the_receipt_when_nobody_reads(world: World, clock: FixedClock) -> None:
    team(world)
    gate = world.api("ci").gate_request("deploy", PAYLOAD, "ops", timeout_seconds=10)
    clock.advance(11)
    assert world.services.gates.expire_due() == [gate["id"]]
    assert world.services.gates.expire_due() == []
    assert count(world.services, receipt_rows, proposal_id=gate["id"]) == 1


def test_racing_readers_of_an_expired_gate_issue_exactly_one_receipt(store_url: str, world: World) -> None:
    team(world)
    gate = world.api("ci").gate_request("deploy", PAYLOAD, "ops", timeout_seconds=10)
    later = FixedClock(world.services.ctx.clock.now() + timedelta(seconds=30))
    barrier = threading.Barrier(8)
    seen: list[str] = []

    def reader(i: int) -> None:
        services = build_services(store_url, later)
        try:
            who = ["ci", "ana", "bo", "cy"][i % 4]
            actor = services.identity.authenticate(world.tokens[who])
            barrier.wait(30)
            if i % 3 == 0:
                services.gates.expire_due()
            elif who == "ci":
                seen.append(services.gates.wait(actor, gate["id"], 0)["status"])
            else:
                seen.append(services.gates.tally(actor, gate["id"])["status"])
        finally:
            services.close()

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(seen) == {"expired"}
    assert count(world.services, receipt_rows, proposal_id=gate["id"]) == 1
    closing = [e for e in world.api("admin").audit(gate["id"]) if e["type"] == "proposal.finalized"]
    assert len(closing) == 1


def test_redeem_once_with_every_refusal(world: World, clock: FixedClock) -> None:
    team(world)
    token = approved_gate(world)["receipt"]
    jti = receipts.claims_of(token)["jti"]
    with pytest.raises(ForbiddenError, match=f"^ana may not redeem receipt {jti}: only requester ci may$"):
        world.api("ana").redeem_receipt(jti)
    with pytest.raises(NotFoundError, match=f"^receipt {jti} not found$"):
        world.api("zed").redeem_receipt(jti)
    with pytest.raises(NotFoundError, match=r"^receipt rcpt_nope not found$"):
        world.api("ci").redeem_receipt("rcpt_nope")
    first = world.api("ci").redeem_receipt(jti)
    assert (first["redeemed"], first["redeemed_by"], first["request_id"]) == (
        True,
        "ci",
        receipts.claims_of(token)["sub"],
    )
    with pytest.raises(ConflictError, match="^" + re.escape(f"receipt {jti} was redeemed at {first['redeemed_at']}")):
        world.api("ci").redeem_receipt(jti)
    with pytest.raises(ConflictError, match="was redeemed at"):
        world.api("admin").redeem_receipt(jti)
    redeemed = [e for e in world.api("admin").audit(first["request_id"]) if e["type"] == "receipt.redeemed"]
    assert [e["data"]["jti"] for e in redeemed] == [jti]

    later = approved_gate(world, "release")["receipt"]
    clock.advance(900)
    late_jti = receipts.claims_of(later)["jti"]
    with pytest.raises(ConflictError, match=f"^receipt {late_jti} expired at "):
        world.api("admin").redeem_receipt(late_jti)  # an administrator may redeem; not an expired one

    refused = world.api("ci").gate_request("merge", None, "ops")
    world.api("ana").gate_vote(refused["id"], "no")
    no_jti = receipts.claims_of(world.api("ci").gate_close(refused["id"])["receipt"])["jti"]
    with pytest.raises(ConflictError, match=f"^receipt {no_jti} records outcome rejected: only an approved gate's"):
        world.api("ci").redeem_receipt(no_jti)

    pid = world.api("ana").create_proposal("ops", "Proposal")["id"]
    for voter in ("ci", "ana", "bo", "cy"):
        world.api(voter).cast_vote(pid, "yes")
    p_jti = receipts.claims_of(world.api("ana").finalize_proposal(pid)["receipt"])["jti"]
    with pytest.raises(
        ConflictError, match=f"^receipt {p_jti} is a proposal receipt: only gate receipts are redeemed$"
    ):
        world.api("ana").redeem_receipt(p_jti)


def test_racing_redeems_let_exactly_one_through(store_url: str, world: World) -> None:
    team(world)
    jti = receipts.claims_of(approved_gate(world)["receipt"])["jti"]
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def redeem() -> None:
        services = build_services(store_url, world.services.ctx.clock)
        try:
            actor = services.identity.authenticate(world.tokens["ci"])
            barrier.wait(30)
            try:
                services.receipts.redeem(actor, jti)
                outcomes.append("ok")
            except ConflictError as exc:
                outcomes.append("conflict" if "was redeemed at" in exc.message else exc.message)
        finally:
            services.close()

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["conflict"] * 5 + ["ok"]


def test_rotated_keys_keep_old_receipts_verifying(world: World) -> None:
    team(world)
    old = approved_gate(world)["receipt"]
    before = world.api("admin").show_keys()
    with pytest.raises(ForbiddenError, match="ci may not rotate the signing key: only store administrators may"):
        world.api("ci").rotate_key()
    after = world.api("admin").rotate_key()
    assert len(after["keys"]) == len(before["keys"]) + 1 and after["keys"][-1]["active"]
    new = approved_gate(world, "release")["receipt"]
    assert receipts.claims_of(new) != receipts.claims_of(old)
    kids = [k["kid"] for k in after["jwks"]["keys"]]
    header_kid = [json.loads(base64.urlsafe_b64decode(tok.split(".")[0] + "=="))["kid"] for tok in (old, new)]
    assert header_kid == kids[-2:]
    assert verify(world, old, PAYLOAD)["valid"] and verify(world, new, PAYLOAD)["valid"]


def test_a_key_file_keeps_the_private_key_out_of_the_store(store_url: str, tmp_path: Path, clock: FixedClock) -> None:
    services = build_services(store_url, clock)
    try:
        with services.ctx.engine.begin() as conn:
            conn.execute(signing_keys.delete())
        services.ctx.key_file = str(tmp_path / "keys" / "accord.pem")
        world = World(services)  # accord init makes the first key, in the file
        assert Path(services.ctx.key_file).stat().st_mode & 0o777 == 0o600
        shown = world.api("admin").show_keys()
        assert [k["private_key_in"] for k in shown["keys"]] == ["key file"]
        with services.ctx.engine.connect() as conn:
            assert conn.execute(select(signing_keys.c.private_pem)).scalars().all() == [None]
        team(world)
        token = approved_gate(world)["receipt"]
        assert world.api("admin").verify_receipt(token, PAYLOAD)["valid"]
        world.api("admin").rotate_key()
        assert len(Path(services.ctx.key_file).read_text().split("BEGIN PRIVATE KEY")) == 3
        assert KeyService(services.ctx).signing_key is not None
    finally:
        services.close()


def test_no_receipt_without_a_decision(world: World) -> None:
    world.group("eng", ["ana", "bo"])
    pid = world.api("ana").create_proposal("eng", "Open question")["id"]
    assert world.api("ana").get_decision_record(pid)["receipt"] is None
    assert count(world.services, t.proposals) == 1 and count(world.services, receipt_rows) == 0
