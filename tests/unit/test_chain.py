"""The hash chain's formula (SPEC §12) and the walk that checks it, without a store."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import rfc8785

from accord.proof import chain

AT = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def rows(n: int) -> list[dict[str, Any]]:
    """`n` chained rows, built with the SPEC's formula written out by hand."""
    out: list[dict[str, Any]] = []
    prev_hash, prev_id = "0" * 64, None
    for i in range(1, n + 1):
        body = {
            "id": i,
            "type": "vote.cast",
            "time": (AT + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor": "ana",
            "group": "eng",
            "ref": "prop_1",
            "data": {"vote": "yes", "n": i, "w": 0.5},
        }
        digest = hashlib.sha256(prev_hash.encode() + b"\x0a" + rfc8785.dumps(body)).hexdigest()  # type: ignore[arg-type]
        out.append(
            {
                "id": i,
                "type": "vote.cast",
                "at": AT + timedelta(seconds=i),
                "actor": "ana",
                "group_name": "eng",
                "ref": "prop_1",
                "data": body["data"],
                "prev_id": prev_id,
                "hash": digest,
            }
        )
        prev_hash, prev_id = digest, i
    return out


def test_the_hash_is_sha256_of_the_previous_hex_a_newline_and_the_jcs_of_the_event() -> None:
    chained = rows(3)
    assert chain.event_hash(chain.GENESIS, chained[0]) == chained[0]["hash"]
    assert chain.event_hash(chained[0]["hash"], chained[1]) == chained[1]["hash"]
    assert chain.GENESIS == "0" * 64


def test_time_is_utc_with_microseconds_and_z() -> None:
    assert chain.chain_time(AT) == "2026-05-01T12:00:00.123456Z"
    assert chain.chain_time(datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))) == (
        "2026-05-01T12:00:00.000000Z"
    )


def test_an_intact_chain_verifies_with_its_count_and_head() -> None:
    chained = rows(5)
    verdict = chain.verify(chained)
    assert verdict.ok and verdict.message() == f"5 events verified; head 5 {chained[-1]['hash']}"
    assert chain.verify([]).message() == f"0 events verified; head 0 {'0' * 64}"


def test_an_edited_event_is_named() -> None:
    chained = rows(5)
    chained[2]["data"] = {**chained[2]["data"], "vote": "no"}
    verdict = chain.verify(chained)
    assert (verdict.ok, verdict.problem, verdict.event_id, verdict.verified) == (
        False,
        "event 3 does not match its hash",
        3,
        2,
    )


def test_a_deleted_event_is_named_missing_first_middle_and_against_a_pinned_head() -> None:
    chained = rows(5)
    assert chain.verify(chained[:2] + chained[3:]).problem == "event 3 is missing"
    assert chain.verify(chained[1:]).problem == "event 1 is missing"
    pinned = (5, chained[4]["hash"])
    assert chain.verify(chained[:4]).ok  # the newest event gone: unseen without a pin...
    assert chain.verify(chained[:4], pinned).problem == "event 5 is missing"  # ...seen with one
    assert chain.verify(chained, pinned).ok
    assert chain.verify(chained, (5, "f" * 64)).problem == "event 5 does not match the pinned head"


def test_legacy_gaps_are_links_not_holes() -> None:
    """Ids from the old sequence may skip (rolled-back inserts); `prev_id` records each real link."""
    chained = rows(3)
    third = {**chained[2], "id": 7}
    third["hash"] = chain.event_hash(chained[1]["hash"], third)
    assert chain.verify([*chained[:2], third]).ok


def test_what_has_no_canonical_form_is_spelt_as_text_so_every_event_chains() -> None:
    data = {"big": 2**60, "ok": 2**53, "inf": float("inf"), "s": "a\ud800b", "list": [2**64]}
    clean = chain.chainable(data)
    assert clean == {"big": str(2**60), "ok": 2**53, "inf": "inf", "s": "a\\ud800b", "list": [str(2**64)]}
    plain = {"a": 1}
    assert chain.chainable(plain) is plain
