"""`accord audit ...`, `accord keys ...` and `accord receipt ...`: the verifiable record (SPEC §12)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from accord.clock import SystemClock
from accord.domain.errors import UnavailableError, ValidationError
from accord.entrypoints.cli import core
from accord.entrypoints.cli.common import (
    APPROVED,
    REJECTED,
    AccordGroup,
    JsonFlag,
    call,
    emit,
    err,
    handled,
    new_app,
    out,
    show_table,
)
from accord.entrypoints.cli.gates import parse_json
from accord.proof import receipts
from accord.settings import Settings

audit_app = typer.Typer(
    cls=AccordGroup,
    help="The audit log (`accord audit` lists events) and its hash chain (`accord audit verify`, `head`).",
    invoke_without_command=True,
    add_completion=False,
)
keys_app = new_app("The store's Ed25519 signing keys (public halves only): show and rotate.")
receipt_app = new_app("Signed decision receipts: verify one offline, redeem a gate's once.")


def register(app: typer.Typer) -> None:
    """Add `audit`, `keys` and `receipt` to `app`."""
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")
    app.add_typer(receipt_app, name="receipt")


@audit_app.callback()
def audit(
    ctx: typer.Context,
    ref: Annotated[str | None, typer.Option(help="Only events about this (a proposal id, group:NAME, ...).")] = None,
    after: Annotated[int, typer.Option(help="Only events after this id.")] = 0,
    limit: Annotated[int, typer.Option(help="At most this many (1-500).")] = 100,
    latest: Annotated[
        int | None, typer.Option(help="Only the newest N events (1-500), oldest first, like `tail`.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The audit log, oldest first: who did what, when (the first --limit events after --after, or the newest
    --latest N); with a subcommand, check or pin its hash chain."""
    if ctx.invoked_subcommand is None:
        core.audit(ref=ref, after=after, limit=limit, latest=latest, as_json=as_json)


