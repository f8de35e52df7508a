"""Sign-in links and the Notifications settings page (SPEC §11).

A GET of `/signin/link/<token>` only shows a "Sign in as <m>" button (mail scanners follow links; nothing is
consumed); its POST redeems the link once, starts a session and opens the item's page. `/settings/notifications`
lets a signed-in member add and remove its channels (URLs shown masked) and set its time zone.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.domain import notices
from accord.domain.errors import AccordError
from accord.entrypoints.web.common import AnyVisitor, Signed, Visitor, WebRoute, page, redirect
from accord.entrypoints.web.forms import Form, form_of
from accord.entrypoints.web.session import new_session, session_end, set_cookie

router = APIRouter(route_class=WebRoute, include_in_schema=False)
SETTINGS = "/settings/notifications"
DONE = {
    "added": "The channel is added. Its secrets are shown masked from now on.",
    "removed": "The channel is removed.",
    "zone": "Your time zone is saved.",
}


@router.get("/signin/link/{token}")
def signin_link_page(token: str, v: AnyVisitor) -> Response:
    try:
        link = v.services.signin_links.peek(token)
    except AccordError as exc:
        return page(v, "signin_link.html", status=exc.http_status, error=exc.message, link=None, token=token)
    return page(v, "signin_link.html", error=None, link=link, token=token)


@router.post("/signin/link/{token}")
async def signin_link(token: str, request: Request, v: AnyVisitor) -> Response:
    form = await form_of(request)
    try:
        v.check_csrf(form.get("csrf"))
        done = v.services.signin_links.redeem(token, session_end(v.services.ctx.now()))
    except AccordError as exc:
        return page(v, "signin_link.html", status=exc.http_status, error=exc.message, link=None, token=token)
    # A new session (and nonce), as at a sign-in with a token.
    session = new_session(v.services.ctx.now(), done.member.name, done.session_id)
    response = redirect(None, done.next_path)
    set_cookie(response, request, v.web.signer, session)
    return response


def settings_context(v: Visitor, **extra: Any) -> dict[str, Any]:
    assert v.member is not None
    context: dict[str, Any] = {
        "settings": v.api.list_channels(v.member.name),
        "notice_types": notices.NOTICE_TYPES,
        "error": None,
        "error_at": None,
        "form": Form(),
    }
    context.update(extra)
    return context


@router.get(SETTINGS)
def notifications(v: Signed, done: str | None = None) -> Response:
    return page(v, "notifications.html", notice=DONE.get(done or ""), **settings_context(v))


def refused(v: Visitor, exc: AccordError, form: Form, at: str) -> Response:
    context = settings_context(v, error=exc.message, error_at=at, form=form)
    return page(v, "notifications.html", status=exc.http_status, **context)


@router.post(SETTINGS + "/channels")
async def add_channel(request: Request, v: Signed) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    assert v.member is not None
    data = await request.form()
    events = [str(e) for e in data.getlist("events") if isinstance(e, str)]
    try:
        v.api.add_channel(v.member.name, form.get("url") or "", events or None)
    except AccordError as exc:
        return refused(v, exc, form, "add")
    return redirect(v, SETTINGS + "?done=added")


@router.post(SETTINGS + "/channels/{channel_id}/remove")
async def remove_channel(channel_id: str, request: Request, v: Signed) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    assert v.member is not None
    try:
        v.api.remove_channel(v.member.name, channel_id)
    except AccordError as exc:
        return refused(v, exc, form, channel_id)
    return redirect(v, SETTINGS + "?done=removed")


@router.post(SETTINGS + "/time-zone")
async def set_time_zone(request: Request, v: Signed) -> Response:
    form = await form_of(request)
    v.check_csrf(form.get("csrf"))
    assert v.member is not None
    try:
        v.api.set_time_zone(v.member.name, form.text("time_zone"))
    except AccordError as exc:
        return refused(v, exc, form, "zone")
    return redirect(v, SETTINGS + "?done=zone")
