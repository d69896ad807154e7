"""Schemas that packages contribute, each built by the numbered SQL files of one folder.

A package declares its schema with an entry point in the ``dinamis.migrations`` group naming a
:class:`Migrations` object; ``dinamis db migrate`` applies them all after pgSTAC's, each after
the schemas it names in ``after``. The core never imports the packages by name.
"""

import logging
import zlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

GROUP = "dinamis.migrations"


@dataclass(frozen=True)
class Migrations:
    schema: str
    """The PostgreSQL schema the files build, with its own ``migration`` table."""
    folder: Path
    """Where the ``NNNN_name.sql`` files are, applied in name order."""
    after: tuple[str, ...] = ()
    """Schemas whose tables these files reference: migrated first."""

    @property
    def lock_id(self) -> int:
        # Two overlapping runs (a deployment job and an operator): one migrates, one waits.
        return zlib.crc32(self.schema.encode())

    def apply(self, database_url: str) -> list[str]:
        """Apply the files not applied yet, each in its own transaction; return their names."""
        applied: list[str] = []
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (self.lock_id,))
            try:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.schema}.migration ("
                    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                done = {r[0] for r in conn.execute(f"SELECT name FROM {self.schema}.migration")}
                for path in sorted(self.folder.glob("*.sql")):
                    if path.name in done:
                        continue
                    with conn.transaction():
                        conn.execute(path.read_text())
                        conn.execute(
                            f"INSERT INTO {self.schema}.migration (name) VALUES (%s)", (path.name,)
                        )
                    log.info("applied %s migration %s", self.schema, path.name)
                    applied.append(path.name)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (self.lock_id,))
        return applied


def contributed() -> list[Migrations]:
    """Every package's migrations, each after those it depends on."""
    found: dict[str, Migrations] = {}
    for entry in entry_points(group=GROUP):
        migrations = entry.load()
        found[migrations.schema] = migrations
    ordered: list[Migrations] = []

    def visit(schema: str, path: tuple[str, ...]) -> None:
        if schema in path:
            raise RuntimeError(f"migrations depend on each other in a loop: {' → '.join(path)}")
        if schema not in found:
            raise RuntimeError(f"a package migrates after '{schema}', which no package provides")
        if found[schema] in ordered:
            return
        for dependency in found[schema].after:
            visit(dependency, (*path, schema))
        ordered.append(found[schema])

    for schema in sorted(found):
        visit(schema, ())
    return ordered


def migrate_all(database_url: str) -> dict[str, list[str]]:
    """Apply every package's pending migrations; the names applied, by schema."""
    return {m.schema: m.apply(database_url) for m in contributed()}
