"""Items in and out of pgSTAC, through one bounded connection pool per ingest run.

A batch ingest borrows a connection per product and gives it back at once, so a run of any
length holds at most ``size`` connections, and none once it is over.
"""

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import Connection
from psycopg_pool import ConnectionPool
from pypgstac.db import PgstacDB
from pypgstac.load import Loader, Methods

from dinamis.catalog import refresh_extents
from ingest.item import CATALOGUED, RELAY_PROPERTY
from ingest.model import IngestError

# Seconds to wait for the database before saying it does not answer.
CONNECT_TIMEOUT = 10
# The advisory lock every change of items and extents holds (see Catalogue.serialised).
CHANGE_LOCK = zlib.crc32(b"dinamis-catalogue-changes")
# How the ingest's sessions show in pg_stat_activity, so operators can tell them apart.
APPLICATION_NAME = "dinamis-ingest"


def _pgstac_session(conn: Connection) -> None:
    # What PgstacDB does to the connections it opens itself: pgSTAC's functions first.
    conn.execute("SET search_path TO pgstac, public")


class Catalogue:
    """pgSTAC through a pool of at most ``size`` connections, open between enter and exit."""

    def __init__(self, database_url: str, size: int = 1) -> None:
        self.pool = ConnectionPool(
            database_url,
            min_size=1,
            max_size=max(1, size),
            kwargs={"autocommit": True, "application_name": APPLICATION_NAME},
            configure=_pgstac_session,
            open=False,
            name=APPLICATION_NAME,
        )

    def __enter__(self) -> Self:
        # One plain connection first: an unreachable database fails at once with its reason,
        # where the pool would retry in the background, log each attempt, then time out.
        try:
            psycopg.connect(self.pool.conninfo, connect_timeout=CONNECT_TIMEOUT).close()
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[0]
            raise IngestError(f"cannot connect to the catalogue database: {reason}") from None
        self.pool.open(wait=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.pool.close()

    @contextmanager
    def db(self) -> Iterator[PgstacDB]:
        """A PgstacDB on a borrowed connection, returned to the pool on exit."""
        with self.pool.connection() as conn:
            yield PgstacDB(connection=conn)

    def get_item(self, collection: str, item_id: str) -> dict[str, Any] | None:
        with self.db() as db:
            found = db.query_one("SELECT get_item(%s, %s)", (item_id, collection))
        return found if isinstance(found, dict) else None

    def existing(self, items: list[dict[str, Any]]) -> set[tuple[str, str]]:
        """The (collection, id) pairs of ``items`` already in the catalogue."""
        if not items:
            return set()
        with self.db() as db:
            rows = db.query(
                "SELECT collection, id FROM items"
                " WHERE (collection, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                [[i["collection"] for i in items], [i["id"] for i in items]],
            )
            return {(row[0], row[1]) for row in rows if row is not None}

    def catalogued(self, collection: str, limit: int) -> list[str]:
        """Ids of up to ``limit`` items of ``collection`` still without their COG, newest first."""
        with self.db() as db:
            rows = db.query(
                "SELECT id FROM items WHERE collection = %s"
                " AND content->'properties'->>%s = %s ORDER BY datetime DESC, id LIMIT %s",
                [collection, RELAY_PROPERTY, CATALOGUED, limit],
            )
            return [row[0] for row in rows if row is not None]

    @contextmanager
    def serialised(self) -> Iterator[PgstacDB]:
        """A PgstacDB holding the lock every change of the catalogue's items and extents takes.

        pgSTAC creates a missing partition, and maintains every partition's indexes and the
        collections' extents, without locks of its own: two products of a new year loaded at
        once (parallel ingest workers, a worker's COG beside a command) failed with 'relation
        "_items_2_2019" does not exist', and a load beside an extent refresh with a deadlock.
        Each takes milliseconds; the COGs are made outside.
        """
        with self.db() as db:
            conn = db.connection
            conn.execute("SELECT pg_advisory_lock(%s)", (CHANGE_LOCK,))
            try:
                yield db
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (CHANGE_LOCK,))

    def load(self, items: list[dict[str, Any]], mode: Methods = Methods.upsert) -> None:
        """Load ``items`` with pypgstac's loader: one transaction per partition."""
        if items:
            with self.serialised() as db:
                Loader(db).load_items(iter(items), insert_mode=mode)

    def refresh_extents(self, collections: list[str]) -> None:
        """Bring the collections' extents up to what their items now cover."""
        if collections:
            with self.serialised() as db:
                refresh_extents(db, collections)


def get_item(database_url: str, collection: str, item_id: str) -> dict[str, Any] | None:
    with Catalogue(database_url) as catalogue:
        return catalogue.get_item(collection, item_id)


def upsert_item(database_url: str, item: dict[str, Any]) -> None:
    with Catalogue(database_url) as catalogue:
        catalogue.load([item])
        catalogue.refresh_extents([item["collection"]])
