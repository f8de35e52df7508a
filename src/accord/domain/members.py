"""Members, groups and their voting settings (SPEC §1)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from accord.domain.errors import ValidationError
from accord.domain.tokens import Credential

SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
KINDS = ("agent", "human")
ROLES = ("owner", "admin", "member")
Kind = Literal["agent", "human"]
Role = Literal["owner", "admin", "member"]


def check_slug(value: str, what: str) -> str:
    """Return `value` if it is a valid slug name, else raise naming the rule."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValidationError(
            f"{what} name {value!r} is not allowed: use 1-64 of a-z, 0-9, '.', '_', '-', "
            "starting with a letter or digit",
            field="name",
            pattern=SLUG.pattern,
        )
    return value


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ValidationError(f"kind {kind!r} is not allowed: use one of {', '.join(KINDS)}", field="kind")
    return kind  # type: ignore[return-value]


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not allowed: use one of {', '.join(ROLES)}", field="role")
    return role  # type: ignore[return-value]


@dataclass(frozen=True)
class Member:
    """An agent or a human with an identity."""

    name: str
    kind: Kind
    is_admin: bool = False
    # The token this member called with (None when acting without one: bootstrap, recovery, tests); feeds it
    # holds open re-check it (SPEC §8 rev. 2). Not part of the member's identity.
    credential: Credential | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class VotingSettings:
    """How a member votes in one group; proposals snapshot these when they open."""

    weight: Fraction = Fraction(1)
    advisory: bool = False
    veto: bool = False
    expertise: tuple[str, ...] = ()


@dataclass(frozen=True)
class Membership:
    """A member's place in a group."""

    group: str
    member: str
    kind: Kind
    role: Role = "member"
    settings: VotingSettings = field(default_factory=VotingSettings)

    @property
    def manages(self) -> bool:
        """Owners and admins manage the group's membership and its proposals."""
        return self.role in ("owner", "admin")
