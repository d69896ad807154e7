"""The API's asyncpg pools: stac-fastapi-pgstac's own (``connect_to_db``), except that a
connection goes back to the pool without asyncpg's reset query.

asyncpg resets a released connection with ``SELECT pg_advisory_unlock_all(); CLOSE ALL;
UNLISTEN *; RESET ALL`` — one more round trip to the database on every request, after the
search and before the answer is sent. The API's connections never keep session state: searches
and writes run single statements or managed transactions, settings are ``SET LOCAL``, nothing
listens or takes advisory locks. asyncpg still rolls back an open transaction and drops
listeners on release (``Connection._reset`` runs before the pool's ``reset``)."""

import asyncpg
from fastapi import FastAPI
from stac_fastapi.pgstac.config import PostgresSettings
from stac_fastapi.pgstac.db import ConnectionGetter, con_init


async def _no_session_state(connection: asyncpg.Connection) -> None:
    """The pool's ``reset``: nothing to undo on the server (see the module's docstring)."""


async def _pool(settings: PostgresSettings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.connection_string,
        min_size=settings.db_min_conn_size,
        max_size=settings.db_max_conn_size,
        max_queries=settings.db_max_queries,
        max_inactive_connection_lifetime=settings.db_max_inactive_conn_lifetime,
        init=con_init,
        server_settings=settings.server_settings.model_dump(),
        reset=_no_session_state,
    )


async def connect(
    app: FastAPI, get_connection: ConnectionGetter, settings: PostgresSettings, write_pool: bool
) -> None:
    """The pools and connection getter on ``app.state``, where stac-fastapi-pgstac looks (and
    where its ``close_db_connection`` closes them)."""
    app.state.readpool = await _pool(settings)
    if write_pool:
        app.state.writepool = await _pool(settings)
    app.state.get_connection = get_connection
