"""The ``dinamis_stats`` schema: the rollups the figures read (downloads by day, products and
active users by month and year), kept by triggers on the tables of access, portal and orders
as their rows are written, and the indexes the requests are read by."""

from pathlib import Path

from dinamis.migrations import Migrations

MIGRATIONS = Migrations(
    schema="dinamis_stats",
    folder=Path(__file__).parent / "migrations",
    after=("dinamis_access", "dinamis_orders", "dinamis_portal"),
)
