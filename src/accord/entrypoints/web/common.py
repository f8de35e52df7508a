"""What every web route shares: the visitor (session and member), rendering, security headers, errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, RedirectResponse, Response

from accord.api import Api
from accord.bootstrap import Services
from accord.domain.errors import AccordError, AuthError, ForbiddenError
from accord.domain.members import Member
from accord.entrypoints.web import present, views
from accord.entrypoints.web.forms import rank_field
from accord.entrypoints.web.session import COOKIE, Session, SessionSigner, new_session, set_cookie

HERE = Path(__file__).parent

# No inline scripts or styles anywhere: every script and stylesheet is a file under /static/.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Web:
    """The web face's shared parts, kept on `app.state.web`."""

    services: Services
    signer: SessionSigner
    env: jinja2.Environment


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(present.FILTERS)
    env.globals.update(
        rank_field=rank_field, vote_defaults=views.vote_defaults, decision_options=views.decision_options
    )
    return env


@dataclass
class Visitor:
    """The person behind a request: their session, and the member when signed in."""

    request: Request
    web: Web
    session: Session
    member: Member | None
    renew_cookie: bool = False
    notice: str | None = None

    @property
    def services(self) -> Services:
        return self.web.services

    @property
    def api(self) -> Api:
        if self.member is None:
            raise AuthError("sign in first")
        return Api(self.web.services, self.member)

    @property
    def csrf(self) -> str:
        return self.web.signer.csrf_token(self.session)

    def check_csrf(self, submitted: str | None) -> None:
        """Refuse a form that did not come from a page of this session (nothing is written)."""
        if not self.web.signer.csrf_ok(self.session, submitted) or not _same_origin(self.request):
            raise ForbiddenError(
                "this form has expired or did not come from this site (CSRF check failed): "
                "reload the page and submit it again"
            )


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def visitor(request: Request) -> Visitor:
    web = web_of(request)
    now = web.services.ctx.now()
    session = web.signer.load(request.cookies.get(COOKIE), now)
    if session is None:
        return Visitor(request, web, new_session(now), None, renew_cookie=True)
    if session.session_id is None:
        return Visitor(request, web, session, None)
    try:
        member = web.services.identity.web_session_member(session.session_id)
    except AuthError as exc:
        return Visitor(request, web, new_session(now), None, renew_cookie=True, notice=exc.message)
    return Visitor(request, web, session, member)


class SignInRequired(Exception):
    """Raised by `member_visitor` for a visitor who is not signed in; answered by a redirect."""

    def __init__(self, v: Visitor) -> None:
        super().__init__("sign in first")
        self.visitor = v


def member_visitor(v: Annotated[Visitor, Depends(visitor)]) -> Visitor:
    if v.member is None:
        raise SignInRequired(v)
    return v


AnyVisitor = Annotated[Visitor, Depends(visitor)]
Signed = Annotated[Visitor, Depends(member_visitor)]


def secure(response: Response, v: Visitor | None = None) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if v is not None and v.renew_cookie:
        set_cookie(response, v.request, v.web.signer, v.session)
    return response


def page(v: Visitor, template: str, status: int = 200, **context: Any) -> Response:
    """Render a full page (or a fragment when `template` starts with '_')."""
    html = v.web.env.get_template(template).render(
        me=v.member,
        csrf=v.csrf,
        now=v.services.ctx.now(),
        notice=context.pop("notice", None) or v.notice,
        path=v.request.url.path,
        **context,
    )
    return secure(HTMLResponse(html, status_code=status), v)


def redirect(v: Visitor | None, url: str) -> Response:
    return secure(RedirectResponse(url, status_code=303), v)


def sign_in_url(next_path: str) -> str:
    return "/signin?next=" + quote(next_path, safe="/")


def safe_next(value: str | None) -> str:
    """Only same-site paths: '/x' but never '//host' or 'https://...'."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


class WebRoute(APIRoute):
    """A web route: Accord's errors become an HTML page with the same message the API gives."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as needed:
                # A session whose token was revoked keeps its cookie until /signin, which says why it ended.
                stale = needed.visitor.notice is not None
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                target = sign_in_url(here if request.method == "GET" else "/")
                return redirect(None if stale else needed.visitor, target)
            except RequestValidationError as exc:
                problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
                return page(visitor(request), "error.html", status=422, error=problems, code="validation_error")
            except AccordError as exc:
                v = visitor(request)
                if isinstance(exc, AuthError) and v.member is None:
                    return redirect(v, sign_in_url(request.url.path))
                return page(v, "error.html", status=exc.http_status, error=exc.message, code=exc.code)

        return route
