"""Per-application access state: a connection pool and the caches that keep authorisation off
the database on the hot path (tiles, ranged COG reads), emptied as soon as any process changes
what they hold (``access.changes``)."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg
from cachetools import TTLCache
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from access import store
from access.changes import listen
from access.models import DownloadEvent, Licence, Principal
from access.oidc import OidcVerifier
from access.policy import Decision, can_access
from access.settings import AccessSettings
from dinamis.outage import DatabaseSettings, psycopg_pool

P = ParamSpec("P")
T = TypeVar("T")

_LICENCES = "licences"
_MISSING = object()


class AccessState:
    """Caches are only touched from the event loop (database calls run in worker threads and
    return their result), so cachetools' unsynchronised caches are safe here.

    Keys, users and licences are cached only while this process hears the database announce
    their changes (:meth:`listen`); ``cache_ttl`` then only bounds what a lost announcement
    could keep."""

    def __init__(
        self, database_url: str, settings: AccessSettings, database: DatabaseSettings | None = None
    ) -> None:
        if settings.secret_key is None:
            raise ValueError("access settings need a secret_key (see access_settings())")
        self.settings = settings
        self.database_url = database_url
        self.database = database or DatabaseSettings()
        self.secret = settings.secret_key.get_secret_value()
        self.pool = psycopg_pool(database_url, self.database, min_size=1, max_size=8, open=False)
        # Whether changes are heard, and how many times the caches were emptied: a lookup
        # started before a change must not store what it read after it.
        self._listening = False
        self._generation = 0
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
        return _live(
            await self._cached(
                self._principals, ("key", store.hash_secret(secret)), store.resolve_key, secret
            )
        )

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
        return _live(
            await self._cached(self._principals, ("id", key_id), store.resolve_key_id, key_id)
        )

    async def principal_for_jwt(self, token: str) -> Principal | None:
        """The registered user an OpenID Connect token names, if the token is genuine and live."""
        if self.oidc is None:
            return None
        cache_key = store.hash_secret(token)
        cached = self._logins.get(cache_key) if self._listening else None
        if cached is not None and cached[1] > time.time():
            return cached[0]
        generation = self._generation
        claims = await run_in_threadpool(self.oidc.claims, token)
        email = self.oidc.email(claims) if claims else None
        principal = await self.run(store.resolve_email, email) if email else None
        # A token cannot outlive its own expiry here, whatever the cache's lifetime.
        expires = float(claims["exp"]) if claims else time.time() + self.settings.cache_ttl
        if self._trusts(generation):
            self._logins[cache_key] = (principal, expires)
        return principal

    async def licences(self) -> Mapping[str, Licence]:
        return await self._cached(self._licences, _LICENCES, store.licences_by_collection)

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
        """Drop cached principals, logins and licences: on a change heard from any process, and
        at once after one made through this process."""
        self._generation += 1
        self._principals.clear()
        self._logins.clear()
        self._licences.clear()

    def _trusts(self, generation: int) -> bool:
        """Whether what was read since ``generation`` may be kept: changes are heard, and none
        was announced meanwhile."""
        return self._listening and generation == self._generation

    async def _cached(
        self,
        cache: TTLCache[Any, Any],
        key: Any,
        function: Callable[Concatenate[psycopg.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``cache[key]``, else ``function(connection, ...)``, kept when :meth:`_trusts` it."""
        value = cache.get(key, _MISSING) if self._listening else _MISSING
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]
        generation = self._generation
        value = await self.run(function, *args, **kwargs)
        if self._trusts(generation):
            cache[key] = value
        return value

    def _hearing(self, listening: bool) -> None:
        self._listening = listening

    async def listen(self) -> None:
        """Hear the changes of the access tables until cancelled (see ``access.changes``)."""
        await listen(self.database_url, self.database, self.forget, self._hearing)


def _live(principal: Principal | None) -> Principal | None:
    """``principal``, unless the key they used expired since it was read (no change to the
    tables announces an expiry)."""
    expires = principal.key_expires_at if principal else None
    return None if expires is not None and expires <= datetime.now(UTC) else principal


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
    listener = asyncio.create_task(state.listen())
    try:
        yield state
    finally:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
        await run_in_threadpool(state.pool.close)
