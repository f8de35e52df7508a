"""Reaching people as operations (SPEC §11): a member's channels and time zone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from accord.api.base import ApiBase


class ReachApi(ApiBase):
    def add_channel(self, member: str, url: str, events: Sequence[str] | None = None) -> dict[str, Any]:
        """Register where `member` is told, as an Apprise URL (SPEC §11): mailto://, mailtos://, slack://,
        discord://, msteams://, ntfy://, pover://, json://, xml://, form:// and the other allow-listed mail, chat
        and push schemes. `events`: notice types or patterns to receive (vote.requested, vote.reminder,
        proposal.escalated, proposal.decided, gate.decided, checkpoint.ready; 'vote.*'); none given means every
        notice but checkpoint.ready, which is opt-in. Returns {id, member, scheme, url (masked: its secrets are
        never shown again), events, created_at, created_by}. A member adds its own; an administrator any.

        Refused: ValidationError (field url) for a scheme off the allow-list, a URL Apprise cannot read, or a
        host resolving to a loopback/private/link-local address unless ACCORD_ALLOW_PRIVATE_TARGETS=1; (field
        events) for an unknown notice type; ForbiddenError for another member's channels; NotFoundError for an
        unknown member."""
        return self.services.channels.add(self.actor, member, url, events)

    def list_channels(self, member: str) -> dict[str, Any]:
        """`member`'s channels, URLs masked, and its time zone: {member, time_zone, channels: [{id, scheme, url,
        events, created_at, created_by}]}. The member itself or an administrator (ForbiddenError otherwise)."""
        return self.services.channels.list(self.actor, member)

    def remove_channel(self, member: str, channel_id: str) -> dict[str, Any]:
        """Stop telling `member` on channel `channel_id` (a `ch_…` id from list_channels); pending notices to it
        are dropped. NotFoundError "channel <id> of <member> not found"; ForbiddenError as add_channel."""
        return self.services.channels.remove(self.actor, member, channel_id)

    def set_time_zone(self, member: str, time_zone: str | None) -> dict[str, Any]:
        """Set the IANA time zone (e.g. Europe/Paris) in which `member`'s notices show deadlines (SPEC §1); empty
        or None clears it (UTC). ValidationError naming time_zone for an unknown zone. Returns {member,
        time_zone}."""
        return self.services.channels.set_time_zone(self.actor, member, time_zone)
