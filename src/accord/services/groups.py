"""Groups and their membership (SPEC §1)."""

from __future__ import annotations

from typing import Any

from accord.domain import limits
from accord.domain.errors import ConflictError, NotFoundError, ValidationError
from accord.domain.members import Member, Membership, VotingSettings, check_role, check_slug
from accord.domain.numbers import Number, positive
from accord.domain.policy import GroupPolicy, human_approvals, period
from accord.services.access import require_group, require_manager, visible_groups
from accord.services.context import Context, record
from accord.storage.uow import UnitOfWork


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

    def get_policy(self, actor: Member, group: str) -> dict[str, Any]:
        """The group's policy (SPEC §5, §11, §12): `{group, irreversible_pattern, default_timeout_seconds,
        irreversible_human_approvals, receipt_ttl_seconds, remind_after_seconds, escalate_after_seconds}`."""
        with self.ctx.uow(write=False) as uow:
            require_group(uow, actor, group)
            return {"group": group, **policy_of(uow, group).view()}

    def set_policy(
        self,
        actor: Member,
        group: str,
        *,
        irreversible_pattern: str | None = None,
        default_timeout_seconds: int | None = None,
        irreversible_human_approvals: int | None = None,
        receipt_ttl_seconds: int | None = None,
        remind_after_seconds: int | None = None,
        escalate_after_seconds: int | None = None,
        clear: list[str] | None = None,
    ) -> dict[str, Any]:
        """Change the given fields of the group's policy (owners/admins and store administrators); the rest stay.

        `clear` names optional fields to switch off (`remind_after_seconds`, `escalate_after_seconds`). Periods are
        whole seconds in 1 … 31 days. Returns the whole policy as `get_policy` does. Raises ValidationError naming the
        field, NotFoundError for a group the caller cannot see, ForbiddenError for a non-manager."""
        values: dict[str, Any] = {}
        if irreversible_pattern is not None:
            values["irreversible_pattern"] = limits.pattern(irreversible_pattern, "irreversible_pattern")
        for field, value in (
            ("default_timeout_seconds", default_timeout_seconds),
            ("receipt_ttl_seconds", receipt_ttl_seconds),
            ("remind_after_seconds", remind_after_seconds),
            ("escalate_after_seconds", escalate_after_seconds),
        ):
            if value is not None:
                values[field] = period(value, field)
        if irreversible_human_approvals is not None:
            values["irreversible_human_approvals"] = human_approvals(
                irreversible_human_approvals, "irreversible_human_approvals"
            )
        for field in clear or []:
            if field not in CLEARABLE:
                raise ValidationError(
                    f"clear takes {', '.join(sorted(CLEARABLE))}, not {field!r}",
                    field="clear",
                    allowed=sorted(CLEARABLE),
                )
            if field in values:
                raise ValidationError(f"{field} is both set and cleared", field="clear")
            values[field] = None
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            require_manager(uow, actor, group)
            if values:
                uow.groups.set_policy(group, **values)
                record(
                    uow, "group.policy_changed", at=now, actor=actor.name, group=group, ref=f"group:{group}", **values
                )
            policy = policy_of(uow, group)
            uow.commit()
        return {"group": group, **policy.view()}


CLEARABLE = {"remind_after_seconds", "escalate_after_seconds"}


def policy_of(uow: UnitOfWork, group: str) -> GroupPolicy:
    """The stored policy of `group` (which must exist)."""
    row = uow.groups.get(group)
    if row is None:
        raise NotFoundError(f"group {group} not found", group=group)
    return GroupPolicy(
        irreversible_pattern=row["irreversible_pattern"],
        default_timeout_seconds=row["default_timeout_seconds"],
        irreversible_human_approvals=row["irreversible_human_approvals"],
        receipt_ttl_seconds=row["receipt_ttl_seconds"],
        remind_after_seconds=row["remind_after_seconds"],
        escalate_after_seconds=row["escalate_after_seconds"],
    )


def _tags(expertise: list[str] | None) -> list[str]:
    tags = [e.strip() for e in (expertise or []) if e.strip()]
    for tag in tags:
        if len(tag) > 64:
            raise ValidationError(f"expertise tag {tag[:20]!r}… is longer than 64 characters", field="expertise")
    return tags
