"""The web page for humans (SPEC §9): sign in with a token, the queue, proposals, milestones, live tallies.

Server-rendered (Jinja2) pages whose forms work without JavaScript; one small script under /static/ adds
local times, live updates from server-sent events and drag-to-rank. No inline script or style, so the
pages carry a strict Content-Security-Policy.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from accord.bootstrap import Services
from accord.settings import Settings


def install_web(app: FastAPI, services: Services, secret: str | None = None) -> None:
    """Add the human pages to `app`; sessions are signed with `secret` (default: ACCORD_SESSION_SECRET)."""
    from accord.entrypoints.web import auth, deliberation, gates, inbox, live, milestones, proposals, reach
    from accord.entrypoints.web.common import HERE, Web, make_env
    from accord.entrypoints.web.session import SessionSigner

    app.state.web = Web(services, SessionSigner(secret or Settings().session_secret), make_env())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    routers = (
        auth.router,
        reach.router,
        proposals.router,
        gates.router,
        deliberation.router,
        inbox.router,
        milestones.router,
    )
    for router in (*routers, live.router, live.feed_router):
        app.include_router(router)
