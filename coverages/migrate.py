"""The ``dinamis_coverages`` schema, built by the numbered SQL files of ``migrations/``."""

from pathlib import Path

from dinamis.migrations import Migrations

MIGRATIONS = Migrations(schema="dinamis_coverages", folder=Path(__file__).parent / "migrations")
