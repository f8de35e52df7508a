"""Every table of every feature on one MetaData (Alembic compares the database against this)."""

from accord.storage import (
    deliberation_tables,
    gate_tables,
    identity_tables,
    milestone_tables,
    outbox_tables,
    proof_tables,
    reach_tables,
)
from accord.storage.tables import metadata

__all__ = [
    "deliberation_tables",
    "gate_tables",
    "identity_tables",
    "metadata",
    "milestone_tables",
    "outbox_tables",
    "proof_tables",
    "reach_tables",
]
