"""Routes that declare Accord's contract by themselves (SPEC §9 rev. 2 OpenAPI bullet).

`ContractRouter` is an APIRouter whose routes, unless they say otherwise, take their success body from the
operation's result model (`accord.api.contract.RESULTS`, by the route's name) and declare every error status
with the real envelope `{"error": {"code", "message", "details"}}`, replacing FastAPI's default 422 shape.
A new route therefore needs no `response_model` of its own.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, get_args, get_origin

from fastapi import APIRouter
from fastapi.datastructures import DefaultPlaceholder

from accord.api.contract import RESULTS
from accord.api.models import ErrorEnvelope

ERRORS: dict[int, str] = {
    400: "Bad request: the request cannot be read",
    401: "No token, or a token that matches no member (with `WWW-Authenticate: Bearer`)",
    403: "The member may not do this",
    404: "Not found, or not visible to the member (outside its groups)",
    405: "This path does not take this method (with `Allow`)",
    409: "Conflicts with the current state (e.g. already decided, subject taken, not closable yet)",
    413: "The body or a field is larger than allowed",
    422: "A field is invalid: the message names it and what is allowed",
    429: "Too many requests (with `Retry-After`)",
    503: "The store is unavailable; try again",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": text} for status, text in ERRORS.items()
}


def success_model(name: str, endpoint: Callable[..., Any]) -> Any:
    """The route's body model: the operation's result model; for a route answering a list (or an optional
    object), the item type of that model's one field (the MCP face wraps lists as {"<things>": [...]})."""
    model = RESULTS.get(name)
    if model is None:
        return None
    try:
        returns = typing.get_type_hints(endpoint).get("return")
    except (NameError, TypeError):
        return model
    origin = get_origin(returns)
    answers_list = origin is list
    answers_optional = origin in (typing.Union, types.UnionType) and type(None) in get_args(returns)
    if not (answers_list or answers_optional):
        return model
    fields = list(model.model_fields.values())
    wrapped = [f.annotation for f in fields if get_origin(f.annotation) is list] if answers_list else []
    if answers_list and wrapped:
        return wrapped[0]
    if answers_optional and len(fields) == 1:
        return fields[0].annotation
    return model


class ContractRouter(APIRouter):
    """An APIRouter whose routes declare their typed body and every error status by default."""

    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        name = kwargs.get("name") or endpoint.__name__
        if isinstance(kwargs.get("response_model"), DefaultPlaceholder) or "response_model" not in kwargs:
            body = success_model(name, endpoint)
            if body is not None:
                kwargs["response_model"] = body
                kwargs["response_model_exclude_unset"] = True
        kwargs["responses"] = {**ERROR_RESPONSES, **(kwargs.get("responses") or {})}
        super().add_api_route(path, endpoint, **kwargs)
