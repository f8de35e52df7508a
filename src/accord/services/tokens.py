"""Managed tokens (SPEC §1 rev. 2): issue with a label and a lifetime, list (never the secret), revoke one or
all, and recovery directly on the store."""

from __future__ import annotations

from typing import Any

from accord.domain.errors import ForbiddenError, NotFoundError, ValidationError
from accord.domain.members import Member
from accord.domain.tokens import Credential, check_label, parse_expires_in, status
from accord.services.context import Context, record
from accord.services.identity import ADMIN, add_token
from accord.storage.token_repository import credential_of
from accord.storage.uow import UnitOfWork


def _may_manage(actor: Member, name: str, what: str) -> None:
    if not (actor.is_admin or actor.name == name):
        raise ForbiddenError(
            f"{actor.name} may not {what} of {name}: only {name} itself and store administrators may", member=name
        )


def _require_member(uow: UnitOfWork, name: str) -> None:
    if uow.members.get(name) is None:
        raise NotFoundError(f"member {name} not found", member=name)


def token_view(row: dict[str, Any], now: Any) -> dict[str, Any]:
    """A token as listings show it: id, label, instants and status; never the secret or its hash."""
    credential: Credential = credential_of(row)
    return {
        "id": credential.id,
        "label": row["label"],
        "created_at": row["created_at"].isoformat(),
        "last_used_at": row["last_used_at"].isoformat() if row["last_used_at"] else None,
        "expires_at": row["expires_at"].isoformat() if row["expires_at"] else None,
        "revoked_at": row["revoked_at"].isoformat() if row["revoked_at"] else None,
        "status": status(credential, now),
    }


class TokenService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def issue(
        self, actor: Member, name: str, label: str | None = None, expires_in: str | int | None = None
    ) -> dict[str, Any]:
        """A new token for `name` (a member may hold several), by the member itself or an administrator:
        `{name, token, id, label, created_at, expires_at}`; the secret `token` is shown only this once.
        `expires_in` is a lifetime such as `30d` (at most 365 days). ForbiddenError (403), NotFoundError
        (404), ValidationError naming `label` or `expires_in` (422). SPEC §1 rev. 2."""
        _may_manage(actor, name, "issue tokens")
        label = check_label(label)
        lifetime = parse_expires_in(expires_in)
        now = self.ctx.now()
        expires_at = None if lifetime is None else now + lifetime
        with self.ctx.uow() as uow:
            _require_member(uow, name)
            token_id, token = add_token(uow, name, now, label=label, expires_at=expires_at)
            record(
                uow,
                "token.issued",
                at=now,
                actor=actor.name,
                group=None,
                ref=f"member:{name}",
                name=name,
                token_id=token_id,
                label=label,
                expires_at=expires_at,
            )
            uow.commit()
        return {
            "name": name,
            "token": token,
            "id": token_id,
            "label": label,
            "created_at": now.isoformat(),
            "expires_at": expires_at.isoformat() if expires_at else None,
        }

    def list(self, actor: Member, name: str) -> list[dict[str, Any]]:
        """`name`'s tokens, oldest first: `{id, label, created_at, last_used_at, expires_at, revoked_at,
        status}` with status `active`, `expired` or `revoked`; never the secret. The member itself or an
        administrator (403 otherwise); NotFoundError for an unknown member."""
        _may_manage(actor, name, "list the tokens")
        with self.ctx.uow(write=False) as uow:
            _require_member(uow, name)
            rows = uow.tokens.of_member(name)
        now = self.ctx.now()
        return [token_view(r, now) for r in rows]

    def revoke(self, actor: Member, name: str, token_id: str | None = None) -> dict[str, Any]:
        """Revoke one token of `name` (`token_id`, `tok_…`) or, without it, every token: `{name, revoked,
        tokens}` (how many were live, and their ids). Every feed held with them ends within a second (SPEC §8
        rev. 2) and their web sessions end. The member itself or an administrator; NotFoundError for an
        unknown member or a token that is not `name`'s; revoking an already revoked token changes nothing."""
        _may_manage(actor, name, "revoke tokens")
        if token_id is not None and (not isinstance(token_id, str) or not token_id.startswith("tok_")):
            raise ValidationError(f"token must be a token id tok_…, got {token_id!r}", field="token_id")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            _require_member(uow, name)
            if token_id is not None and uow.tokens.owner(token_id) != name:
                raise NotFoundError(f"token {token_id} of {name} not found", member=name, token_id=token_id)
            ids = uow.tokens.revoke(name, now, token_id)
            if ids:
                uow.web_sessions.end_for_member(name, now, ids)
                record(
                    uow,
                    "token.revoked",
                    at=now,
                    actor=actor.name,
                    group=None,
                    ref=f"member:{name}",
                    name=name,
                    count=len(ids),
                    token_ids=ids,
                )
            uow.commit()
        return {"name": name, "revoked": len(ids), "tokens": ids}

    def recover(self, name: str = ADMIN, by: str | None = None) -> dict[str, Any]:
        """A new token for `name` (default `admin`), working directly on the store: whoever can open the store
        may get back in (SPEC §1 rev. 2). Never offered over REST or MCP. Recorded as a `token.recovered` event
        (with `by`, the operating-system user who ran it, when known). NotFoundError for an unknown member."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            _require_member(uow, name)
            token_id, token = add_token(uow, name, now, label="recovered")
            record(
                uow,
                "token.recovered",
                at=now,
                actor=None,
                group=None,
                ref=f"member:{name}",
                name=name,
                token_id=token_id,
                by=by,
            )
            uow.commit()
        return {"name": name, "token": token, "id": token_id, "created_at": now.isoformat()}

    def has_live_token(self, name: str) -> bool:
        """Whether `name` holds a token that is neither revoked nor expired: a member whose tokens were all
        revoked is shut out, so sign-in links (SPEC §11) must refuse it too."""
        with self.ctx.uow(write=False) as uow:
            return uow.tokens.live_count(name, self.ctx.now()) > 0
