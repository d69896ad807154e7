"""Which database we talk to (external or embedded) and bringing it to the current schema."""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
from pypgstac.db import PgstacDB
from pypgstac.migrate import Migrate

from dinamis.embedded import EmbeddedCluster, find_bindir, postgis_available
from dinamis.embedded import EmbeddedDatabaseError as EmbeddedDatabaseError
from dinamis.migrations import migrate_all
from dinamis.settings import Settings

log = logging.getLogger(__name__)

QUERYABLES_SQL = Path(__file__).with_name("sql") / "queryables.sql"
# Fixes of pgSTAC functions, re-applied after every pgSTAC migration (which restores the originals).
PGSTAC_WORKAROUNDS_SQL = Path(__file__).with_name("sql") / "pgstac_workarounds.sql"


def external_url(settings: Settings) -> str | None:
    """DATABASE_URL, else a URL from libpq's PG* variables when PGHOST names a server."""
    if settings.database_url:
        return settings.database_url
    env = os.environ
    if not env.get("PGHOST"):
        return None
    user = quote(env.get("PGUSER", "postgres"), safe="")
    password = quote(env.get("PGPASSWORD", ""), safe="")
    auth = f"{user}:{password}" if password else user
    return (
        f"postgresql://{auth}@{env['PGHOST']}:{env.get('PGPORT', '5432')}/"
        f"{env.get('PGDATABASE', 'postgis')}"
    )


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(
        pgdata=settings.pgdata,
        port=settings.pg_port,
        bindir=find_bindir(settings.pg_bindir),
        system_user=settings.pg_system_user,
        database=settings.pg_database,
    )


def database_url(settings: Settings) -> str:
    """The URL of the database in use, without starting anything."""
    url = external_url(settings)
    if url:
        return url
    cluster = embedded_cluster(settings)
    if not cluster.initialised:
        raise EmbeddedDatabaseError(
            f"no database yet in {settings.pgdata}: run `dinamis db start` first."
        )
    return cluster.url


def postgres_env(url: str) -> dict[str, str]:
    """The PG* variables that stac-fastapi-pgstac's settings read, for the same database."""
    parts = urlsplit(url)
    return {
        "PGUSER": parts.username or "postgres",
        "PGPASSWORD": parts.password or "",
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGDATABASE": parts.path.lstrip("/") or "postgres",
    }


@contextmanager
def pgstac_db(url: str) -> Iterator[PgstacDB]:
    db = PgstacDB(dsn=url)
    try:
        yield db
    finally:
        # PgstacDB.close() closes its pool but not the connection it checked out, which an
        # atexit hook then holds until the process ends: give it back first, then close.
        pool = db.pool
        db.disconnect()
        if pool is not None:
            pool.close()


def migrate(url: str) -> str:
    """Install PostGIS, bring pgSTAC to the installed pypgstac's version (with our workarounds
    of its defects), declare queryables, and create or update the schemas the packages
    contribute (access control, ...)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    with pgstac_db(url) as db:
        version = Migrate(db).run_migration()
    with psycopg.connect(url) as conn:
        conn.execute(PGSTAC_WORKAROUNDS_SQL.read_text())
        conn.execute(QUERYABLES_SQL.read_text())
    migrate_all(url)
    log.info("pgSTAC schema at version %s", version)
    return version


def start(settings: Settings) -> str:
    """Make the database usable and return its URL: embedded cluster started, schema migrated."""
    url = external_url(settings)
    if url is None:
        cluster = embedded_cluster(settings)
        if not postgis_available(cluster.bindir):
            raise EmbeddedDatabaseError(
                "PostGIS is not installed for this PostgreSQL: "
                "`apt-get install postgresql-15-postgis-3` (or run the README's setup command)."
            )
        cluster.start()
        _ensure_database(cluster)
        url = cluster.url
    migrate(url)
    return url


def _ensure_database(cluster: EmbeddedCluster) -> None:
    admin_url = cluster.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (cluster.database,)
        ).fetchone()
        if not exists:
            log.info("creating database %s", cluster.database)
            conn.execute(f'CREATE DATABASE "{cluster.database}"')
