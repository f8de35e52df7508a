"""Milestones and checkpoints (SPEC §3): entities, their input rules and their transitions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from accord.domain.errors import ConflictError, NotFoundError, ValidationError

MAX_TITLE, MAX_DESCRIPTION, MAX_PROJECT = 200, 10_000, 200
MAX_CHECKPOINTS, MAX_DEPENDS_ON, MAX_URL, MAX_GATE_JSON = 10_000, 100, 2_048, 4_096
MAX_MILESTONE_SIZE = 100_000  # checkpoints in one milestone; MAX_CHECKPOINTS is per create_milestone call
GIT_FIELDS = ("git_branch_url", "git_pr_url", "git_commit_url")
CHECKPOINT_FIELDS = ("title", "description", "depends_on", "requires_consensus", "completion_gate", *GIT_FIELDS)
# What `requires_consensus: {...}` may choose for the checkpoint's approval proposal.
CONSENSUS_FIELDS = (
    "group",
    "threshold_type",
    "threshold",
    "quorum",
    "min_votes",
    "weighted",
    "weighted_denominator",
    "deadline_hours",
    "allow_abstain",
    "on_no_consensus",
    "max_rounds",
    "preset",
    "min_human_approvals",
    "close_at_deadline",
)
MILESTONE_STATUSES = ("active", "closed")
APPROVAL_PREFIX = "Approve checkpoint: "
_FOREIGN = re.compile(r"^(?P<ms>[A-Za-z0-9_.-]{1,64}):(?P<order>\d{1,9})$")

MilestoneStatus = Literal["active", "closed"]


@dataclass(frozen=True)
class Ref:
    """A dependency as written by a caller: checkpoint `order` of `milestone` (None = the same milestone)."""

    order: int
    milestone: str | None = None

    def shown(self) -> int | str:
        return self.order if self.milestone is None else f"{self.milestone}:{self.order}"


@dataclass(frozen=True)
class CheckpointInput:
    """A checkpoint as asked for, validated (dependencies not yet resolved against the store)."""

    title: str
    description: str = ""
    depends_on: tuple[Ref, ...] = ()
    consensus: dict[str, Any] | None = None
    completion_gate: dict[str, Any] | None = None
    git: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Milestone:
    """An ordered list of checkpoints of one group; closes by itself when all are completed."""

    id: str
    group: str
    title: str
    created_by: str
    created_at: datetime
    description: str = ""
    project_id: str | None = None
    status: MilestoneStatus = "active"
    closed_at: datetime | None = None
    total: int = 0
    completed: int = 0

    def progress(self) -> dict[str, int]:
        return {"completed": self.completed, "total": self.total}

    def count_completion(self, *, at: datetime) -> bool:
        """One more checkpoint is completed; True when that closes the milestone."""
        self.completed += 1
        return self.close_if_done(at=at)

    def close_if_done(self, *, at: datetime) -> bool:
        if self.status == "active" and self.total > 0 and self.completed >= self.total:
            self.status = "closed"
            self.closed_at = at
            return True
        return False

    def reopen(self) -> bool:
        """Make the milestone active again; False when it already was."""
        if self.status == "active":
            return False
        self.status = "active"
        self.closed_at = None
        return True


@dataclass
class Checkpoint:
    """One step of a milestone. `order` is its current place (1..n); `id` never changes."""

    id: str
    milestone_id: str
    order: int
    title: str
    created_by: str
    created_at: datetime
    description: str = ""
    consensus: dict[str, Any] | None = None
    proposal_id: str | None = None
    completion_gate: dict[str, Any] | None = None
    git_branch_url: str | None = None
    git_pr_url: str | None = None
    git_commit_url: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def complete(self, *, by: str, at: datetime) -> None:
        self.completed_at = at
        self.completed_by = by

    def ensure_deletable(self) -> None:
        if self.is_completed:
            raise ConflictError(
                f"checkpoint {self.order} is completed; completed checkpoints cannot be deleted",
                order=self.order,
            )


# -- input rules -------------------------------------------------------------------------------------------


def check_title(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} title is required (text of 1-{MAX_TITLE} characters)", field="title")
    title = value.strip()
    if len(title) > MAX_TITLE:
        raise ValidationError(f"{what} title is {len(title)} characters; at most {MAX_TITLE} allowed", field="title")
    return title


def check_description(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{what} description must be text", field="description")
    if len(value) > MAX_DESCRIPTION:
        raise ValidationError(
            f"{what} description is {len(value)} characters; at most {MAX_DESCRIPTION} allowed",
            field="description",
        )
    return value


def check_project(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or len(value.strip()) > MAX_PROJECT:
        raise ValidationError(f"project_id must be text of at most {MAX_PROJECT} characters", field="project_id")
    return value.strip()


def check_url(value: object, name: str) -> str | None:
    """An http(s) URL, or None for "" / None (which clears the link)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be an http or https URL", field=name)
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL or " " in url:
        raise ValidationError(
            f"{name} {value!r} is not allowed: use an http or https URL (at most {MAX_URL} characters)",
            field=name,
        )
    return url


