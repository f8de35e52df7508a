"""Who may see and manage a group: members see it, owners/admins and store administrators manage it."""

from __future__ import annotations

from accord.domain.errors import ForbiddenError, NotFoundError
from accord.domain.members import Member, Membership
from accord.storage.uow import UnitOfWork


def visible_groups(uow: UnitOfWork, actor: Member) -> list[str] | None:
    """The groups `actor` may read; None means every group (a store administrator)."""
    return None if actor.is_admin else uow.groups.groups_of(actor.name)


def require_group(uow: UnitOfWork, actor: Member, group: str) -> Membership | None:
    """The actor's membership of `group`; NotFoundError when it does not exist *or* the actor is not in it."""
    membership = uow.groups.membership(group, actor.name)
    if membership is None and not (actor.is_admin and uow.groups.get(group) is not None):
        raise NotFoundError(f"group {group} not found", group=group)
    return membership


def require_admin(actor: Member, what: str) -> None:
    """ForbiddenError (403, exit 77) unless `actor` is a store administrator."""
    if not actor.is_admin:
        raise ForbiddenError(f"{actor.name} may not {what}: only store administrators may")


def manages(actor: Member, membership: Membership | None) -> bool:
    return actor.is_admin or (membership is not None and membership.manages)


def require_manager(uow: UnitOfWork, actor: Member, group: str) -> Membership | None:
    membership = require_group(uow, actor, group)
    if not manages(actor, membership):
        raise ForbiddenError(
            f"{actor.name} may not manage group {group}: only its owners/admins and store administrators may",
            group=group,
        )
    return membership
