"""What every REST route shares: the caller (bearer token), the error shape, body models."""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from accord.api import Api
from accord.bootstrap import Services
from accord.domain.errors import AccordError, RateLimitedError
from accord.domain.members import Member
from accord.entrypoints.inputs import refuse_booleans
from accord.services.context import jsonable
from accord.services.identity import require_token

log = logging.getLogger("accord.rest")
bearer = HTTPBearer(auto_error=False, description="A member token: acc_…")


class Body(BaseModel):
    """Request bodies refuse unknown fields, so a misspelt field is an error, not silently ignored, and JSON
    `true`/`false` where a number is expected (SPEC §13), which pydantic would read as 1/0."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            refuse_booleans(data, _schema_of(cls))
        return data


@functools.cache
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def current_member(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Member:
    """The member whose bearer token came with the request (401 otherwise)."""
    token = credentials.credentials if credentials else None
    return services_of(request).identity.authenticate(token)


def current_api(request: Request, member: Annotated[Member, Depends(current_member)]) -> Api:
    return Api(services_of(request), member)


CallerApi = Annotated[Api, Depends(current_api)]
Caller = Annotated[Member, Depends(current_member)]


class TokenCaller:
    """Operations run as a bearer token's holder, the token checked inside the operation's own transaction:
    no separate read and no worker thread before the operation (the hot write paths)."""

    def __init__(self, services: Services, token: str) -> None:
        self.services = services
        self.token = token

    async def cast_vote(
        self,
        proposal_id: str,
        vote: str | list[str],
        comment: str | None = None,
        confidence: float | str | None = None,
        evidence: list[str] | None = None,
    ) -> dict[str, Any]:
        return await self.services.proposals.vote_async(
            self.token, proposal_id, vote, comment=comment, confidence=confidence, evidence=evidence
        )


async def token_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> TokenCaller:
    """The bearer token's holder, not yet checked (401 at once when there is no token)."""
    return TokenCaller(services_of(request), require_token(credentials.credentials if credentials else None))


TokenApi = Annotated[TokenCaller, Depends(token_caller)]


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_envelope(exc: AccordError) -> dict[str, Any]:
    """The body REST answers `exc` with (also an SSE stream's closing `error` event)."""
    return error_body(exc.code, exc.message, jsonable({**exc.details, **_mentions(exc)}))


def _mentions(exc: AccordError) -> dict[str, Any]:
    return {"mentions": list(exc.mentions)} if exc.mentions else {}


def _headers(exc: AccordError) -> dict[str, str] | None:
    if exc.http_status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(exc.details["retry_after"])}
    return None


def install_error_handlers(app: FastAPI) -> None:
    """One mapping from Accord's errors to HTTP: {"error": {"code", "message", "details"}}."""

    @app.exception_handler(AccordError)
    async def accord_error(_request: Request, exc: AccordError) -> JSONResponse:
        return JSONResponse(
            # `mentions`: the operations the message names (tool names), so a client face can name them its way.
            error_envelope(exc),
            status_code=exc.http_status,
            headers=_headers(exc),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"] if p != "body")
            problems.append(f"{where}: {err['msg']}" if where else err["msg"])
        details = {"errors": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]}
        return JSONResponse(error_body("validation_error", "; ".join(problems), details), status_code=422)

    @app.exception_handler(OperationalError)
    async def store_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.error("store unavailable: %s", exc.orig)
        return JSONResponse(error_body("unavailable", "the store is unavailable; try again"), status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        # A bug, not bad input: keep the traceback in the server log, give the client the usual shape.
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(error_body("internal_error", "internal error; the server log has the details"), 500)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        message, details = str(exc.detail), {}
        where = f"{request.method} {request.url.path}"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {where} (the API is under /v1; /docs lists it)"
        elif exc.status_code == 405:
            allowed = allowed_methods(request)
            message = f"method not allowed: {where}; this path takes {', '.join(allowed) or 'no method'}"
            details = {"allowed": allowed}
            headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
            return JSONResponse(error_body(code, message, details), status_code=405, headers=headers)
        return JSONResponse(error_body(code, message, details), status_code=exc.status_code, headers=exc.headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (Starlette's `Allow` names only the first route's)."""
    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
