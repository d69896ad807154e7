"""Schemas of the job queue: procrastinate's own, and ``dinamis_jobs`` (who asked what).

procrastinate ships its full schema (for a new database) and numbered upgrade files (for one
made by an older version). :class:`ProcrastinateMigrations` applies the first on a database
without it, recording every upgrade file as included, and the upgrade files not yet applied
afterwards: pip upgrading procrastinate is all it takes, no SQL file copied here to keep in
step. Its tables live where procrastinate expects them (the default schema); the
``procrastinate`` schema only holds the record of applied files.
"""

from dataclasses import dataclass
from pathlib import Path

import psycopg
from procrastinate.schema import SchemaManager

from dinamis.migrations import Migrations

FULL_SCHEMA = "schema.sql"


@dataclass(frozen=True)
class ProcrastinateMigrations(Migrations):
    def apply(self, database_url: str) -> list[str]:
        installed: list[str] = []
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (self.lock_id,))
            try:
                if conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone() == (None,):
                    with conn.transaction():
                        conn.execute(SchemaManager.get_schema())
                        self._record_all(conn)
                    installed.append(FULL_SCHEMA)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.lock_id,))
        return installed + super().apply(database_url)

    def _record_all(self, conn: psycopg.Connection) -> None:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.schema}.migration ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for path in sorted(self.folder.glob("*.sql")):
            conn.execute(
                f"INSERT INTO {self.schema}.migration (name) VALUES (%s) ON CONFLICT DO NOTHING",
                (path.name,),
            )


PROCRASTINATE = ProcrastinateMigrations(
    schema="procrastinate", folder=Path(SchemaManager.get_migrations_path())
)
MIGRATIONS = Migrations(
    schema="dinamis_jobs",
    folder=Path(__file__).parent / "migrations",
    after=("dinamis_access", "procrastinate"),
)
