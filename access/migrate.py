"""The ``dinamis_access`` schema, built by the numbered SQL files of ``migrations/``."""

from pathlib import Path

from dinamis.migrations import Migrations

MIGRATIONS = Migrations(schema="dinamis_access", folder=Path(__file__).parent / "migrations")


def migrate(database_url: str) -> list[str]:
    """Apply the files not applied yet; the names applied by this call."""
    return MIGRATIONS.apply(database_url)
