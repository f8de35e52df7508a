"""REST routes for member channels and time zones (SPEC §11, §1)."""

from __future__ import annotations

from typing import Any

from accord.entrypoints.rest.common import Body, CallerApi
from accord.entrypoints.rest.contract import ContractRouter

router = ContractRouter(prefix="/v1")
Json = dict[str, Any]


class NewChannel(Body):
    url: str
    events: list[str] | None = None


class TimeZone(Body):
    time_zone: str | None = None


@router.post("/members/{name}/channels", tags=["channels"], status_code=201)
def add_channel(name: str, body: NewChannel, api: CallerApi) -> Json:
    """Register an Apprise URL where member `name` is told (its own, or any for an administrator); answers
    the channel with its URL masked, as it will always be shown from now on. 422 names `url` or `events`."""
    return api.add_channel(name, body.url, body.events)


@router.get("/members/{name}/channels", tags=["channels"])
def list_channels(name: str, api: CallerApi) -> Json:
    """{member, time_zone, channels: [...]}, URLs masked."""
    return api.list_channels(name)


@router.delete("/members/{name}/channels/{channel_id}", tags=["channels"])
def remove_channel(name: str, channel_id: str, api: CallerApi) -> Json:
    """Remove one channel; 404 when `name` has no such channel."""
    return api.remove_channel(name, channel_id)


@router.put("/members/{name}/time-zone", tags=["channels"])
def set_time_zone(name: str, body: TimeZone, api: CallerApi) -> Json:
    """Set (or with null/"" clear) the IANA time zone `name`'s notices show deadlines in."""
    return api.set_time_zone(name, body.time_zone)
