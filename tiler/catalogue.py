"""The tiler's catalogue lookups (an item; the items under a mosaic tile or point), kept for
``catalogue_cache_seconds`` rather than titiler-pgstac's fixed 300 s: a deleted or changed item
stops being served that soon after."""

import json
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Annotated, Any, TypeVar

import pystac
from cachetools import TTLCache
from fastapi import Path
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from titiler.pgstac.backend import PGSTACBackend
from titiler.pgstac.dependencies import get_stac_item

T = TypeVar("T")

# titiler-pgstac's lookups without its own caches (cachetools keeps the undecorated function
# as ``__wrapped__``; its retry on a lost connection stays).
uncached_item: Callable[..., pystac.Item] = get_stac_item.__wrapped__
uncached_assets: Callable[..., list[Any]] = PGSTACBackend.get_assets.__wrapped__


class CatalogueCache:
    """A thread-safe TTL cache; ``seconds=0`` asks the database every time."""

    def __init__(self, seconds: float, maxsize: int = 1024) -> None:
        self._cache: TTLCache[Hashable, Any] | None = (
            TTLCache(maxsize, seconds) if seconds > 0 else None
        )
        self._lock = Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        found, value = self._lookup(key)
        if not found:
            # Outside the lock: a slow query must not hold up the others.
            value = self._store(key, compute())
        return value

    async def get_async(self, key: Hashable, compute: Callable[[], T]) -> T:
        """As ``get``, from the event loop: only a miss goes to a worker thread."""
        found, value = self._lookup(key)
        if not found:
            value = self._store(key, await run_in_threadpool(compute))
        return value

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        if self._cache is None:
            return False, None
        with self._lock:
            return (True, self._cache[key]) if key in self._cache else (False, None)

    def _store(self, key: Hashable, value: T) -> T:
        if self._cache is not None:
            with self._lock:
                self._cache[key] = value
        return value

    @staticmethod
    def key(*parts: Any) -> str:
        return json.dumps(parts, sort_keys=True, default=str)


async def ItemIdParams(  # noqa: N802 (titiler-pgstac's name for the same dependency)
    request: Request,
    collection_id: Annotated[str, Path(description="STAC Collection Identifier")],
    item_id: Annotated[str, Path(description="STAC Item Identifier")],
) -> pystac.Item:
    """The STAC item of the path, as titiler-pgstac's ``ItemIdParams``, cached briefly; run in
    the event loop, so that a cached item costs no hop to a worker thread."""
    cache: CatalogueCache = request.app.state.catalogue
    pool = request.app.state.dbpool
    item = await cache.get_async(
        cache.key("item", collection_id, item_id),
        lambda: uncached_item(pool, collection_id, item_id),
    )
    if (first_use := getattr(request.app.state, "first_use", None)) is not None:
        first_use.noticed(item)
    return item
