"""Wiring: settings → engine → services. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass

from accord.clock import Clock, SystemClock
from accord.services.channels import ChannelService
from accord.services.context import Context
from accord.services.deliberation import DeliberationService
from accord.services.events import EventService
from accord.services.gates import GateService
from accord.services.groups import GroupService
from accord.services.identity import IdentityService
from accord.services.inbox import InboxService
from accord.services.ladder import LadderService
from accord.services.milestones import MilestoneService
from accord.services.notifying import ChannelSender, channel_observer
from accord.services.outbox import OutboxService, OutboxWorker, Senders
from accord.services.proof import AuditService, KeyService
from accord.services.proposals import ProposalService
from accord.services.receipts import ReceiptService
from accord.services.signin_links import SigninLinkService
from accord.services.tokens import TokenService
from accord.services.webhook_sender import WebhookSender
from accord.services.webhooks import WebhookService, fan_out
from accord.settings import Settings
from accord.storage.engine import display_url, make_engine, open_store
from accord.storage.event_log import observe
from accord.storage.notify import EventHub


@dataclass
class Services:
    """The one application layer every face (REST, MCP, CLI, web) calls."""

    ctx: Context
    identity: IdentityService
    tokens: TokenService
    groups: GroupService
    proposals: ProposalService
    events: EventService
    milestones: MilestoneService
    gates: GateService
    inbox: InboxService
    deliberation: DeliberationService
    keys: KeyService
    audit: AuditService
    receipts: ReceiptService
    channels: ChannelService
    signin_links: SigninLinkService
    ladder: LadderService
    webhooks: WebhookService
    outbox: OutboxService
    # The outbox's senders by kind (SPEC §11); `worker()` sends what the outbox holds.
    senders: Senders
    delivery_timeout: float = 10.0

    def worker(self, **options: float | int | str) -> OutboxWorker:
        """A delivery worker over this store: `run_once()`/`drain()` (tests), or `start()`/`stop()` (serve).
        Its lease on a delivery is three attempt timeouts, so one that a killed process held is retried soon."""
        options.setdefault("lease_seconds", max(3 * self.delivery_timeout, 3.0))
        return OutboxWorker(self.ctx, self.senders, **options)  # type: ignore[arg-type]

    def close(self) -> None:
        self.senders.close()
        self.ctx.hub.close()
        self.ctx.engine.dispose()


def build_services(database_url: str | None = None, clock: Clock | None = None, *, existing: bool = False) -> Services:
    """Services over the store at `database_url` (default: ACCORD_DATABASE_URL).

    With `existing=True` (every face but `accord init`) nothing is created: NoStoreError (exit 69) when no
    store has been initialised there."""
    settings = Settings()
    url = database_url or settings.database_url
    engine = open_store(url) if existing else make_engine(url)
    ctx = Context(
        engine=engine,
        clock=clock or SystemClock(),
        hub=EventHub(engine),
        key_file=settings.signing_key_file,
        issuer=settings.public_url,
        allow_private_targets=settings.allow_private_targets,
    )
    # Deliveries are written with the events that cause them (SPEC §11); each kind registers its sender.
    observe(engine, fan_out)
    observe(engine, channel_observer(settings.public_url))
    links = SigninLinkService(ctx, settings.public_url)
    senders = Senders()
    senders.register(WebhookSender(ctx, timeout=settings.delivery_timeout_seconds))
    senders.register(ChannelSender(ctx, links))
    return Services(
        ctx=ctx,
        identity=IdentityService(ctx),
        tokens=TokenService(ctx),
        groups=GroupService(ctx),
        proposals=ProposalService(ctx),
        events=EventService(ctx),
        milestones=MilestoneService(ctx),
        gates=GateService(ctx),
        inbox=InboxService(ctx),
        deliberation=DeliberationService(ctx),
        keys=KeyService(ctx),
        audit=AuditService(ctx),
        receipts=ReceiptService(ctx),
        channels=ChannelService(ctx),
        signin_links=links,
        ladder=LadderService(ctx),
        webhooks=WebhookService(ctx),
        outbox=OutboxService(ctx),
        senders=senders,
        delivery_timeout=settings.delivery_timeout_seconds,
    )


def upgrade_store(services: Services) -> None:
    """Bring the store under `services` to every head revision (Alembic; `accord init` and `accord serve`)."""
    from accord.storage.migrate import upgrade  # Alembic only where a store is upgraded, not in every command

    upgrade(services.ctx.engine)


def check_store(database_url: str) -> None:
    """NoStoreError (exit 69) unless an Accord store exists at `database_url`; nothing is created."""
    open_store(database_url).dispose()


def show_url(database_url: str) -> str:
    """The URL as it may be shown (a password hidden)."""
    return display_url(database_url)
