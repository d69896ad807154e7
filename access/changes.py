"""Hearing, in every server process, that what access decisions read has changed.

The ``dinamis_access`` tables announce each change on one channel (migration 0005); a process
listening on it empties its caches as soon as the announcement arrives, whichever process made
the change. While it cannot listen (the database is down, the connection was lost) it cannot
know, so it trusts no cache until it listens again.
"""

import asyncio
import logging
from collections.abc import Callable

import psycopg

from dinamis.outage import DatabaseSettings

log = logging.getLogger(__name__)

CHANNEL = "dinamis_access"
# How the listening connection shows in pg_stat_activity.
APPLICATION_NAME = "dinamis-access-changes"


async def listen(
    conninfo: str,
    database: DatabaseSettings,
    changed: Callable[[], None],
    listening: Callable[[bool], None],
    retry_seconds: float = 1.0,
) -> None:
    """Call ``changed()`` on every announcement, ``listening(True)`` once listening (after a
    last ``changed()``: what happened while deaf is unknown) and ``listening(False)`` as soon as
    the connection is lost; reconnect every ``retry_seconds`` until cancelled."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo,
                autocommit=True,
                application_name=APPLICATION_NAME,
                connect_timeout=max(1, round(database.connect_timeout)),
                # A connection cut silently (no reset) is found within seconds, not hours.
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=2,
            ) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                changed()
                listening(True)
                async for _ in conn.notifies():
                    changed()
        except psycopg.OperationalError as error:
            log.warning("not hearing access changes (caches off until then): %s", error)
        finally:
            listening(False)
        await asyncio.sleep(retry_seconds)
