"""Every table of every feature on one MetaData (Alembic compares the database against this)."""

from accord.storage.tables import metadata

# Feature table modules register on the same MetaData when imported here.
__all__ = ["metadata"]
