"""What both apps do when the database is unreachable or too slow: answer 503 with
``Retry-After`` within bounded time (connect, statement and pool timeouts from the settings),
never the driver's message, and recover by themselves once it is back (psycopg connections checked
before use; asyncpg's replaced as soon as one is found broken, without a ping per request),
so the first requests after a restart do not meet the dead connections of the pool.

One module for the STAC API (asyncpg, through stac-fastapi-pgstac) and the tiler and access
control (psycopg pools).
"""

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

import asyncpg
import psycopg
from fastapi import FastAPI, Request
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.responses import JSONResponse

log = logging.getLogger(__name__)

ConnectionGetter = Callable[
    [Request, Literal["r", "w"]], AbstractAsyncContextManager[asyncpg.Connection]
]


class DatabaseSettings(BaseSettings):
    """Read from ``DINAMIS_DB_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="DINAMIS_DB_", env_file=".env", extra="ignore")

    connect_timeout: float = Field(default=3, gt=0)
    """Seconds to open a connection before the database counts as unreachable."""
    statement_timeout: float = Field(default=30, gt=0)
    """Seconds one SQL statement may run (PostgreSQL's statement_timeout)."""
    pool_timeout: float = Field(default=5, gt=0)
    """Seconds a request waits for a pooled connection."""
    retry_after: int = Field(default=10, gt=0)
    """What ``Retry-After`` tells clients during an outage, in seconds."""

    @property
    def statement_timeout_ms(self) -> str:
        return str(int(self.statement_timeout * 1000))


class DatabaseUnavailableError(RuntimeError):
    """No connection to the database could be had in time. Its message is fixed (libraries
    may show it: stac-fastapi's health check does); the cause is chained for the logs."""

    def __init__(self) -> None:
        super().__init__("database unavailable")


# Errors meaning "the database is not there (or not answering in time)", not "the request is
# wrong": connection lost or refused, server shutting down, statement or pool timeout.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    DatabaseUnavailableError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.QueryCanceledError,
    asyncpg.TooManyConnectionsError,
    psycopg.OperationalError,  # psycopg_pool.PoolTimeout and QueryCanceled included
)


def outage_response(settings: DatabaseSettings) -> JSONResponse:
    return JSONResponse(
        {
            "code": "DatabaseUnavailable",
            "description": "The catalogue database is unavailable; retry in "
            f"{settings.retry_after} s.",
        },
        status_code=503,
        headers={"Retry-After": str(settings.retry_after), "Cache-Control": "no-store"},
    )


def add_outage_handlers(app: FastAPI, settings: DatabaseSettings) -> None:
    """Answer every outage error of ``app`` with a 503, logging the cause (not sending it)."""

    async def handler(request: Request, error: Exception) -> JSONResponse:
        cause = error.__cause__ or error
        log.warning(
            "database unavailable for %s %s: %s: %s",
            request.method,
            request.url.path,
            type(cause).__name__,
            cause,
        )
        return outage_response(settings)

    for error_class in OUTAGE_ERRORS:
        app.add_exception_handler(error_class, handler)


def is_outage(error: BaseException) -> bool:
    """``error`` or what caused it is an outage (libraries wrap driver errors in their own)."""
    return _caused_by(error, OUTAGE_ERRORS)


def _caused_by(error: BaseException, classes: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, classes):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# -- psycopg (tiler, access control) ----------------------------------------------------------


class RecoveringPool(ConnectionPool):
    """psycopg_pool's pool, retrying a lost connection at least every ``MAX_RECONNECT_DELAY``
    seconds: its own backoff doubles up to minutes, so after an outage of a minute requests
    would wait for a reconnection long after the database is back."""

    MAX_RECONNECT_DELAY = 1.0

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        if attempt is not None:
            # The pool doubles the delay after a failure: keep the double within the bound.
            attempt.delay = min(attempt.delay, self.MAX_RECONNECT_DELAY / attempt.DELAY_BACKOFF)
        super()._add_connection(attempt, growing)


def psycopg_pool(
    conninfo: str,
    settings: DatabaseSettings,
    options: str = "",
    **pool_args: Any,
) -> ConnectionPool:
    """A psycopg pool whose connections are checked before use (a restart leaves none dead in
    it), whose waits and connects are bounded, whose statements time out, and which reconnects
    promptly once the database is back."""
    return RecoveringPool(
        conninfo,
        check=ConnectionPool.check_connection,
        timeout=settings.pool_timeout,
        kwargs={
            "connect_timeout": max(1, math.ceil(settings.connect_timeout)),
            "options": f"{options} -c statement_timeout={settings.statement_timeout_ms}".strip(),
        },
        **pool_args,
    )


# -- asyncpg (stac-fastapi-pgstac) ------------------------------------------------------------


def asyncpg_server_settings(settings: DatabaseSettings) -> dict[str, str]:
    """Session settings for stac-fastapi-pgstac's pools (``PostgresSettings.server_settings``)."""
    return {"statement_timeout": settings.statement_timeout_ms}


def asyncpg_connection_getter(settings: DatabaseSettings) -> ConnectionGetter:
    """A ``get_connection`` for the API's pools (``stac_api.pools``), as stac-fastapi-pgstac's
    own but with a bounded wait for a connection, and without a dead connection outliving the
    outage that killed it: no ping per request (a round trip on every search), but the pool's
    connections are all replaced as soon as one request meets a broken one.

    asyncpg itself reconnects a pooled connection whose socket the server closed (a restart,
    a crash: the kernel closes the backends' sockets and the pool sees it); what it cannot see
    (a connection silently cut) fails the one request that meets it, with a 503."""
    from stac_fastapi.pgstac.db import translate_pgstac_errors

    @asynccontextmanager
    async def connection(
        request: Request, readwrite: Literal["r", "w"] = "r"
    ) -> AsyncIterator[asyncpg.Connection]:
        state = request.app.state
        pool: asyncpg.Pool = getattr(state, "writepool", None) if readwrite == "w" else None
        pool = pool or state.readpool
        conn = await _acquire(pool, settings)
        try:
            with translate_pgstac_errors():
                yield conn
        except Exception as error:
            if _caused_by(error, _BROKEN):
                pool.expire_connections()
            raise
        finally:
            await pool.release(conn)

    return connection


_BROKEN = (OSError, TimeoutError, asyncpg.InterfaceError, *OUTAGE_ERRORS)


async def _acquire(pool: asyncpg.Pool, settings: DatabaseSettings) -> asyncpg.Connection:
    """A connection within the pool and connect timeouts; a failed attempt expires the pool's
    connections (the database went away: the others are as dead) and is made once more."""
    for attempt in (1, 2):
        try:
            async with asyncio.timeout(settings.pool_timeout + settings.connect_timeout):
                return await pool.acquire()
        except _BROKEN as error:
            pool.expire_connections()
            if attempt == 2:
                raise DatabaseUnavailableError from error
    raise AssertionError("unreachable")
