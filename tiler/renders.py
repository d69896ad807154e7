"""Default rendering from the STAC render extension: what a picture with no parameters shows.

A request that names no layer (no `assets`, no `expression`) and asks for a picture gets the
item's render, else its collection's: "true-color" if there is one, else the first. Anything
the request does set (rescale, colormap, resampling...) wins over the render's value.
"""

import json
from collections.abc import Awaitable, Callable
from threading import Lock
from typing import Annotated, Any, TypeVar

import pystac
from cachetools import TTLCache, cached
from fastapi import Depends
from fastapi.dependencies.utils import get_dependant, request_params_to_args
from fastapi.exceptions import RequestValidationError
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from titiler.extensions.render import _adapt_render_for_v2
from titiler.pgstac.model import Search

from tiler.inline import inline

DEFAULT_RENDER = "true-color"

# Selecting these means the request chose its own layer: no default render then.
LAYER_PARAMS = {"assets", "expression"}

# Pictures only: values (point, statistics) and data downloads keep every band, unscaled.
DATA_ROUTES = {"point", "statistics", "geojson_statistics", "asset_statistics"}
RAW_FORMATS = {"tif", "tiff", "npy"}

T = TypeVar("T")


@cached(TTLCache(maxsize=256, ttl=300), key=lambda pool, collection_id: collection_id, lock=Lock())
def collection_renders(pool: ConnectionPool, collection_id: str) -> dict[str, dict[str, Any]]:
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute("SELECT * FROM pgstac.get_collection(%s)", (collection_id,))
        row = cursor.fetchone()
    collection = row["get_collection"] if row else None
    return (collection or {}).get("renders") or {}


def item_renders(pool: ConnectionPool, item: pystac.Item) -> dict[str, dict[str, Any]]:
    renders = item.properties.get("renders")
    if not renders and item.collection_id:
        renders = collection_renders(pool, item.collection_id)
    return {name: as_params(render) for name, render in (renders or {}).items()}


async def item_renders_async(pool: ConnectionPool, item: pystac.Item) -> dict[str, dict[str, Any]]:
    """``item_renders`` from the event loop: only a collection's renders not cached yet are
    read, in a worker thread."""
    with collection_renders.cache_lock:  # type: ignore[attr-defined]
        known = (
            bool(item.properties.get("renders"))
            or not item.collection_id
            or item.collection_id in collection_renders.cache  # type: ignore[attr-defined]
        )
    if known:
        return item_renders(pool, item)
    return await run_in_threadpool(item_renders, pool, item)


def as_params(render: dict[str, Any]) -> dict[str, Any]:
    """A render in titiler's query-parameter form (assets with `|bidx=`, rescale as 'min,max')."""
    params = {k: v for k, v in render.items() if k not in ("title", "tilematrixsets")}
    if zooms := params.pop("minmax_zoom", None):
        params["minzoom"], params["maxzoom"] = zooms
    if rescale := params.get("rescale"):
        params["rescale"] = [r if isinstance(r, str) else f"{r[0]},{r[1]}" for r in rescale]
    if isinstance(params.get("colormap"), dict):
        params["colormap"] = json.dumps(params["colormap"])
    if isinstance(params.get("assets"), str):
        params["assets"] = [params["assets"]]
    _adapt_render_for_v2(params)
    return params


def search_renders(pool: ConnectionPool, search: Search) -> dict[str, dict[str, Any]]:
    """The renders registered with a mosaic (a collection mosaic registers its collection's),
    else those of the one collection the search is about."""
    renders = search.metadata.defaults
    collections = search.input_search.get("collections") or []
    if not renders and len(collections) == 1:
        renders = collection_renders(pool, collections[0])
    return {name: as_params(r) for name, r in (renders or {}).items()}


def default_render(renders: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if not renders:
        return None
    return renders.get(DEFAULT_RENDER) or next(iter(renders.values()))


def wants_default(request: Request) -> bool:
    if LAYER_PARAMS & set(request.query_params):
        return False
    route = request.scope.get("route")
    if getattr(route, "name", None) in DATA_ROUTES:
        return False
    output = request.path_params.get("format") or request.query_params.get("tile_format")
    return output not in RAW_FORMATS


def with_default_render(
    dependency: Callable[..., T], renders: Callable[..., dict[str, dict[str, Any]]]
) -> Callable[..., Awaitable[T]]:
    """``dependency`` resolved from the default render's parameters under the request's own.

    The returned dependency still declares ``dependency``'s query parameters (OpenAPI and
    validation unchanged); it resolves them a second time only when the default render applies.
    """
    query_fields = get_dependant(path="", call=dependency).query_params

    # Both run in the event loop: titiler calls neither itself (this one has no query
    # parameters of its own for ``check_query_params`` to try).
    async def resolve(
        request: Request,
        own: Annotated[Any, Depends(inline(dependency))],
        available: Annotated[dict[str, dict[str, Any]], Depends(renders)],
    ) -> T:
        render = default_render(available) if wants_default(request) else None
        if not render:
            return own
        given = set(request.query_params)
        merged = QueryParams(
            [
                (k, str(v))
                for k, values in render.items()
                if k not in given
                for v in (values if isinstance(values, list) else [values])
            ]
            + request.query_params.multi_items()
        )
        values, errors = request_params_to_args(query_fields, merged)
        if errors:
            raise RequestValidationError(errors)
        return dependency(**values)

    return resolve
