"""The ``dinamis_portal`` schema: credentials, sessions, mailed links and membership
applications, beside (and referencing) the access-control schema."""

from pathlib import Path

from dinamis.migrations import Migrations

MIGRATIONS = Migrations(
    schema="dinamis_portal",
    folder=Path(__file__).parent / "migrations",
    after=("dinamis_access",),
)
