"""The ``dinamis_access`` schema, built by the numbered SQL files of ``migrations/``."""

import logging
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA = "dinamis_access"
# Two `dinamis db migrate` runs may overlap (a deployment job and an operator): one migrates,
# the other waits.
_LOCK_ID = 0x44_4E_4D_41  # "DNMA"


def migrate(database_url: str) -> list[str]:
    """Apply the files not applied yet, in name order, each in its own transaction.

    Returns the names applied by this call (empty when the schema was current).
    """
    applied: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {SCHEMA}.migration ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute(f"SELECT name FROM {SCHEMA}.migration")}
            for path in sorted(MIGRATIONS.glob("*.sql")):
                if path.name in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text())
                    conn.execute(f"INSERT INTO {SCHEMA}.migration (name) VALUES (%s)", (path.name,))
                log.info("applied access migration %s", path.name)
                applied.append(path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied
