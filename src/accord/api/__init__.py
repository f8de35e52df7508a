"""The operations every face offers, named as the MCP tools are, bound to one caller.

`Api(services, actor)` runs them against the local store; `accord.client.AccordClient` offers the same
methods over HTTP, so the CLI works the same locally and against a server.
"""

from __future__ import annotations

from accord.api.base import checked_inputs
from accord.api.core import CoreApi
from accord.api.deliberation import DeliberationApi
from accord.api.gates import GateApi
from accord.api.milestones import MilestoneApi
from accord.api.proof import ProofApi
from accord.api.reach import ReachApi
from accord.api.webhooks import WebhookApi


@checked_inputs
class Api(CoreApi, MilestoneApi, GateApi, DeliberationApi, ProofApi, ReachApi, WebhookApi):
    """Every operation, for one authenticated member; each checks its arguments' limits first (SPEC §13)."""


__all__ = ["Api"]
