"""What every result model shares, and the error envelope every face answers with."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class Out(BaseModel):
    """A result: the declared fields are always there; answers may carry more (kept, never dropped).

    Dumped in the order the service gave its fields (not declared fields first), so every face prints an answer
    the same way: `accord ... --json` against a server equals it on the local store."""

    model_config = ConfigDict(extra="allow")
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ModelWrapValidatorHandler[Out]) -> Out:
        model = handler(data)
        if isinstance(data, dict):
            model._order = tuple(data)
        return model

    # No return annotation: one would replace the model's schema in serialization mode (OpenAPI, outputSchema).
    @model_serializer(mode="wrap")
    def _in_order(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        dumped = handler(self)
        if not self._order or not isinstance(dumped, dict):
            return dumped
        rank = {name: i for i, name in enumerate(self._order)}
        return dict(sorted(dumped.items(), key=lambda item: rank.get(item[0], len(rank))))


class Result(Out):
    """A JSON object (an operation whose shape has no model of its own yet)."""


class ErrorBody(BaseModel):
    code: str = Field(description="A stable code: validation_error, not_found, conflict, forbidden, ...")
    message: str = Field(description="What was wrong and what is allowed, in words")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Data about the refusal: the field, the ids, `mentions` (tool names)"
    )


class ErrorEnvelope(BaseModel):
    """Every refusal, on every route: {"error": {"code", "message", "details"}} (SPEC §9)."""

    error: ErrorBody