def check_position(position: object, count: int) -> int:
    """A 1-based insertion place in a milestone of `count` checkpoints (count + 1 appends)."""
    if not isinstance(position, int) or isinstance(position, bool) or not 1 <= position <= count + 1:
        raise ValidationError(
            f"position {position!r} is out of range: use 1-{count + 1} (or leave it out to append)",
            field="position",
        )
    return position


def check_order(order: object, count: int, milestone_id: str) -> int:
    """A checkpoint addressed by its order: a ValidationError for a non-number, NotFoundError when absent."""
    if not isinstance(order, int) or isinstance(order, bool):
        raise ValidationError(f"order {order!r} is not allowed: use a checkpoint number such as 2", field="order")
    if not 1 <= order <= count:
        allowed = f"1-{count}" if count else "none yet"
        raise NotFoundError(
            f"checkpoint {order} not found in {milestone_id} (its checkpoints: {allowed})",
            milestone_id=milestone_id,
            order=order,
        )
    return order


def parse_ref(raw: object, where: str) -> Ref:
    """`3` (or "3") is checkpoint 3 of the same milestone; "ms_id:3" is checkpoint 3 of milestone ms_id."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        if raw < 1:
            raise _bad_ref(raw, where)
        return Ref(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.isdigit() and int(text) >= 1:
            return Ref(int(text))
        match = _FOREIGN.match(text)
        if match and int(match["order"]) >= 1:
            return Ref(int(match["order"]), match["ms"])
    raise _bad_ref(raw, where)


def _bad_ref(raw: object, where: str) -> ValidationError:
    return ValidationError(
        f"{where}: dependency {raw!r} is not allowed: use a checkpoint order of this milestone (e.g. 2) "
        'or "milestone_id:order" for another milestone (e.g. "ms_abc123:3")',
        field="depends_on",
    )


def parse_depends_on(raw: object, where: str) -> tuple[Ref, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise ValidationError(f'{where}: depends_on must be a list (e.g. [1, 2, "ms_abc:3"])', field="depends_on")
    if len(raw) > MAX_DEPENDS_ON:
        raise ValidationError(
            f"{where}: depends_on lists {len(raw)} checkpoints; at most {MAX_DEPENDS_ON} allowed",
            field="depends_on",
        )
    refs: list[Ref] = []
    for item in raw:
        ref = parse_ref(item, where)
        if ref not in refs:
            refs.append(ref)
    return tuple(refs)


def parse_consensus(raw: object, where: str) -> dict[str, Any] | None:
    """`true` (the milestone's group, majority), `false`/absent (none), or an object choosing group/rule."""
    if raw is None or raw is False:
        return None
    if raw is True:
        return {}
    if not isinstance(raw, dict):
        raise ValidationError(
            f"{where}: requires_consensus must be true, false, or an object with any of {', '.join(CONSENSUS_FIELDS)}",
            field="requires_consensus",
        )
    unknown = sorted(set(raw) - set(CONSENSUS_FIELDS))
    if unknown:
        raise ValidationError(
            f"{where}: requires_consensus does not take {', '.join(unknown)}; allowed: {', '.join(CONSENSUS_FIELDS)}",
            field="requires_consensus",
        )
    rule = {k: v for k, v in raw.items() if v is not None}
    for name, value in rule.items():
        if not isinstance(value, _CONSENSUS_TYPES[name]) or (
            isinstance(value, bool) and _CONSENSUS_TYPES[name] is not bool
        ):
            raise ValidationError(
                f"{where}: requires_consensus {name} has the wrong type ({type(value).__name__})",
                field="requires_consensus",
            )
    return rule


_CONSENSUS_TYPES: dict[str, type | tuple[type, ...]] = {
    "group": str,
    "threshold_type": str,
    "threshold": (int, float, str),
    "quorum": (int, float, str),
    "min_votes": int,
    "weighted": bool,
    "weighted_denominator": str,
    "deadline_hours": (int, float, str),
    "allow_abstain": bool,
    "on_no_consensus": list,
    "max_rounds": int,
    "preset": str,
    "min_human_approvals": int,
    "close_at_deadline": bool,
}


def parse_completion_gate(raw: object, where: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationError(
            f'{where}: completion_gate must be an object such as {{"min_completions": 2}}', field="completion_gate"
        )
    try:
        size = len(json.dumps(raw))
    except (TypeError, ValueError):
        raise ValidationError(f"{where}: completion_gate must be plain JSON", field="completion_gate") from None
    if size > MAX_GATE_JSON:
        raise ValidationError(
            f"{where}: completion_gate is {size} bytes of JSON; at most {MAX_GATE_JSON} allowed",
            field="completion_gate",
        )
    return raw


def parse_checkpoint(raw: object, where: str) -> CheckpointInput:
    """Validate one checkpoint object (as in seed 003's `checkpoints:` list); `where` names it in errors."""
    if isinstance(raw, str):
        raw = {"title": raw}
    if not isinstance(raw, dict):
        raise ValidationError(f"{where} must be an object with a title", field="checkpoints")
    unknown = sorted(set(raw) - set(CHECKPOINT_FIELDS))
    if unknown:
        raise ValidationError(
            f"{where} has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(CHECKPOINT_FIELDS)}",
            field="checkpoints",
        )
    return CheckpointInput(
        title=check_title(raw.get("title"), where),
        description=check_description(raw.get("description"), where),
        depends_on=parse_depends_on(raw.get("depends_on"), where),
        consensus=parse_consensus(raw.get("requires_consensus"), where),
        completion_gate=parse_completion_gate(raw.get("completion_gate"), where),
        git={name: check_url(raw.get(name), name) for name in GIT_FIELDS},
    )


def approval_title(title: str) -> str:
    """The linked proposal's title, cut to a proposal's 200 characters."""
    full = APPROVAL_PREFIX + title
    return full if len(full) <= MAX_TITLE else full[: MAX_TITLE - 1] + "…"


def check_status(status: str | None) -> str | None:
    if status is not None and status not in MILESTONE_STATUSES:
        raise ValidationError(f"status {status!r} is not allowed: use active or closed", field="status")
    return status


@dataclass(frozen=True)
class Node:
    """Where a checkpoint of the graph is now: its milestone, current order, and whether it is done."""

    id: str
    milestone_id: str
    order: int
    completed: bool

    def shown(self, viewer: str) -> int | str:
        """`order` within milestone `viewer`, `ms_id:order` elsewhere."""
        return self.order if self.milestone_id == viewer else f"{self.milestone_id}:{self.order}"
