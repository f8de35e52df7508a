"""Signing in with a member token, and out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.domain.errors import AccordError, AuthError, RateLimitedError
from accord.entrypoints.throttle import SignInThrottle, client_address
from accord.entrypoints.web.common import AnyVisitor, WebRoute, page, redirect, safe_next
from accord.entrypoints.web.forms import form_of
from accord.entrypoints.web.session import new_session, session_end, set_cookie

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/signin")
def signin_page(v: AnyVisitor, next: str | None = None, signed_out: str | None = None) -> Response:
    if v.member is not None:
        return redirect(v, safe_next(next))
    notice = "You are signed out." if signed_out else None
    return page(v, "signin.html", next=safe_next(next), error=None, notice=notice)


@router.post("/signin")
async def signin(request: Request, v: AnyVisitor) -> Response:
    form = await form_of(request)
    next_path = safe_next(form.get("next"))
    throttle: SignInThrottle = request.app.state.throttle
    address = client_address(request.scope)
    try:
        v.check_csrf(form.get("csrf"))
        throttle.check(address)  # SPEC §13: at most 10 failed sign-ins a minute per address
        member = v.services.identity.authenticate(form.get("token"))
    except AccordError as exc:
        if isinstance(exc, AuthError):
            throttle.failed(address)
        response = page(v, "signin.html", status=exc.http_status, error=exc.message, next=next_path)
        if isinstance(exc, RateLimitedError):
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response
    # A new session (and nonce) at sign-in: a session fixed before sign-in never becomes a signed-in one.
    now = v.services.ctx.now()
    session_id = v.services.identity.start_web_session(member, session_end(now))
    session = new_session(now, member.name, session_id)
    response = redirect(None, next_path)
    set_cookie(response, request, v.web.signer, session)
    return response


@router.post("/signout")
async def signout(request: Request, v: AnyVisitor) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    if v.session.session_id is not None:  # ended on the server: a copy of the cookie stops working too
        v.services.identity.end_web_session(v.session.session_id)
    response = redirect(None, "/signin?signed_out=1")
    set_cookie(response, request, v.web.signer, new_session(v.services.ctx.now()))
    return response
