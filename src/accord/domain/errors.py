"""One error hierarchy for every rule; each face maps it once (REST status, MCP ToolError, CLI exit code)."""

from __future__ import annotations

from typing import Any, ClassVar


class AccordError(Exception):
    """Base of every refusal Accord makes on purpose; the message is what users and scripts read."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    exit_code: ClassVar[int] = 65

    def __init__(self, message: str, *, mentions: tuple[str, ...] = (), **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details
        # The operations the message names by their MCP/REST names (e.g. "gate_vote"): a face with other names
        # for them (the CLI's `accord gate vote`) rewrites exactly these words, never the rest of the message.
        self.mentions = mentions

    def __str__(self) -> str:
        return self.message


class ValidationError(AccordError):
    """The input breaks a rule of shape or range; nothing was written."""

    code = "validation_error"
    http_status = 422
    exit_code = 65


class NotFoundError(AccordError):
    """The thing does not exist, or the caller may not know that it does."""

    code = "not_found"
    http_status = 404
    exit_code = 66


class ConflictError(AccordError):
    """The request clashes with the current state (finalized, locked subject, taken claim)."""

    code = "conflict"
    http_status = 409
    exit_code = 75


class DeadlineError(ConflictError):
    """Voting closed at the proposal's deadline."""

    code = "deadline_passed"


class ForbiddenError(AccordError):
    """The caller is known but not allowed to do this."""

    code = "forbidden"
    http_status = 403
    exit_code = 77


class AuthError(AccordError):
    """No token, or a token that matches no member."""

    code = "unauthorized"
    http_status = 401
    exit_code = 77


class UnavailableError(AccordError):
    """The store or the server cannot be reached."""

    code = "unavailable"
    http_status = 503
    exit_code = 69


class NoStoreError(UnavailableError):
    """No Accord store has been initialised where the settings point (run `accord init`)."""

    code = "no_store"


class PayloadTooLargeError(AccordError):
    """The request body is larger than Accord reads (1 MiB, SPEC §13); nothing was read or written."""

    code = "payload_too_large"
    http_status = 413
    exit_code = 65


class RateLimitedError(AccordError):
    """Too many failed sign-ins from one address (SPEC §13); `retry_after` says in how many seconds to try again."""

    code = "rate_limited"
    http_status = 429
    exit_code = 75
