"""Groups and their membership (SPEC §1)."""

from __future__ import annotations

import re
from typing import Any

from accord.domain.errors import ConflictError, NotFoundError, ValidationError
from accord.domain.members import Member, Membership, VotingSettings, check_role, check_slug
from accord.domain.numbers import Number, positive
from accord.services.access import require_group, require_manager, visible_groups
from accord.services.context import Context, record


def membership_view(m: Membership) -> dict[str, Any]:
    return {
        "member": m.member,
        "kind": m.kind,
        "role": m.role,
        "weight": float(m.settings.weight),
        "advisory": m.settings.advisory,
        "veto": m.settings.veto,
        "expertise": list(m.settings.expertise),
    }


class GroupService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def create_group(self, actor: Member, name: str, description: str = "") -> dict[str, Any]:
        """Create a group; a creator who is not a store administrator joins it as owner."""
        check_slug(name, "group")
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            if uow.groups.get(name) is not None:
                raise ConflictError(f"group {name} already exists", group=name)
            uow.groups.add(name, description or "", actor.name, now)
            if not actor.is_admin:
                uow.groups.put_membership(Membership(group=name, member=actor.name, kind=actor.kind, role="owner"), now)
            record(uow, "group.created", at=now, actor=actor.name, group=name, ref=f"group:{name}", name=name)
            uow.commit()
        return {"name": name, "description": description or "", "created_by": actor.name}

    def add_member(
        self,
        actor: Member,
        group: str,
        member: str,
        *,
        role: str = "member",
        weight: Number = 1,
        advisory: bool = False,
        veto: bool = False,
        expertise: list[str] | None = None,
    ) -> dict[str, Any]:
        """Add `member` to `group`, or update its role and voting settings (managers only)."""
        settings = VotingSettings(
            weight=positive(weight, "weight"),
            advisory=advisory,
            veto=veto,
            expertise=tuple(_tags(expertise)),
        )
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            require_manager(uow, actor, group)
            target = uow.members.get(member)
            if target is None:
                raise NotFoundError(f"member {member} not found", member=member)
            m = Membership(group=group, member=member, kind=target.kind, role=check_role(role), settings=settings)
            new = uow.groups.put_membership(m, now)
            record(
                uow,
                "group.member_added" if new else "group.member_updated",
                at=now,
                actor=actor.name,
                group=group,
                ref=f"group:{group}",
                **membership_view(m),
            )
            uow.commit()
        return {"group": group, **membership_view(m)}

    def remove_member(self, actor: Member, group: str, member: str) -> dict[str, Any]:
        """Remove `member` from `group`; it loses access at once, its cast ballots still count."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            require_manager(uow, actor, group)
            if not uow.groups.remove_membership(group, member):
                raise NotFoundError(f"{member} is not a member of {group}", group=group, member=member)
            record(
                uow,
                "group.member_removed",
                at=now,
                actor=actor.name,
                group=group,
                ref=f"group:{group}",
                member=member,
            )
            uow.commit()
        return {"group": group, "member": member, "removed": True}

    def list_groups(self, actor: Member) -> list[dict[str, Any]]:
        """The groups the caller belongs to (all groups for an administrator), with the caller's role."""
        with self.ctx.uow(write=False) as uow:
            names = visible_groups(uow, actor)
            rows = uow.groups.all(None if names is None else actor.name)
            result = []
            for row in rows:
                m = uow.groups.membership(row["name"], actor.name)
                result.append(
                    {
                        "name": row["name"],
                        "description": row["description"],
                        "role": m.role if m else None,
                        "members": len(uow.groups.memberships(row["name"])),
                    }
                )
        return result

    def list_members(self, actor: Member, group: str) -> list[dict[str, Any]]:
        """The members of `group` with their roles and voting settings."""
        with self.ctx.uow(write=False) as uow:
            require_group(uow, actor, group)
            return [membership_view(m) for m in uow.groups.memberships(group)]

    def set_gate_policy(
        self,
        actor: Member,
        group: str,
        *,
        irreversible_pattern: str | None = None,
        default_timeout_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Set the group's gate policy (SPEC §5): the irreversible-subject regex and the default timeout."""
        values: dict[str, Any] = {}
        if irreversible_pattern is not None:
            try:
                re.compile(irreversible_pattern)
            except re.error as exc:
                raise ValidationError(
                    f"irreversible_pattern is not a valid regex: {exc}", field="irreversible_pattern"
                ) from None
            values["irreversible_pattern"] = irreversible_pattern
        if default_timeout_seconds is not None:
            if default_timeout_seconds <= 0:
                raise ValidationError("default_timeout_seconds must be greater than 0", field="default_timeout_seconds")
            values["default_timeout_seconds"] = default_timeout_seconds
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            require_manager(uow, actor, group)
            if values:
                uow.groups.set_policy(group, **values)
                record(
                    uow,
                    "group.policy_changed",
                    at=now,
                    actor=actor.name,
                    group=group,
                    ref=f"group:{group}",
                    **values,
                )
            row = uow.groups.get(group)
            uow.commit()
        assert row is not None
        return {
            "group": group,
            "irreversible_pattern": row["irreversible_pattern"],
            "default_timeout_seconds": row["default_timeout_seconds"],
        }


def _tags(expertise: list[str] | None) -> list[str]:
    tags = [e.strip() for e in (expertise or []) if e.strip()]
    for tag in tags:
        if len(tag) > 64:
            raise ValidationError(f"expertise tag {tag[:20]!r}… is longer than 64 characters", field="expertise")
    return tags
