"""What every result model shares, and the error envelope every face answers with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """A result: the declared fields are always there; answers may carry more (kept, never dropped)."""

    model_config = ConfigDict(extra="allow")


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
