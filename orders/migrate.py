"""The ``dinamis_orders`` schema, built by the numbered SQL files of ``migrations/``; its
orders reference the users and entities of ``dinamis_access``."""

from pathlib import Path

from dinamis.migrations import Migrations

MIGRATIONS = Migrations(
    schema="dinamis_orders",
    folder=Path(__file__).parent / "migrations",
    after=("dinamis_access",),
)
