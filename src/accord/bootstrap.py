"""Wiring: settings → engine → services. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass

from accord.clock import Clock, SystemClock
from accord.services.context import Context
from accord.services.deliberation import DeliberationService
from accord.services.events import EventService
from accord.services.gates import GateService
from accord.services.groups import GroupService
from accord.services.identity import IdentityService
from accord.services.inbox import InboxService
from accord.services.milestones import MilestoneService
from accord.services.proof import AuditService, KeyService
from accord.services.proposals import ProposalService
from accord.services.receipts import ReceiptService
from accord.settings import Settings
from accord.storage.engine import display_url, make_engine, open_store
from accord.storage.notify import EventHub


@dataclass
class Services:
    """The one application layer every face (REST, MCP, CLI, web) calls."""

    ctx: Context
    identity: IdentityService
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

    def close(self) -> None:
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
    )
    return Services(
        ctx=ctx,
        identity=IdentityService(ctx),
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