@audit_app.command("verify")
def audit_verify(
    pinned: Annotated[
        str | None, typer.Option(help="ID:HASH of a head pinned earlier (accord audit head): it must still be there.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recompute the hash chain of every event (administrators). Exit 0 with "<n> events verified; head <id>
    <hash>", or exit 1 naming the first event that is missing or whose hash does not match."""
    result = call(lambda api: api.audit_verify(pinned))
    if as_json:
        emit(result, True)
    elif result["ok"]:
        out.print(result["message"], markup=False)
    else:
        err.print(f"chain broken: {result['message']} ({result['verified']} events verified before it)", markup=False)
    raise typer.Exit(APPROVED if result["ok"] else REJECTED)


@audit_app.command("head")
def audit_head(as_json: JsonFlag = False) -> None:
    """The newest event's id and hash, as ID:HASH: keep it, and pass it later to `accord audit verify
    --pinned` (deleting the newest events is seen only against a pinned head)."""
    result = call(lambda api: api.audit_head())
    emit(result, as_json, lambda r: out.print(f"{r['id']}:{r['hash']}", markup=False))


@keys_app.command("show")
def keys_show(as_json: JsonFlag = False) -> None:
    """The signing keys (public halves; the newest signs). --json includes the JWKS to give verifiers."""
    result = call(lambda api: api.show_keys())
    emit(
        result,
        as_json,
        lambda r: show_table(
            [{**k, "active": "yes" if k["active"] else ""} for k in r["keys"]],
            ["kid", "created_at", "active", "private_key_in"],
        ),
    )


@keys_app.command("rotate")
def keys_rotate(as_json: JsonFlag = False) -> None:
    """Make a new signing key (administrators); older keys stay in the JWKS, so their receipts still verify."""
    result = call(lambda api: api.rotate_key())
    active = next(k for k in result["keys"] if k["active"])
    emit(result, as_json, lambda r: out.print(f"new signing key {active['kid']}", markup=False))


def _receipt_text(receipt: str) -> str:
    """The receipt itself, `-` for standard input, or the path of a file holding it."""
    if receipt == "-":
        return sys.stdin.read().strip()
    path = Path(receipt)
    if receipt.count(".") != 2 and path.is_file():
        return path.read_text().strip()
    return receipt.strip()


def load_jwks(source: str) -> dict[str, Any]:
    """A JWK Set from a file or an http(s) URL (ValidationError/UnavailableError saying what went wrong)."""
    if source.startswith(("http://", "https://")):
        import httpx

        try:
            response = httpx.get(source, timeout=30, follow_redirects=True)
            response.raise_for_status()
            value = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise UnavailableError(f"could not fetch the JWKS at {source}: {exc}") from None
    else:
        try:
            value = json.loads(Path(source).read_text())
        except OSError as exc:
            raise ValidationError(f"--jwks {source}: {exc.strerror or exc}", field="jwks") from None
        except ValueError as exc:
            raise ValidationError(f"--jwks {source} is not JSON: {exc}", field="jwks") from None
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ValidationError(f"--jwks {source} is not a JWK Set (an object with a 'keys' list)", field="jwks")
    return value


@receipt_app.command("verify")
def receipt_verify(
    receipt: Annotated[str, typer.Argument(help="The receipt (compact JWS), a file holding it, or - for stdin.")],
    payload: Annotated[
        str | None, typer.Option(help="The JSON about to be acted on; a gate receipt must carry its digest.")
    ] = None,
    jwks: Annotated[
        str | None,
        typer.Option(
            help="A JWKS file or URL to trust (works with no store and no server); else the keys of ACCORD_URL's "
            "server or of the local store."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check a decision receipt. Exit 0 only when the signature holds with a known key, it has not expired,
    the outcome is approved (gate) or passed (proposal) and, for a gate, --payload has its digest. Otherwise
    exit 1 naming the failed check: "bad signature", "unknown key", "expired at <instant>", "outcome <o>",
    "payload differs", "payload not given"."""
    with handled():
        text = _receipt_text(receipt)
        given = receipts.NOT_GIVEN if payload is None else parse_json(payload, "--payload")
        settings = Settings()
        if jwks is None and settings.url:  # the server's published keys, checked here
            from accord.client import AccordClient

            result = AccordClient(settings.url, settings.token).verify_receipt(text, given)
        else:
            keyset = load_jwks(jwks) if jwks is not None else _store_jwks(settings.database_url)
            result = receipts.verify(text, keyset, now=SystemClock().now(), payload=given).as_dict()
    _report(result, as_json)


def _store_jwks(database_url: str) -> dict[str, Any]:
    """The local store's public keys (no token needed: they are public)."""
    from accord.bootstrap import build_services

    services = build_services(database_url, existing=True)
    try:
        return services.keys.jwks()
    finally:
        services.close()


def _report(result: dict[str, Any], as_json: bool) -> NoReturn:
    claims = result.get("claims") or {}
    if as_json:
        emit(result, True)
    elif result["valid"]:
        about = f"{claims.get('kind')} {claims.get('sub')} {claims.get('outcome')} in {claims.get('group')}"
        subject = f", subject {claims['subject']!r}" if claims.get("subject") else ""
        out.print(f"receipt {claims.get('jti')} verified: {about}{subject}", markup=False)
    else:
        err.print(f"receipt not verified: {result['reason']}", markup=False)
    raise typer.Exit(APPROVED if result["valid"] else REJECTED)


@receipt_app.command("redeem")
def receipt_redeem(
    jti: Annotated[str, typer.Argument(help="The receipt's id (its jti claim), or the receipt itself.")],
    as_json: JsonFlag = False,
) -> None:
    """Mark an approved gate's receipt used, right before acting: exit 0 the first time, 75 (conflict) after
    ("receipt <jti> was redeemed at <instant>"), so the action runs at most once. Its requester or an
    administrator only."""
    if jti.count(".") == 2:  # the receipt itself: redeem the id it carries
        with handled():
            try:
                jti = str(receipts.claims_of(jti).get("jti") or "")
            except ValueError as exc:
                raise ValidationError(f"not a receipt: {exc}", field="jti") from None
    result = call(lambda api: api.redeem_receipt(jti))
    emit(result, as_json, lambda r: out.print(f"receipt {r['jti']} redeemed at {r['redeemed_at']}", markup=False))
