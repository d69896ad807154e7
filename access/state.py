"""Per-application access state: a connection pool and the short-lived caches that keep
authorisation off the database on the hot path (tiles, ranged COG reads)."""

import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import psycopg
from cachetools import TTLCache
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from access import store
from access.models import DownloadEvent, Licence, Principal
from access.oidc import OidcVerifier
from access.policy import Decision, can_access
from access.settings import AccessSettings
from dinamis.outage import DatabaseSettings, psycopg_pool

P = ParamSpec("P")
T = TypeVar("T")

_LICENCES = "licences"


class AccessState:
    """Caches are only touched from the event loop (database calls run in worker threads and
    return their result), so cachetools' unsynchronised caches are safe here."""

    def __init__(
        self, database_url: str, settings: AccessSettings, database: DatabaseSettings | None = None
    ) -> None:
        if settings.secret_key is None:
            raise ValueError("access settings need a secret_key (see access_settings())")
        self.settings = settings
        self.secret = settings.secret_key.get_secret_value()
        self.pool = psycopg_pool(
            database_url, database or DatabaseSettings(), min_size=1, max_size=8, open=False
        )
        ttl = settings.cache_ttl
        self._principals: TTLCache[tuple[str, str | int], Principal | None] = TTLCache(10_000, ttl)
        self._licences: TTLCache[str, dict[str, Licence]] = TTLCache(1, ttl)
        self.oidc = OidcVerifier.from_settings(settings)
        # An OpenID Connect login, by token hash: the principal and the token's expiry.
        self._logins: TTLCache[str, tuple[Principal | None, float]] = TTLCache(10_000, ttl)
        # A registered search's body never changes for its hash (the hash is of the body), so
        # what it may return can be kept; an unknown hash is never kept: it may be registered
        # the next instant.
        self._searches: TTLCache[str, list[str]] = TTLCache(10_000, ttl)
        self._assets: TTLCache[tuple[str, str, str], tuple[Path, str | None, bool]] = TTLCache(
            10_000, ttl
        )
        # The keys whose use today is already written: at most one write a key a day, however
        # many requests it signs (bounded by the number of keys, emptied every day).
        self._keys_used_on: date | None = None
        self._keys_used: set[int] = set()

    async def run(
        self,
        function: Callable[Concatenate[psycopg.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``function(connection, ...)`` in a worker thread, committed when it returns."""

        def call() -> T:
            with self.pool.connection() as conn:
                return function(conn, *args, **kwargs)

        return await run_in_threadpool(call)

    async def principal_for_key(self, secret: str) -> Principal | None:
        # Cached by hash so the cache never holds usable secrets.
        cache_key = ("key", store.hash_secret(secret))
        if cache_key not in self._principals:
            self._principals[cache_key] = await self.run(store.resolve_key, secret)
        return self._principals[cache_key]

    async def note_key_use(self, key_id: int) -> None:
        """Record that key ``key_id`` was used today (UTC), the first time it is today."""
        today = datetime.now(UTC).date()
        if today != self._keys_used_on:
            self._keys_used_on, self._keys_used = today, set()
        if key_id in self._keys_used:
            return
        # Marked before the write, so that requests arriving meanwhile do not write it again.
        self._keys_used.add(key_id)
        try:
            await self.run(store.record_key_use, key_id, today)
        except BaseException:
            self._keys_used.discard(key_id)
            raise

    async def principal_for_key_id(self, key_id: int) -> Principal | None:
        cache_key = ("id", key_id)
        if cache_key not in self._principals:
            self._principals[cache_key] = await self.run(store.resolve_key_id, key_id)
        return self._principals[cache_key]

    async def principal_for_jwt(self, token: str) -> Principal | None:
        """The registered user an OpenID Connect token names, if the token is genuine and live."""
        if self.oidc is None:
            return None
        cache_key = store.hash_secret(token)
        cached = self._logins.get(cache_key)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        claims = await run_in_threadpool(self.oidc.claims, token)
        email = self.oidc.email(claims) if claims else None
        principal = await self.run(store.resolve_email, email) if email else None
        # A token cannot outlive its own expiry here, whatever the cache's lifetime.
        expires = float(claims["exp"]) if claims else time.time() + self.settings.cache_ttl
        self._logins[cache_key] = (principal, expires)
        return principal

    async def licences(self) -> Mapping[str, Licence]:
        if _LICENCES not in self._licences:
            self._licences[_LICENCES] = await self.run(store.licences_by_collection)
        return self._licences[_LICENCES]

    async def decide(self, principal: Principal | None, collection_id: str) -> Decision:
        return can_access(principal, collection_id, await self.licences())

    async def search_collections(self, search_id: str) -> list[str] | None:
        """Collections the registered search ``search_id`` is limited to (empty: unlimited), or
        ``None`` when no such search is registered (asked again on the next request)."""
        cached = self._searches.get(search_id)
        if cached is not None:
            return cached
        collections = await self.run(store.search_collections, search_id)
        if collections is not None:
            self._searches[search_id] = collections
        return collections

    def remember_asset(
        self, key: tuple[str, str, str], value: tuple[Path, str | None, bool]
    ) -> None:
        self._assets[key] = value

    def cached_asset(self, key: tuple[str, str, str]) -> tuple[Path, str | None, bool] | None:
        return self._assets.get(key)

    async def record(self, event: DownloadEvent) -> None:
        await self.run(store.record_download, event)

    def forget(self) -> None:
        """Drop cached principals, logins and licences after a change made through this process
        (other processes see it after ``cache_ttl``)."""
        self._principals.clear()
        self._logins.clear()
        self._licences.clear()


@asynccontextmanager
async def installed(
    app: FastAPI,
    database_url: str,
    settings: AccessSettings,
    database: DatabaseSettings | None = None,
) -> AsyncIterator[AccessState]:
    """Make access control available to ``app``'s routes for the duration of its lifespan:

    ``async with installed(app, url, settings): yield`` inside the app's own lifespan. The
    ``dinamis_access`` schema is migrated with pgSTAC's, by ``dinamis db start|migrate``.
    """
    state = AccessState(database_url, settings, database)
    await run_in_threadpool(state.pool.open, True)
    app.state.access = state
    try:
        yield state
    finally:
        await run_in_threadpool(state.pool.close)
