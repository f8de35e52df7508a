"""Reading HTML forms: fields as text, and a ballot from the vote form (radio buttons or rank numbers)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from accord.domain.errors import ValidationError

MAX_FIELDS = 200


class Form:
    """A submitted form's text fields (file uploads are ignored: no form here takes one)."""

    def __init__(self, data: FormData | None = None) -> None:
        self._data = data

    def get(self, name: str) -> str | None:
        value = self._data.get(name) if self._data is not None else None
        return value if isinstance(value, str) else None

    def text(self, name: str) -> str | None:
        """The field trimmed, or None when it is absent or blank."""
        value = self.get(name)
        return value.strip() if value is not None and value.strip() else None


async def form_of(request: Request) -> Form:
    try:
        return Form(await request.form(max_files=0, max_fields=MAX_FIELDS))
    except HTTPException as exc:
        raise ValidationError(f"the form could not be read: {exc.detail}") from None


def rank_field(index: int) -> str:
    return f"rank-{index}"


def ballot_of(form: Form, proposal: dict[str, Any]) -> str | list[str]:
    """The vote a form carries: the checked option, or the options ordered by the rank numbers given."""
    if proposal["voting_type"] != "ranked":
        return form.get("vote") or ""
    if form.get("abstain"):
        return "abstain"
    options: list[str] = proposal["options"]
    ranked: dict[int, str] = {}
    for index, option in enumerate(options):
        raw = form.text(rank_field(index))
        if raw is None:
            continue
        try:
            rank = int(raw)
        except ValueError:
            rank = 0
        if not 1 <= rank <= len(options):
            raise ValidationError(
                f"the rank of {option} must be a whole number from 1 to {len(options)} (or blank), got {raw!r}",
                field="vote",
            )
        if rank in ranked:
            raise ValidationError(
                f"rank {rank} is given to both {ranked[rank]} and {option}: give each option its own rank",
                field="vote",
            )
        ranked[rank] = option
    return [ranked[r] for r in sorted(ranked)]


def evidence_of(form: Form) -> list[str] | None:
    """One piece of evidence (a URL, a path, a quote) per line."""
    text = form.get("evidence") or ""
    items = [line.strip() for line in text.splitlines() if line.strip()]
    return items or None
