"""Member channels and time zones (SPEC §11, §1): where a member is told, and in which time zone.

A member manages its own channels; a store administrator any member's. A channel's URL keeps its secrets in
the store and is shown only masked (Apprise's privacy form) after the answer that created it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.domain import notices
from accord.domain.errors import ForbiddenError, NotFoundError
from accord.domain.members import Member
from accord.services import apprise_channels
from accord.services.context import Context, record
from accord.services.ids import new_id
from accord.storage.reach_repository import ReachRepository
from accord.storage.uow import UnitOfWork


def channel_view(row: dict[str, Any]) -> dict[str, Any]:
    """A channel as every face shows it: never the URL's secrets."""
    return {
        "id": row["id"],
        "member": row["member"],
        "scheme": row["scheme"],
        "url": row["masked"],
        "events": row["events"],
        "created_at": row["created_at"].isoformat(),
        "created_by": row["created_by"],
    }


class ChannelService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def add(self, actor: Member, member: str, url: str, events: Sequence[str] | None = None) -> dict[str, Any]:
        """Register an Apprise URL where `member` is told (SPEC §11). Returns the channel with its URL masked.

        ValidationError (field `url`) for a scheme off the allow-list, a URL Apprise cannot read, or a host
        resolving to a loopback/private/link-local address without ACCORD_ALLOW_PRIVATE_TARGETS=1; (field
        `events`) for an unknown notice type. ForbiddenError unless `actor` is `member` or an administrator;
        NotFoundError for an unknown member. Event `channel.added`."""
        wanted = notices.check_events(events)
        parsed = apprise_channels.parse(url)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            self._require(uow, actor, member, "add channels for")
            apprise_channels.check_target(parsed, allow_private=self.ctx.allow_private_targets)
            row = {
                "id": new_id("ch"),
                "member": member,
                "url": parsed.url,
                "masked": parsed.masked,
                "scheme": parsed.scheme,
                "events": None if wanted is None else list(wanted),
                "created_at": now,
                "created_by": actor.name,
            }
            ReachRepository(uow.conn).add_channel(row)
            record(
                uow,
                "channel.added",
                at=now,
                actor=actor.name,
                group=None,
                ref=f"member:{member}",
                channel_id=row["id"],
                member=member,
                scheme=parsed.scheme,
                events=row["events"],
            )
            uow.commit()
        return channel_view(row)

    def list(self, actor: Member, member: str) -> dict[str, Any]:
        """`member`'s channels (URLs masked) and time zone: {member, time_zone, channels: [...]}."""
        with self.ctx.uow(write=False) as uow:
            self._require(uow, actor, member, "see the channels of")
            repo = ReachRepository(uow.conn)
            rows = repo.channels([member])
            zone = repo.time_zones([member]).get(member)
        return {"member": member, "time_zone": zone, "channels": [channel_view(r) for r in rows]}

    def remove(self, actor: Member, member: str, channel_id: str) -> dict[str, Any]:
        """Remove one of `member`'s channels; NotFoundError when it has no channel `channel_id`. Event
        `channel.removed`."""
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            self._require(uow, actor, member, "remove channels of")
            repo = ReachRepository(uow.conn)
            row = repo.channel(channel_id)
            if row is None or row["member"] != member:
                raise NotFoundError(f"channel {channel_id} of {member} not found", channel_id=channel_id)
            repo.remove_channel(channel_id)
            record(
                uow,
                "channel.removed",
                at=now,
                actor=actor.name,
                group=None,
                ref=f"member:{member}",
                channel_id=channel_id,
                member=member,
            )
            uow.commit()
        return {**channel_view(row), "removed": True}

    def set_time_zone(self, actor: Member, member: str, time_zone: str | None) -> dict[str, Any]:
        """Set (or with None/"" clear) the IANA time zone `member`'s notices show deadlines in (SPEC §1).
        ValidationError naming `time_zone` for an unknown zone."""
        zone = notices.check_time_zone(time_zone)
        now = self.ctx.now()
        with self.ctx.uow() as uow:
            self._require(uow, actor, member, "set the time zone of")
            ReachRepository(uow.conn).set_time_zone(member, zone)
            record(
                uow,
                "member.time_zone_set",
                at=now,
                actor=actor.name,
                group=None,
                ref=f"member:{member}",
                member=member,
                time_zone=zone,
            )
            uow.commit()
        return {"member": member, "time_zone": zone}

    @staticmethod
    def _require(uow: UnitOfWork, actor: Member, member: str, doing: str) -> None:
        if not (actor.is_admin or actor.name == member):
            raise ForbiddenError(
                f"{actor.name} may not {doing} {member}: a member manages its own channels, an administrator any",
                member=member,
            )
        if uow.members.get(member) is None:
            raise NotFoundError(f"member {member} not found", member=member)
