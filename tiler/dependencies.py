"""FastAPI dependencies: what the factories inject into readers and backends."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import psycopg
import pystac
from fastapi import Depends, Query
from pydantic import AfterValidator
from starlette.requests import Request
from titiler.core.dependencies import (
    AssetsExprParams,
    AssetsParams,
    DefaultDependency,
    _parse_asset,
)
from titiler.core.errors import BadRequestError
from titiler.pgstac import model
from titiler.pgstac.backend import PGSTACBackend
from titiler.pgstac.dependencies import BackendParams, SearchParams

from tiler.catalogue import CatalogueCache, ItemIdParams
from tiler.errors import LimitExceededError
from tiler.limits import Limits
from tiler.renders import item_renders_async, search_renders
from tiler.storage import StorageGuard


@dataclass(init=False)
class ReaderParams(DefaultDependency):
    """The storage guard, limits and read threads of the app, for every reader (hidden from
    OpenAPI)."""

    guard: StorageGuard = field(init=False)
    limits: Limits = field(init=False)
    threads: int = field(init=False)

    def __init__(self, request: Request):
        self.guard = request.app.state.guard
        self.limits = request.app.state.limits
        self.threads = request.app.state.settings.read_threads


# The names of titiler's mosaic routes listing the items under a bbox, point or tile.
ASSETS_ROUTES = "assets_for_"


@dataclass(init=False)
class MosaicBackendParams(BackendParams):
    """The database pool plus the mosaic limits and read threads from the settings, and the
    catalogue cache."""

    min_zoom: int = field(init=False)
    max_items: int = field(init=False)
    cache: CatalogueCache = field(init=False)
    threads: int = field(init=False)
    public_url: str | None = field(init=False)

    def __init__(self, request: Request):
        super().__init__(request)
        settings = request.app.state.settings
        self.min_zoom = settings.mosaic_min_zoom
        self.max_items = settings.mosaic_max_items
        self.threads = settings.read_threads
        self.cache = request.app.state.catalogue
        # titiler's /assets routes answer the items themselves: with public URLs, not paths.
        route = getattr(request.scope.get("route"), "name", "")
        self.public_url = settings.stac_api_url if route.startswith(ASSETS_ROUTES) else None


# Optional where titiler requires it: the default render, else the item's data assets (every
# asset for /info), are used when a request leaves it out.
OptionalAssets = Annotated[
    list[str] | None,
    AfterValidator(lambda values: _parse_asset(values) if values else values),
    Query(
        title="Asset names",
        description="Asset names, optionally with options (`data|bidx=4,1,2`). "
        "Defaults to the item's render for pictures, else to its data assets.",
    ),
]


@dataclass
class AssetsOptionalParams(AssetsParams):
    assets: OptionalAssets = None


@dataclass
class LayerParams(AssetsExprParams):
    assets: OptionalAssets = None


@dataclass(init=False)
class ItemReaderParams(ReaderParams):
    """Reader parameters of an item, with its renders (its own, else its collection's)."""

    renders: dict[str, dict[str, Any]] = field(init=False)

    def __init__(self, request: Request, renders: dict[str, dict[str, Any]]):
        super().__init__(request)
        self.renders = renders


async def item_reader_params(
    request: Request, item: Annotated[pystac.Item, Depends(ItemIdParams)]
) -> ItemReaderParams:
    """The item factory's reader dependency, resolved in the event loop (see ``inline``)."""
    return ItemReaderParams(request, await item_renders_async(request.app.state.dbpool, item))


async def no_environment() -> dict[str, Any]:
    """titiler's GDAL options per request: none (``tiler.gdal`` sets them once, per process)."""
    return {}


async def item_render_options(
    params: Annotated[ItemReaderParams, Depends(item_reader_params)],
) -> dict[str, dict[str, Any]]:
    return params.renders


def mosaic_renders(path_dependency: Callable[..., str]) -> Callable[..., dict[str, dict[str, Any]]]:
    """The renders of the mosaic ``path_dependency`` names (a collection or a search)."""

    def renders_of_mosaic(
        request: Request, search_id: Annotated[str, Depends(path_dependency)]
    ) -> dict[str, dict[str, Any]]:
        pool = request.app.state.dbpool
        return search_renders(pool, PGSTACBackend(search_id, pool=pool).info())

    return renders_of_mosaic


def checked_search(
    max_bytes: int,
) -> Callable[..., tuple[model.PgSTACSearch, model.Metadata]]:
    """titiler-pgstac's search to register, refused (400, saying why) past ``max_bytes`` of
    JSON (every registered search is kept in the database) or when pgSTAC cannot turn it into
    a query (a bad geometry, say), before anything is stored."""

    def search(
        request: Request, body: model.RegisterMosaic
    ) -> tuple[model.PgSTACSearch, model.Metadata]:
        text = body.model_dump_json(by_alias=True, exclude_none=True, exclude={"metadata"})
        if len(text.encode()) > max_bytes:
            raise LimitExceededError(
                f"search of {len(text.encode()):,} bytes exceeds the limit of {max_bytes:,} "
                "bytes for a registered search: narrow it (fewer ids, a simpler geometry or filter)"
            )
        with request.app.state.dbpool.connection() as conn:
            try:
                conn.execute(
                    "SELECT pgstac.stac_search_to_where(%(s)s::jsonb), pgstac.sort_sqlorderby("
                    "%(s)s::jsonb, FALSE, '{collection,id}', "
                    "pgstac.to_text_array(%(s)s::jsonb->'collections'))",
                    {"s": text},
                )
            except psycopg.Error as error:
                conn.rollback()
                reason = error.diag.message_primary or type(error).__name__
                raise BadRequestError(f"search refused by the catalogue: {reason}") from error
        return SearchParams(body)

    return search
