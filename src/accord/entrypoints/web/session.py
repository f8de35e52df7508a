"""Web sessions: a signed cookie naming a session the store keeps (never the token), and CSRF tokens.

The cookie is `base64(json).base64(hmac-sha256)`, HttpOnly and SameSite=Lax. Every session, signed in or
not, carries a random nonce; a form's CSRF token is an HMAC of that nonce, so it cannot be forged without
the key and it changes at each sign-in. A signed-in cookie carries the id of a session row in the store
(`IdentityService.start_web_session`); each request re-checks that row and the token signed in with, so
signing out, revoking the token or its expiry ends the session on every replica, copied cookies included.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "accord_session"
SESSION_HOURS = 12


@dataclass(frozen=True)
class Session:
    """What the cookie says: a nonce, and when signed in, the member and its token's stored hash."""

    nonce: str
    expires: int  # Unix seconds
    member: str | None = None
    session_id: str | None = None  # the store's session (signed in), None when signed out


class SessionSigner:
    """Signs and checks session cookies and CSRF tokens with one secret key."""

    def __init__(self, secret: str | None) -> None:
        raw = secret.encode() if secret else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"accord-web-session\0" + raw).digest()

    def _mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()

    def dump(self, session: Session) -> str:
        payload = {"n": session.nonce, "e": session.expires, "m": session.member, "s": session.session_id}
        data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(data)}.{_b64(self._mac('session', data))}"

    def load(self, value: str | None, now: datetime) -> Session | None:
        """The session in a cookie value, or None when it is absent, tampered with or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        try:
            data = _unb64(body)
            good = hmac.compare_digest(_unb64(mac), self._mac("session", data))
            payload: dict[str, Any] = json.loads(data) if good else {}
        except (ValueError, binascii.Error):
            return None
        if not good or not isinstance(payload.get("n"), str) or not isinstance(payload.get("e"), int):
            return None
        if payload["e"] <= int(now.timestamp()):
            return None
        member, session_id = payload.get("m"), payload.get("s")
        if not (isinstance(member, str) and isinstance(session_id, str)):
            member = session_id = None
        return Session(nonce=payload["n"], expires=payload["e"], member=member, session_id=session_id)

    def csrf_token(self, session: Session) -> str:
        return _b64(self._mac("csrf", session.nonce.encode()))

    def csrf_ok(self, session: Session | None, submitted: str | None) -> bool:
        if session is None or not submitted:
            return False
        return hmac.compare_digest(submitted.encode(), self.csrf_token(session).encode())


def session_end(now: datetime) -> datetime:
    """When a session started at `now` ends by itself."""
    return now + timedelta(hours=SESSION_HOURS)


def new_session(now: datetime, member: str | None = None, session_id: str | None = None) -> Session:
    """A fresh session (a new nonce, so CSRF tokens of an earlier session stop working)."""
    expires = int(session_end(now).timestamp())
    return Session(nonce=secrets.token_urlsafe(18), expires=expires, member=member, session_id=session_id)


def set_cookie(response: Response, request: Request, signer: SessionSigner, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        signer.dump(session),
        max_age=SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
