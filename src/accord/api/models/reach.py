"""Results of the rev. 2 operations on tokens (SPEC §1), member channels and webhooks (SPEC §11).

Fields some answers leave out are optional here; `extra="allow"` (see `Out`) keeps whatever else an answer carries.
"""

from __future__ import annotations

from pydantic import Field

from accord.api.models.base import Out


class TokenInfo(Out):
    id: str = Field(description="tok_…")
    label: str | None = None
    created_at: str
    last_used_at: str | None = Field(default=None, description="To the minute")
    expires_at: str | None = None
    revoked_at: str | None = None
    status: str = Field(description="active, expired or revoked")


class TokenList(Out):
    member: str
    tokens: list[TokenInfo]


class TokenRevocation(Out):
    name: str
    revoked: int = Field(description="How many tokens were revoked")
    tokens: list[str] = Field(description="The ids (tok_…) revoked")


class Channel(Out):
    id: str = Field(description="ch_…")
    member: str | None = None
    scheme: str
    url: str = Field(description="The Apprise URL, its secrets masked")
    events: list[str] | None = None
    created_at: str
    created_by: str | None = None


class ChannelList(Out):
    member: str
    time_zone: str | None = Field(default=None, description="IANA name; UTC when none")
    channels: list[Channel]


class ChannelRemoved(Out):
    id: str | None = None
    member: str | None = None
    removed: bool | None = None


class TimeZone(Out):
    member: str
    time_zone: str | None


class Webhook(Out):
    id: str = Field(description="wh_…")
    group: str
    url: str
    events: list[str]
    enabled: bool
    secret: str | None = Field(default=None, description="whsec_…, only in add_webhook's answer")


class WebhookList(Out):
    webhooks: list[Webhook]


class WebhookRemoved(Out):
    id: str
    group: str
    removed: bool
    cancelled: int | None = Field(default=None, description="Pending deliveries cancelled")


class Delivery(Out):
    id: str = Field(description="dlv_…: the webhook-id header")
    event_id: int | None = None
    event_type: str | None = None
    status: str = Field(description="pending, delivered, failed or cancelled")
    attempts: int


class DeliveryList(Out):
    deliveries: list[Delivery]
