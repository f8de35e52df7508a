"""The HTTP server: REST under /v1, MCP at /mcp, the web page at /."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.routing import Route

from accord.bootstrap import Services
from accord.entrypoints.rest import core, deliberation, gates, milestones, proof, reach, webhooks
from accord.entrypoints.rest.common import install_error_handlers
from accord.entrypoints.rest.guard import RequestGuard
from accord.entrypoints.throttle import SignInThrottle
from accord.services.sweeper import Sweeper
from accord.settings import Settings


def create_app(
    services: Services,
    *,
    with_mcp: bool = True,
    with_web: bool = True,
    sweep_interval: float | None = None,
    worker: bool | None = None,
) -> FastAPI:
    """The FastAPI application over `services`; while it runs, a sweeper sends due notices every
    `sweep_interval` seconds (default ACCORD_SWEEP_INTERVAL_SECONDS; 0 turns it off) and, with `worker`
    (default ACCORD_SERVE_WORKER, on), the outbox's worker sends webhooks and notifications (SPEC §11)."""
    throttle = SignInThrottle()  # failed sign-ins per address, shared by REST, MCP over HTTP and the web form
    mcp_server = None
    if with_mcp:
        from accord.entrypoints.mcp import build_mcp

        mcp_server = build_mcp(services)
        mcp_app = mcp_server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        interval = Settings().sweep_interval_seconds if sweep_interval is None else sweep_interval
        sweeper = Sweeper(services, interval)
        sweeper.start()
        outbox = services.worker() if (Settings().serve_worker if worker is None else worker) else None
        if outbox is not None:
            outbox.start()
        try:
            if mcp_server is None:
                yield
                return
            async with mcp_server.session_manager.run():
                yield
        finally:
            await asyncio.to_thread(sweeper.stop)
            if outbox is not None:
                await asyncio.to_thread(outbox.stop)

    app = FastAPI(
        title="Accord",
        version="0.1.0",
        description="Consensus and coordination for teams of AI agents and the humans who oversee them.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.throttle = throttle
    app.add_middleware(RequestGuard, throttle=throttle)
    install_error_handlers(app)
    for module in (core, milestones, gates, deliberation, proof, reach, webhooks):
        app.include_router(module.router)
    app.include_router(proof.well_known)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if with_web:
        from accord.entrypoints.web import install_web

        install_web(app, services)
    if mcp_server is not None:
        # One route, not a catch-all mount: unknown paths and methods stay FastAPI's, answered as JSON (404/405).
        app.router.routes.append(Route("/mcp", endpoint=mcp_app))
    return app
