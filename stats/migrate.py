"""The ``dinamis_stats`` schema: no tables of its own, only the indexes the statistics read
the events, sign-ins and requests by (their tables belong to access, portal and orders)."""

from pathlib import Path

from dinamis.migrations import Migrations

MIGRATIONS = Migrations(
    schema="dinamis_stats",
    folder=Path(__file__).parent / "migrations",
    after=("dinamis_access", "dinamis_orders", "dinamis_portal"),
)
